"""What pages besides a ticket's severity: cross-border tickets, tickets left quiet too long, a flood of
requests from one peer (grouped), and notices to a ticket's owner (durable, retried like pages)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import notices, peer_pages, stale
from puente.services.escalation import scheduled as escalation_worker
from puente.services.tickets import service as tickets
from puente.services.vocabularies.taxonomy import Severity
from tests.conftest import make_runtime
from tests.paging import CHAIN_POLICY, RecordingNotifier, add_team, say, write_policy

MEDIUM_POLICY = """
[[policies.medium.steps]]
user = "carla"
wait_minutes = 30
"""


def _paging(url: str, clock: ManualClock, tmp_path: Path, extra: str = "") -> tuple[Runtime, RecordingNotifier]:
    policy = write_policy(tmp_path, CHAIN_POLICY + MEDIUM_POLICY + extra)
    runtime = make_runtime(url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(policy))
    notifier = RecordingNotifier()
    runtime.notifiers.append(notifier)
    add_team(runtime)
    return runtime, notifier


@pytest.fixture
def paging(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Runtime, RecordingNotifier]]:
    runtime, notifier = _paging(database_url, clock, tmp_path)
    yield runtime, notifier
    runtime.engine.dispose()


def test_a_cross_border_ticket_pages_from_medium_and_the_policy_file_can_change_that(
    paging, sqlite_template: Path, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Phishing kit aimed at Colombian banks sev=medium")
    say(runtime, "ana", "/incident new Phishing kit hosted in Brazil sev=medium countries=CO,BR")
    escalation_worker.tick(runtime)
    assert notifier.texts_to("carla") == [
        "Page P4 for INC-2026-0002: medium ticket: Phishing kit hosted in Brazil (cross-border: BR)"
    ]
    # A ticket that comes to cross a border pages then; one that already paged does not page again.
    assert say(runtime, "ana", "/incident update INC-2026-0001 countries=CO,AR").ok
    assert say(runtime, "ana", "/incident update INC-2026-0002 countries=CO,BR,AR").ok
    escalation_worker.tick(runtime)
    assert notifier.texts_to("carla")[1:] == [
        "Page P8 for INC-2026-0001: medium ticket: Phishing kit aimed at Colombian banks (cross-border: AR)"
    ]

    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(sqlite_template, other / "puente.db")
    url = f"sqlite:///{other / 'puente.db'}"
    stricter, told = _paging(url, clock, other, '\n[paging]\ncross_border_from = "high"\n')
    say(stricter, "ana", "/incident new Phishing kit hosted in Brazil sev=medium countries=CO,BR")
    escalation_worker.tick(stricter)
    assert told.sent == []
    stricter.engine.dispose()


def test_a_ticket_left_quiet_reminds_its_owner_once_per_quiet_spell(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Odd DNS answers sev=medium")
    say(runtime, "ana", "/incident new Ransomware at the port sev=critical")
    say(runtime, "bob", "/incident ack INC-2026-0002")
    clock.advance(timedelta(hours=2))
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        assert stale.remind_quiet_tickets(ctx) == 1  # critical: 2 h; medium waits 3 days
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        assert stale.remind_quiet_tickets(ctx) == 0
    escalation_worker.tick(runtime)
    reminded = notifier.texts_to("ana")
    assert len(reminded) == 1 and reminded[0].startswith("Page P")
    assert "for INC-2026-0002: no update for 2 h (a critical ticket is reminded after 2 h): Ransomware" in reminded[0]

    assert say(runtime, "ana", "/incident note INC-2026-0002 contained, imaging disks").ok
    clock.advance(timedelta(hours=1, minutes=59))
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        assert stale.remind_quiet_tickets(ctx) == 0, "the note was an update"
    clock.advance(timedelta(minutes=1))
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        assert stale.remind_quiet_tickets(ctx) == 1


def test_the_policy_file_sets_how_long_a_ticket_may_stay_quiet(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = _paging(sqlite_url, clock, tmp_path, "\n[stale_after_minutes]\nmedium = 30\n")
    say(runtime, "ana", "/incident new Odd DNS answers sev=medium")
    clock.advance(timedelta(minutes=30))
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        assert stale.remind_quiet_tickets(ctx) == 1
    runtime.engine.dispose()


def test_requests_from_one_peer_beyond_its_rate_share_one_page_that_lists_them(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, notifier = _paging(sqlite_url, clock, tmp_path, "\n[paging]\npeer_pages_per_hour = 2\n")
    with runtime.unit_of_work(actor_name="peer:cert-br") as ctx:
        for number in range(1, 6):
            draft = tickets.TicketDraft(title=f"Request {number}", severity=Severity.CRITICAL)
            ticket = tickets.open_for_peer(ctx, draft, "cert-br", page_severity=False)
            peer_pages.page_for_assistance_request(ctx, ticket, "cert-br", f"req-{number}", f"block host {number}")
    escalation_worker.tick(runtime)
    assert len(notifier.texts_to("bob")) == 2, "two pages within the rate; the rest gather"
    clock.advance(peer_pages.GATHERING)
    escalation_worker.tick(runtime)
    pages = notifier.texts_to("bob")
    assert len(pages) == 3
    assert "cert-br sent more than 2 requests for assistance within the hour; these share one page" in pages[2]
    for number in (3, 4, 5):
        assert f"INC-2026-000{number} (critical): block host {number}" in pages[2]
    runtime.engine.dispose()


def test_a_notice_to_the_owner_is_a_row_retried_until_it_arrives(paging, clock: ManualClock) -> None:
    runtime, notifier = paging
    say(runtime, "ana", "/incident new Odd DNS answers sev=low")
    notifier.refuse, notifier.refuse_times = {"ana"}, 1
    with runtime.unit_of_work(actor_name="peer:cert-br") as ctx:
        notices.tell_owner(ctx, tickets.get(ctx, "INC-2026-0001"), "INC-2026-0001: cert-br sent SITREP: on it")
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana") == []
    clock.advance(escalation_worker.RETRY_DELAYS[0])
    escalation_worker.tick(runtime)
    (notice,) = [n for who, n in notifier.sent if who == "ana"]
    assert notice.text == "INC-2026-0001: cert-br sent SITREP: on it" and notice.actions == ()
    assert say(runtime, "ana", "/incident ack INC-2026-0001").ok is False, "a notice has nothing to acknowledge"
