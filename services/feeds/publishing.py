"""Publishing a ticket for partner teams (`/incident publish`): a preview of the collections its TLP allows,
then, confirmed with the preview's digest, the ticket as STIX in them; its later versions follow it there
(`follow`, run by the shared-versions worker).

The handling decision (services/handling) decides: TLP:CLEAR goes in `public` and `community`, GREEN in
`community`, AMBER and AMBER+STRICT only in the own collections of the partners named, RED in none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from puente.i18n import N_, Listed, Phrase, _
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound
from puente.services.exchange import service as exchange
from puente.services.feeds import collections
from puente.services.handling import material as handling_material
from puente.services.handling import personal, policy
from puente.services.handling.decision import Decision, Exit, Recipient, Rule, as_promised, decide
from puente.services.handling.policy import CollectionKind, Destination
from puente.services.tickets import service as tickets
from puente.services.users.service import require_role
from puente.services.vocabularies.taxonomy import TLP
from puente.storage import partners as partner_store
from puente.storage import publications as publication_store
from puente.storage import stix_objects
from puente.storage.models import Role, Ticket
from puente.storage.publications import TicketPublication

_SHARED = {CollectionKind.PUBLIC.value: CollectionKind.PUBLIC, CollectionKind.COMMUNITY.value: CollectionKind.COMMUNITY}


@dataclass
class PublishPlan:
    """Exactly where a confirmed publish puts the ticket; `digest` is what the confirmation must carry."""

    ticket: Ticket
    tlp: TLP
    decision: Decision
    destinations: list[Destination]
    personal_data: list[personal.Finding] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return self.decision.digest

    @property
    def held_back(self) -> list[str]:
        return list(dict.fromkeys(r.reason for r in self.decision.blocking))

    @property
    def aliases(self) -> list[str]:
        return [d.alias for d in self.destinations]


class PublishPreviewOutdated(Conflict):
    """A confirmation whose preview no longer holds: `plan` is what a new preview shows."""

    def __init__(self, plan: PublishPlan) -> None:
        super().__init__(
            _(
                "Where {reference} would be published, or how, changed since the preview: nothing was published. "
                "Check the new preview and confirm again."
            ).format(reference=plan.ticket.reference)
        )
        self.plan = plan


def _recipient(destination: Destination) -> Recipient:
    if destination.kind in (CollectionKind.PUBLIC, CollectionKind.COMMUNITY):
        return Recipient(destination.alias, feed=destination.kind)
    return Recipient(destination.alias)


def _destination(alias: str) -> Destination:
    if alias in _SHARED:
        return Destination(_SHARED[alias])
    return Destination(CollectionKind.AUDIENCE, alias)


def _audience(ctx: Context, name: str) -> str:
    partner = partner_store.by_name(ctx.session, name)
    if partner is None or partner.revoked_at is not None:
        known = ", ".join(p.name for p in partner_store.all_partners(ctx.session) if p.revoked_at is None)
        raise NotFound(
            _("No partner {name!r}").format(name=name)
            + (_(": partners are {known}.").format(known=known) if known else ".")
            + _(" An operator adds one with: puente partners add NAME …")
        )
    return partner.audience


def plan(ctx: Context, reference: str, partners: list[str]) -> PublishPlan:
    """Where the ticket would be published: the shared collections its TLP allows, or, for AMBER and
    AMBER+STRICT, the own collections of the partners named."""
    require_role(ctx, Role.ANALYST, _("publishing a ticket"))
    ticket = tickets.get(ctx, reference)
    tlp = TLP(ticket.tlp)
    audiences = list(dict.fromkeys(_audience(ctx, name) for name in partners))
    if tlp in (TLP.CLEAR, TLP.GREEN):
        candidates = policy.destinations(tlp)
    else:
        candidates = [Destination(CollectionKind.AUDIENCE, audience) for audience in audiences]
    decision = decide(handling_material.of_ticket(ctx, ticket), Exit.PUBLISH, [_recipient(d) for d in candidates])
    decision.require(previewing=True)
    if not candidates:
        raise InvalidInput(
            _(
                "{reference} is {label}: it is published only in the own collections of partners you name: "
                "/incident publish {reference} to PARTNER."
            ).format(reference=ticket.reference, label=tlp.label)
        )
    held = {r.recipient for r in decision.blocking if r.rule is Rule.PERSONAL}
    chosen = [d for d in candidates if d.alias in decision.allowed or d.alias in held]
    found = handling_material.findings(ctx, ticket) if decision.material.personal else []
    return PublishPlan(ticket, tlp, decision, chosen, found)


def publish(ctx: Context, reference: str, partners: list[str], digest: str) -> PublishPlan:
    """Put the ticket in the collections its previewed plan (`digest`) names; later versions follow it."""
    done = as_promised(plan(ctx, reference, partners), digest, PublishPreviewOutdated)
    ticket = done.ticket
    now = ctx.now()
    objects, _ = exchange.current_objects(ctx, ticket)
    collections.publish_in(ctx, _with_definitions(objects), done.tlp, done.destinations, stored=True)
    through = stix_objects.last_row(ctx.session, ticket.id or 0)
    existing = {p.alias: p for p in publication_store.publications_of(ctx.session, ticket.id or 0)}
    for destination in done.destinations:
        row = existing.get(destination.alias) or TicketPublication(
            ticket_id=ticket.id or 0, alias=destination.alias, published_at=now, synced_at=ticket.updated_at
        )
        row.published_through, row.synced_at = through, ticket.updated_at
        ctx.session.add(row)
    ctx.record(
        action="published",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("{tlp} in {collections}"), {"tlp": done.tlp.label, "collections": Listed(tuple(done.aliases))}
        ),
        after={"collections": done.aliases, "tlp": done.tlp.value},
    )
    return done


def follow(ctx: Context) -> int:
    """Put the versions stored since each publication in its collection, as far as the handling decision
    still allows (a TLP raised since keeps them out, and says so); returns how many collections moved."""
    moved = 0
    for publication in publication_store.publications_behind(ctx.session):
        ticket = ctx.session.get(Ticket, publication.ticket_id)
        assert ticket is not None
        destination = _destination(publication.alias)
        decision = decide(handling_material.of_ticket(ctx, ticket), Exit.PUBLISH, [_recipient(destination)])
        publication.synced_at = ticket.updated_at
        ctx.session.add(publication)
        if decision.refused:
            ctx.record(
                action="publication-withheld",
                ticket_id=ticket.id,
                summary=Phrase(
                    N_("{collection}: {why}"),
                    {
                        "collection": publication.alias,
                        "why": Listed(tuple(r.why for r in decision.refused), sentences=True),
                    },
                ),
            )
            continue
        exchange.current_objects(ctx, ticket)
        versions = stix_objects.stored_after(ctx.session, ticket.id or 0, publication.published_through)
        if not versions:
            continue
        objects = [orjson.loads(v.content) for v in versions]
        collections.publish_in(ctx, _with_definitions(objects), TLP(ticket.tlp), [destination], stored=True)
        publication.published_through = versions[-1].row_id
        moved += 1
    return moved


def _with_definitions(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects led by the extension and marking definitions they depend on."""
    found: list[dict[str, Any]] = exchange.bundle_for(objects)["objects"]
    return found
