"""What the `escalation` worker runs: fire the page steps that are due, send the page messages that are
due, and record how each went.

`tick` claims due pages (SKIP LOCKED, so replicas share the work and fire each step once), writes the
step's deliveries in the same transaction, then sends the deliveries outside any transaction, recording
each as soon as its send returns: a worker killed between two sends repeats neither, one killed in the
middle of a send repeats that one only. A delivery that keeps failing makes the next step fire early
rather than waiting. One whose outcome is unknown (no answer in time) counts as reached and is never sent
again blindly: a moment later the worker looks for it on a platform that can read back what it sent
(`SentMessages`: Slack) and sends it only if it is absent; elsewhere (Telegram) it sends it once more,
marked as a possible repeat, and never a third time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from puente import i18n
from puente.i18n import _
from puente.services.context import Context, Runtime, worded
from puente.services.escalation import rotations
from puente.services.escalation.messages import (
    delivery_failed,
    page_notice,
    step_brought_forward,
    step_fired,
    update_notice,
)
from puente.services.escalation.policies import ALL_ROTATIONS
from puente.services.escalation.service import PageKind, queue_update
from puente.services.notify import DeliveryError, DeliveryUnknown, Notice, Notifier, Recipient, SentMessages
from puente.services.users.service import as_recipients
from puente.storage import oncall as oncall_store
from puente.storage import pages as page_store
from puente.storage import tickets as ticket_store
from puente.storage import timeline, users
from puente.storage.models import Role, Ticket, User
from puente.storage.pages import DeliveryPurpose, DeliveryStatus, Page, PageStatus

log = logging.getLogger(__name__)

BATCH = 500
# A claimed delivery is someone else's to retry only after this long (the sender died mid-send).
PAGE_MESSAGE_LEASE = timedelta(seconds=60)
# Waits between attempts at one delivery; after the last, it has failed.
RETRY_DELAYS = (timedelta(seconds=15), timedelta(seconds=45))
# Pages raised by another process are noticed within this many seconds.
POLL_SECONDS = 1.0
# How long after a send whose answer never came the worker checks for it (or repeats it, marked).
CHECK_AFTER = timedelta(seconds=15)


def _recipients(ctx: Context, page: Page, step: dict[str, object]) -> list[Recipient]:
    kind, name = str(step["target"]), str(step["name"])
    found: list[User | None] = []
    if kind == "channel":
        return [Recipient(f"#{name}", cast(dict[str, str], step["addresses"]))]
    if kind == "rotation":
        names = [r.name for r in oncall_store.all_rotations(ctx.session)] if name == ALL_ROTATIONS else [name]
        found = [rotations.on_call(ctx, rotation) for rotation in names]
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
        page.status = (PageStatus.NOTIFIED if page.kind == PageKind.NOTICE else PageStatus.EXHAUSTED).value
        page.next_fire_at = None
    elif not reached:
        page.next_fire_at = now  # nobody to wait for: go straight on
    else:
        # Keep to the schedule unless the worker was down so long that it would fire steps back to back.
        page.next_fire_at = due + wait if due + wait > now else now + wait
    if page.kind == PageKind.NOTICE:
        return  # the timeline already says what the notice tells; its deliveries are the record
    firing.events.append(
        {
            "at": now,
            "actor": "escalation",
            "action": "page-step",
            "ticket_id": page.ticket_id,
            **worded(step_fired(page, index, step, reached)),
        }
    )


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
    # When a send of it went unanswered (it may have arrived): the attempt checks or repeats instead.
    unconfirmed_since: datetime | None = None
    # Its page was taken or cancelled: an unconfirmed page message is only looked for (to update it).
    stopped: bool = False
    # What an unconfirmed page message says if it is sent once more (where the platform cannot check).
    repeat: Notice | None = None


def delivery_key(delivery_id: int) -> str:
    """What names a page message on the platform, so a check can find it (see SentMessages)."""
    return f"puente-page-delivery-{delivery_id}"


def possible_repeat(notice: Notice) -> Notice:
    """The page once more, saying it may be the same one the person already has (where the platform cannot
    tell us whether the first send arrived), in the reader's language."""
    said = _("the first send got no answer from the chat platform; if you already saw this page, it is the same one")
    return replace(notice, fields=((_("Sent again"), said), *notice.fields))


