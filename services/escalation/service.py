"""Pages as the domain sees them: raising one (for a severity, an escalation from chat, a peer's request for
assistance, a missed ACK, a regulatory deadline), acknowledging and cancelling, and the policies in force.

A page's state is its row (storage.pages): the next step and when it fires. Firing the steps and sending
the page messages is the `escalation` worker's job (scheduled.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from puente import i18n
from puente.i18n import N_, Moment, Phrase, Words, _, in_english
from puente.services.context import Context, Runtime, worded
from puente.services.errors import Conflict, NotFound
from puente.services.escalation import policies as escalation_policy
from puente.services.escalation import regulatory
from puente.services.escalation.policies import Policy
from puente.services.users.service import require_role
from puente.services.vocabularies import words
from puente.services.vocabularies.taxonomy import Severity
from puente.storage import clocks as clock_store
from puente.storage import pages as page_store
from puente.storage.models import Role, Ticket, TicketStatus
from puente.storage.pages import DeliveryPurpose, DeliveryStatus, Page, PageDelivery, PageStatus

PAGING_SEVERITIES = (Severity.HIGH, Severity.CRITICAL)
CLOSED_STATUSES = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
SUMMARY_LENGTH = 4000


class PageKind:
    SEVERITY = "severity"
    ESCALATE = "escalate"
    ASSISTANCE = "assistance"
    MISSED_ACK = "missed-ack"
    PEER_ESCALATED = "peer-escalated"  # a peer's ESCALATE: it got no ACK from us even after re-sending
    DEADLINE = "deadline"
    EARLY_WARNING = "early-warning"
    STALE = "stale"  # no update for longer than the ticket's severity allows
    NOTICE = "notice"  # tells someone something; nothing to acknowledge


def request_key(request_id: str) -> str:
    """The key of the pages one assistance request raised, so what ends the request can stop them."""
    return f"request:{request_id}"


def policies_in_force(ctx: Context) -> escalation_policy.Policies:
    return escalation_policy.load_policies(ctx.settings.escalation_policies)


def check_policies(runtime: Runtime, platforms: Collection[str]) -> escalation_policy.Policies:
    """Load the configured policies now, so a bad file stops start-up (raises PolicyError).

    `platforms` are the chat platforms this Puente has adapters for: a channel address on any
    other (a misspelt `slak = "C…"`) would never be paged, so it is refused too.
    """
    policies = escalation_policy.load_policies(runtime.settings.escalation_policies)
    for name, channel in policies.channels.items():
        unknown = sorted(set(channel.addresses) - set(platforms))
        if unknown:
            raise escalation_policy.PolicyError(
                _(
                    "{escalation_policies}: [channels.{name}] has an address on {value}, a chat platform this "
                    "Puente has no adapter for (use {value2})"
                ).format(
                    escalation_policies=runtime.settings.escalation_policies,
                    name=name,
                    value=", ".join(unknown),
                    value2=", ".join(sorted(platforms)),
                )
            )
    return policies


# -- raising pages -------------------------------------------------------------------------------


def _step_snapshot(ctx: Context, policy: Policy) -> list[dict[str, object]]:
    channels = policies_in_force(ctx).channels
    snapshot: list[dict[str, object]] = []
    for step in policy.steps:
        kind, name = step.target
        entry: dict[str, object] = {"target": kind, "name": name, "wait_minutes": step.wait_minutes}
        if kind == "channel":
            entry["addresses"] = dict(channels[name].addresses)
        snapshot.append(entry)
    return snapshot


def raise_page(
    ctx: Context,
    ticket: Ticket | None,
    kind: str,
    summary: str | Phrase,
    *,
    policy_name: str | None = None,
    policy: Policy | None = None,
    key: str | None = None,
    fire_at: datetime | None = None,
) -> Page:
    """Start a chain for `ticket` (none for a page about several) with the policy of its severity (or the
    one given). Step 1 fires at `fire_at` (now). A `Phrase` reads in each recipient's language; the
    timeline records it in English."""
    now = ctx.now()
    name = policy_name or (ticket.severity if ticket else Severity.CRITICAL.value)
    policy = policy or policies_in_force(ctx).for_severity(name)
    page = Page(
        ticket_id=ticket.id if ticket else None,
        kind=kind,
        key=key,
        policy=name,
        summary=in_english(summary).strip()[:SUMMARY_LENGTH],
        wording=summary.stored() if isinstance(summary, Phrase) else None,
        steps=_step_snapshot(ctx, policy),
        repeat=policy.repeat,
        next_fire_at=fire_at or now,
        raised_by=ctx.who,
        created_at=now,
    )
    ctx.session.add(page)
    if _is_scheduled_reminder(page) or kind == PageKind.NOTICE:
        # A reminder is on the timeline once it fires (every ticket has these, the "opened" entry explains
        # them); a notice repeats what the timeline already says.
        return page
    ctx.session.flush()  # the timeline names the page by its id
    first: i18n.Value = ""
    if page.next_fire_at is not None and page.next_fire_at != now:
        first = Phrase(N_(", first step at {moment}"), {"moment": Moment(page.next_fire_at, year=True)})
    ctx.record(
        at=now,
        action="paged",
        ticket_id=page.ticket_id,
        summary=Phrase(
            N_("page {page} ({policy} policy{first}): {summary}"),
            {"page": page.reference, "policy": _policy_name(name), "first": first, "summary": summary},
        ),
    )
    return page


def _is_scheduled_reminder(page: Page) -> bool:
    return page.kind == PageKind.DEADLINE and page.next_step == 0


def pages_on_its_own(ctx: Context, severity: Severity, countries: list[str]) -> bool:
    """High and critical tickets page; so does a cross-border one (a country other than ours) from the
    severity the policy file names (medium unless it says otherwise)."""
    if severity in PAGING_SEVERITIES:
        return True
    cross_border = any(country != ctx.settings.csirt_country for country in countries)
    return cross_border and severity.rank >= policies_in_force(ctx).paging.cross_border_from.rank


def page_for_severity(
    ctx: Context, ticket: Ticket, previous: Severity | None = None, previous_countries: list[str] | None = None
) -> Page | None:
    """A ticket opened as, or changed into, one that pages on its own (its severity, or cross-border) pages
    the on-call: raised to a worse severity, or newly crossing a border. A page already running for an
    equal or worse severity is enough, a lesser one is replaced."""
    severity = Severity(ticket.severity)
    if not pages_on_its_own(ctx, severity, ticket.countries):
        return None
    if previous is not None:
        paged_before = pages_on_its_own(
            ctx, previous, ticket.countries if previous_countries is None else previous_countries
        )
        if paged_before and previous.rank >= severity.rank:
            return None
    if ticket.status in CLOSED_STATUSES:
        return None
    assert ticket.id is not None
    for page in page_store.open_pages(ctx.session, ticket_id=ticket.id):
        if page.kind != PageKind.SEVERITY:
            continue
        if Severity(page.policy).rank >= severity.rank:
            return None
        superseded: dict[str, i18n.Value] = {
            "reference": ticket.reference,
            "severity": Words("severity", (severity.value,)),
        }
        _stop(ctx, page, PageStatus.CANCELLED, Phrase(N_("superseded: {reference} is now {severity}"), superseded))
    return raise_page(ctx, ticket, PageKind.SEVERITY, _severity_summary(ctx, ticket))


def _policy_name(name: str) -> i18n.Value:
    """A policy as the timeline names it: the severity it is for, in the reader's words, or its own name."""
    return Words("severity", (name,)) if name in {s.value for s in Severity} else name


