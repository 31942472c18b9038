"""Escalation: raising pages, firing their steps on time, acknowledging and cancelling them.

A page's state is its row (storage.pages): the next step and when it fires. `tick` is the timer
worker: it claims due pages (SKIP LOCKED, so replicas share the work and fire each step once),
writes the step's deliveries in the same transaction, then sends the deliveries outside any
transaction. A delivery that keeps failing makes the next step fire early rather than waiting.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from puente.services.context import Context, Runtime
from puente.services.errors import Conflict, NotFound
from puente.services.escalation import policies as escalation_policy
from puente.services.escalation import rotations as oncall
from puente.services.escalation.policies import ALL_ROTATIONS, Policy
from puente.services.notify import Action, DeliveryError, Notice, Notifier, Recipient
from puente.services.users.service import as_recipients, require_role
from puente.services.vocabularies.taxonomy import Severity
from puente.storage import oncall as oncall_store
from puente.storage import pages as page_store
from puente.storage import tickets as ticket_store
from puente.storage import timeline, users
from puente.storage.models import Role, Ticket, TicketStatus, User
from puente.storage.pages import DeliveryPurpose, DeliveryStatus, Page, PageDelivery, PageStatus

log = logging.getLogger(__name__)

BATCH = 500
# A claimed delivery is someone else's to retry only after this long (the sender died mid-send).
LEASE = timedelta(seconds=60)
# Waits between attempts at one delivery; after the last, it has failed.
RETRY_DELAYS = (timedelta(seconds=15), timedelta(seconds=45))
# Pages raised by another process are noticed within this many seconds.
POLL_SECONDS = 1.0
PAGING_SEVERITIES = (Severity.HIGH, Severity.CRITICAL)
CLOSED_STATUSES = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


class PageKind:
    SEVERITY = "severity"
    ESCALATE = "escalate"
    ASSISTANCE = "assistance"
    MISSED_ACK = "missed-ack"
    DEADLINE = "deadline"


@dataclass(frozen=True, slots=True)
class RegulatoryDeadline:
    key: str
    name: str
    after_awareness: str
    remind_before: timedelta


# NIS2-style clocks from the time of awareness; the owner is reminded once, shortly before each.
REGULATORY_DEADLINES = (
    RegulatoryDeadline("24h", "early warning", "24 h", timedelta(hours=2)),
    RegulatoryDeadline("72h", "incident notification", "72 h", timedelta(hours=2)),
    RegulatoryDeadline("1m", "final report", "1 month", timedelta(days=1)),
)


def policies_in_force(ctx: Context) -> escalation_policy.Policies:
    return escalation_policy.load_policies(ctx.settings.escalation_policies)


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
    ticket: Ticket,
    kind: str,
    summary: str,
    *,
    policy_name: str | None = None,
    policy: Policy | None = None,
    key: str | None = None,
    fire_at: datetime | None = None,
) -> Page:
    """Start a chain for `ticket` with the policy of its severity (or the one given).

    Step 1 fires at `fire_at` (now).
    """
    now = ctx.now()
    name = policy_name or ticket.severity
    policy = policy or policies_in_force(ctx).for_severity(name)
    page = Page(
        ticket_id=ticket.id,
        kind=kind,
        key=key,
        policy=name,
        summary=summary.strip()[:500],
        steps=_step_snapshot(ctx, policy),
        repeat=policy.repeat,
        next_fire_at=fire_at or now,
        raised_by=ctx.who,
        created_at=now,
    )
    ctx.session.add(page)
    if _is_scheduled_reminder(page):
        return page  # on the timeline once it fires: every ticket has these, the "opened" entry explains them
    ctx.session.flush()  # the timeline names the page by its id
    when = "" if page.next_fire_at == now else f", first step at {page.next_fire_at:%Y-%m-%d %H:%M} UTC"
    timeline.record(
        ctx.session,
        at=now,
        actor=ctx.who,
        action="paged",
        ticket_id=ticket.id,
        summary=f"page {page.reference} ({kind}, {name} policy{when}): {page.summary}",
    )
    return page


def _is_scheduled_reminder(page: Page) -> bool:
    return page.kind == PageKind.DEADLINE and page.next_step == 0


def page_for_severity(ctx: Context, ticket: Ticket, previous: Severity | None = None) -> Page | None:
    """A ticket opened as, or raised to, high or critical pages the on-call; a page already running for
    an equal or worse severity is enough, a lesser one is replaced."""
    severity = Severity(ticket.severity)
    if severity not in PAGING_SEVERITIES or (previous is not None and previous.rank >= severity.rank):
        return None
    if ticket.status in CLOSED_STATUSES:
        return None
    assert ticket.id is not None
    for page in page_store.open_pages(ctx.session, ticket_id=ticket.id):
        if page.kind != PageKind.SEVERITY:
            continue
        if Severity(page.policy).rank >= severity.rank:
            return None
        _stop(ctx, page, PageStatus.CANCELLED, f"superseded: {ticket.reference} is now {severity.value}")
    return raise_page(ctx, ticket, PageKind.SEVERITY, f"{severity.value} ticket: {ticket.title}")


@dataclass(frozen=True, slots=True)
class PageView:
    """A page with the reference of its ticket, as chat replies show it."""

    page: Page
    ticket_reference: str | None


def escalate(ctx: Context, ticket: Ticket, reason: str = "") -> PageView:
    """`/incident escalate`: page the on-call for a ticket by the policy of its severity."""
    actor = require_role(ctx, Role.ONCALL, "escalating a ticket")
    if ticket.status in CLOSED_STATUSES:
        raise Conflict(
            f"{ticket.reference} is {ticket.status}; reopen it before escalating (/incident reopen {ticket.reference})."
        )
    page = raise_page(ctx, ticket, PageKind.ESCALATE, reason.strip() or f"escalated by {actor.name}: {ticket.title}")
    return PageView(page, ticket.reference)


def page_for_assistance_request(ctx: Context, ticket: Ticket, summary: str) -> Page:
    """An incoming request for assistance: page the on-call by the policy of the ticket's severity."""
    return raise_page(ctx, ticket, PageKind.ASSISTANCE, f"request for assistance: {summary}")


