"""Personal data in what a ticket says: e-mail addresses, phone numbers and the national identity numbers of
OAS member states (Brazil's CPF, Argentina's DNI, Chile's RUT, Mexico's CURP, Colombia's cédula).

DESIGN: personal data stays out of shared objects unless the ticket records a legal basis. What is found
here is listed in the preview, and the handling decision refuses to send until the analyst records the
legal basis or removes it. Ordinary IOC text (hashes, IP addresses, URLs, defanged or not) must not trip
it: numbers count only in the shapes people write them (formatted, after a `+`, or after a word such as
CPF, DNI, RUT, cédula or tel), and CPF, RUT and CURP must carry valid check digits. A DNI or a cédula
has no check digit and is written as amounts and versions are (12.345.678), so it counts only after its
name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from puente.i18n import N_, gettext, lazy_pgettext


@dataclass(frozen=True)
class Finding:
    """Something that may be personal data: what kind, the value as written, and where (one of PLACES, a note
    with its number: `title`, `note 2`…); read in the reader's words."""

    kind: str
    value: str
    where: str

    def __str__(self) -> str:
        place, _, number = self.where.partition(" ")
        where = str(PLACES[place]).format(number=number) if place in PLACES else self.where
        return f"{gettext(self.kind)} {self.value} ({where})"


EMAIL = N_("e-mail address")
PHONE = N_("phone number")
CPF = N_("CPF (BR)")
DNI = N_("DNI (AR)")
RUT = N_("RUT (CL)")
CURP = N_("CURP (MX)")
CEDULA = N_("cédula (CO)")
EMAIL_OBSERVABLE = N_("e-mail observable, possibly personal:")
# Where in a ticket personal data is looked for, by the code a finding carries (a note's with its number:
# `note 2`), and how the reader calls it.
PLACES = {
    "title": lazy_pgettext("found in", "title"),
    "description": lazy_pgettext("found in", "description"),
    "note": lazy_pgettext("found in", "note {number}"),
    "request": lazy_pgettext("found in", "request text"),
    "observable": lazy_pgettext("found in", "observable"),
}

# Defanged addresses (`ana[@]mail[.]example`) are still addresses.
_REFANG = [(re.compile(r"\[(?:@|at)\]|\((?:@|at)\)", re.IGNORECASE), "@"), (re.compile(r"\[\.\]|\(\.\)|\[dot\]"), ".")]
# Not after `/` or `:`: `http://user@host` names a URL's user, which the host part already routes.
_EMAIL = re.compile(r"(?<![\w.%+/:-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_INTERNATIONAL_PHONE = re.compile(r"(?<![\w+=&/.])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w|\.\d)")
_SAID_PHONE = re.compile(
    r"\b(?:tel|tel\.|phone|fone|telefone|tel[eé]fono|celular|cel|m[oó]vil|whats ?app)\b[.:#\s]*"
    r"(\+?\(?\d[\d ().-]{6,18}\d)(?!\w|\.\d)",
    re.IGNORECASE,
)
_CPF_FORMATTED = re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])")
_RUT_FORMATTED = re.compile(r"(?<![\d.])\d{1,2}\.\d{3}\.\d{3}-[\dkK](?![\w])")
_CURP = re.compile(
    r"\b[A-Z][AEIOUX][A-Z]{2}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[HMX]"
    r"(?:AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d\b"
)
_SAID_ID = re.compile(
    r"\b(CPF|DNI|RUT|RUN|C\.C\.?|CC|c[ée]dula(?: de ciudadan[ií]a)?)\b[\s.:#nNº°o]*"
    r"(\d{1,3}(?:[.\s]?\d{3}){1,3}(?:-[\dkK]{1,2})?)",
    re.IGNORECASE,
)


def find(text: str, where: str) -> list[Finding]:
    """What in `text` may be personal data, each once, in the order found."""
    if not text:
        return []
    plain = text
    for pattern, replacement in _REFANG:
        plain = pattern.sub(replacement, plain)
    found: dict[tuple[str, str], Finding] = {}

    def add(kind: str, value: str) -> None:
        found.setdefault((kind, value), Finding(kind, value, where))

    for match in _EMAIL.finditer(plain):
        add(EMAIL, match.group(0))
    said_numbers: set[str] = set()
    for match in _SAID_ID.finditer(plain):
        word, number = match.group(1).lower(), match.group(2)
        kind = _said_kind(word, number)
        if kind is not None:
            said_numbers.add(number)
            add(kind, number)
    for match in _CPF_FORMATTED.finditer(plain):
        if match.group(0) not in said_numbers and cpf_valid(match.group(0)):
            add(CPF, match.group(0))
    for match in _RUT_FORMATTED.finditer(plain):
        if match.group(0) not in said_numbers and rut_valid(match.group(0)):
            add(RUT, match.group(0))
    for match in _CURP.finditer(plain):
        if curp_valid(match.group(0)):
            add(CURP, match.group(0))
    for match in _INTERNATIONAL_PHONE.finditer(plain):
        if 8 <= len(_digits(match.group(0))) <= 15:
            add(PHONE, match.group(0))
    for match in _SAID_PHONE.finditer(plain):
        if 8 <= len(_digits(match.group(1))) <= 15:
            add(PHONE, match.group(1))
    return list(found.values())


def find_all(texts: Iterable[tuple[str, str]]) -> list[Finding]:
    """Findings in each (where, text)."""
    return [finding for where, text in texts for finding in find(text, where)]


def _said_kind(word: str, number: str) -> str | None:
    """The identifier a number written after its name is, when its shape (and check digits) fit."""
    digits = _digits(number)
    if word == "cpf":
        return CPF if len(digits) == 11 and cpf_valid(digits) else None
    if word in ("rut", "run"):
        return RUT if rut_valid(number) else None
    if word == "dni":
        return DNI if 7 <= len(digits) <= 8 else None
    return CEDULA if 6 <= len(digits) <= 10 else None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def cpf_valid(value: str) -> bool:
    """Brazil's CPF: 11 digits, the last two check digits (mod 11), not all the same digit."""
    digits = [int(ch) for ch in _digits(value)]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits[:length], range(length + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if digits[length] != check:
            return False
    return True


def rut_valid(value: str) -> bool:
    """Chile's RUT/RUN: a number and its check digit (mod 11, `K` for 10) after a hyphen."""
    number, _, check = value.upper().replace(".", "").replace(" ", "").partition("-")
    if not number.isdigit() or len(check) != 1 or not 7 <= len(number) <= 8:
        return False
    total = sum(int(d) * w for d, w in zip(reversed(number), _rut_weights(len(number)), strict=True))
    expected = 11 - total % 11
    return check == {11: "0", 10: "K"}.get(expected, str(expected))


def _rut_weights(count: int) -> Iterator[int]:
    for index in range(count):
        yield 2 + index % 6


_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def curp_valid(value: str) -> bool:
    """Mexico's CURP: 18 characters, the last a check digit over the first 17."""
    if len(value) != 18 or not value[-1].isdigit():
        return False
    total = sum(_CURP_ALPHABET.index(ch) * (18 - index) for index, ch in enumerate(value[:17]))
    return int(value[-1]) == (10 - total % 10) % 10
