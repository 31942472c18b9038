"""Tickets: opening, enriching, moving through the lifecycle, and the audit trail of it all."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from puente import i18n
from puente.i18n import N_, Listed, Phrase, Words, Written, _
from puente.services.context import Context
from puente.services.errors import InvalidInput, NotFound
from puente.services.escalation import service as escalation
from puente.services.notify import printable, single_line
from puente.services.tickets import audit, lifecycle
from puente.services.tickets.audit import Entry
from puente.services.tickets.observables import Observable
from puente.services.tickets.readers import check_readable
from puente.services.tickets.search import Scope, TicketFilter, find
from puente.services.users.service import require_role
from puente.services.vocabularies import words
from puente.services.vocabularies.taxonomy import PAP, TLP, Severity
from puente.storage import peers as peer_store
from puente.storage import tickets as ticket_store
from puente.storage import timeline, users
from puente.storage.models import Role, Ticket, TicketNote, TicketStatus, User

DEFAULT_TLP = TLP.AMBER
DEFAULT_PAP = PAP.AMBER


@dataclass
class TicketDraft:
    title: str
    description: str = ""
    severity: Severity = Severity.MEDIUM
    rsit: tuple[str, str] | None = None
    sectors: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    tlp: TLP = DEFAULT_TLP
    pap: PAP = DEFAULT_PAP
    legal_basis: str | None = None
    aware_at: datetime | None = None
    observables: list[Observable] = field(default_factory=list)
    # Set when the ticket comes from another producer's STIX incident (services/exchange/importer.py).
    incident_id: str | None = None
    producer: str | None = None
    status: TicketStatus = TicketStatus.NEW
    # Imported content names its own countries, perhaps none: ours is added only to a ticket opened here.
    imported: bool = False


@dataclass
class TicketChanges:
    """Fields an `update` may change; None means leave as is."""

    title: str | None = None
    description: str | None = None
    severity: Severity | None = None
    status: TicketStatus | None = None
    rsit: tuple[str, str] | None = None
    sectors: list[str] | None = None
    countries: list[str] | None = None
    tlp: TLP | None = None
    pap: PAP | None = None
    # "" clears it.
    legal_basis: str | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass
class TicketView:
    """A ticket with what `show` displays alongside it: the first observables and how many there are."""

    ticket: Ticket
    owner: str | None
    observables: list[ticket_store.ObservableRow]
    observable_count: int
    notes: list[TicketNote]
    # `cert-br INC-2026-0004` when the ticket holds another CSIRT's incident.
    origin: str | None = None

    @property
    def reference(self) -> str:
        return self.ticket.reference


def get(ctx: Context, reference: str) -> Ticket:
    ticket = ticket_store.by_reference(ctx.session, reference.strip())
    if ticket is None:
        similar = ticket_store.similar_references(ctx.session, reference)
        if similar:
            hint = _("Did you mean {references}?").format(references=", ".join(similar))
        else:
            hint = _("/incident list shows the open tickets.")
        raise NotFound(_("No ticket {reference!r}.").format(reference=reference.strip()) + " " + hint)
    return ticket


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The fields the timeline records before and after a change."""
    return {
        "title": ticket.title,
        "severity": ticket.severity,
        "status": ticket.status,
        "rsit": f"{ticket.rsit_classification}/{ticket.rsit_type}" if ticket.rsit_classification else None,
        "sectors": list(ticket.sectors),
        "countries": list(ticket.countries),
        "tlp": ticket.tlp,
        "pap": ticket.pap,
        "legal_basis": ticket.legal_basis,
        "owner_id": ticket.owner_id,
    }


def is_cross_border(ticket: Ticket, our_country: str) -> bool:
    return any(country != our_country for country in ticket.countries)


def open_ticket(ctx: Context, draft: TicketDraft) -> Ticket:
    actor = require_role(ctx, Role.ANALYST, _("opening a ticket"))
    return _create(ctx, draft, actor.id)


def open_for_peer(ctx: Context, draft: TicketDraft, peer_name: str, *, page_severity: bool = True) -> Ticket:
    """A ticket opened because a peer CSIRT told us of an incident or asked for help; nobody owns it yet.
    A request for assistance raises its own page, so it passes page_severity=False."""
    ctx.actor_name = ctx.actor_name or f"peer:{peer_name}"
    return _create(ctx, draft, None, page_severity=page_severity)