def page_for_missed_ack(ctx: Context, ticket: Ticket, peer_name: str, summary: str) -> Page:
    """A peer did not acknowledge our request in time: page the on-call by the ticket's severity policy."""
    return raise_page(ctx, ticket, PageKind.MISSED_ACK, f"{peer_name} missed the ACK deadline: {summary}")


def _add_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def deadline_of(ticket: Ticket, deadline: RegulatoryDeadline) -> datetime:
    aware = ticket.aware_at
    return {"24h": aware + timedelta(hours=24), "72h": aware + timedelta(hours=72), "1m": _add_month(aware)}[
        deadline.key
    ]


def on_ticket_opened(ctx: Context, ticket: Ticket) -> None:
    """A brand-new ticket has no pages yet: raise what it needs without looking for earlier ones."""
    severity = Severity(ticket.severity)
    if severity in PAGING_SEVERITIES and ticket.status not in CLOSED_STATUSES:
        raise_page(ctx, ticket, PageKind.SEVERITY, f"{severity.value} ticket: {ticket.title}")
    _remind_deadlines(ctx, ticket, taken=set())


def schedule_deadline_reminders(ctx: Context, ticket: Ticket) -> list[Page]:
    """One reminder page per regulatory deadline still ahead, to the ticket's owner; never twice for one deadline."""
    assert ticket.id is not None
    taken = {
        p.key
        for p in page_store.pages_of_ticket(ctx.session, ticket.id, [PageKind.DEADLINE])
        if p.status != PageStatus.CANCELLED
    }
    return _remind_deadlines(ctx, ticket, taken)


