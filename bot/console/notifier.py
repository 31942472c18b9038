"""The console's way of reaching people: notices printed on the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field

from puente import i18n
from puente.i18n import _
from puente.services.notify import Notice, Recipient, printable, single_line
from puente.services.users.service import CONSOLE


@dataclass
class ConsoleNotifier:
    """Prints notices on the terminal: how pages reach people without a chat platform (and a test double)."""

    platform: str = CONSOLE
    printed: list[str] = field(default_factory=list)

    def can_reach(self, recipient: Recipient) -> bool:
        # Whoever reads the terminal: the console addresses people by name and needs no address of theirs.
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        handle = f"console:{len(self.printed)}"
        # Whom it is for, in the language the notice is written in (its recipient's).
        with i18n.language(notice.language):
            self._print(_("[to {name}] {text}").format(name=recipient.name, text=notice.text), notice)
        return handle

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        with i18n.language(notice.language):
            headline = _("[to {name}, update {handle}] {text}").format(
                name=recipient.name, handle=handle, text=notice.text
            )
        self._print(headline, notice)

    def _print(self, headline: str, notice: Notice) -> None:
        lines = [
            printable(headline),
            *(f"  {single_line(name)}: {single_line(value)}" for name, value in notice.fields),
        ]
        if notice.actions:
            lines.append("  " + "  ".join(f"[{a.label}: /incident {a.command}]" for a in notice.actions))
        text = "\n".join(lines)
        self.printed.append(text)
        print(text, flush=True)
