"""Tickets in storage: references, lifecycle, the audit timeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import Conflict, Forbidden, InvalidInput
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables
from puente.services.users import service as users
from puente.services.vocabularies.taxonomy import Severity
from puente.storage.models import Role, Ticket, TicketStatus, TimelineEvent
from tests.support import acting_as


@pytest.fixture
def analyst(runtime: Runtime) -> str:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        users.add(ctx, "lucia", Role.LEAD)
        users.add(ctx, "omar", Role.ONCALL)
    return "ana"


def test_references_are_per_year_and_consecutive(runtime: Runtime, analyst: str, clock: ManualClock) -> None:
    refs = []
    for title in ("one", "two"):
        with acting_as(runtime, analyst) as ctx:
            refs.append(tickets.open_ticket(ctx, tickets.TicketDraft(title=title)).reference)
    clock.advance(timedelta(days=365))
    with acting_as(runtime, analyst) as ctx:
        refs.append(tickets.open_ticket(ctx, tickets.TicketDraft(title="next year")).reference)
    assert refs == ["INC-2026-0001", "INC-2026-0002", "INC-2027-0001"]


def test_a_failed_creation_gives_its_number_back(runtime: Runtime, analyst: str) -> None:
    with pytest.raises(InvalidInput), acting_as(runtime, analyst) as ctx:
        tickets.open_ticket(ctx, tickets.TicketDraft(title="with a bad observable"))
        tickets.add_observables(ctx, "INC-2026-0001", parse_observables(["1.2.3.999"]))
    with acting_as(runtime, analyst) as ctx:
        assert tickets.open_ticket(ctx, tickets.TicketDraft(title="kept")).reference == "INC-2026-0001"


def test_fifty_concurrent_creations_get_fifty_consecutive_references(runtime: Runtime, analyst: str) -> None:
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def open_five() -> None:
        try:
            start.wait()
            for _ in range(5):
                with acting_as(runtime, analyst) as ctx:
                    reference = tickets.open_ticket(ctx, tickets.TicketDraft(title="flood")).reference
                with lock:
                    references.append(reference)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_five) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"INC-2026-{n:04d}" for n in range(1, 51)]


def test_lifecycle_walks_forward_and_reopens(runtime: Runtime, analyst: str) -> None:
    with acting_as(runtime, analyst) as ctx:
        reference = tickets.open_ticket(ctx, tickets.TicketDraft(title="ddos on ministry")).reference
    for status in ("triage", "in-progress", "escalated", "mitigated", "resolved"):
        with acting_as(runtime, analyst) as ctx:
            tickets.update(ctx, reference, tickets.TicketChanges(status=TicketStatus(status)))
    with acting_as(runtime, "lucia") as ctx:
        assert tickets.move(ctx, reference, TicketStatus.CLOSED).status == "closed"
    with acting_as(runtime, analyst) as ctx:
        assert tickets.reopen(ctx, reference, "new sightings").status == "in-progress"
        _, events = tickets.history(ctx, reference)
    assert [e.action for e in events] == ["opened"] + ["updated"] * 5 + ["closed", "reopened"]
    assert events[-1].before is not None and events[-1].before["status"] == "closed"
    assert events[-1].after is not None and events[-1].after["status"] == "in-progress"


def test_an_illegal_transition_is_refused_and_changes_nothing(runtime: Runtime, analyst: str) -> None:
    with acting_as(runtime, analyst) as ctx:
        reference = tickets.open_ticket(ctx, tickets.TicketDraft(title="phishing")).reference
    with pytest.raises(Conflict, match="resolve it first"), acting_as(runtime, "lucia") as ctx:
        tickets.move(ctx, reference, TicketStatus.CLOSED)
    with pytest.raises(Conflict, match="cannot go from new to mitigated"), acting_as(runtime, analyst) as ctx:
        tickets.update(ctx, reference, tickets.TicketChanges(status=TicketStatus.MITIGATED, severity=Severity.HIGH))
    with runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        assert (ticket.status, ticket.severity) == ("new", "medium")
        assert len(ctx.session.exec(select(TimelineEvent).where(TimelineEvent.ticket_id == ticket.id)).all()) == 1


def test_roles_are_enforced(runtime: Runtime, analyst: str) -> None:
    with pytest.raises(Forbidden, match="needs the analyst role"), acting_as(runtime, "omar") as ctx:
        tickets.open_ticket(ctx, tickets.TicketDraft(title="x"))
    with acting_as(runtime, analyst) as ctx:
        reference = tickets.open_ticket(ctx, tickets.TicketDraft(title="x")).reference
        tickets.move(ctx, reference, TicketStatus.RESOLVED)
    with pytest.raises(Forbidden, match="needs the lead role"), acting_as(runtime, analyst) as ctx:
        tickets.move(ctx, reference, TicketStatus.CLOSED)


def test_removing_a_user_keeps_their_tickets_and_history(runtime: Runtime, analyst: str) -> None:
    with acting_as(runtime, analyst) as ctx:
        reference = tickets.open_ticket(
            ctx, tickets.TicketDraft(title="x", observables=parse_observables(["1.2.3.4"]))
        ).reference
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.remove(ctx, analyst)
    with acting_as(runtime, "lucia") as ctx:
        view = tickets.view(ctx, reference)
        assert view.owner is None and len(view.observables) == 1
        _, events = tickets.history(ctx, reference)
        assert events[0].actor == "ana"