def _remind_deadlines(ctx: Context, ticket: Ticket, taken: set[str | None]) -> list[Page]:
    now = ctx.now()
    reminder = Policy(repeat=1, steps=escalation_policy.make_steps(("owner", True, 0)))
    raised = []
    for deadline in REGULATORY_DEADLINES:
        due = deadline_of(ticket, deadline)
        key = f"deadline:{deadline.key}"
        if due <= now or key in taken:
            continue
        summary = (
            f"{deadline.name} due {due:%Y-%m-%d %H:%M} UTC ({deadline.after_awareness} after awareness"
            f" at {ticket.aware_at:%Y-%m-%d %H:%M} UTC)"
        )
        raised.append(
            raise_page(
                ctx,
                ticket,
                PageKind.DEADLINE,
                summary,
                policy_name="deadline",
                policy=reminder,
                key=key,
                fire_at=max(now, due - deadline.remind_before),
            )
        )
    return raised


# -- stopping pages ------------------------------------------------------------------------------


def _stop(ctx: Context, page: Page, status: PageStatus, outcome: str, by: str | None = None) -> None:
    """End the chain; pages not yet sent are dropped and the messages already delivered are updated."""
    now = ctx.now()
    page.status = status.value
    page.next_fire_at = None
    page.finished_at = now
    page.outcome = outcome
    page.acknowledged_by = by
    ctx.session.add(page)
    assert page.id is not None
    for delivery in page_store.deliveries(ctx.session, page.id, purpose=DeliveryPurpose.PAGE.value):
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.CANCELLED.value
            ctx.session.add(delivery)
        elif delivery.status == DeliveryStatus.SENT:
            _queue_update(ctx, delivery, now)
    if _is_scheduled_reminder(page):
        return
    action = "page-acknowledged" if status == PageStatus.ACKNOWLEDGED else "page-cancelled"
    timeline.record(
        ctx.session,
        at=now,
        actor=ctx.who,
        action=action,
        ticket_id=page.ticket_id,
        summary=f"page {page.reference}: {outcome}",
    )


def _queue_update(ctx: Context, delivered: PageDelivery, now: datetime) -> None:
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
    actor = require_role(ctx, Role.ONCALL, "acknowledging a page")
    if target is None:
        found = page_store.open_pages_reaching(ctx.session, actor.name)
    elif isinstance(target, int):
        page_id = target
        found = page_store.open_pages(ctx.session, page_id=page_id)
        if not found:
            page = ctx.session.get(Page, page_id)
            if page is None:
                raise NotFound(f"No page P{page_id}.")
            raise Conflict(f"Page P{page_id} is already {page.status}: {page.outcome or ''}".rstrip(": "))
    else:
        assert target.id is not None
        # Only what is paging now: a regulatory reminder still ahead is not silenced by taking the ticket.
        found = [p for p in page_store.open_pages(ctx.session, ticket_id=target.id) if p.next_step > 0]
    outcome = f"taken by {actor.name} at {ctx.now():%H:%M} UTC"
    stopped = []
    for page in found:
        _stop(ctx, page, PageStatus.ACKNOWLEDGED, outcome, by=actor.name)
        of = ctx.session.get(Ticket, page.ticket_id) if page.ticket_id else None
        stopped.append(PageView(page, of.reference if of else None))
    return stopped


def cancel_pages(ctx: Context, ticket: Ticket, reason: str) -> list[Page]:
    """Stop every open page of the ticket (it was resolved or closed)."""
    assert ticket.id is not None
    found = page_store.open_pages(ctx.session, ticket_id=ticket.id)
    for page in found:
        _stop(ctx, page, PageStatus.CANCELLED, reason)
    return found


def open_pages(ctx: Context, ticket: Ticket) -> list[Page]:
    assert ticket.id is not None
    return page_store.open_pages(ctx.session, ticket_id=ticket.id)


# -- firing steps --------------------------------------------------------------------------------


