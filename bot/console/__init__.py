"""The console adapter: the /incident REPL and how notices reach people on the terminal.

Its platform's code is the people service's `CONSOLE`: at the terminal a person is known by user name.
"""
