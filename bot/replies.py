"""Platform-neutral replies: each adapter renders them (Block Kit, Telegram HTML, terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from puente import i18n
from puente.services.notify import printable, single_line


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A button whose press runs `command` (an /incident command line) as the person who pressed it.

    With `confirm`, the platform asks first (e.g. the recipients of a share). With `choices`
    (label, value) the button is a picker: choosing runs `command + " " + value`
    (e.g. Decline -> out-of-mandate). A confirm and a choice's label are phrases, not text, since in a
    group the one who presses may read another language than the one who asked.
    """

    label: str
    command: str
    style: ButtonStyle = ButtonStyle.DEFAULT
    confirm: i18n.Phrase | None = None
    choices: tuple[tuple[i18n.Phrase, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A document that goes with a reply (a report): uploaded where the platform takes files."""

    name: str
    content: bytes
    media_type: str


@dataclass(slots=True)
class Reply:
    """What a command answers. `text` may hold several lines, and whoever builds it keeps text that
    people or peers wrote to one line (`single_line`) or marks its lines as theirs (`quoted`); a field
    and each of `lines` is one line whatever it holds: every rendering shows it so."""

    text: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    ok: bool = True
    private: bool = False
    ticket: str | None = None
    # Only the requester may ever see it (a sign-in link): where the platform cannot show a reply to one
    # member alone, the adapter posts it only in a private chat and refuses it elsewhere.
    secret: bool = False
    attachment: Attachment | None = None
    # The language it was written in (its reader's): adapters say what they add to it (a modal, a
    # keyboard, a "more" pointer) in the same language.
    language: str = field(default_factory=i18n.current)

    @classmethod
    def error(cls, message: str) -> Reply:
        """A refusal only the requester sees; nothing was written."""
        return cls(text=message, ok=False, private=True)

    def plain_text(self) -> str:
        """The whole reply as plain text (console, logs, tests)."""
        parts = [printable(self.text)]
        parts += [f"  {single_line(name)}: {single_line(value)}" for name, value in self.fields]
        parts += [f"  {single_line(line)}" for line in self.lines]
        if self.buttons:
            parts.append("  " + "  ".join(f"[{b.label}: /incident {b.command}]" for b in self.buttons))
        return "\n".join(parts)
