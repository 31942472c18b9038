"""The CSIRT vocabularies Puente speaks: severity, TLP 2.0, PAP, RSIT and STIX sectors."""

from __future__ import annotations

import difflib
from enum import StrEnum

from puente.i18n import _, lazy_gettext
from puente.services.errors import InvalidInput
from puente.services.vocabularies import aliases


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class TLP(StrEnum):
    """TLP 2.0 levels, most open first."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _TLP_RANKS[self]

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"

    @property
    def meaning(self) -> str:
        """FIRST's TLP 2.0 definition, as a banner says it (in the reader's language)."""
        return str(TLP_MEANINGS[self])


TLP_MEANINGS = {
    TLP.CLEAR: lazy_gettext("Disclosure is not limited."),
    TLP.GREEN: lazy_gettext("Limited disclosure: recipients may share it within their community, not publicly."),
    TLP.AMBER: lazy_gettext(
        "Limited disclosure: recipients may share it only within their organisation and its clients,"
        " on a need-to-know basis."
    ),
    TLP.AMBER_STRICT: lazy_gettext("Limited disclosure: recipients may share it only within their own organisation."),
    TLP.RED: lazy_gettext("For the eyes and ears of the individual recipients only: no further disclosure."),
}


# Looked up once per object of a share: a table, not a search of the members each time.
_TLP_RANKS = {level: index for index, level in enumerate(TLP)}


class PAP(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# Reference Security Incident Taxonomy (MISP namespace `rsit`): classification -> types.
RSIT: dict[str, tuple[str, ...]] = {
    "abusive-content": ("spam", "harmful-speech", "violence"),
    "malicious-code": ("infected-system", "c2-server", "malware-distribution", "malware-configuration"),
    "information-gathering": ("scanner", "sniffing", "social-engineering"),
    "intrusion-attempts": ("ids-alert", "brute-force", "exploit"),
    "intrusions": (
        "privileged-account-compromise",
        "unprivileged-account-compromise",
        "application-compromise",
        "system-compromise",
        "burglary",
    ),
    "availability": ("dos", "ddos", "misconfiguration", "sabotage", "outage"),
    "information-content-security": (
        "unauthorised-information-access",
        "unauthorised-information-modification",
        "data-loss",
        "data-leak",
    ),
    "fraud": ("unauthorised-use-of-resources", "copyright", "masquerade", "phishing"),
    "vulnerable": (
        "weak-crypto",
        "ddos-amplifier",
        "potentially-unwanted-accessible",
        "information-disclosure",
        "vulnerable-system",
    ),
    "other": ("other", "undetermined"),
    "test": ("test",),
}

# STIX 2.1 industry-sector-ov, the values partner tools filter on.
STIX_SECTORS: tuple[str, ...] = (
    "agriculture",
    "aerospace",
    "automotive",
    "chemical",
    "commercial",
    "communications",
    "construction",
    "defense",
    "education",
    "energy",
    "entertainment",
    "financial-services",
    "government",
    "government-emergency-services",
    "government-local",
    "government-national",
    "government-public-services",
    "government-regional",
    "healthcare",
    "hospitality-leisure",
    "infrastructure",
    "dams",
    "nuclear",
    "water",
    "insurance",
    "manufacturing",
    "mining",
    "non-profit",
    "pharmaceuticals",
    "retail",
    "technology",
    "telecommunications",
    "transportation",
    "utilities",
)

# The sectors the OAS texts name, in the words analysts use, mapped to STIX values.
SECTOR_ALIASES: dict[str, str] = {
    "digital-government": "government-public-services",
    "government": "government-national",
    "health": "healthcare",
    "financial": "financial-services",
    "finance": "financial-services",
    "telecom": "telecommunications",
    "telecoms": "telecommunications",
    "transport": "transportation",
}


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return " " + _("Did you mean {choice!r}?").format(choice=close[0]) if close else ""


def severity(value: str) -> Severity:
    try:
        return Severity(aliases.code_of(value, aliases.SEVERITY))
    except ValueError:
        raise InvalidInput(
            _("Unknown severity {value!r}: use low, medium, high or critical.").format(value=value)
        ) from None


def _colour(value: str, prefix: str) -> str:
    """A TLP or PAP level as typed ("TLP:AMBER+STRICT", "ámbar estricto", "white") as its code."""
    text = aliases.fold(value).removeprefix(prefix + ":").replace("-", "+")
    colour, plus, strict = text.partition("+")
    code = aliases.COLOURS.get(colour, colour)
    if code == "white":
        code = "clear"  # TLP 1.0's WHITE became CLEAR in 2.0
    if plus and strict in aliases.STRICT:
        return f"{code}+strict"
    return code + plus + strict


def tlp(value: str) -> TLP:
    try:
        return TLP(_colour(value, "tlp"))
    except ValueError:
        raise InvalidInput(
            _("Unknown TLP {value!r}: use clear, green, amber, amber+strict or red.").format(value=value)
        ) from None


def pap(value: str) -> PAP:
    try:
        return PAP(_colour(value, "pap"))
    except ValueError:
        raise InvalidInput(_("Unknown PAP {value!r}: use clear, green, amber or red.").format(value=value)) from None


def rsit_type(value: str) -> tuple[str, str]:
    """Parse `classification/type` or a bare type (unambiguous in RSIT) into both parts."""
    text = value.strip().lower()
    if "/" in text:
        classification, _sep, kind = text.partition("/")
        if classification not in RSIT:
            raise InvalidInput(
                _("Unknown RSIT classification {classification!r}.").format(classification=classification)
                + _suggest(classification, list(RSIT))
                + " "
                + _("Classifications: {classifications}.").format(classifications=", ".join(RSIT))
            )
        if kind not in RSIT[classification]:
            raise InvalidInput(
                _("Unknown RSIT type {kind!r} for {classification}.").format(kind=kind, classification=classification)
                + _suggest(kind, list(RSIT[classification]))
                + " "
                + _("Types of {classification}: {kinds}.").format(
                    classification=classification, kinds=", ".join(RSIT[classification])
                )
            )
        return classification, kind
    owners = [c for c, kinds in RSIT.items() if text in kinds]
    if owners:
        return owners[0], text
    if text in RSIT:
        raise InvalidInput(
            _("RSIT classification {classification!r} needs a type: {types}.").format(
                classification=text, types=", ".join(f"{text}/{k}" for k in RSIT[text])
            )
        )
    every = [f"{c}/{k}" for c, kinds in RSIT.items() for k in kinds]
    raise InvalidInput(
        _("Unknown RSIT type {value!r}.").format(value=value)
        + _suggest(text, every + [k for kinds in RSIT.values() for k in kinds])
        + " "
        + _("Use classification/type, e.g. malicious-code/c2-server or fraud/phishing.")
    )


def sector(value: str) -> str:
    text = aliases.fold(value)
    if text in STIX_SECTORS:
        return text
    if text in SECTOR_ALIASES:
        return SECTOR_ALIASES[text]
    if text in aliases.SECTORS:
        return aliases.SECTORS[text]
    raise InvalidInput(
        _("Unknown sector {value!r}.").format(value=value)
        + _suggest(text, list(STIX_SECTORS) + list(SECTOR_ALIASES))
        + " "
        + _(
            "Use a STIX industry sector such as energy, healthcare, financial-services,"
            " telecommunications, transportation or government-national."
        )
    )


def sectors(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    result: list[str] = []
    for item in items:
        if item.strip() and (found := sector(item)) not in result:
            result.append(found)
    return result
