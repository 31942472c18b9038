"""The sharing policy, in one place: which collections a TLP level may go to, and what a partner may use.

TLP 2.0 audiences (FIRST): CLEAR anyone; GREEN the community; AMBER the recipient organisation on
need-to-know; AMBER+STRICT the recipient organisation only; RED named recipients only. Puente serves:
- `public`    (kind public):    CLEAR only, readable by every partner;
- `community` (kind community): CLEAR and GREEN, readable by every partner;
- one audience collection per peer or partner (kind audience): AMBER, AMBER+STRICT and RED addressed to it;
- one inbox per peer (kind inbox): the peer writes, we read.
TLP:RED therefore only ever lands in the audience collection of a named recipient.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from puente.i18n import _
from puente.services.errors import Forbidden, InvalidInput
from puente.services.vocabularies.taxonomy import TLP
from puente.stix.markings import TLP_BY_MARKING_ID
from puente.stix.properties import OBSERVABLE_TYPES


class CollectionKind(StrEnum):
    PUBLIC = "public"
    COMMUNITY = "community"
    AUDIENCE = "audience"
    INBOX = "inbox"


PUBLIC_ALIAS = "public"
COMMUNITY_ALIAS = "community"
RESERVED_AUDIENCES = frozenset({PUBLIC_ALIAS, COMMUNITY_ALIAS})
INBOX_SUFFIX = "-inbox"

ALLOWED_TLPS: Mapping[CollectionKind, frozenset[TLP]] = {
    CollectionKind.PUBLIC: frozenset({TLP.CLEAR}),
    CollectionKind.COMMUNITY: frozenset({TLP.CLEAR, TLP.GREEN}),
    CollectionKind.AUDIENCE: frozenset(TLP),
    CollectionKind.INBOX: frozenset(TLP),
}


@dataclass(frozen=True)
class Destination:
    """A collection by role: `audience` names the peer or partner for audience collections and inboxes."""

    kind: CollectionKind
    audience: str | None = None

    @property
    def alias(self) -> str:
        if self.kind is CollectionKind.PUBLIC:
            return PUBLIC_ALIAS
        if self.kind is CollectionKind.COMMUNITY:
            return COMMUNITY_ALIAS
        assert self.audience is not None
        return self.audience + (INBOX_SUFFIX if self.kind is CollectionKind.INBOX else "")


@dataclass(frozen=True)
class Rights:
    can_read: bool
    can_write: bool


def creator_refusal(writer_identity: str | None, stix_object: Mapping[str, Any]) -> str | None:
    """Why a peer or partner (whose STIX identity is `writer_identity`) may not write this object, or None.

    A writer creates and updates only its own objects: those it created, and its identity object.
    Observables have no creator (their ids derive from their values), so anyone may send them;
    the official TLP marking definitions are the standard's and the same for everyone.
    """
    object_id, object_type = stix_object.get("id"), stix_object.get("type")
    if object_type in OBSERVABLE_TYPES or object_id in TLP_BY_MARKING_ID:
        return None
    if writer_identity is None:
        return (
            "no STIX identity is on record for this writer, so it may "
            "not create objects (operator: --identity identity--…)"
        )
    creator = stix_object.get("created_by_ref") or (object_id if object_type == "identity" else None)
    if creator != writer_identity:
        return f"created_by_ref must be your identity {writer_identity}: you may only create or update your own objects"
    return None


def marked_tlp(stix_object: Mapping[str, Any]) -> TLP | None:
    """The most restrictive TLP 2.0 marking an object carries, or None."""
    refs = stix_object.get("object_marking_refs")
    if not isinstance(refs, list):
        return None
    # A TLP marking (2.0, or 1.0 from older tools) makes an object at least that restricted, whatever a caller claims.
    levels = [TLP(TLP_BY_MARKING_ID[ref]) for ref in refs if isinstance(ref, str) and ref in TLP_BY_MARKING_ID]
    return max(levels, key=lambda level: level.rank) if levels else None


def destinations(tlp: TLP, recipients: Sequence[str] = ()) -> list[Destination]:
    """Where material at this TLP goes. AMBER and stricter need named recipients and go only to them."""
    if tlp is TLP.CLEAR:
        return [Destination(CollectionKind.PUBLIC), Destination(CollectionKind.COMMUNITY)]
    if tlp is TLP.GREEN:
        return [Destination(CollectionKind.COMMUNITY)]
    names = list(dict.fromkeys(r.strip() for r in recipients if r.strip()))
    if not names:
        raise InvalidInput(
            _("{label} material goes only to named recipients: name the peers or partners to share with.").format(
                label=tlp.label
            )
        )
    for name in names:
        check_audience_name(name)
    return [Destination(CollectionKind.AUDIENCE, name) for name in names]


def check_fits(kind: CollectionKind, tlp: TLP) -> None:
    """The last guard before storing: refuse material too restricted for the collection."""
    if tlp not in ALLOWED_TLPS[kind]:
        raise Forbidden(
            _("{label} material may not go to a {value} collection.").format(label=tlp.label, value=kind.value)
        )


def check_audience_name(name: str) -> None:
    if (
        name in RESERVED_AUDIENCES
        or not name
        or not all(ch.isalnum() or ch in "-_." for ch in name)
        or name.endswith(INBOX_SUFFIX)
    ):
        raise InvalidInput(
            _(
                "{name!r} cannot name a peer or partner: use letters, digits, '-', '_' or '.', not 'public' or "
                "'community', and not ending in '{INBOX_SUFFIX}'."
            ).format(name=name, INBOX_SUFFIX=INBOX_SUFFIX)
        )


def partner_collections(audience: str, is_peer: bool) -> dict[Destination, Rights]:
    """What a partner may use by default: the shared collections, its own audience collection, a peer's inbox."""
    entitled = {
        Destination(CollectionKind.PUBLIC): Rights(can_read=True, can_write=False),
        Destination(CollectionKind.COMMUNITY): Rights(can_read=True, can_write=False),
        Destination(CollectionKind.AUDIENCE, audience): Rights(can_read=True, can_write=False),
    }
    if is_peer:
        entitled[Destination(CollectionKind.INBOX, audience)] = Rights(can_read=False, can_write=True)
    return entitled


def restrict(entitled: dict[Destination, Rights], aliases: Iterable[str]) -> dict[Destination, Rights]:
    """Keep only the named collections; naming one the partner is not entitled to is refused."""
    by_alias = {destination.alias: destination for destination in entitled}
    chosen: dict[Destination, Rights] = {}
    for alias in aliases:
        alias = alias.strip()
        if not alias:
            continue
        if alias not in by_alias:
            raise InvalidInput(
                _("Collection {alias!r} is not for this partner: choose among {value}.").format(
                    alias=alias, value=", ".join(by_alias)
                )
            )
        chosen[by_alias[alias]] = entitled[by_alias[alias]]
    if not chosen:
        raise InvalidInput(_("Name at least one collection: {value}.").format(value=", ".join(by_alias)))
    return chosen
