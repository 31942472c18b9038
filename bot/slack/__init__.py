"""Slack: the /incident command, its buttons and modal (app.py), Block Kit rendering (blocks.py), DMs (notifier.py)."""
