"""The Slack adapter (slack-bolt): slash command, buttons, modals, Block Kit rendering, DMs for pages."""
