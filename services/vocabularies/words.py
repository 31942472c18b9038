"""The vocabularies as people read them: each code (stored, sent to peers, typed in English) has a word
in the reader's language. `words.severity("high")` is "high", "alta", "alta" or "haute".

An unknown code (a peer's newer vocabulary) reads as itself.
"""

from __future__ import annotations

from puente.i18n import LazyText, lazy_pgettext

SEVERITIES = {
    "low": lazy_pgettext("severity", "low"),
    "medium": lazy_pgettext("severity", "medium"),
    "high": lazy_pgettext("severity", "high"),
    "critical": lazy_pgettext("severity", "critical"),
}

STATUSES = {
    "new": lazy_pgettext("ticket status", "new"),
    "triage": lazy_pgettext("ticket status", "triage"),
    "in-progress": lazy_pgettext("ticket status", "in-progress"),
    "escalated": lazy_pgettext("ticket status", "escalated"),
    "mitigated": lazy_pgettext("ticket status", "mitigated"),
    "resolved": lazy_pgettext("ticket status", "resolved"),
    "closed": lazy_pgettext("ticket status", "closed"),
}

SCOPES = {
    "open": lazy_pgettext("ticket list", "open"),
    "mine": lazy_pgettext("ticket list", "mine"),
    "cross-border": lazy_pgettext("ticket list", "cross-border"),
    "all": lazy_pgettext("ticket list", "all"),
}

# What PAP permits (FIRST's PAP 2.0 definitions), as a reader is told it.
PAP_MEANINGS = {
    "clear": lazy_pgettext("PAP", "No restrictions on using this information."),
    "green": lazy_pgettext(
        "PAP", "Active actions allowed: ping the target, block traffic from or to it, set up honeypots against it."
    ),
    "amber": lazy_pgettext(
        "PAP", "Passive cross-checks only: online checks through third-party services, or a monitoring honeypot."
    ),
    "red": lazy_pgettext(
        "PAP", "Non-detectable actions only: no use on the network, only passive checks of logs not seen from outside."
    ),
}

RSIT_CLASSES = {
    "abusive-content": lazy_pgettext("RSIT", "abusive-content"),
    "malicious-code": lazy_pgettext("RSIT", "malicious-code"),
    "information-gathering": lazy_pgettext("RSIT", "information-gathering"),
    "intrusion-attempts": lazy_pgettext("RSIT", "intrusion-attempts"),
    "intrusions": lazy_pgettext("RSIT", "intrusions"),
    "availability": lazy_pgettext("RSIT", "availability"),
    "information-content-security": lazy_pgettext("RSIT", "information-content-security"),
    "fraud": lazy_pgettext("RSIT", "fraud"),
    "vulnerable": lazy_pgettext("RSIT", "vulnerable"),
    "other": lazy_pgettext("RSIT", "other"),
    "test": lazy_pgettext("RSIT", "test"),
}

RSIT_TYPES = {
    "spam": lazy_pgettext("RSIT", "spam"),
    "harmful-speech": lazy_pgettext("RSIT", "harmful-speech"),
    "violence": lazy_pgettext("RSIT", "violence"),
    "infected-system": lazy_pgettext("RSIT", "infected-system"),
    "c2-server": lazy_pgettext("RSIT", "c2-server"),
    "malware-distribution": lazy_pgettext("RSIT", "malware-distribution"),
    "malware-configuration": lazy_pgettext("RSIT", "malware-configuration"),
    "scanner": lazy_pgettext("RSIT", "scanner"),
    "sniffing": lazy_pgettext("RSIT", "sniffing"),
    "social-engineering": lazy_pgettext("RSIT", "social-engineering"),
    "ids-alert": lazy_pgettext("RSIT", "ids-alert"),
    "brute-force": lazy_pgettext("RSIT", "brute-force"),
    "exploit": lazy_pgettext("RSIT", "exploit"),
    "privileged-account-compromise": lazy_pgettext("RSIT", "privileged-account-compromise"),
    "unprivileged-account-compromise": lazy_pgettext("RSIT", "unprivileged-account-compromise"),
    "application-compromise": lazy_pgettext("RSIT", "application-compromise"),
    "system-compromise": lazy_pgettext("RSIT", "system-compromise"),
    "burglary": lazy_pgettext("RSIT", "burglary"),
    "dos": lazy_pgettext("RSIT", "dos"),
    "ddos": lazy_pgettext("RSIT", "ddos"),
    "misconfiguration": lazy_pgettext("RSIT", "misconfiguration"),
    "sabotage": lazy_pgettext("RSIT", "sabotage"),
    "outage": lazy_pgettext("RSIT", "outage"),
    "unauthorised-information-access": lazy_pgettext("RSIT", "unauthorised-information-access"),
    "unauthorised-information-modification": lazy_pgettext("RSIT", "unauthorised-information-modification"),
    "data-loss": lazy_pgettext("RSIT", "data-loss"),
    "data-leak": lazy_pgettext("RSIT", "data-leak"),
    "unauthorised-use-of-resources": lazy_pgettext("RSIT", "unauthorised-use-of-resources"),
    "copyright": lazy_pgettext("RSIT", "copyright"),
    "masquerade": lazy_pgettext("RSIT", "masquerade"),
    "phishing": lazy_pgettext("RSIT", "phishing"),
    "weak-crypto": lazy_pgettext("RSIT", "weak-crypto"),
    "ddos-amplifier": lazy_pgettext("RSIT", "ddos-amplifier"),
    "potentially-unwanted-accessible": lazy_pgettext("RSIT", "potentially-unwanted-accessible"),
    "information-disclosure": lazy_pgettext("RSIT", "information-disclosure"),
    "vulnerable-system": lazy_pgettext("RSIT", "vulnerable-system"),
    "undetermined": lazy_pgettext("RSIT", "undetermined"),
    "other": lazy_pgettext("RSIT", "other"),
    "test": lazy_pgettext("RSIT", "test"),
}