def _recipients(ctx: Context, page: Page, step: dict[str, object]) -> list[Recipient]:
    kind, name = str(step["target"]), str(step["name"])
    found: list[User | None] = []
    if kind == "channel":
        return [Recipient(f"#{name}", cast(dict[str, str], step["addresses"]))]
    if kind == "rotation":
        names = [r.name for r in oncall_store.all_rotations(ctx.session)] if name == ALL_ROTATIONS else [name]
        found = [oncall.on_call(ctx, rotation) for rotation in names]
    elif kind == "user":
        found = [users.by_name(ctx.session, name)]
    elif kind == "role":
        found = list(users.by_role(ctx.session, [r.value for r in Role if r.allows(Role(name))]))
    elif kind == "owner":
        ticket = ctx.session.get(Ticket, page.ticket_id) if page.ticket_id else None
        found = [ctx.session.get(User, ticket.owner_id) if ticket and ticket.owner_id else None]
    unique = {user.name: user for user in found if user is not None}
    return as_recipients(ctx, unique.values())


RecipientCache = dict[tuple[object, ...], list[Recipient]]


@dataclass
class _Firing:
    """What firing a batch of steps writes, gathered so it goes to the database in a few statements."""

    now: datetime
    known: RecipientCache
    deliveries: list[dict[str, object]]
    events: list[dict[str, object]]


def _fire(ctx: Context, page: Page, firing: _Firing) -> None:
    now = firing.now
    due = page.next_fire_at or now
    index = page.next_step
    step = page.steps[index % len(page.steps)]
    reached: list[str] = []
    # Within one batch, the on-call of a rotation (and a user, a role) is the same for every page.
    target = (step["target"], step["name"], page.ticket_id if step["target"] == "owner" else None)
    if target not in firing.known:
        firing.known[target] = _recipients(ctx, page, step)
    for recipient in firing.known[target]:
        for notifier in ctx.runtime.notifiers:
            if notifier.can_reach(recipient):
                firing.deliveries.append(
                    {
                        "page_id": page.id,
                        "step": index,
                        "purpose": DeliveryPurpose.PAGE.value,
                        "platform": notifier.platform,
                        "recipient": recipient.name,
                        "address": recipient.address_on(notifier.platform),
                        "status": DeliveryStatus.PENDING.value,
                        "due_at": now,
                        "fire_due_at": due,
                        "attempts": 0,
                    }
                )
                reached.append(f"{recipient.name} ({notifier.platform})")
    page.next_step = index + 1
    wait = timedelta(minutes=int(str(step["wait_minutes"])))
    if page.next_step >= page.total_steps:
        page.status = PageStatus.EXHAUSTED.value
        page.next_fire_at = None
    elif not reached:
        page.next_fire_at = now  # nobody to wait for: go straight on
    else:
        # Keep to the schedule unless the worker was down so long that it would fire steps back to back.
        page.next_fire_at = due + wait if due + wait > now else now + wait
    what = ", ".join(reached) or f"nobody reachable ({_target_text(step)})"
    firing.events.append(
        {
            "at": now,
            "actor": "escalation",
            "action": "page-step",
            "ticket_id": page.ticket_id,
            "summary": f"page {page.reference} {_step_text(page, index)}: {what}",
        }
    )


def _target_text(step: dict[str, object]) -> str:
    kind, name = step["target"], step["name"]
    if kind == "rotation":
        return "the on-call of every rotation" if name == ALL_ROTATIONS else f"the on-call of rotation {name}"
    return {"owner": "the ticket's owner", "role": f"every {name}", "channel": f"#{name}"}.get(str(kind), str(name))


def describe_step(page: Page, index: int) -> str:
    """ "the on-call of rotation primary (step 1 of 2, round 1 of 3)"."""
    return f"{_target_text(page.steps[index % len(page.steps)])} ({_step_text(page, index)})"


def _step_text(page: Page, index: int) -> str:
    count = len(page.steps)
    text = f"step {index % count + 1} of {count}"
    return text + (f", round {index // count + 1} of {page.repeat}" if page.repeat > 1 else "")


