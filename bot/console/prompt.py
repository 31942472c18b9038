"""The interactive console prompt (prompt_toolkit).

Notices printed by workers meanwhile appear above the line being typed, which is redrawn; Ctrl-C
clears the line; Tab completes from the command core; leaving a console that runs inside
`puente run` asks first, because it stops Puente's server and workers too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from puente import i18n
from puente.i18n import _, pgettext


class Console(Protocol):
    """What the prompt needs of the console (bot/console/repl.py) it runs for."""

    user: str
    history: Path | None
    serving: bool

    def render_one(self, line: str) -> str: ...

    def complete(self, text: str) -> list[str]: ...

    def language(self) -> str: ...


PROMPT = "puente> "
# What answers yes at the terminal in every language, besides the reader's own words for it.
YES = {"y", "yes"}


class CommandCompleter(Completer):
    """Tab completion from the command core: the words the handlers accept."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        typed = text.split(" ")[-1]
        for word in self.console.complete(text):
            yield Completion(word, start_position=-len(typed))


def interact(console: Console) -> None:
    history: History = InMemoryHistory()
    if console.history:
        console.history.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(console.history))
    session: PromptSession[str] = PromptSession(history=history, completer=CommandCompleter(console))
    with i18n.language(console.language()):
        print(
            _("Puente console as {user}. Type /incident help; Tab completes; quit or Ctrl-D leaves.").format(
                user=console.user
            )
        )
    with patch_stdout(raw=True):
        while True:
            try:
                line = session.prompt(PROMPT).strip()
            except KeyboardInterrupt:
                continue  # Ctrl-C abandons the line being typed, never the console
            except EOFError:
                line = "quit"
            if line in ("quit", "exit"):
                if _may_leave(console, session):
                    break
                continue
            if line:
                try:
                    print(console.render_one(line), flush=True)
                except KeyboardInterrupt:
                    with i18n.language(console.language()):
                        print(_("Interrupted: that command was not completed and changed nothing."), flush=True)
    if console.serving:
        with i18n.language(console.language()):
            print(_("Stopping Puente: TAXII server and workers."), flush=True)


def _may_leave(console: Console, session: PromptSession[str]) -> bool:
    if not console.serving:
        return True
    with i18n.language(console.language()):
        question = _(
            "Leaving stops Puente here: its TAXII server and workers (pages, deliveries) too. Stop Puente? [y/N] "
        )
        # The reader's short and long yes, as the question offers them ("s sí", "s sim", "o oui").
        yes = YES | set(pgettext("answer", "y yes").split())
    try:
        return session.prompt(question).strip().lower() in yes
    except KeyboardInterrupt:
        return False
    except EOFError:
        return True  # a second Ctrl-D insists
