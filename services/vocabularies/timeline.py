"""The audit timeline's codes as the reader reads them: what was done (an event's action, recorded as a code
such as `opened` or `assistance-accept-received`) and who did it when that was not a person (Puente's own
workers, a peer, a partner). An action or worker this Puente has no word for reads as its code."""

from __future__ import annotations

from puente.i18n import _, lazy_pgettext
from puente.services.vocabularies import assistance
from puente.services.vocabularies.words import STATUSES, read, status

EVENTS = {
    "opened": lazy_pgettext("timeline event", "opened"),
    "updated": lazy_pgettext("timeline event", "updated"),
    "assigned": lazy_pgettext("timeline event", "assigned"),
    "noted": lazy_pgettext("timeline event", "note"),
    "observables-added": lazy_pgettext("timeline event", "observables added"),
    "reopened": lazy_pgettext("timeline event", "reopened"),
    "shared": lazy_pgettext("timeline event", "shared"),
    "published": lazy_pgettext("timeline event", "published"),
    "publication-withheld": lazy_pgettext("timeline event", "publication withheld"),
    "versions-withheld": lazy_pgettext("timeline event", "versions withheld"),
    "delivered": lazy_pgettext("timeline event", "delivered"),
    "delivery-failed": lazy_pgettext("timeline event", "delivery failed"),
    "delivery-dropped": lazy_pgettext("timeline event", "delivery dropped"),
    "stix-imported": lazy_pgettext("timeline event", "STIX imported"),
    "stix-versioned": lazy_pgettext("timeline event", "STIX versions recorded"),
    "updated-from-stix": lazy_pgettext("timeline event", "updated from STIX"),
    "peer-shared": lazy_pgettext("timeline event", "shared by a peer"),
    "peer-notified": lazy_pgettext("timeline event", "notified by a peer"),
    "early-warning": lazy_pgettext("timeline event", "early warning"),
    "paged": lazy_pgettext("timeline event", "paged"),
    "page-step": lazy_pgettext("timeline event", "page step"),
    "page-step-early": lazy_pgettext("timeline event", "page step brought forward"),
    "page-delivery-failed": lazy_pgettext("timeline event", "page not delivered"),
    "page-acknowledged": lazy_pgettext("timeline event", "page acknowledged"),
    "page-cancelled": lazy_pgettext("timeline event", "page cancelled"),
    "regulatory-filed": lazy_pgettext("timeline event", "regulatory filing"),
    "assistance-requested": lazy_pgettext("timeline event", "assistance requested"),
    "assistance-forwarded": lazy_pgettext("timeline event", "request forwarded"),
    "assistance-resent": lazy_pgettext("timeline event", "request re-sent"),
    "assistance-escalated": lazy_pgettext("timeline event", "request escalated"),
    "assistance-expired": lazy_pgettext("timeline event", "request expired"),
    "assistance-request-received": lazy_pgettext("timeline event", "request for assistance received"),
    "assistance-request-resent": lazy_pgettext("timeline event", "request received again"),
    "assistance-held": lazy_pgettext("timeline event", "answer held"),
    "assistance-held-dropped": lazy_pgettext("timeline event", "held answer dropped"),
    "assistance-refused": lazy_pgettext("timeline event", "answer refused"),
}

# Puente's workers, as the timeline names them (`actor_name` of their units of work).
WORKERS = {
    "system": lazy_pgettext("timeline actor", "Puente"),
    "operator": lazy_pgettext("timeline actor", "operator"),
    "escalation": lazy_pgettext("timeline actor", "escalation"),
    "outbox": lazy_pgettext("timeline actor", "outbox"),
    "poller": lazy_pgettext("timeline actor", "peer poller"),
    "sharing": lazy_pgettext("timeline actor", "sharing"),
    "assistance-timer": lazy_pgettext("timeline actor", "assistance timer"),
}

# A ticket's fields as an `updated` event names them (keys of services/tickets/service.py `snapshot`): the
# English word is the message, stored in the event's wording as `Words(FIELD, (word,))`.
FIELD = "ticket field"
FIELDS = {
    "title": lazy_pgettext("ticket field", "title"),
    "severity": lazy_pgettext("ticket field", "severity"),
    "status": lazy_pgettext("ticket field", "status"),
    "rsit": lazy_pgettext("ticket field", "type"),
    "sectors": lazy_pgettext("ticket field", "sectors"),
    "countries": lazy_pgettext("ticket field", "countries"),
    "tlp": lazy_pgettext("ticket field", "TLP"),
    "pap": lazy_pgettext("ticket field", "PAP"),
    "legal_basis": lazy_pgettext("ticket field", "legal basis"),
}

_SENT, _RECEIVED = "assistance-", "-received"


def event(code: str) -> str:
    """What an event did, in the reader's words: its own word, else a message of the assistance protocol
    sent or received (`assistance-accept`, `assistance-accept-received`), else a ticket moved to a status."""
    if code in EVENTS:
        return str(EVENTS[code])
    if code.startswith(_SENT):
        kind = code.removeprefix(_SENT).upper()
        if kind.endswith(_RECEIVED.upper()):
            return _("{message} received").format(message=assistance.message(kind.removesuffix(_RECEIVED.upper())))
        if kind in assistance.MESSAGES:
            return _("{message} sent").format(message=assistance.message(kind))
    if code in STATUSES:
        return _("moved to {status}").format(status=status(code))
    return code


def actor(name: str) -> str:
    """Who did it: a person by name, a peer or partner by theirs, one of Puente's workers by its word."""
    kind, _colon, who = name.partition(":")
    if who and kind == "peer":
        return _("peer {name}").format(name=who)
    if who and kind == "partner":
        return _("partner {name}").format(name=who)
    return read(WORKERS, name)
