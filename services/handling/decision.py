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

from puente.i18n import N_, Phrase, Value, Words, in_english
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
    analyst can send around it). `why` is a phrase: the analyst reads it in their language, the timeline
    records it in English, and a preview's digest does not depend on who previews."""

    recipient: str | None
    why: Phrase
    named: bool
    rule: Rule

    @property
    def reason(self) -> str:
        """Why, in the reader's language."""
        return str(self.why)


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
            sorted([r.recipient or "", in_english(r.why)] for r in self.refused),
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
                Phrase(
                    N_(
                        "{reference} is TLP:RED: it is never published in a feed; it goes only to peers you name:"
                        " /incident share {reference} to PEER."
                    ),
                    {"reference": material.reference},
                ),
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


def _refusal(material: Material, recipient: Recipient) -> tuple[Rule, Phrase] | None:
    tlp, originator = material.tlp, material.originator
    said: dict[str, Value] = {"reference": material.reference, "tlp": tlp.label, "originator": originator or ""}
    if recipient.feed is not None:
        if material.personal and not material.legal_basis:
            return Rule.PERSONAL, _personal_refusal(material)
        feed: dict[str, Value] = {**said, "collection": recipient.feed.value}
        if originator is not None and tlp.rank >= TLP.AMBER.rank:
            return Rule.ONWARD, Phrase(
                N_(
                    "{reference} came from {originator} under {tlp}: it goes only to organisations with a need to"
                    " know, never to the {collection} collection."
                ),
                feed,
            )
        if tlp not in ALLOWED_TLPS[recipient.feed]:
            return Rule.TLP, Phrase(
                N_(
                    "{reference} is {tlp}: it may not go to the {collection} collection"
                    " (that collection takes {levels})."
                ),
                {**feed, "levels": _levels(ALLOWED_TLPS[recipient.feed])},
            )
        return None
    if originator is not None and recipient.name == originator:
        return None  # back to whoever it came from: it is theirs
    if originator is not None and tlp in ORIGINATOR_ONLY and recipient.name not in material.released_to:
        return Rule.ONWARD, _onward_refusal(material, recipient.name)
    if tlp is TLP.RED and not recipient.named:
        return Rule.TLP, Phrase(N_("{reference} is TLP:RED: it goes only to recipients you name."), said)
    if originator is not None and tlp is TLP.AMBER and not recipient.named:
        return Rule.ONWARD, Phrase(
            N_(
                "{reference} came from {originator} under TLP:AMBER: it goes only to organisations you name as"
                " having a need to know; name {recipient} to include it."
            ),
            {**said, "recipient": recipient.name},
        )
    if material.personal and not material.legal_basis:
        return Rule.PERSONAL, _personal_refusal(material)
    return None


def _onward_refusal(material: Material, name: str) -> Phrase:
    originator = material.originator or ""
    named = sorted(material.released_to - {name})
    said: dict[str, Value] = {
        "reference": material.reference,
        "originator": originator,
        "tlp": material.tlp.label,
        "recipient": name,
        "contact": f" ({material.originator_contact})" if material.originator_contact else "",
    }
    if named:
        return Phrase(
            N_(
                "{reference} came from {originator} under {tlp}: it goes only to {originator} or those {originator}"
                " named ({named}), not to {recipient}. Ask {originator}{contact} to release it to {recipient}: once"
                " {originator} shares its incident with {recipient}, {recipient} is named on it and may have it"
                " from us too."
            ),
            {**said, "named": ", ".join(named)},
        )
    return Phrase(
        N_(
            "{reference} came from {originator} under {tlp}: it goes only to {originator}, not to {recipient}."
            " Ask {originator}{contact} to release it to {recipient}: once {originator} shares its incident with"
            " {recipient}, {recipient} is named on it and may have it from us too."
        ),
        said,
    )


def _personal_refusal(material: Material) -> Phrase:
    shown = material.personal[:PERSONAL_SHOWN]
    more = len(material.personal) - len(shown)
    found: Value = "; ".join(shown)
    if more > 0:
        found = Phrase(N_("{found}; and {count} more"), {"found": found, "count": str(more)})
    return Phrase(
        N_(
            "{reference} holds what may be personal data: {found}. Remove it (/incident update {reference} desc=…"
            ' title=…), or record the legal basis for sharing it: /incident update {reference} legal="LGPD art. 7 IX".'
        ),
        {"reference": material.reference, "found": found},
    )


def _pap_refusal(material: Material, actions: list[str]) -> Phrase:
    lower = (
        Phrase(N_("ask {originator} whether it may be lowered"), {"originator": material.originator})
        if material.originator is not None
        else Phrase(
            N_("lower it first if the incident allows: /incident update {reference} pap=green"),
            {"reference": material.reference},
        )
    )
    return Phrase(
        N_(
            "{reference} is {level}: {actions} could be noticed by the adversary, which {level} does not permit."
            " Ask only for {passive}; or, for active actions, {lower}."
        ),
        {
            "reference": material.reference,
            "level": f"PAP:{material.pap.value.upper()}",
            "actions": Words("action", tuple(actions)),
            "passive": Words("action", tuple(pap_rules.permitted_actions(material.pap))),
            "lower": lower,
        },
    )


def _levels(levels: frozenset[TLP]) -> str:
    return ", ".join(level.label for level in sorted(levels, key=lambda level: level.rank))
