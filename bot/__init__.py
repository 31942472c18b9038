"""Chat: the command core every adapter shares, its handlers, and the console, Slack and Telegram adapters."""
