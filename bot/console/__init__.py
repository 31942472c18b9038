"""The console adapter: the /incident REPL and how notices reach people on the terminal."""

# How this adapter names its platform: the key of people's and rooms' addresses there.
PLATFORM = "console"
