"""PAP 2.0 (Permissible Actions Protocol): which requested actions an incident's PAP permits.

PAP says how far the receiver may go with the information without the adversary noticing (FIRST/CIRCL):
- PAP:RED   only passive work on the receiver's own logs and data, invisible from outside;
- PAP:AMBER passive cross-checks too: online checks through third parties, a monitoring honeypot;
- PAP:GREEN active actions too: blocking, contacting the source, taking down;
- PAP:CLEAR no restriction.
Every action of the assistance vocabulary (stix/assistance.py ACTIONS) has its exposure here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from puente.services.vocabularies.taxonomy import PAP
from puente.stix.assistance import ACTIONS


class Exposure(StrEnum):
    """What the adversary could notice of an action, least first."""

    PASSIVE = "passive"  # on the responder's own logs and data
    CROSS_CHECK = "cross-check"  # through third parties, never touching the adversary
    ACTIVE = "active"  # touches or changes what the adversary sees


EXPOSURE: Mapping[str, Exposure] = {
    "investigate": Exposure.PASSIVE,
    "watch-and-report": Exposure.PASSIVE,
    "status-triage": Exposure.PASSIVE,
    "status-new-info": Exposure.PASSIVE,
    # Passing indicators on is a disclosure, which TLP governs, not an action against the adversary.
    "share-indicators": Exposure.PASSIVE,
    "contact-target-site": Exposure.CROSS_CHECK,
    "honeypot": Exposure.CROSS_CHECK,
    "traceback": Exposure.CROSS_CHECK,
    "contact-source-site": Exposure.ACTIVE,
    "block-host": Exposure.ACTIVE,
    "block-network": Exposure.ACTIVE,
    "block-port": Exposure.ACTIVE,
    "rate-limit-host": Exposure.ACTIVE,
    "redirect-traffic": Exposure.ACTIVE,
    "upgrade-software": Exposure.ACTIVE,
    "rebuild-asset": Exposure.ACTIVE,
    "harden-asset": Exposure.ACTIVE,
    "remediate-other": Exposure.ACTIVE,
    "takedown": Exposure.ACTIVE,
    # What "other" asks for is unknown: it counts as the most exposed.
    "other": Exposure.ACTIVE,
}

PERMITTED: Mapping[PAP, frozenset[Exposure]] = {
    PAP.RED: frozenset({Exposure.PASSIVE}),
    PAP.AMBER: frozenset({Exposure.PASSIVE, Exposure.CROSS_CHECK}),
    PAP.GREEN: frozenset(Exposure),
    PAP.CLEAR: frozenset(Exposure),
}


def exposure(action: str) -> Exposure:
    """An action outside the vocabulary counts as active: nothing says the adversary would not notice it."""
    return EXPOSURE.get(action, Exposure.ACTIVE)


def not_permitted(pap: PAP, actions: Iterable[str]) -> list[str]:
    """The actions `pap` does not permit, in the order asked."""
    return [action for action in dict.fromkeys(actions) if exposure(action) not in PERMITTED[pap]]


def permitted_actions(pap: PAP) -> list[str]:
    """The vocabulary's actions `pap` permits, for a message that says what may be asked instead."""
    return [action for action in ACTIONS if EXPOSURE[action] in PERMITTED[pap]]
