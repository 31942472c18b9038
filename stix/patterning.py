"""The `pattern` of an indicator, checked as stix2-patterns checks it, mostly without its (slow) grammar.

Puente's own one-comparison patterns and patterns of string comparisons only are valid by construction
of a regular expression; any other pattern goes through the stix2-patterns grammar, once per shape.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from puente.stix.patterns import SIMPLE_PATTERN
from puente.stix.properties import HASH_HEX, fail, string


@lru_cache(maxsize=4096)
def pattern_errors(pattern: str) -> tuple[str, ...]:
    if not pattern.strip():
        return ("the pattern is empty",)
    # Imported on first use: the pattern grammar (ANTLR) is costly to load and most commands check no pattern.
    from stix2patterns.validator import run_validator

    try:
        return tuple(run_validator(pattern, stix_version="2.1"))
    except Exception as error:  # the validator itself trips on some garbage; that is still a refusal
        return (f"unparseable ({type(error).__name__})",)


# A plain string literal compared against: whether a pattern is valid does not depend on what it says
# (hash values aside, which stix2-patterns checks: patterns on hashes are taken whole).
_COMPARED_LITERAL = re.compile(r"((?:=|!=|<=?|>=?|\bLIKE|\bMATCHES|\bISSUBSET|\bISSUPERSET)\s*)'(?:[^'\\]|\\['\\])*'")


def pattern_shape(text: str) -> str:
    """The pattern with its compared string literals emptied: producers such as MISP write thousands of
    patterns of a few shapes, so each shape goes through the (slow) pattern grammar once."""
    return text if "hashes" in text else _COMPARED_LITERAL.sub(r"\1''", text)


# Patterns of string comparisons only, in brackets joined by AND, OR and FOLLOWEDBY, without qualifiers,
# parentheses or comments: what ATT&CK, MISP and the OASIS examples mostly write. Such a pattern is valid
# STIX patterning by construction of this expression, a strict subset of the stix2-patterns grammar: names
# are lower case and never a keyword, tokens are spaced as the grammar's lexer reads them, and `hashes` is
# only ever followed by MD5, SHA-1, SHA-256 or SHA-512 compared with as many hexadecimal digits as the
# algorithm gives (stix2-patterns checks hash values beyond the grammar). Anything else goes through the
# grammar itself.
_KEYWORDS = (
    "and", "or", "not", "followedby", "like", "matches", "issuperset", "issubset", "exists", "last", "in",
    "start", "stop", "seconds", "true", "false", "within", "repeats", "times",
)  # fmt: skip
_NOT_KEYWORD = rf"(?!(?:{'|'.join(_KEYWORDS)})(?![a-z0-9_]))"
_STRING = r"'(?:[^'\\]|\\['\\])*'"
_TYPE = rf"{_NOT_KEYWORD}[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_STEP = rf"(?!hashes(?![a-z0-9_])){_NOT_KEYWORD}[a-z][a-z0-9_]*|(?!'hashes')(?:{_STRING})"
_PATH = rf"{_TYPE}:(?:{_STEP})(?:\.(?:{_STEP})|\[(?:\*|0|[1-9][0-9]*)\])*"
_STRING_TEST = rf"{_PATH}(?: ?(?:=|!=|<=?|>=?) ?| (?:LIKE|MATCHES|ISSUBSET|ISSUPERSET) ){_STRING}"


def _spellings(algorithm: str) -> str:
    """How a pattern may name a hash algorithm that stix2-patterns recognises: quoted, or bare without hyphens."""
    names = {algorithm, algorithm.lower(), algorithm.replace("-", ""), algorithm.lower().replace("-", "")}
    return "|".join(sorted({f"'{name}'" for name in names} | {name for name in names if "-" not in name}))


_HASH_TEST = (
    rf"{_TYPE}:hashes\.(?:"
    + "|".join(rf"(?:{_spellings(algorithm)}) ?= ?'[0-9a-fA-F]{{{HASH_HEX[algorithm]}}}'" for algorithm in HASH_HEX)
    + ")"
)
_TEST = rf"(?:{_STRING_TEST}|{_HASH_TEST})"
_OBSERVATION = rf"\[ ?{_TEST}(?: (?:AND|OR) {_TEST})* ?\]"
_STRING_COMPARISONS = re.compile(rf"{_OBSERVATION}(?: (?:AND|OR|FOLLOWEDBY) {_OBSERVATION})*")


def valid_by_construction(text: str) -> bool:
    """Whether a pattern is one Puente writes or of string comparisons only: valid without the grammar."""
    return bool(SIMPLE_PATTERN.fullmatch(text) or _STRING_COMPARISONS.fullmatch(text))


def pattern(object_id: str, prop: str, value: Any) -> None:
    string(object_id, prop, value)
    if valid_by_construction(value):
        return
    errors = pattern_errors(pattern_shape(value))
    if errors:
        fail(object_id, prop, f"is not a valid STIX pattern: {errors[0]}")
