"""The Telegram adapter: python-telegram-bot handlers, HTML rendering and a Notifier for pages."""