def _severity_summary(ctx: Context, ticket: Ticket) -> Phrase:
    others = [country for country in ticket.countries if country != ctx.settings.csirt_country]
    where = Phrase(N_(" (cross-border: {countries})"), {"countries": ", ".join(others)}) if others else ""
    return Phrase(
        N_("{severity} ticket: {title}{where}"),
        {"severity": Words("severity", (ticket.severity,)), "title": ticket.title, "where": where},
    )


@dataclass(frozen=True, slots=True)
class PageView:
    """A page with the reference of its ticket, as chat replies show it."""

    page: Page
    ticket_reference: str | None


def escalate(ctx: Context, ticket: Ticket, reason: str = "") -> PageView:
    """`/incident escalate`: page the on-call for a ticket by the policy of its severity."""
    actor = require_role(ctx, Role.ONCALL, _("escalating a ticket"))
    if ticket.status in CLOSED_STATUSES:
        raise Conflict(
            _("{reference} is {status}; reopen it before escalating (/incident reopen {reference}).").format(
                reference=ticket.reference, status=words.status(ticket.status)
            )
        )
    said: str | Phrase = reason.strip() or Phrase(
        N_("escalated by {name}: {title}"), {"name": actor.name, "title": ticket.title}
    )
    page = raise_page(ctx, ticket, PageKind.ESCALATE, said)
    return PageView(page, ticket.reference)


