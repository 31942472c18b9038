"""The CSIRT vocabularies Puente speaks: severity, TLP 2.0, PAP, RSIT and STIX sectors."""

from __future__ import annotations

import difflib
from enum import StrEnum

from puente.services.errors import InvalidInput


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
        """FIRST's TLP 2.0 definition, as a banner says it."""
        return TLP_MEANINGS[self]


TLP_MEANINGS = {
    TLP.CLEAR: "Disclosure is not limited.",
    TLP.GREEN: "Limited disclosure: recipients may share it within their community, not publicly.",
    TLP.AMBER: "Limited disclosure: recipients may share it only within their organisation and its clients,"
    " on a need-to-know basis.",
    TLP.AMBER_STRICT: "Limited disclosure: recipients may share it only within their own organisation.",
    TLP.RED: "For the eyes and ears of the individual recipients only: no further disclosure.",
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
    return f" Did you mean {close[0]!r}?" if close else ""


def severity(value: str) -> Severity:
    try:
        return Severity(value.strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown severity {value!r}: use low, medium, high or critical.") from None


def tlp(value: str) -> TLP:
    text = value.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "+")
    if text == "white":
        text = "clear"  # TLP 1.0's WHITE became CLEAR in 2.0
    try:
        return TLP(text)
    except ValueError:
        raise InvalidInput(f"Unknown TLP {value!r}: use clear, green, amber, amber+strict or red.") from None


def pap(value: str) -> PAP:
    try:
        return PAP(value.strip().lower().removeprefix("pap:").replace("white", "clear"))
    except ValueError:
        raise InvalidInput(f"Unknown PAP {value!r}: use clear, green, amber or red.") from None


def rsit_type(value: str) -> tuple[str, str]:
    """Parse `classification/type` or a bare type (unambiguous in RSIT) into both parts."""
    text = value.strip().lower()
    if "/" in text:
        classification, _, kind = text.partition("/")
        if classification not in RSIT:
            raise InvalidInput(
                f"Unknown RSIT classification {classification!r}."
                f"{_suggest(classification, list(RSIT))} Classifications: {', '.join(RSIT)}."
            )
        if kind not in RSIT[classification]:
            raise InvalidInput(
                f"Unknown RSIT type {kind!r} for {classification}.{_suggest(kind, list(RSIT[classification]))}"
                f" Types of {classification}: {', '.join(RSIT[classification])}."
            )
        return classification, kind
    owners = [c for c, kinds in RSIT.items() if text in kinds]
    if owners:
        return owners[0], text
    if text in RSIT:
        raise InvalidInput(
            f"RSIT classification {text!r} needs a type: {', '.join(f'{text}/{k}' for k in RSIT[text])}."
        )
    every = [f"{c}/{k}" for c, kinds in RSIT.items() for k in kinds]
    raise InvalidInput(
        f"Unknown RSIT type {value!r}.{_suggest(text, every + [k for kinds in RSIT.values() for k in kinds])}"
        " Use classification/type, e.g. malicious-code/c2-server or fraud/phishing."
    )


def sector(value: str) -> str:
    text = value.strip().lower().replace(" ", "-").replace("_", "-")
    if text in STIX_SECTORS:
        return text
    if text in SECTOR_ALIASES:
        return SECTOR_ALIASES[text]
    raise InvalidInput(
        f"Unknown sector {value!r}.{_suggest(text, list(STIX_SECTORS) + list(SECTOR_ALIASES))}"
        " Use a STIX industry sector such as energy, healthcare, financial-services,"
        " telecommunications, transportation or government-national."
    )


def sectors(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    result: list[str] = []
    for item in items:
        if item.strip() and (found := sector(item)) not in result:
            result.append(found)
    return result
