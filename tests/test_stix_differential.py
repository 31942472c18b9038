"""Puente's validator against the standard, both ways: what stix2.parse and the OASIS validator accept, and
only that, is accepted (bench/validation_agreement.py reports the rate over the whole corpus)."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import stix2generator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from puente.stix.patterning import pattern_shape, valid_by_construction
from tests import stix_corpus

CORPUS = stix_corpus.valid_objects(seed=1)


def test_the_corpus_spans_producers_and_kinds() -> None:
    types = {o["type"] for o in CORPUS}
    assert len(CORPUS) > 100 and len(types) > 40
    assert {"x-misp-attribute", "indicator", "relationship", "incident", "ipv4-addr", "marking-definition"} <= types


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.randoms(use_true_random=False))
def test_valid_content_and_its_mutations_get_the_standards_verdict(obj: dict[str, Any], rnd: random.Random) -> None:
    agreement = stix_corpus.Agreement()
    agreement.add("original", obj)
    for label, changed in rnd.sample(stix_corpus.mutations(obj, rnd), 3):
        agreement.add(label, changed)
    assert agreement.disagreements == []


INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
    "created": "2026-01-05T12:00:00.000Z",
    "modified": "2026-01-05T12:00:00.000Z",
    "pattern": "[ipv4-addr:value = '10.0.0.1']",
    "pattern_type": "stix",
    "valid_from": "2026-01-05T12:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "standard_accepts", "puente_accepts"),
    [
        ({"modified": "2026-01-05T12:00:00.123456789Z"}, False, True),  # stix2 cannot hold nanoseconds
        ({"acmeScore": 1}, True, False),  # an upper-case property name, against the spec's MUST
        ({"confidence": 101}, False, False),
        ({"created": "2026-01-05T12:00:00Z"}, False, False),  # created MUST be precise to the millisecond
        ({"labels": "one"}, False, False),  # stix2 would read it as ["one"]
        ({"name": 7}, False, False),  # stix2 would read it as "7"
        ({"lang": "not a language"}, False, False),
        ({"x_acme_score": 87}, True, True),
    ],
)
def test_the_deliberate_differences_and_some_agreements_named(
    change: dict[str, Any], standard_accepts: bool, puente_accepts: bool
) -> None:
    obj = {**INDICATOR, **change}
    theirs, ours = stix_corpus.standard(obj), stix_corpus.puente(obj)
    assert (theirs.accepted, ours.accepted) == (standard_accepts, puente_accepts)
    assert (stix_corpus.deliberate(obj, theirs, ours) is not None) is (standard_accepts != puente_accepts)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.text(alphabet="ab'\\ 1.:", max_size=6))
def test_a_patterns_shape_is_valid_exactly_when_the_pattern_is(rnd: random.Random, literal: str) -> None:
    """Validation caches by shape (compared literals emptied): that must not change any verdict."""
    random.seed(rnd.getrandbits(32))  # stix2-generator draws from the random module
    generated = stix2generator.create_object_generator().generate("indicator")["pattern"]
    for text in (generated, generated.replace("'", f"'{literal}", 1), f"[url:value = '{literal}']"):
        assert (run_validator(text, stix_version="2.1") == []) == (
            run_validator(pattern_shape(text), stix_version="2.1") == []
        ), text


# Patterns producers write (MISP, the OASIS examples), and pieces of patterns to break them with.
STRING_PATTERNS = [
    "[ipv4-addr:value = '198.51.100.1']",
    "[domain-name:value = 'evil.example' OR ipv4-addr:value = '198.51.100.1']",
    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.1']",
    "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8']",
    "[email-message:to_refs[*].value = 'a@b.example']",
    "[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[ x509-certificate:issuer = 'CN=x' AND x509-certificate:serial_number = '02' ]",
    "[url:value LIKE '%evil%'] FOLLOWEDBY [file:name != 'it\\'s']",
    "[file:hashes.md5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' OR file:name = 'x']",
]
PATTERN_PIECES = [
    "[", "]", " ", "  ", "\t", "(", ")", "'", "''", "'a'", "'\\''", "'\\a'", ":", ".", "-", "_x", "[*]", "[0]", "[01]",
    "[-1]", "ipv4-addr", "x-", "A", "t", "h", "b", "true", "in", "value", "hashes", "'hashes'", "hashes.md5", "md5",
    "'SHA-1'", "'d41d8cd98f00b204e9800998ecf8427e'", "=", "!=", "<", "<=", ">=", "==", " LIKE ", " MATCHES ",
    " ISSUBSET ", " AND ", " OR ", " FOLLOWEDBY ", "AND", "and", " NOT ", "1", " WITHIN 5 SECONDS",
    "t'2020-01-01T00:00:00Z'", "/**/",
]  # fmt: skip


_PATTERN_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|\[\*\]|[A-Za-z0-9_-]+|\s+|.")


@settings(max_examples=400, deadline=None)
@given(st.randoms(use_true_random=False))
def test_a_pattern_taken_as_string_comparisons_is_one_the_pattern_grammar_accepts(rnd: random.Random) -> None:
    """Such patterns skip the (slow) grammar: whatever the shortcut takes, stix2-patterns must take too."""
    text = rnd.choice(STRING_PATTERNS)
    if rnd.random() < 0.3:
        text += rnd.choice([" AND ", " OR ", " FOLLOWEDBY "]) + rnd.choice(STRING_PATTERNS)
    tokens = _PATTERN_TOKEN.findall(text)
    for _ in range(rnd.randint(0, 3)):  # a token dropped, replaced, or one put in
        at = rnd.randrange(len(tokens))
        tokens[at : at + rnd.randint(0, 1)] = rnd.sample(["", *PATTERN_PIECES, *tokens], 1)
    text = "".join(tokens)
    if valid_by_construction(text):
        assert run_validator(text, stix_version="2.1") == [], text


def test_the_patterns_producers_write_are_taken_without_the_grammar() -> None:
    assert all(valid_by_construction(text) for text in STRING_PATTERNS)
    assert all(run_validator(text, stix_version="2.1") == [] for text in STRING_PATTERNS)
    # Left to the grammar: a hash value that is not one, qualifiers, parentheses, a keyword as a name.
    assert run_validator("[file:hashes.md5 = 'x']", stix_version="2.1") != []  # not a hash: valid grammar, refused
    for text in (
        "[file:hashes.md5 = 'x']",
        "[file:name = 'a'] WITHIN 5 SECONDS",
        "[file:in = 'a']",
        "[file:name = 'a' AND (file:size = 'b')]",
    ):
        assert not valid_by_construction(text), text
