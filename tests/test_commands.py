"""The forgiving option syntax: words and key=value options, quoting, aliases and typos."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puente.bot.commands import format_option, parse_arguments, split_command
from puente.services.errors import InvalidInput

OPTIONS = {"sev": "severity", "severity": "severity", "countries": "countries", "title": "title", "tlp": "tlp"}

words = st.lists(st.from_regex(r"[A-Za-z0-9'.,:/()-]{1,12}", fullmatch=True).filter(lambda w: "=" not in w), max_size=6)
values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@given(words, st.dictionaries(st.sampled_from(["severity", "countries", "title", "tlp"]), values, max_size=4))
def test_rendered_options_parse_back_to_the_same_values(plain: list[str], options: dict[str, str]) -> None:
    text = " ".join(plain + [format_option(name, value) for name, value in options.items()])
    parsed = parse_arguments(text, OPTIONS)
    assert parsed.words == plain
    assert parsed.options == options


def test_aliases_map_to_one_name() -> None:
    parsed = parse_arguments("Ransomware at the port sev=critical countries=PA,CO", OPTIONS)
    assert parsed.rest == "Ransomware at the port"
    assert parsed.options == {"severity": "critical", "countries": "PA,CO"}


def test_urls_with_query_strings_stay_words() -> None:
    assert parse_arguments("http://x.example/?a=b", OPTIONS).words == ["http://x.example/?a=b"]


def test_typo_in_an_option_suggests_the_right_one() -> None:
    with pytest.raises(InvalidInput, match="Did you mean sev="):
        parse_arguments("title words sevv=high", OPTIONS)


def test_an_option_twice_is_refused() -> None:
    with pytest.raises(InvalidInput, match="given twice"):
        parse_arguments("x sev=high severity=low", OPTIONS)


def test_unbalanced_quote_is_explained() -> None:
    with pytest.raises(InvalidInput, match="Unbalanced double quote"):
        parse_arguments('title="open', OPTIONS)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/incident show INC-2026-0001", ("show", "INC-2026-0001")),
        ("/incident@PuenteBot list mine", ("list", "mine")),
        ("incident new  x", ("new", "x")),
        ("show INC-1", ("show", "INC-1")),
        ("/incident", ("", "")),
    ],
)
def test_split_command(typed: str, expected: tuple[str, str]) -> None:
    assert split_command(typed) == expected
