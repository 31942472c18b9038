"""Escalation chains as the on-call staff live them: paged, re-paged, acknowledged, cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.notify import Notice, Recipient
from puente.services.users import service as users
from puente.storage import timeline
from puente.storage.models import Role
from tests.conftest import make_runtime
from tests.paging import RecordingNotifier, add_team, say, write_policy


@pytest.fixture
def paging(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Runtime, RecordingNotifier]]:
    runtime = make_runtime(database_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(write_policy(tmp_path)))
    notifier = RecordingNotifier()
    runtime.notifiers.append(notifier)
    add_team(runtime)
    yield runtime, notifier
    runtime.engine.dispose()


def _timeline(runtime: Runtime, reference: str) -> list[str]:
    from puente.services.tickets import service as tickets

    with runtime.unit_of_work(actor_name="test") as ctx:
        ticket = tickets.get(ctx, reference)
        assert ticket.id is not None
        return [f"{e.action}: {e.summary}" for e in timeline.for_ticket(ctx.session, ticket.id)]


def test_critical_ticket_pages_step_by_step_until_acknowledged_and_then_stops(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    opened = say(runtime, "ana", "/incident new Ransomware at the port sev=critical")
    assert opened.ok, opened.plain_text()
    reference = opened.ticket
    assert reference == "INC-2026-0001"

    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"]
    page = notifier.sent[0][1]
    assert page.text.startswith("Page P1 for INC-2026-0001: critical ticket: Ransomware at the port")
    assert ("Step", "step 1 of 3") in page.fields
    assert [(a.label, a.command) for a in page.actions] == [("Acknowledge", "ack P1")]

    clock.advance(timedelta(minutes=4, seconds=59))
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"]

    clock.advance(timedelta(seconds=1))
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob", "carla"]

    # carla presses the Acknowledge button on her page: it runs its command as her.
    button = notifier.sent[1][1].actions[0]
    acked = say(runtime, "carla", f"/incident {button.command}")
    assert acked.ok, acked.plain_text()
    assert acked.text.startswith("Acknowledged INC-2026-0001")
    assert acked.ticket == reference

    escalation_worker.tick(runtime)
    told = {who: notice.text for who, _, notice in notifier.updates}
    assert told["bob"] == "Page P1 for INC-2026-0001: taken by carla at Mon, Jan 5, 12:05 UTC."
    assert told["carla"] == "Page P1 for INC-2026-0001: taken by carla at Mon, Jan 5, 13:05 CET."  # her own zone
    assert {handle for _, handle, _ in notifier.updates} == {"msg-1", "msg-2"}

    clock.advance(timedelta(minutes=30))
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob", "carla"], "no step 3 (#soc) after the acknowledgement"
    assert any("page-acknowledged: page P1: taken by carla" in line for line in _timeline(runtime, reference))


def test_ack_without_reference_takes_the_pages_that_paged_me(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Defacement sev=critical")
    escalation_worker.tick(runtime)
    assert say(runtime, "carla", "/incident ack").ok is False  # carla was not paged yet
    reply = say(runtime, "bob", "/incident ack")
    assert reply.ok and reply.ticket == "INC-2026-0001"
    again = say(runtime, "bob", "/incident ack P1")
    assert not again.ok and "already over" in again.text and "taken by bob" in again.text


def test_repeat_limit_stops_the_chain_after_the_last_round(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    from puente.services.escalation import rotations

    with runtime.unit_of_work(actor_name="operator") as ctx:
        rotations.add_rotation(ctx, "primary", ["bob", "carla"], "mon 09:00", "America/Bogota")
    say(runtime, "ana", "/incident new Phishing wave sev=high")
    for _ in range(8):
        escalation_worker.tick(runtime)
        clock.advance(timedelta(minutes=5))
    # high: one step (rotation primary, bob this week), repeated twice, then nothing more.
    assert notifier.recipients() == ["bob", "bob"]
    assert ("Step", "step 1 of 1, round 2 of 2") in notifier.sent[1][1].fields
    # An exhausted chain can still be taken, so the others learn someone has it.
    assert say(runtime, "bob", "/incident ack INC-2026-0001").ok


# How a page ended, as the one it paged reads it: in the update of their page, and when they ack it too late.
ENDED = {
    "en": (
        "Page P1 for INC-2026-0001: INC-2026-0001 resolved by ana.",
        "Page P1 is already over: INC-2026-0001 resolved by ana",
    ),
    "es": (
        "Alerta P1 por INC-2026-0001: INC-2026-0001 resuelto por ana.",
        "La alerta P1 ya terminó: INC-2026-0001 resuelto por ana",
    ),
}


@pytest.mark.parametrize("language", sorted(ENDED))
def test_resolving_the_ticket_cancels_its_pages_and_tells_who_was_paged_in_their_language(
    paging, clock: ManualClock, language: str
) -> None:
    runtime, notifier = paging
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.change(ctx, "bob", language=language)
    say(runtime, "ana", "/incident new Ransomware sev=critical")
    escalation_worker.tick(runtime)
    assert say(runtime, "ana", "/incident resolve INC-2026-0001 false positive").ok
    escalation_worker.tick(runtime)
    update, late_ack = ENDED[language]
    assert [(who, n.text) for who, _, n in notifier.updates] == [("bob", update)]
    ended = say(runtime, "bob", "/incident ack P1")
    assert not ended.ok and ended.text == late_ack, ended.text
    clock.advance(timedelta(days=40))
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"], "no later step and no regulatory reminder for a resolved ticket"


def test_failed_delivery_is_retried_then_the_next_step_fires_early(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    notifier.refuse = {"bob"}
    say(runtime, "ana", "/incident new Ransomware sev=critical")
    escalation_worker.tick(runtime)
    assert notifier.attempts == 1 and notifier.sent == []
    clock.advance(escalation_worker.RETRY_DELAYS[0])
    escalation_worker.tick(runtime)
    clock.advance(escalation_worker.RETRY_DELAYS[1])
    escalation_worker.tick(runtime)
    # Three refusals in one minute: carla is paged now, not at +5 min.
    assert notifier.attempts == 4
    assert notifier.recipients() == ["carla"]
    lines = _timeline(runtime, "INC-2026-0001")
    assert any("page to bob over test failed after 3 attempts" in line for line in lines)
    assert any("nobody could be reached at step 1 of 3; next step fires now" in line for line in lines)
    # What the delivery carried reads in the reader's words, as the rest of the line does.
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.change(ctx, "ana", language="es")
    read = say(runtime, "ana", "/incident timeline INC-2026-0001").plain_text()
    assert ": alerta a bob por test falló tras 3 intentos: " in read, read


def test_a_delivery_that_fails_once_is_sent_once_on_retry(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    notifier.refuse, notifier.refuse_times = {"bob"}, 1
    say(runtime, "ana", "/incident new Ransomware sev=critical")
    escalation_worker.tick(runtime)
    clock.advance(escalation_worker.RETRY_DELAYS[0])
    escalation_worker.tick(runtime)
    clock.advance(timedelta(minutes=1))
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"]


def test_a_platform_that_answers_too_late_is_not_paged_again_and_the_chain_keeps_its_pace(
    paging, clock: ManualClock
) -> None:
    runtime, notifier = paging
    notifier.unanswered = {"bob"}  # the message went out; the platform's answer never came
    say(runtime, "ana", "/incident new Ransomware sev=critical")
    for _ in range(3):
        escalation_worker.tick(runtime)
        clock.advance(escalation_worker.RETRY_DELAYS[-1])
    # It cannot read back what it sent: one repeat, marked as such (unanswered too), and never a third.
    assert notifier.attempts == 2, "a send whose outcome is unknown is not repeated blindly"
    assert notifier.recipients() == [], "and carla is not paged early: bob may well have it"
    clock.advance(timedelta(minutes=5) - 3 * escalation_worker.RETRY_DELAYS[-1])
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["carla"]
    assert not any("nobody could be reached" in line for line in _timeline(runtime, "INC-2026-0001"))


def test_raising_severity_pages_once_and_escalate_pages_from_chat(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Odd DNS traffic")
    escalation_worker.tick(runtime)
    assert notifier.sent == []
    assert say(runtime, "ana", "/incident update INC-2026-0001 sev=critical").ok
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"]
    assert say(runtime, "ana", '/incident update INC-2026-0001 title="Odd DNS, confirmed"').ok
    escalation_worker.tick(runtime)
    assert notifier.recipients() == ["bob"]

    reply = say(runtime, "bob", "/incident escalate INC-2026-0001 need the network team")
    assert reply.ok, reply.plain_text()
    assert reply.text == "Escalated INC-2026-0001: page P5 (critical policy) starts now with bob (step 1 of 3)."
    assert reply.ticket == "INC-2026-0001"
    escalation_worker.tick(runtime)
    assert notifier.sent[-1][1].text == "Page P5 for INC-2026-0001: need the network team"
    refused = say(runtime, "bob", "/incident escalate INC-2026-0099")
    assert not refused.ok and "No ticket 'INC-2026-0099'" in refused.text


def test_regulatory_deadlines_remind_the_owner_once_each(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Data leak at the registry aware=2026-01-05T12:00Z")
    clock.advance(timedelta(hours=21, minutes=59))
    escalation_worker.tick(runtime)
    assert notifier.sent == []
    clock.advance(timedelta(minutes=1))
    escalation_worker.tick(runtime)
    clock.advance(timedelta(minutes=30))
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana") == [
        # In ana's time zone (America/Bogota) and her language's format.
        "Page P1 for INC-2026-0001: early warning due Tue, Jan 6, 2026, 07:00 -05"
        " (24 h after awareness at Mon, Jan 5, 2026, 07:00 -05). Once filed: /incident filed INC-2026-0001"
        " early-warning [ref=…]"
    ]
    clock.advance(timedelta(hours=48))
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana")[1].startswith(
        "Page P2 for INC-2026-0001: incident notification due Thu, Jan 8, 2026, 07:00 -05"
    )
    # Taking the ticket's current page does not silence the final-report reminder still ahead.
    assert say(runtime, "ana", "/incident ack INC-2026-0001").ok
    clock.set(clock.now().replace(month=2, day=4, hour=12))
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana")[2].startswith(
        "Page P3 for INC-2026-0001: final report due Thu, Feb 5, 2026, 07:00 -05"
    )
    assert notifier.recipients() == ["ana", "ana", "ana"]


class AddressedNotifier(RecordingNotifier):
    """A chat platform Puente has no column for: it reaches people and rooms only at their address there."""

    def __init__(self, platform: str) -> None:
        super().__init__(platform=platform)
        self.addressed: list[tuple[str, str | None]] = []

    def can_reach(self, recipient: Recipient) -> bool:
        return recipient.address_on(self.platform) is not None

    def send(self, recipient: Recipient, notice: Notice) -> str:
        self.addressed.append((recipient.name, recipient.address_on(self.platform)))
        return super().send(recipient, notice)

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        self.addressed.append((recipient.name, recipient.address_on(self.platform)))
        super().update(recipient, handle, notice)


MATRIX_POLICY = """
[channels.soc]
slack = "C0SOC"
matrix = "!soc:csirt.example"

