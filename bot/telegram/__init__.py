"""The Telegram adapter (python-telegram-bot): commands, inline keyboards and their button tokens, pages."""

# How this adapter names its platform: the key of people's and rooms' addresses there.
PLATFORM = "telegram"