def _create(ctx: Context, draft: TicketDraft, owner_id: int | None, *, page_severity: bool = True) -> Ticket:
    title = single_line(draft.title)
    if not title:
        raise InvalidInput(_("A ticket needs a title: /incident new <title> [sev=high countries=BR tlp=amber …]"))
    now = ctx.now()
    year = now.year
    number = ticket_store.next_number(ctx.session, year)
    ticket = Ticket(
        reference=ticket_store.format_reference(year, number),
        year=year,
        number=number,
        title=title[:300],
        description=printable(draft.description),
        severity=draft.severity.value,
        status=draft.status.value,
        rsit_classification=draft.rsit[0] if draft.rsit else None,
        rsit_type=draft.rsit[1] if draft.rsit else None,
        sectors=list(draft.sectors),
        countries=list(draft.countries) or ([] if draft.imported else [ctx.settings.csirt_country]),
        labels=list(draft.labels),
        tlp=draft.tlp.value,
        pap=draft.pap.value,
        legal_basis=single_line(draft.legal_basis or "")[:300] or None,
        aware_at=draft.aware_at or now,
        owner_id=owner_id,
        opened_by_id=owner_id,
        incident_id=draft.incident_id or f"incident--{uuid.uuid4()}",
        producer=draft.producer,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(ticket)
    ctx.session.flush()
    ctx.record(
        at=now,
        action="opened",
        ticket_id=ticket.id,
        summary=Phrase(N_("{reference}: {title}"), {"reference": ticket.reference, "title": ticket.title}),
        after=snapshot(ticket),
    )
    if draft.observables:
        _record_observables(ctx, ticket, list(dict.fromkeys(draft.observables)))
    if page_severity:
        escalation.on_ticket_opened(ctx, ticket)
    else:
        escalation.schedule_deadline_reminders(ctx, ticket)
    return ticket


def view(ctx: Context, ticket: Ticket | str, observables_shown: int = 25) -> TicketView:
    if isinstance(ticket, str):
        ticket = get(ctx, ticket)
    check_readable(ctx, ticket, "viewing a ticket")
    owner = ctx.session.get(User, ticket.owner_id) if ticket.owner_id else None
    assert ticket.id is not None
    return TicketView(
        ticket,
        owner.name if owner else None,
        ticket_store.observables(ctx.session, ticket.id, limit=observables_shown),
        ticket_store.observable_count(ctx.session, ticket.id),
        ticket_store.notes(ctx.session, ticket.id),
        peer_store.origins(ctx.session, [ticket]).get(ticket.id),
    )


def origins(ctx: Context, found: list[Ticket]) -> dict[int, str]:
    """The CSIRT and reference each listed ticket comes from, when another CSIRT's incident (`cert-br INC-…`)."""
    return peer_store.origins(ctx.session, found)


def list_tickets(ctx: Context, scope: Scope = Scope.OPEN, limit: int = 50) -> list[Ticket]:
    return find(ctx, TicketFilter(scope), limit=limit).tickets


def touch(ctx: Context, ticket: Ticket, action: str, summary: str | i18n.Value, before: dict[str, Any]) -> None:
    now = ctx.now()
    ticket.updated_at = now
    ctx.session.add(ticket)
    ctx.record(
        at=now,
        action=action,
        ticket_id=ticket.id,
        summary=summary,
        before=before,
        after=snapshot(ticket),
    )


def update(ctx: Context, reference: str, changes: TicketChanges) -> Ticket:
    require_role(ctx, Role.ANALYST, _("updating a ticket"))
    if changes.is_empty():
        raise InvalidInput(
            _(
                "Nothing to update: give e.g. sev=high status=in-progress countries=BR,AR tlp=amber "
                'type=malicious-code/c2-server sector=energy title="…"'
            )
        )
    ticket = get(ctx, reference)
    before = snapshot(ticket)
    if changes.status is not None:
        lifecycle.check_transition(ticket.reference, TicketStatus(ticket.status), changes.status)
        ticket.status = changes.status.value
    if changes.title is not None:
        if not single_line(changes.title):
            raise InvalidInput(_("A ticket's title cannot be empty."))
        ticket.title = single_line(changes.title)[:300]
    if changes.description is not None:
        ticket.description = printable(changes.description)
    if changes.severity is not None:
        ticket.severity = changes.severity.value
    if changes.rsit is not None:
        ticket.rsit_classification, ticket.rsit_type = changes.rsit
    if changes.sectors is not None:
        ticket.sectors = list(changes.sectors)
    if changes.countries is not None:
        if not changes.countries:
            raise InvalidInput(_("A ticket affects at least one country: countries=CO,BR"))
        ticket.countries = list(changes.countries)
    if changes.tlp is not None:
        ticket.tlp = changes.tlp.value
    if changes.pap is not None:
        ticket.pap = changes.pap.value
    if changes.legal_basis is not None:
        ticket.legal_basis = single_line(changes.legal_basis)[:300] or None
    after = snapshot(ticket)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if not changed:
        raise InvalidInput(
            _("{reference} already has those values; nothing changed.").format(reference=ticket.reference)
        )
    touch(
        ctx,
        ticket,
        "updated",
        Listed(tuple(audit.change(key, before[key], value) for key, value in changed.items())),
        before,
    )
    if "status" in changed:
        lifecycle.follow(ctx, ticket, TicketStatus(before["status"]))
    if "severity" in changed or "countries" in changed:
        escalation.page_for_severity(
            ctx, ticket, previous=Severity(before["severity"]), previous_countries=before["countries"]
        )
    return ticket


def move(ctx: Context, reference: str, target: TicketStatus, reason: str = "") -> Ticket:
    """A lifecycle step (resolve, close, reopen, …), checked against the allowed transitions."""
    needed = Role.LEAD if target == TicketStatus.CLOSED else Role.ANALYST
    require_role(ctx, needed, _("moving a ticket to {value}").format(value=target.value))
    ticket = get(ctx, reference)
    current = TicketStatus(ticket.status)
    lifecycle.check_transition(ticket.reference, current, target)
    before = snapshot(ticket)
    ticket.status = target.value
    action = "reopened" if current in lifecycle.REOPENABLE and target not in lifecycle.REOPENABLE else target.value
    moved: dict[str, i18n.Value] = {
        "before": Words("ticket status", (current.value,)),
        "after": Words("ticket status", (target.value,)),
    }
    if reason:
        summary = Phrase(N_("{before} → {after}: {reason}"), moved | {"reason": Written(reason, i18n.current())})
    else:
        summary = Phrase(N_("{before} → {after}"), moved)
    touch(ctx, ticket, action, summary, before)
    lifecycle.follow(ctx, ticket, current)
    return ticket


def reopen(ctx: Context, reference: str, reason: str = "") -> Ticket:
    ticket = get(ctx, reference)
    if TicketStatus(ticket.status) not in lifecycle.REOPENABLE:
        raise InvalidInput(
            _("{reference} is {status}, not resolved or closed; there is nothing to reopen.").format(
                reference=ticket.reference, status=words.status(ticket.status)
            )
        )
    return move(ctx, reference, TicketStatus.IN_PROGRESS, reason)


def assign(ctx: Context, reference: str, user_name: str) -> Ticket:
    require_role(ctx, Role.ANALYST, _("assigning a ticket"))
    ticket = get(ctx, reference)
    name = user_name.strip().lstrip("@")
    owner = users.by_name(ctx.session, name)
    if owner is None:
        known = ", ".join(u.name for u in users.all_users(ctx.session)[:10])
        raise NotFound(
            _("No Puente user {name!r}. Known users: {value}.").format(name=name, value=known or _("none yet"))
        )
    if ticket.owner_id == owner.id:
        raise InvalidInput(
            _("{reference} is already assigned to {name}.").format(reference=ticket.reference, name=owner.name)
        )
    before = snapshot(ticket)
    ticket.owner_id = owner.id
    touch(ctx, ticket, "assigned", Phrase(N_("to {name}"), {"name": owner.name}), before)
    return ticket


def add_observables(
    ctx: Context,
    ticket: Ticket | str,
    found: list[Observable],
    seen_at: Mapping[Observable, datetime] | None = None,
    *,
    check_role: bool = True,
) -> tuple[Ticket, list[Observable]]:
    """Add observables; ones already on the ticket are skipped. Returns the ones actually added.

    `seen_at` dates observables known from elsewhere (an imported indicator's valid_from); others are dated now.
    A peer's shared incident brings its observables with no person acting (`check_role=False`).
    """
    if check_role:
        require_role(ctx, Role.ANALYST, _("adding observables"))
    if isinstance(ticket, str):
        ticket = get(ctx, ticket)
    if not found:
        raise InvalidInput(_("No observables given: /incident ioc INC-… 198.51.100.7 evil[.]example …"))
    assert ticket.id is not None
    wanted = list(dict.fromkeys(found))
    existing = ticket_store.observables_present(ctx.session, ticket.id, ((o.kind.value, o.value) for o in wanted))
    added = [o for o in wanted if (o.kind.value, o.value) not in existing]
    _record_observables(ctx, ticket, added, seen_at)
    return ticket, added


def _record_observables(
    ctx: Context, ticket: Ticket, added: list[Observable], seen_at: Mapping[Observable, datetime] | None = None
) -> None:
    assert ticket.id is not None, "the ticket is flushed before its observables"
    now = ctx.now()
    rows = [
        {
            "ticket_id": ticket.id,
            "kind": observable.kind.value,
            "value": observable.value,
            "added_at": (seen_at or {}).get(observable, now),
            "added_by_id": ctx.actor.id if ctx.actor else None,
        }
        for observable in added
    ]
    ticket_store.add_observables(ctx.session, rows)
    if added:
        before = snapshot(ticket)
        shown = ", ".join(f"{o.kind.value} {o.value}" for o in added[:20])
        more = len(added) - 20
        summary = (
            Phrase(N_("{observables} and {count} more"), {"observables": shown, "count": str(more)})
            if more > 0
            else shown
        )
        touch(ctx, ticket, "observables-added", summary, before)


def history(ctx: Context, reference: str) -> tuple[Ticket, list[Entry]]:
    """A ticket's audit timeline, in the order things happened."""
    ticket = get(ctx, reference)
    check_readable(ctx, ticket, "reading a timeline")
    assert ticket.id is not None
    return ticket, [Entry.of(event) for event in timeline.for_ticket(ctx.session, ticket.id)]