def page_for_early_warning(ctx: Context, ticket: Ticket, summary: Phrase) -> Page:
    """A peer's early warning (NOTIFY): page the on-call by the policy of the ticket's severity, whatever it is."""
    return raise_page(ctx, ticket, PageKind.EARLY_WARNING, Phrase(N_("early warning: {summary}"), {"summary": summary}))


def on_ticket_opened(ctx: Context, ticket: Ticket) -> None:
    """A brand-new ticket has no pages yet: raise what it needs without looking for earlier ones."""
    if pages_on_its_own(ctx, Severity(ticket.severity), ticket.countries) and ticket.status not in CLOSED_STATUSES:
        raise_page(ctx, ticket, PageKind.SEVERITY, _severity_summary(ctx, ticket))
    _remind_deadlines(ctx, ticket, taken=set())


def schedule_deadline_reminders(ctx: Context, ticket: Ticket) -> list[Page]:
    """One reminder page per regulatory clock not filed yet, to the ticket's owner; never twice for one clock."""
    assert ticket.id is not None
    taken = {
        p.key
        for p in page_store.pages_of_ticket(ctx.session, ticket.id, [PageKind.DEADLINE])
        if p.status != PageStatus.CANCELLED
    }
    return _remind_deadlines(ctx, ticket, taken)


def clocks_of(ctx: Context, ticket: Ticket) -> list[regulatory.Clock]:
    """The ticket's regulatory clocks, by the clock set of its countries and sectors, with what was filed."""
    filings = clock_store.of_ticket(ctx.session, ticket.id) if ticket.id is not None else {}
    return regulatory.clocks(ctx.settings.regulatory_clocks, ticket, filings)


def _remind_deadlines(ctx: Context, ticket: Ticket, taken: set[str | None]) -> list[Page]:
    # Nobody owns a ticket a peer opened: its leads hear of the clocks until someone takes it.
    policy = regulatory.REMINDER_POLICY if ticket.owner_id else regulatory.REMINDER_TO_LEADS
    return [
        raise_page(
            ctx,
            ticket,
            PageKind.DEADLINE,
            reminder.summary,
            policy_name="deadline",
            policy=policy,
            key=reminder.key,
            fire_at=reminder.fire_at,
        )
        for reminder in regulatory.reminders_ahead(clocks_of(ctx, ticket), ticket, ctx.now(), taken)
    ]


# -- stopping pages ------------------------------------------------------------------------------


def _stop(ctx: Context, page: Page, status: PageStatus, outcome: i18n.Value, by: str | None = None) -> None:
    """End the chain; pages not yet sent are dropped and the messages already delivered are updated."""
    now = ctx.now()
    page.status = status.value
    page.next_fire_at = None
    page.finished_at = now
    ended = worded(outcome)
    page.outcome, page.outcome_wording = ended["summary"], ended["wording"]
    page.acknowledged_by = by
    ctx.session.add(page)
    assert page.id is not None
    for delivery in page_store.deliveries(ctx.session, page.id, purpose=DeliveryPurpose.PAGE.value):
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.CANCELLED.value
            ctx.session.add(delivery)
        elif delivery.status == DeliveryStatus.SENT:
            queue_update(ctx, delivery, now)
        # An unconfirmed one is left to the worker: it looks for it where the platform can, to update it.
    if _is_scheduled_reminder(page):
        return
    action = "page-acknowledged" if status == PageStatus.ACKNOWLEDGED else "page-cancelled"
    ctx.record(
        at=now,
        action=action,
        ticket_id=page.ticket_id,
        summary=Phrase(N_("page {page}: {outcome}"), {"page": page.reference, "outcome": outcome}),
    )


