"""The Slack adapter (slack-bolt): slash command, buttons, modals, Block Kit rendering, DMs for pages."""

# How this adapter names its platform: the key of people's and rooms' addresses there.
PLATFORM = "slack"