def due_messages(ctx: Context, limit: int) -> list[_Outgoing]:
    """The deliveries due now and what each would send, read without claiming any."""
    due = page_store.due_deliveries(ctx.session, ctx.now(), limit)
    if not due:
        return []
    found = page_store.pages_by_id(ctx.session, {d.page_id for d in due})
    tickets_by_id = ticket_store.by_ids(ctx.session, {p.ticket_id for p in found.values() if p.ticket_id})
    # Each person reads a page in their own language and time zone; a channel, in the deployment's language.
    people = {user.name: user for user in users.by_names(ctx.session, {d.recipient for d in due})}
    outgoing = []
    for delivery in due:
        page = found[delivery.page_id]
        ticket = tickets_by_id.get(page.ticket_id) if page.ticket_id else None
        person = people.get(delivery.recipient)
        spoken = person.language if person and person.language else ctx.settings.language
        with i18n.language(spoken, person.timezone if person else None):
            if delivery.purpose == DeliveryPurpose.UPDATE:
                notice = update_notice(ctx, page, ticket)
            else:
                notice = replace(page_notice(page, ticket, delivery.step), key=delivery_key(delivery.id or 0))
            unconfirmed = delivery.sent_at if delivery.status == DeliveryStatus.UNCONFIRMED else None
            repeat = possible_repeat(notice) if unconfirmed is not None else None
        recipient = Recipient.at(delivery.recipient, delivery.platform, delivery.address)
        stopped = page.status in (PageStatus.ACKNOWLEDGED, PageStatus.CANCELLED)
        outgoing.append(
            _Outgoing(
                delivery.id or 0,
                delivery.platform,
                recipient,
                delivery.purpose,
                delivery.handle,
                notice,
                unconfirmed,
                stopped,
                repeat,
            )
        )
    return outgoing


def claim(ctx: Context, item: _Outgoing) -> bool:
    """Lease one due delivery to this worker; False if another took it or it was cancelled meanwhile."""
    return page_store.claim_delivery(ctx.session, item.delivery_id, ctx.now(), ctx.now() + PAGE_MESSAGE_LEASE)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one send went: `status` SENT (with the platform's handle), UNCONFIRMED (no answer: check it
    later), UNKNOWN (no answer, and nothing more can be done), CANCELLED (looked for once its page was
    stopped, and it never arrived), or None: refused (retry)."""

    status: DeliveryStatus | None
    handle: str | None = None
    error: str | None = None


def _send_page_message(notifiers: dict[str, Notifier], item: _Outgoing) -> _Outcome:
    notifier = notifiers.get(item.platform)
    if notifier is None:
        return _Outcome(None, error=f"no {item.platform} notifier in this process")
    checks = isinstance(notifier, SentMessages)
    try:
        if item.purpose == DeliveryPurpose.UPDATE:
            notifier.update(item.recipient, item.handle or "", item.notice)
            return _Outcome(DeliveryStatus.SENT, handle=item.handle or "")
        if item.unconfirmed_since is None:
            return _Outcome(DeliveryStatus.SENT, handle=notifier.send(item.recipient, item.notice))
        if isinstance(notifier, SentMessages):
            found = notifier.find_sent(item.recipient, item.notice.key or "", item.unconfirmed_since)
            if item.stopped:  # nobody needs paging now: only a message that arrived matters (it is updated)
                return _Outcome(DeliveryStatus.SENT, handle=found) if found else _Outcome(DeliveryStatus.CANCELLED)
            return _Outcome(DeliveryStatus.SENT, handle=found or notifier.send(item.recipient, item.notice))
        if item.stopped:
            return _Outcome(DeliveryStatus.UNKNOWN)  # no repeat of a page nobody needs any more
        return _Outcome(DeliveryStatus.SENT, handle=notifier.send(item.recipient, item.repeat or item.notice))
    except DeliveryUnknown as error:
        if item.purpose == DeliveryPurpose.UPDATE:
            return _Outcome(None, error=str(error) or type(error).__name__)  # editing twice changes nothing
        # Check (again) where the platform can; where it cannot, this was the one repeat allowed.
        again = item.unconfirmed_since is None or checks
        status = DeliveryStatus.UNCONFIRMED if again else DeliveryStatus.UNKNOWN
        if not again:
            then = "it is not sent a third time"
        elif checks:
            then = f"in {CHECK_AFTER.total_seconds():g} s it is looked for there and sent again only if it is absent"
        else:
            then = f"in {CHECK_AFTER.total_seconds():g} s it is sent once more, marked as a possible repeat"
        who = f"page message {item.delivery_id} to {item.recipient.name} over {item.platform}"
        log.warning("%s (%s): %s; it may have arrived: %s", who, item.notice.ticket or "no ticket", error, then)
        return _Outcome(status, error=str(error) or type(error).__name__)
    except DeliveryError as error:
        return _Outcome(None, error=str(error) or type(error).__name__)
    except Exception as error:  # a broken adapter must not stop the chain; it is retried like a refusal
        log.exception("%s notifier failed", item.platform)
        return _Outcome(None, error=f"{type(error).__name__}: {error}")


def _record_outcome(ctx: Context, item: _Outgoing, outcome: _Outcome) -> None:
    """Record one send the moment it returns, so a crash afterwards never sends it again."""
    with ctx.session.no_autoflush:
        now = ctx.now()
        status = outcome.status
        settled = (DeliveryStatus.SENT, DeliveryStatus.UNKNOWN, DeliveryStatus.CANCELLED)
        marked = status in settled and page_store.mark_reached(
            ctx.session, item.delivery_id, status, outcome.handle, now, outcome.error
        )
        if marked and (item.unconfirmed_since is None or status != DeliveryStatus.SENT):
            return  # the common case, in one statement
        delivery = page_store.deliveries_by_id(ctx.session, {item.delivery_id})[item.delivery_id]
        page = page_store.pages_by_id(ctx.session, {delivery.page_id})[delivery.page_id]
        if marked:
            # Found (or sent) on a check: a page stopped before or meanwhile has it updated too.
            if page.status in (PageStatus.ACKNOWLEDGED, PageStatus.CANCELLED):
                queue_update(ctx, delivery, now)
            return
        error = (outcome.error or "refused")[:1000]
        if delivery.status not in page_store.OUTSTANDING:
            # Its page was stopped while this was on its way: a page message that arrived is updated.
            if status is not None:
                arrived = status == DeliveryStatus.SENT
                delivery.status = (DeliveryStatus.SENT if arrived else DeliveryStatus.UNKNOWN).value
                delivery.handle, delivery.sent_at, delivery.error = outcome.handle, now, outcome.error
            else:
                delivery.error = error
            ctx.session.add(delivery)
            if delivery.purpose == DeliveryPurpose.PAGE and status == DeliveryStatus.SENT:
                queue_update(ctx, delivery, now)
            return
        delivery.error = error
        if delivery.status == DeliveryStatus.PENDING and status == DeliveryStatus.UNCONFIRMED:
            # It may have arrived: checked a moment from now, never sent again blindly, and reached meanwhile.
            delivery.status, delivery.sent_at, delivery.due_at = status.value, now, now + CHECK_AFTER
            ctx.session.add(delivery)
            return
        if delivery.attempts <= len(RETRY_DELAYS):
            delivery.due_at = now + RETRY_DELAYS[delivery.attempts - 1]
            ctx.session.add(delivery)
            return
        if delivery.status == DeliveryStatus.UNCONFIRMED:
            # Could not be checked in time: it may well have arrived, so it counts as reached rather than failed.
            delivery.status = DeliveryStatus.UNKNOWN.value
            ctx.session.add(delivery)
            return
        delivery.status = DeliveryStatus.FAILED.value
        ctx.session.add(delivery)
        ctx.record(
            "page-delivery-failed",
            delivery_failed(page, delivery, error),
            actor="escalation",
            at=now,
            ticket_id=page.ticket_id,
        )
        if delivery.purpose == DeliveryPurpose.PAGE:
            _fire_early_if_unreached(ctx, page, delivery.step, now)


def _fire_early_if_unreached(ctx: Context, page: Page, step: int, now: datetime) -> None:
    """Nobody got this step's page: rather than wait in silence, fire the next step now."""
    if page.status != PageStatus.ACTIVE or page.next_step != step + 1:
        return
    assert page.id is not None
    others = page_store.deliveries(ctx.session, page.id, step=step, purpose=DeliveryPurpose.PAGE.value)
    if any(d.status not in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED) for d in others):
        return
    page.next_fire_at = now
    ctx.session.add(page)
    ctx.record(
        "page-step-early",
        step_brought_forward(page, step),
        actor="escalation",
        at=now,
        ticket_id=page.ticket_id,
    )