def outcome_of(page: Page) -> i18n.Value:
    """How a page ended, as its reader reads it (English for pages that ended before outcomes were worded)."""
    return i18n.restored(page.outcome_wording) if page.outcome_wording is not None else page.outcome or ""


def queue_update(ctx: Context, delivered: PageDelivery, now: datetime) -> None:
    """Queue the update of a page message already delivered (the page was taken or stopped)."""
    ctx.session.add(
        PageDelivery(
            page_id=delivered.page_id,
            step=delivered.step,
            purpose=DeliveryPurpose.UPDATE.value,
            platform=delivered.platform,
            recipient=delivered.recipient,
            address=delivered.address,
            handle=delivered.handle,
            due_at=now,
            fire_due_at=now,
        )
    )


def parse_page_reference(text: str) -> int | None:
    """P12, p12, page12, #12 or 12 -> 12; anything else (e.g. INC-…) -> None."""
    digits = text.strip().lower().removeprefix("page").removeprefix("p").removeprefix("#").strip("-")
    return int(digits) if digits.isdigit() else None


def acknowledge(ctx: Context, target: Ticket | int | None = None) -> list[PageView]:
    """Stop the open pages of a ticket, one page (by its number, P12 -> 12), or without a target those
    that paged the actor. Returns the pages stopped, maybe none; everyone paged is told who took it."""
    actor = require_role(ctx, Role.ONCALL, _("acknowledging a page"))
    if target is None:
        found = page_store.open_pages_reaching(ctx.session, actor.name)
    elif isinstance(target, int):
        page_id = target
        found = page_store.open_pages(ctx.session, page_id=page_id)
        if not found:
            page = ctx.session.get(Page, page_id)
            if page is None:
                raise NotFound(_("No page P{page_id}.").format(page_id=page_id))
            raise Conflict(
                _("Page P{page_id} is already over: {value}")
                .format(page_id=page_id, value=outcome_of(page))
                .rstrip(": ")
            )
    else:
        assert target.id is not None
        # Every page from the moment it exists, first step fired or not; but a regulatory reminder still
        # ahead is not silenced by taking the ticket.
        found = [p for p in page_store.open_pages(ctx.session, ticket_id=target.id) if not _is_scheduled_reminder(p)]
    outcome = Phrase(N_("taken by {name} at {moment}"), {"name": actor.name, "moment": Moment(ctx.now())})
    stopped = []
    for page in found:
        _stop(ctx, page, PageStatus.ACKNOWLEDGED, outcome, by=actor.name)
        of = ctx.session.get(Ticket, page.ticket_id) if page.ticket_id else None
        stopped.append(PageView(page, of.reference if of else None))
    return stopped


def stop_request_pages(ctx: Context, ticket_id: int, request_id: str, reason: i18n.Value) -> list[Page]:
    """Stop the pages an assistance request raised (the request was answered, declined, cancelled or closed)."""
    found = [p for p in page_store.open_pages(ctx.session, ticket_id=ticket_id) if p.key == request_key(request_id)]
    for page in found:
        _stop(ctx, page, PageStatus.CANCELLED, reason)
    return found


def cancel_pages_with_key(ctx: Context, ticket: Ticket, kind: str, key: str, reason: i18n.Value) -> list[Page]:
    """Stop the ticket's open pages of one kind and key (a regulatory reminder once the stage is filed)."""
    assert ticket.id is not None
    found = [p for p in page_store.open_pages(ctx.session, ticket_id=ticket.id) if p.kind == kind and p.key == key]
    for page in found:
        _stop(ctx, page, PageStatus.CANCELLED, reason)
    return found


def cancel_pages(ctx: Context, ticket: Ticket, reason: i18n.Value) -> list[Page]:
    """Stop every open page of the ticket (it was resolved or closed)."""
    assert ticket.id is not None
    found = page_store.open_pages(ctx.session, ticket_id=ticket.id)
    for page in found:
        _stop(ctx, page, PageStatus.CANCELLED, reason)
    return found


def open_pages(ctx: Context, ticket: Ticket) -> list[Page]:
    assert ticket.id is not None
    return page_store.open_pages(ctx.session, ticket_id=ticket.id)
