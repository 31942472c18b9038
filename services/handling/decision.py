"""The handling decision: for any material and any exit, whether it may go, to whom, and what holds it back.

Every way material leaves Puente asks `decide` first, and sending to peers (services/peers/flows.py)
refuses recipients a decision did not allow. The rules, after TLP 2.0 (FIRST) and PAP 2.0:
- TLP:CLEAR goes anywhere; GREEN to the community (never the `public` collection); AMBER, AMBER+STRICT
  and RED to named organisations only, never a feed (`policy.ALLOWED_TLPS`); RED only to recipients the
  analyst names, never to those merely suggested, and never published, not even for a named partner.
- Onward sharing: material received under AMBER+STRICT or RED (a peer's incident and our copy of it,
  with its observables and notes) goes back only to its originator or to the recipients the originator
  named; received under AMBER, only to organisations named as having a need to know.
- PAP:RED and PAP:AMBER refuse requested actions the adversary could notice (pap.py).
- Personal data (personal.py) goes nowhere but back to its originator until the ticket records the legal
  basis for sharing it.
This module decides on plain values, so every rule can be tested on its own; material.py reads a
ticket's values from storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from puente.services.errors import Forbidden
from puente.services.handling import pap as pap_rules
from puente.services.handling.policy import ALLOWED_TLPS, CollectionKind
from puente.services.vocabularies.taxonomy import PAP, TLP


class Exit(StrEnum):
    """Every way material leaves Puente."""

    SHARE = "share"
    ASSIST = "assist"  # a request for assistance
    NOTIFY = "notify"  # an early warning
    FORWARD = "forward"  # a request passed on to a third CSIRT
    PUBLISH = "publish"  # into the TAXII collections partner teams read
    CONTRIBUTION = "contribution"  # later versions and what we add, to those the ticket is shared with
    REPORT = "report"  # a report written for a recipient


# A refusal lists this many findings of personal data; the preview lists them all.
PERSONAL_SHOWN = 5
# Exits that carry requested actions, which the PAP gates.
ACTING = frozenset({Exit.ASSIST, Exit.FORWARD})
# Received at these levels, material goes back to its originator or those it named, and nowhere else.
ORIGINATOR_ONLY = frozenset({TLP.AMBER_STRICT, TLP.RED})


@dataclass(frozen=True)
class Material:
    """What would leave, as the rules see it. `originator` is the CSIRT we received it from (None when it is
    our own); `released_to` the recipients that originator named on its incident; `personal` what in it may
    be personal data, and `legal_basis` the ground the ticket records for sharing that."""

    reference: str
    tlp: TLP
    pap: PAP
    originator: str | None = None
    originator_contact: str = ""
    released_to: frozenset[str] = frozenset()
    personal: tuple[str, ...] = ()
    legal_basis: str | None = None


@dataclass(frozen=True)
class Recipient:
    """A peer or partner by name (`named`: the analyst named it, rather than Puente suggesting it), or one of
    our shared collections (`feed`)."""

    name: str
    named: bool = True
    feed: CollectionKind | None = None


class Rule(StrEnum):
    """Which rule refused."""

    TLP = "tlp"
    ONWARD = "onward"  # received material goes back to its originator or those it named
    PAP = "pap"
    PERSONAL = "personal"


@dataclass(frozen=True)
class Refusal:
    """Why `recipient` may not have the material; `recipient` None refuses the whole send (and is `named`: no
    analyst can send around it)."""

    recipient: str | None
    reason: str
    named: bool
    rule: Rule


@dataclass(frozen=True)
class Decision:
    exit: Exit
    material: Material
    allowed: tuple[str, ...]
    refused: tuple[Refusal, ...] = ()

    @property
    def blocking(self) -> list[Refusal]:
        """The refusals that stop the send: of the whole of it, or of a recipient the analyst named."""
        return [r for r in self.refused if r.named]

    @property
    def withheld(self) -> list[Refusal]:
        """Suggested recipients left out, each with why: the preview says so, the send goes on without them."""
        return [r for r in self.refused if not r.named]

    @property
    def digest(self) -> str:
        """What a preview of this decision promised, in ten characters: the exit, the ticket, its TLP and PAP,
        who gets it and who does not and why, what may be personal data and the legal basis. A confirmation
        carries it; if a new decision's differs, something changed since the preview."""
        material = self.material
        promised = [
            self.exit.value,
            material.reference,
            material.tlp.value,
            material.pap.value,
            sorted(self.allowed),
            sorted([r.recipient or "", r.reason] for r in self.refused),
            list(material.personal),
            material.legal_basis or "",
        ]
        return hashlib.sha256(json.dumps(promised, ensure_ascii=False).encode()).hexdigest()[:10]

    def require(self, *, previewing: bool = False) -> Decision:
        """This decision, if the material may go to everyone named; otherwise a refusal that says why.
        `previewing`: personal data does not stop a preview, which lists it for the analyst to act on."""
        reasons = [r.reason for r in self.blocking if not (previewing and r.rule is Rule.PERSONAL)]
        if not reasons and not self.allowed:
            reasons = [r.reason for r in self.withheld]
        if reasons:
            raise Forbidden(" ".join(dict.fromkeys(reasons)))
        return self

    def allows(self, names: Iterable[str]) -> bool:
        """Whether every one of `names` may have the material under this decision."""
        return not self.blocking and set(names) <= set(self.allowed)