def send_due_page_messages(runtime: Runtime, limit: int = BATCH) -> int:
    """Send the page messages (pages and their updates) that are due; returns how many were attempted.

    One send is in flight at a time: each is claimed just before it goes, in the transaction that
    records the outcome of the one before. A worker killed at any moment thus leaves at most one send
    unfinished, repeated once its lease runs out; a slow platform holds only the one it is answering.
    """
    notifiers = {n.platform: n for n in runtime.notifiers}
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        candidates = due_messages(ctx, limit)
    sent = 0
    done: tuple[_Outgoing, _Outcome] | None = None
    for item in candidates:
        with runtime.unit_of_work(actor_name="escalation") as ctx:
            if done is not None:
                _record_outcome(ctx, *done)
                done = None
            mine = claim(ctx, item)
        if mine:
            done = (item, _send_page_message(notifiers, item))
            sent += 1
    if done is not None:
        with runtime.unit_of_work(actor_name="escalation") as ctx:
            _record_outcome(ctx, *done)
    return sent


def tick(runtime: Runtime) -> float:
    """The timer worker: fire due steps, send due page messages, sleep until the next is due (at most POLL_SECONDS)."""
    for _round in range(20):  # until nothing is due (a failed delivery may make a step due), bounded so stop() is heard
        fired = fire_due_steps(runtime)
        sent = send_due_page_messages(runtime)
        if not (fired or sent):
            break
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        upcoming = page_store.next_due(ctx.session)
        now = ctx.now()
    if upcoming is None:
        return POLL_SECONDS
    return max(0.0, min(POLL_SECONDS, (upcoming - now).total_seconds()))
