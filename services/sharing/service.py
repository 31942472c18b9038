"""Sharing a ticket with peer CSIRTs: a preview of who gets what under the ticket's TLP, then delivery.

The handling decision (services/handling) decides the audience: the peers named in the command or, when
none is named, those the ticket's countries and domains suggest, as far as TLP 2.0, onward sharing and
personal data allow. The preview is the promise: a send carries the digest of the preview it confirms,
and is refused, with a new preview, when what it would do has changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from puente.i18n import N_, Listed, Phrase, _
from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput
from puente.services.exchange import service as exchange
from puente.services.handling import material as handling_material
from puente.services.handling import personal
from puente.services.handling.decision import Decision, Exit, Recipient, Refusal, Rule, as_promised, decide
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
    decision leaves out, with why. `digest` is what a confirmation must carry: the preview's promise."""

    ticket: Ticket
    tlp: TLP
    recipients: list[ShareRecipient]
    decision: Decision
    left_out: list[peers.Suggestion] = field(default_factory=list)
    personal_data: list[personal.Finding] = field(default_factory=list)
    sent: int = 0

    @property
    def withheld(self) -> list[Refusal]:
        return self.decision.withheld

    @property
    def held_back(self) -> list[Refusal]:
        """What stops this send until the analyst acts (personal data without a legal basis)."""
        return self.decision.blocking

    @property
    def names(self) -> list[str]:
        return [r.peer.name for r in self.recipients]

    @property
    def digest(self) -> str:
        return self.decision.digest


class PreviewOutdated(Conflict):
    """A confirmation whose preview no longer holds: `plan` is what a new preview shows."""

    def __init__(self, plan: SharePlan) -> None:
        super().__init__(
            _(
                "What {reference} would go to, or how, changed since the preview: nothing was sent. Check the new "
                "preview and confirm again."
            ).format(reference=plan.ticket.reference)
        )
        self.plan = plan


def ticket_domains(ctx: Context, ticket: Ticket) -> list[str]:
    """Domains on the ticket (domain names, URL hosts, e-mail domains), for routing."""
    found: list[str] = []
    for observable in ticket_store.observables(ctx.session, ticket.id or 0, kinds=("domain-name", "url", "email-addr")):
        value = observable.value.lower()
        if observable.kind == "domain-name":
            found.append(value)
        elif observable.kind == "url" and (host := url_host(value)):
            found.append(host)
        elif observable.kind == "email-addr" and "@" in value:
            found.append(value.rsplit("@", 1)[1])
    return list(dict.fromkeys(found))


def url_host(url: str) -> str | None:
    """The host a URL names, as the standard library reads it (after any user, before any port, query or
    fragment); None when it names none."""
    try:
        return urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None


def plan(ctx: Context, reference: str, named: list[str], exit: Exit = Exit.SHARE) -> SharePlan:
    """Who would receive the ticket through `exit` (a share or an early warning): the peers named, or those
    its countries and domains suggest, as far as the handling decision allows."""
    require_role(ctx, Role.ANALYST, _("sharing a ticket"))
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
    if decision.withheld and not decision.allowed and not decision.blocking:
        reasons = dict.fromkeys(r.reason for r in decision.withheld)
        raise Forbidden(
            " ".join(reasons)
            + _(" Name whom to send it to, e.g. /incident {value} {reference} to PEER.").format(
                value=exit.value, reference=ticket.reference
            )
            + _(" Suggested by its countries: {value}.").format(
                value=", ".join(str(r.recipient) for r in decision.withheld)
            )
        )
    decision.require(previewing=True)
    # Those only personal data holds back are still the recipients the preview names.
    held_back = {r.recipient for r in decision.blocking if r.rule is Rule.PERSONAL}
    recipients = [c for c in candidates if c.peer.name in decision.allowed or c.peer.name in held_back]
    if not recipients:
        raise InvalidInput(
            _(
                "No peer to share {reference} with: its countries ({value}) match no peer. Name one: /incident "
                "{command} {reference} to PEER (puente peers list shows them)."
            ).format(reference=ticket.reference, value=", ".join(ticket.countries), command=exit.value)
        )
    found = handling_material.findings(ctx, ticket) if decision.material.personal else []
    return SharePlan(ticket, tlp, recipients, decision, left_out, found)


def confirmed(ctx: Context, reference: str, named: list[str], digest: str, exit: Exit = Exit.SHARE) -> SharePlan:
    """The plan a preview promised (its `digest`), as it stands now; if anything changed since, the refusal
    carries the new preview. The send still refuses what only the analyst can settle (personal data)."""
    return as_promised(plan(ctx, reference, named, exit), digest, PreviewOutdated)


def share(ctx: Context, reference: str, named: list[str], digest: str) -> SharePlan:
    """Queue the ticket's objects for every recipient of the previewed plan (`digest`: services/handling); the
    outbox delivers them."""
    shared = confirmed(ctx, reference, named, digest)
    ticket = shared.ticket
    recipients = [recipient.peer for recipient in shared.recipients]
    for peer in recipients:  # the incident names every CSIRT it is shared with: link them first
        copies.link(ctx, peer, ticket)
    objects, _ = exchange.current_objects(ctx, ticket)
    # For peers that pull: CLEAR and GREEN land in the shared collections, stricter levels in each recipient's own.
    shared.sent = peer_flows.send_to_peers(
        ctx,
        shared.decision,
        recipients,
        objects,
        shared.tlp,
        definitions=exchange.definitions_for(objects),
        ticket_id=ticket.id,
        summary=Phrase(N_("share {reference} ({tlp})"), {"reference": ticket.reference, "tlp": shared.tlp.label}),
        stored=True,
    )
    copies.sent_to(ctx, recipients, ticket)
    ctx.record(
        action="shared",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("{tlp} to {recipients}"), {"tlp": shared.tlp.label, "recipients": Listed(tuple(shared.names))}
        ),
        after={"recipients": shared.names, "tlp": shared.tlp.value},
    )
    return shared
