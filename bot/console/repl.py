"""The terminal adapter: a REPL with history and completion, and one-shot `puente say`."""

from __future__ import annotations

import os
import readline
import sys
from pathlib import Path
from typing import TextIO

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply


def render(reply: Reply) -> str:
    text = reply.plain_text()
    return text if reply.ok else f"error: {text}"


class Console:
    """Reads /incident commands from a terminal and prints the replies."""

    def __init__(self, core: CommandCore, user: str, history: Path | None = None) -> None:
        self.core = core
        self.user = user
        self.history = history

    def run_one(self, line: str) -> Reply:
        return self.core.handle(Command(text=line, platform="console", user_id=self.user))

    def _complete(self, text: str, state: int) -> str | None:
        buffer = readline.get_line_buffer().lstrip()
        words = buffer.removeprefix("/incident").split()
        if len(words) > 1 or (words and buffer.endswith(" ")):
            return None
        options = [f"{name} " for name in self.core.registry.names() if name.startswith(text)]
        return options[state] if state < len(options) else None

    def loop(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        interactive = stdin.isatty()
        if interactive:
            readline.set_completer(self._complete)
            readline.parse_and_bind("tab: complete")
            if self.history and self.history.exists():
                readline.read_history_file(self.history)
            print(f"Puente console as {self.user}. Type /incident help, or quit.", file=stdout)
        try:
            while True:
                try:
                    line = input("puente> ") if interactive else stdin.readline()
                except EOFError:
                    break
                if not interactive and not line:
                    break
                line = line.strip()
                if line in ("quit", "exit"):
                    break
                if line:
                    print(render(self.run_one(line)), file=stdout, flush=True)
        except KeyboardInterrupt:
            pass
        finally:
            if interactive and self.history:
                self.history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(self.history)


def default_user() -> str:
    return os.environ.get("PUENTE_USER") or os.environ.get("USER") or "admin"
