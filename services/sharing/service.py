"""Sharing a ticket with peer CSIRTs: a preview of who gets what under the ticket's TLP, then delivery.

The TLP decides the audience (DESIGN.md, "Sharing policy"): CLEAR, GREEN, AMBER and AMBER+STRICT
go to the peers named in the command or, when none is named, to the peers the ticket's countries
and domains suggest; RED goes only to peers named in the command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from puente.services.context import Context
from puente.services.errors import Forbidden, InvalidInput
from puente.services.exchange import service as exchange
from puente.services.handling import material as handling_material
from puente.services.handling.decision import Decision, Exit, Recipient, Refusal, decide
from puente.services.peers import flows as peer_flows
from puente.services.peers import service as peers
from puente.services.sharing import copies
from puente.services.tickets import service as tickets
from puente.services.users.service import require_role
from puente.services.vocabularies.taxonomy import TLP
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, Ticket
from puente.storage.peers import Peer


@dataclass
class ShareRecipient:
    peer: Peer
    because: str


@dataclass
class SharePlan:
    """Exactly what a confirmed share sends, and to whom; `withheld` are the suggested peers the handling
    decision leaves out, with why."""

    ticket: Ticket
    tlp: TLP
    recipients: list[ShareRecipient]
    decision: Decision
    left_out: list[peers.Suggestion] = field(default_factory=list)
    sent: int = 0

    @property
    def withheld(self) -> list[Refusal]:
        return self.decision.withheld

    @property
    def names(self) -> list[str]:
        return [r.peer.name for r in self.recipients]


def ticket_domains(ctx: Context, ticket: Ticket) -> list[str]:
    """Domains on the ticket (domain names, URL hosts, e-mail domains), for routing."""
    found: list[str] = []
    for observable in ticket_store.observables(ctx.session, ticket.id or 0, kinds=("domain-name", "url", "email-addr")):
        value = observable.value.lower()
        if observable.kind == "domain-name":
            found.append(value)
        elif observable.kind == "url":
            found.append(value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0])
        elif observable.kind == "email-addr" and "@" in value:
            found.append(value.rsplit("@", 1)[1])
    return list(dict.fromkeys(found))


def plan(ctx: Context, reference: str, named: list[str], exit: Exit = Exit.SHARE) -> SharePlan:
    """Who would receive the ticket through `exit` (a share or an early warning): the peers named, or those
    its countries and domains suggest, as far as the handling decision allows."""
    require_role(ctx, Role.ANALYST, "sharing a ticket")
    ticket = tickets.get(ctx, reference)
    tlp = TLP(ticket.tlp)
    suggested = peers.suggest(ctx, ticket, domains=ticket_domains(ctx, ticket))
    chosen = peers.resolve_recipients(ctx, named)
    if chosen:
        candidates = [ShareRecipient(p, "named") for p in chosen]
        left_out = [s for s in suggested if s.peer.id not in {p.id for p in chosen}]
    else:
        candidates = [ShareRecipient(s.peer, s.because) for s in suggested]
        left_out = []
    decision = decide(
        handling_material.of_ticket(ctx, ticket),
        exit,
        [Recipient(c.peer.name, named=bool(chosen)) for c in candidates],
    )
    if decision.withheld and not decision.allowed:
        reasons = dict.fromkeys(r.reason for r in decision.withheld)
        raise Forbidden(
            " ".join(reasons)
            + f" Name whom to send it to, e.g. /incident {exit.value} {ticket.reference} to PEER."
            + f" Suggested by its countries: {', '.join(str(r.recipient) for r in decision.withheld)}."
        )
    decision.require()
    recipients = [c for c in candidates if c.peer.name in decision.allowed]
    if not recipients:
        raise InvalidInput(
            f"No peer to share {ticket.reference} with: its countries ({', '.join(ticket.countries)}) match no peer."
            f" Name one: /incident share {ticket.reference} to PEER (puente peers list shows them)."
        )
    return SharePlan(ticket, tlp, recipients, decision, left_out)


def share(ctx: Context, reference: str, named: list[str]) -> SharePlan:
    """Queue the ticket's objects for every recipient of the plan; the outbox delivers them."""
    shared = plan(ctx, reference, named)
    ticket = shared.ticket
    recipients = [recipient.peer for recipient in shared.recipients]
    for peer in recipients:  # the incident names every CSIRT it is shared with: link them first
        copies.link(ctx, peer, ticket)
    objects, _ = exchange.current_objects(ctx, ticket)
    # For peers that pull: CLEAR and GREEN land in the shared collections, stricter levels in each recipient's own.
    definitions = [
        d
        for d in exchange.bundle_for(objects)["objects"]
        if d["type"] in ("extension-definition", "marking-definition")
    ]
    shared.sent = peer_flows.send_to_peers(
        ctx,
        shared.decision,
        recipients,
        objects,
        shared.tlp,
        definitions=definitions,
        ticket_id=ticket.id,
        summary=f"share {ticket.reference} ({shared.tlp.label})",
        stored=True,
    )
    copies.sent_to(ctx, recipients, ticket)
    ctx.record(
        action="shared",
        ticket_id=ticket.id,
        summary=f"{shared.tlp.label} to {', '.join(shared.names)}",
        after={"recipients": shared.names, "tlp": shared.tlp.value},
    )
    return shared