def fire_due_steps(runtime: Runtime, limit: int = BATCH) -> int:
    """Fire the steps that are due; returns how many fired."""
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        now = ctx.now()
        due = page_store.claim_due_pages(ctx.session, now, limit)
        if not due:
            return 0
        firing = _Firing(now, {}, [], [])
        with ctx.session.no_autoflush:
            for page in due:
                _fire(ctx, page, firing)
        page_store.add_deliveries(ctx.session, firing.deliveries)
        timeline.record_many(ctx.session, firing.events)
        return len(due)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    delivery_id: int
    platform: str
    recipient: Recipient
    purpose: str
    handle: str | None
    notice: Notice


def page_notice(page: Page, ticket: Ticket | None, step: int) -> Notice:
    reference = ticket.reference if ticket else None
    kinds = {
        PageKind.SEVERITY: "new high-severity ticket",
        PageKind.ESCALATE: "escalated from chat",
        PageKind.ASSISTANCE: "incoming request for assistance",
        PageKind.MISSED_ACK: "peer missed ACK deadline",
        PageKind.DEADLINE: "regulatory deadline",
    }
    fields = [("Why", kinds.get(page.kind, page.kind))]
    if ticket is not None:
        fields += [("Ticket", f"{ticket.reference} {ticket.title}"), ("Severity", ticket.severity)]
    fields.append(("Step", _step_text(page, step)))
    headline = f"Page {page.reference}" + (f" for {reference}" if reference else "") + f": {page.summary}"
    return Notice(headline, tuple(fields), (Action("Acknowledge", f"ack {page.reference}", "primary"),), reference)


def _update_notice(ctx: Context, page: Page, ticket: Ticket | None, recipient: str) -> Notice:
    outcome = page.outcome or page.status
    if page.acknowledged_by and page.finished_at:
        # Say when in the reader's own time zone when we know it.
        person = users.by_name(ctx.session, recipient)
        zone = ZoneInfo(person.timezone) if person and person.timezone else UTC
        local = page.finished_at.astimezone(zone)
        outcome = f"taken by {page.acknowledged_by} at {local:%H:%M} {local.tzname()}"
    reference = ticket.reference if ticket else None
    headline = f"Page {page.reference}" + (f" for {reference}" if reference else "") + f": {outcome}."
    return Notice(headline, (("Was", page.summary),), (), reference)


def _claim_deliveries(runtime: Runtime, limit: int) -> list[_Outgoing]:
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        now = ctx.now()
        claimed = page_store.claim_due_deliveries(ctx.session, now, limit)
        if not claimed:
            return []
        found = page_store.pages_by_id(ctx.session, {d.page_id for d in claimed})
        tickets_by_id = ticket_store.by_ids(ctx.session, {p.ticket_id for p in found.values() if p.ticket_id})
        outgoing = []
        for delivery in claimed:
            delivery.attempts += 1
            delivery.due_at = now + LEASE
            ctx.session.add(delivery)
            page = found[delivery.page_id]
            ticket = tickets_by_id.get(page.ticket_id) if page.ticket_id else None
            if delivery.purpose == DeliveryPurpose.UPDATE:
                notice = _update_notice(ctx, page, ticket, delivery.recipient)
            else:
                notice = page_notice(page, ticket, delivery.step)
            recipient = Recipient.at(delivery.recipient, delivery.platform, delivery.address)
            outgoing.append(
                _Outgoing(delivery.id or 0, delivery.platform, recipient, delivery.purpose, delivery.handle, notice)
            )
        return outgoing


def _send(notifiers: dict[str, Notifier], item: _Outgoing) -> tuple[str | None, str | None]:
    """(handle, None) when delivered, (None, reason) when not."""
    notifier = notifiers.get(item.platform)
    if notifier is None:
        return None, f"no {item.platform} notifier in this process"
    try:
        if item.purpose == DeliveryPurpose.UPDATE:
            notifier.update(item.recipient, item.handle or "", item.notice)
            return item.handle or "", None
        return notifier.send(item.recipient, item.notice), None
    except DeliveryError as error:
        return None, str(error) or type(error).__name__
    except Exception as error:  # a broken adapter must not stop the chain; it is retried like a refusal
        log.exception("%s notifier failed", item.platform)
        return None, f"{type(error).__name__}: {error}"


