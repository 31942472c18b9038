"""Recognising observables as analysts paste them: typed automatically, defanged forms accepted."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum

from puente.i18n import _
from puente.services.errors import InvalidInput
from puente.stix.patterns import uri


class ObservableKind(StrEnum):
    IPV4 = "ipv4-addr"
    IPV6 = "ipv6-addr"
    DOMAIN = "domain-name"
    URL = "url"
    EMAIL = "email-addr"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"

    @property
    def is_hash(self) -> bool:
        return self in (ObservableKind.MD5, ObservableKind.SHA1, ObservableKind.SHA256)


@dataclass(frozen=True, slots=True)
class Observable:
    kind: ObservableKind
    value: str


_HASH_LENGTHS = {32: ObservableKind.MD5, 40: ObservableKind.SHA1, 64: ObservableKind.SHA256}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_DEFANGS = (
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE), "."),
    (re.compile(r"\[@\]|\[at\]|\(at\)", re.IGNORECASE), "@"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[/\]"), "/"),
    (re.compile(r"^hxxp", re.IGNORECASE), "http"),
    (re.compile(r"^fxp", re.IGNORECASE), "ftp"),
)


# Every defanged form has a bracket, or starts hxxp or fxp: a value with neither needs no search.
_DEFANG_MARKS = frozenset("[({")


def refang(text: str) -> str:
    """Undo the usual defanging: `hxxp://evil[.]example` -> `http://evil.example`."""
    value = text.strip().strip("<>\"'")
    if _DEFANG_MARKS.isdisjoint(value) and not value[:4].lower().startswith(("hxxp", "fxp")):
        return value
    for pattern, replacement in _DEFANGS:
        value = pattern.sub(replacement, value)
    return value


def is_domain(value: str) -> bool:
    name = value.lower().rstrip(".")
    labels = name.split(".")
    return (
        len(name) <= 253
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and bool(_TLD.match(labels[-1]))
    )


def _ip_observable(value: str) -> Observable | None:
    """An IPv4 or IPv6 address or CIDR block in its canonical form (a one-address block as the address),
    read once; None if the value is none of them."""
    # Without a colon only IPv4 is possible, all digits, dots and a prefix length: no need to try.
    if ":" not in value and not value.replace(".", "").replace("/", "").isdigit():
        return None
    try:
        network = ipaddress.ip_network(value, strict=False) if "/" in value else ipaddress.ip_address(value)
    except ValueError:
        return None
    kind = ObservableKind.IPV4 if network.version == 4 else ObservableKind.IPV6
    if isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network) and network.num_addresses == 1:
        return Observable(kind, str(network.network_address))
    return Observable(kind, str(network))


def parse_observable(text: str) -> Observable:
    """Type one observable, or say precisely why it is not one."""
    value = refang(text)
    if not value:
        raise InvalidInput(_("Empty observable: give an IP, CIDR, domain, URL, e-mail or file hash."))
    if (ip := _ip_observable(value)) is not None:
        return ip
    if "://" in value:
        if not _URL.match(value):
            raise InvalidInput(_("Malformed URL {text!r}: expected scheme://host/path.").format(text=text))
        # Kept as an RFC 3986 URI (non-ASCII and the like percent-encoded), as STIX's url object requires.
        return Observable(ObservableKind.URL, uri(value))
    if "@" in value:
        local, _sep, domain = value.rpartition("@")
        if not _LOCAL_PART.match(local) or not is_domain(domain):
            raise InvalidInput(_("Malformed e-mail address {text!r}: expected name@domain.example.").format(text=text))
        return Observable(ObservableKind.EMAIL, f"{local}@{domain.lower()}")
    if _HEX.match(value):
        if len(value) in _HASH_LENGTHS:
            return Observable(_HASH_LENGTHS[len(value)], value.lower())
        raise InvalidInput(
            _("Malformed hash {text!r}: {value} hex digits; MD5 has 32, SHA-1 40, SHA-256 64.").format(
                text=text, value=len(value)
            )
        )
    if re.fullmatch(r"[0-9.]+(/\d+)?", value) or (":" in value and re.fullmatch(r"[0-9a-fA-F:./]+", value)):
        raise InvalidInput(
            _("Malformed IP address {text!r}: expected e.g. 192.0.2.10, 2001:db8::1 or 198.51.100.0/24.").format(
                text=text
            )
        )
    if is_domain(value):
        return Observable(ObservableKind.DOMAIN, value.lower().rstrip("."))
    raise InvalidInput(
        _(
            "Cannot tell what {text!r} is: give an IPv4/IPv6 address or CIDR, a domain, a URL, an e-mail "
            "address or an MD5/SHA-1/SHA-256 hash (defanged forms such as 1.2.3[.]4 are fine)."
        ).format(text=text)
    )


def parse_observables(items: list[str]) -> list[Observable]:
    """Parse several at once, all or nothing, dropping exact repeats."""
    found: dict[Observable, None] = {}  # ordered, and a repeat is found by hash, not by scanning
    for item in items:
        for piece in re.split(r"[\s,;]+", item):
            if piece:
                found[parse_observable(piece)] = None
    return list(found)
