"""The terminal adapter: the console (interactive or reading a script) and the rendering `puente say` shares."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from puente import i18n
from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.i18n import _
from puente.services.context import Runtime
from puente.services.users import service as users


def reports_folder(runtime: Runtime) -> Path:
    """Where the terminal saves the reports a reply attaches."""
    return runtime.settings.var_dir / "reports"


def render(reply: Reply, files: Path | None = None) -> str:
    """The reply as the terminal shows it, in its language; an attached document is saved under `files` and
    named."""
    text = reply.plain_text()
    with i18n.language(reply.language):
        if not reply.ok:
            return _("error: {reply}").format(reply=text)
        if reply.attachment is not None and files is not None:
            files.mkdir(parents=True, exist_ok=True)
            path = files / reply.attachment.name
            path.write_bytes(reply.attachment.content)
            text += "\n  " + _("saved to {path}").format(path=path)
        return text


class Console:
    """Reads /incident commands from a terminal (or a script on stdin) and prints the replies."""

    def __init__(self, core: CommandCore, user: str, history: Path | None = None, *, serving: bool = False) -> None:
        self.core = core
        self.user = user
        self.history = history
        # Inside `puente run`, leaving the console stops the whole server.
        self.serving = serving

    def run_one(self, line: str) -> Reply:
        return self.core.handle(Command(text=line, platform=users.CONSOLE, user_id=self.user))

    def render_one(self, line: str) -> str:
        return render(self.run_one(line), reports_folder(self.core.runtime))

    def language(self) -> str:
        """What the person at the terminal reads now (`/incident lang` may change it between two lines)."""
        runtime = self.core.runtime
        with runtime.reading() as ctx:
            person = users.known(ctx, users.CONSOLE, self.user)
            chosen = person.language if person else None
        return i18n.choose(chosen, None, runtime.settings.language)

    def complete(self, text: str) -> list[str]:
        return self.core.complete(Command(text=text, platform=users.CONSOLE, user_id=self.user))

    def loop(self, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        if stdin.isatty():
            self.interact()
            return
        for raw in stdin:
            line = raw.strip()
            if line in ("quit", "exit"):
                break
            if line:
                print(self.render_one(line), file=stdout, flush=True)

    def interact(self) -> None:
        """The interactive prompt (imported only here: `puente say` never needs a terminal library)."""
        from puente.bot.console.prompt import interact

        interact(self)
