"""Telegram's 4,096-character limit: long replies split between lines, every part valid HTML."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from puente.bot.replies import Button, Reply
from puente.bot.telegram.render import MESSAGE_LIMIT, render, render_single, telegram_length
from puente.services.notify import single_line


class _Text(HTMLParser):
    """What Telegram would display: the text with the tags parsed away, and whether tags balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        assert tag == "b"
        self.open += 1

    def handle_endtag(self, tag: str) -> None:
        assert tag == "b" and self.open > 0
        self.open -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shown(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    assert parser.open == 0, f"unclosed tag in {html[:80]!r}"
    return "".join(parser.text)


text = st.text(alphabet=st.sampled_from("ab <>&\"'é😀\n"), max_size=6000)


@given(headline=text, lines=st.lists(st.text(alphabet=st.sampled_from("xy<&😀 "), max_size=900), max_size=40))
def test_every_part_fits_is_valid_html_and_nothing_is_lost(headline: str, lines: list[str]) -> None:
    reply = Reply(
        text=headline, fields=[("Status", "new")], lines=lines, buttons=[Button("Timeline", "timeline INC-2026-0001")]
    )
    parts = render(reply, lambda b: "b:token")
    assert all(telegram_length(p.html) <= MESSAGE_LIMIT for p in parts)
    assert all(p.keyboard is None for p in parts[:-1]) and parts[-1].keyboard is not None
    whole = "".join(shown(p.html) for p in parts)
    expected = reply.text + "Status: new" + "".join("• " + single_line(line) for line in lines)
    assert whole.replace("\n", "") == expected.replace("\n", "")


def test_a_short_reply_is_one_message() -> None:
    (part,) = render(Reply(text="Opened INC-2026-0001.\nPhishing wave", fields=[("TLP", "TLP:AMBER")]), lambda b: "")
    assert part.html == "<b>Opened INC-2026-0001.</b>\nPhishing wave\n<b>TLP: </b>TLP:AMBER"
    assert part.keyboard is None


def test_an_edit_is_one_message_cut_short_with_a_note() -> None:
    part = render_single(Reply(text="Timeline", lines=[f"event {i} " * 10 for i in range(200)]), lambda b: "")
    assert telegram_length(part.html) <= MESSAGE_LIMIT
    assert part.html.endswith("… (cut short: too long for one Telegram message)")


def test_refusals_are_marked_not_bold() -> None:
    (part,) = render(Reply.error("Unknown subcommand 'nwe'. Did you mean new?"), lambda b: "")
    assert part.html == "⚠️ Unknown subcommand 'nwe'. Did you mean new?"
