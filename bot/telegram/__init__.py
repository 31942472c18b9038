"""The Telegram adapter (python-telegram-bot): commands, inline keyboards and their button tokens, pages."""
