"""The protocol's codes as each reader reads them: actions, decline reasons, request states and message
types stay codes on the wire (`block-host`, `out-of-mandate`, `ACCEPTED`) and read as words in the
reader's language. A code this Puente does not know (a peer's newer protocol) reads as itself."""

from __future__ import annotations

from puente.i18n import N_, Phrase, Words, lazy_pgettext
from puente.services.vocabularies.words import read

ACTIONS = {
    "investigate": lazy_pgettext("action", "investigate"),
    "contact-source-site": lazy_pgettext("action", "contact-source-site"),
    "contact-target-site": lazy_pgettext("action", "contact-target-site"),
    "block-host": lazy_pgettext("action", "block-host"),
    "block-network": lazy_pgettext("action", "block-network"),
    "block-port": lazy_pgettext("action", "block-port"),
    "rate-limit-host": lazy_pgettext("action", "rate-limit-host"),
    "redirect-traffic": lazy_pgettext("action", "redirect-traffic"),
    "honeypot": lazy_pgettext("action", "honeypot"),
    "upgrade-software": lazy_pgettext("action", "upgrade-software"),
    "rebuild-asset": lazy_pgettext("action", "rebuild-asset"),
    "harden-asset": lazy_pgettext("action", "harden-asset"),
    "remediate-other": lazy_pgettext("action", "remediate-other"),
    "watch-and-report": lazy_pgettext("action", "watch-and-report"),
    "status-triage": lazy_pgettext("action", "status-triage"),
    "status-new-info": lazy_pgettext("action", "status-new-info"),
    "takedown": lazy_pgettext("action", "takedown"),
    "traceback": lazy_pgettext("action", "traceback"),
    "share-indicators": lazy_pgettext("action", "share-indicators"),
    "other": lazy_pgettext("action", "other"),
}

REASONS = {
    "out-of-mandate": lazy_pgettext("decline reason", "out-of-mandate"),
    "legal-constraint": lazy_pgettext("decline reason", "legal-constraint"),
    "prejudice-to-investigation": lazy_pgettext("decline reason", "prejudice-to-investigation"),
    "no-capacity": lazy_pgettext("decline reason", "no-capacity"),
    "insufficient-info": lazy_pgettext("decline reason", "insufficient-info"),
    "not-our-constituency": lazy_pgettext("decline reason", "not-our-constituency"),
}

STATES = {
    "SENT": lazy_pgettext("request state", "SENT"),
    "ACKED": lazy_pgettext("request state", "ACKED"),
    "ACCEPTED": lazy_pgettext("request state", "ACCEPTED"),
    "PARTIAL": lazy_pgettext("request state", "PARTIAL"),
    "DECLINED": lazy_pgettext("request state", "DECLINED"),
    "FORWARDED": lazy_pgettext("request state", "FORWARDED"),
    "IN_PROGRESS": lazy_pgettext("request state", "IN_PROGRESS"),
    "INFO_REQUESTED": lazy_pgettext("request state", "INFO_REQUESTED"),
    "COMPLETED": lazy_pgettext("request state", "COMPLETED"),
    "FAILED": lazy_pgettext("request state", "FAILED"),
    "EXPIRED": lazy_pgettext("request state", "EXPIRED"),
    "CLOSED": lazy_pgettext("request state", "CLOSED"),
}

MESSAGES = {
    "NOTIFY": lazy_pgettext("message type", "NOTIFY"),
    "RFA": lazy_pgettext("message type", "RFA"),
    "ACK": lazy_pgettext("message type", "ACK"),
    "ACCEPT": lazy_pgettext("message type", "ACCEPT"),
    "PARTIAL": lazy_pgettext("message type", "PARTIAL"),
    "DECLINE": lazy_pgettext("message type", "DECLINE"),
    "FORWARD": lazy_pgettext("message type", "FORWARD"),
    "INFO-REQUEST": lazy_pgettext("message type", "INFO-REQUEST"),
    "INFO": lazy_pgettext("message type", "INFO"),
    "SITREP": lazy_pgettext("message type", "SITREP"),
    "RESULT": lazy_pgettext("message type", "RESULT"),
    "CLOSE": lazy_pgettext("message type", "CLOSE"),
    "CANCEL": lazy_pgettext("message type", "CANCEL"),
    "ESCALATE": lazy_pgettext("message type", "ESCALATE"),
}


def action(code: str) -> str:
    return read(ACTIONS, code)


def actions(codes: list[str]) -> str:
    return ", ".join(action(code) for code in codes)


def reason(code: str) -> str:
    return read(REASONS, code)


def state(code: str) -> str:
    return read(STATES, code)


def message(code: str) -> str:
    return read(MESSAGES, code)


def reason_choices() -> tuple[tuple[Phrase, str], ...]:
    """The decline reasons as a picker offers them: (the reason, read by whoever picks, the code chosen)."""
    return tuple((Phrase(N_("{reason}"), {"reason": Words("decline reason", (code,))}), code) for code in REASONS)
