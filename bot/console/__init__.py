"""The console adapter: the /incident REPL and how notices reach people on the terminal."""