def _record_outcomes(runtime: Runtime, results: list[tuple[_Outgoing, str | None, str | None]]) -> None:
    with runtime.unit_of_work(actor_name="escalation") as ctx, ctx.session.no_autoflush:
        now = ctx.now()
        by_id = page_store.deliveries_by_id(ctx.session, {item.delivery_id for item, _, _ in results})
        found = page_store.pages_by_id(ctx.session, {d.page_id for d in by_id.values()})
        for item, handle, error in results:
            delivery = by_id[item.delivery_id]
            page = found[delivery.page_id]
            if error is None:
                delivery.status = DeliveryStatus.SENT.value
                delivery.handle, delivery.sent_at, delivery.error = handle, now, None
                ctx.session.add(delivery)
                if delivery.purpose == DeliveryPurpose.PAGE and page.status not in page_store.OPEN_PAGE_STATUSES:
                    _queue_update(ctx, delivery, now)  # stopped while this was on its way
                continue
            delivery.error = error[:1000]
            if delivery.attempts <= len(RETRY_DELAYS):
                delivery.due_at = now + RETRY_DELAYS[delivery.attempts - 1]
                ctx.session.add(delivery)
                continue
            delivery.status = DeliveryStatus.FAILED.value
            ctx.session.add(delivery)
            timeline.record(
                ctx.session,
                at=now,
                actor="escalation",
                action="page-delivery-failed",
                ticket_id=page.ticket_id,
                summary=(
                    f"page {page.reference}: {delivery.purpose} to {delivery.recipient} over "
                    f"{delivery.platform} failed after {delivery.attempts} attempts: {error}"
                ),
            )
            if delivery.purpose == DeliveryPurpose.PAGE:
                _fire_early_if_unreached(ctx, page, delivery.step, now)


def _fire_early_if_unreached(ctx: Context, page: Page, step: int, now: datetime) -> None:
    """Nobody got this step's page: rather than wait in silence, fire the next step now."""
    if page.status != PageStatus.ACTIVE or page.next_step != step + 1:
        return
    assert page.id is not None
    others = page_store.deliveries(ctx.session, page.id, step=step, purpose=DeliveryPurpose.PAGE.value)
    if any(d.status in (DeliveryStatus.SENT, DeliveryStatus.PENDING) for d in others):
        return
    page.next_fire_at = now
    ctx.session.add(page)
    timeline.record(
        ctx.session,
        at=now,
        actor="escalation",
        action="page-step-early",
        ticket_id=page.ticket_id,
        summary=f"page {page.reference}: nobody could be reached at {_step_text(page, step)}; next step fires now",
    )


def deliver_due(runtime: Runtime, limit: int = BATCH) -> int:
    """Send the deliveries that are due; returns how many were attempted."""
    outgoing = _claim_deliveries(runtime, limit)
    if not outgoing:
        return 0
    notifiers = {n.platform: n for n in runtime.notifiers}
    results = [(item, *_send(notifiers, item)) for item in outgoing]
    _record_outcomes(runtime, results)
    return len(outgoing)


def tick(runtime: Runtime) -> float:
    """The timer worker: fire due steps, send due deliveries, sleep until the next is due (at most POLL_SECONDS)."""
    for _ in range(20):  # until nothing is due (a failed delivery may make a step due), bounded so stop() is heard
        fired = fire_due_steps(runtime)
        sent = deliver_due(runtime)
        if not (fired or sent):
            break
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        upcoming = page_store.next_due(ctx.session)
        now = ctx.now()
    if upcoming is None:
        return POLL_SECONDS
    return max(0.0, min(POLL_SECONDS, (upcoming - now).total_seconds()))


def check_policies(runtime: Runtime) -> escalation_policy.Policies:
    """Load the configured policies now, so a bad file stops start-up (raises PolicyError)."""
    return escalation_policy.load_policies(runtime.settings.escalation_policies)