class Preview(Protocol):
    """What a preview showed (a share's or a publish's plan): the decision its digest promises."""

    @property
    def decision(self) -> Decision: ...


PreviewT = TypeVar("PreviewT", bound=Preview)


def as_promised(now: PreviewT, digest: str, outdated: Callable[[PreviewT], Exception]) -> PreviewT:
    """`now`, the plan as it stands, if it is what the preview promised (`digest`, which its confirmation
    carries); if anything changed since, `outdated(now)` is raised, carrying the new preview. A kept promise
    still refuses what only the analyst can settle (personal data)."""
    if digest != now.decision.digest:
        raise outdated(now)
    now.decision.require()
    return now


def decide(material: Material, exit: Exit, recipients: Sequence[Recipient], actions: Sequence[str] = ()) -> Decision:
    """Whether `material` may leave through `exit` to each recipient, with the requested `actions`."""
    refused: list[Refusal] = []
    if exit is Exit.PUBLISH and material.tlp is TLP.RED:
        refused.append(
            Refusal(
                None,
                f"{material.reference} is TLP:RED: it is never published in a feed; it goes only to peers you"
                f" name: /incident share {material.reference} to PEER.",
                True,
                Rule.TLP,
            )
        )
    if exit in ACTING and (not_permitted := pap_rules.not_permitted(material.pap, actions)):
        refused.append(Refusal(None, _pap_refusal(material, not_permitted), True, Rule.PAP))
    allowed: list[str] = []
    seen: set[str] = set()
    for recipient in recipients:
        if recipient.name in seen:
            continue
        seen.add(recipient.name)
        refusal = _refusal(material, recipient)
        if refusal is None:
            allowed.append(recipient.name)
        else:
            refused.append(Refusal(recipient.name, refusal[1], recipient.named, refusal[0]))
    return Decision(exit, material, tuple(allowed), tuple(refused))


def _refusal(material: Material, recipient: Recipient) -> tuple[Rule, str] | None:
    tlp, originator = material.tlp, material.originator
    if recipient.feed is not None:
        if material.personal and not material.legal_basis:
            return Rule.PERSONAL, _personal_refusal(material)
        if originator is not None and tlp.rank >= TLP.AMBER.rank:
            return Rule.ONWARD, (
                f"{material.reference} came from {originator} under {tlp.label}: it goes only to organisations"
                f" with a need to know, never to the {recipient.feed.value} collection."
            )
        if tlp not in ALLOWED_TLPS[recipient.feed]:
            return Rule.TLP, (
                f"{material.reference} is {tlp.label}: it may not go to the {recipient.feed.value} collection"
                f" (that collection takes {_levels(ALLOWED_TLPS[recipient.feed])})."
            )
        return None
    if originator is not None and recipient.name == originator:
        return None  # back to whoever it came from: it is theirs
    if originator is not None and tlp in ORIGINATOR_ONLY and recipient.name not in material.released_to:
        return Rule.ONWARD, _onward_refusal(material, recipient.name)
    if tlp is TLP.RED and not recipient.named:
        return Rule.TLP, f"{material.reference} is TLP:RED: it goes only to recipients you name."
    if originator is not None and tlp is TLP.AMBER and not recipient.named:
        return Rule.ONWARD, (
            f"{material.reference} came from {originator} under TLP:AMBER: it goes only to organisations you"
            f" name as having a need to know; name {recipient.name} to include it."
        )
    if material.personal and not material.legal_basis:
        return Rule.PERSONAL, _personal_refusal(material)
    return None


def _onward_refusal(material: Material, name: str) -> str:
    originator = material.originator
    named = sorted(material.released_to - {name})
    to_whom = f"{originator}" + (f" or those {originator} named ({', '.join(named)})" if named else "")
    contact = f" ({material.originator_contact})" if material.originator_contact else ""
    return (
        f"{material.reference} came from {originator} under {material.tlp.label}: it goes only to {to_whom},"
        f" not to {name}. Ask {originator}{contact} to release it to {name}: once {originator} shares its"
        f" incident with {name}, {name} is named on it and may have it from us too."
    )


def _personal_refusal(material: Material) -> str:
    shown = material.personal[:PERSONAL_SHOWN]
    more = len(material.personal) - len(shown)
    return (
        f"{material.reference} holds what may be personal data: {'; '.join(shown)}"
        + (f"; and {more} more" if more > 0 else "")
        + f". Remove it (/incident update {material.reference} desc=… title=…), or record the legal basis for"
        f' sharing it: /incident update {material.reference} legal="LGPD art. 7 IX".'
    )


def _pap_refusal(material: Material, actions: list[str]) -> str:
    level = f"PAP:{material.pap.value.upper()}"
    passive = ", ".join(pap_rules.permitted_actions(material.pap))
    lower = (
        f"ask {material.originator} whether it may be lowered"
        if material.originator is not None
        else f"lower it first if the incident allows: /incident update {material.reference} pap=green"
    )
    return (
        f"{material.reference} is {level}: {', '.join(actions)} could be noticed by the adversary, which"
        f" {level} does not permit. Ask only for {passive}; or, for active actions, {lower}."
    )


def _levels(levels: frozenset[TLP]) -> str:
    return " and ".join(level.label for level in sorted(levels, key=lambda level: level.rank))