[policies.critical]
[[policies.critical.steps]]
user = "bob"
wait_minutes = 5

[[policies.critical.steps]]
channel = "soc"
wait_minutes = 5
"""


def test_a_new_chat_platform_pages_people_and_rooms_at_their_address_there(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    policies = write_policy(tmp_path, MATRIX_POLICY)
    runtime = make_runtime(database_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(policies))
    matrix = AddressedNotifier("matrix")
    runtime.notifiers.append(matrix)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"matrix": "@ana:csirt.example"})
        users.add(ctx, "bob", Role.ONCALL, addresses={"slack": "U0BOB", "matrix": "@bob:csirt.example"})
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok

    escalation_worker.tick(runtime)
    clock.advance(timedelta(minutes=5))
    escalation_worker.tick(runtime)
    assert matrix.addressed == [("bob", "@bob:csirt.example"), ("#soc", "!soc:csirt.example")]

    assert say(runtime, "bob", "/incident ack INC-2026-0001").ok
    escalation_worker.tick(runtime)
    assert matrix.addressed[2:] == [("bob", "@bob:csirt.example"), ("#soc", "!soc:csirt.example")]
    assert [notice.text for _, _, notice in matrix.updates] == [
        "Page P1 for INC-2026-0001: taken by bob at Mon, Jan 5, 12:05 UTC."
    ] * 2
    runtime.engine.dispose()