ROLES = {
    "oncall": lazy_pgettext("role", "oncall"),
    "analyst": lazy_pgettext("role", "analyst"),
    "lead": lazy_pgettext("role", "lead"),
    "admin": lazy_pgettext("role", "admin"),
}

# What a page delivery carried: the page itself, or an update of it (answered, resolved, cancelled).
PAGE_DELIVERIES = {
    "page": lazy_pgettext("page delivery", "page"),
    "update": lazy_pgettext("page delivery", "update"),
}

# How a push to a peer stands (storage.outbox.DeliveryState).
DELIVERY_STATES = {
    "pending": lazy_pgettext("delivery state", "pending"),
    "delivered": lazy_pgettext("delivery state", "delivered"),
    "failed": lazy_pgettext("delivery state", "failed"),
}

SECTORS = {
    "agriculture": lazy_pgettext("sector", "agriculture"),
    "aerospace": lazy_pgettext("sector", "aerospace"),
    "automotive": lazy_pgettext("sector", "automotive"),
    "chemical": lazy_pgettext("sector", "chemical"),
    "commercial": lazy_pgettext("sector", "commercial"),
    "communications": lazy_pgettext("sector", "communications"),
    "construction": lazy_pgettext("sector", "construction"),
    "defense": lazy_pgettext("sector", "defense"),
    "education": lazy_pgettext("sector", "education"),
    "energy": lazy_pgettext("sector", "energy"),
    "entertainment": lazy_pgettext("sector", "entertainment"),
    "financial-services": lazy_pgettext("sector", "financial-services"),
    "government": lazy_pgettext("sector", "government"),
    "government-emergency-services": lazy_pgettext("sector", "government-emergency-services"),
    "government-local": lazy_pgettext("sector", "government-local"),
    "government-national": lazy_pgettext("sector", "government-national"),
    "government-public-services": lazy_pgettext("sector", "government-public-services"),
    "government-regional": lazy_pgettext("sector", "government-regional"),
    "healthcare": lazy_pgettext("sector", "healthcare"),
    "hospitality-leisure": lazy_pgettext("sector", "hospitality-leisure"),
    "infrastructure": lazy_pgettext("sector", "infrastructure"),
    "dams": lazy_pgettext("sector", "dams"),
    "nuclear": lazy_pgettext("sector", "nuclear"),
    "water": lazy_pgettext("sector", "water"),
    "insurance": lazy_pgettext("sector", "insurance"),
    "manufacturing": lazy_pgettext("sector", "manufacturing"),
    "mining": lazy_pgettext("sector", "mining"),
    "non-profit": lazy_pgettext("sector", "non-profit"),
    "pharmaceuticals": lazy_pgettext("sector", "pharmaceuticals"),
    "retail": lazy_pgettext("sector", "retail"),
    "technology": lazy_pgettext("sector", "technology"),
    "telecommunications": lazy_pgettext("sector", "telecommunications"),
    "transportation": lazy_pgettext("sector", "transportation"),
    "utilities": lazy_pgettext("sector", "utilities"),
}


def read(table: dict[str, LazyText], code: str) -> str:
    """`code` as the reader reads it: its word in `table` in their language, or the code itself when `table`
    has no word for it."""
    word = table.get(code)
    return str(word) if word is not None else code


def severity(code: str) -> str:
    return read(SEVERITIES, code)


def status(code: str) -> str:
    return read(STATUSES, code)


def scope(code: str) -> str:
    return read(SCOPES, code)


def pap_meaning(code: str) -> str:
    return read(PAP_MEANINGS, code)


def role(code: str) -> str:
    return read(ROLES, code)


def delivery_state(code: str) -> str:
    return read(DELIVERY_STATES, code)


def rsit(classification: str, kind: str) -> str:
    """An RSIT type as `classification/type` in the reader's words."""
    return f"{rsit_class(classification)}/{rsit_kind(kind)}"


def rsit_class(code: str) -> str:
    return read(RSIT_CLASSES, code)


def rsit_kind(code: str) -> str:
    """An RSIT type without its classification (a picker groups them under it)."""
    return read(RSIT_TYPES, code)


def sector(code: str) -> str:
    return read(SECTORS, code)


def sectors(codes: list[str]) -> str:
    return ", ".join(sector(code) for code in codes)
