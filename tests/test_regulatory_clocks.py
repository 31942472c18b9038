"""Regulatory clocks as the ticket's owner lives them: shown with their deadlines, reminded (at once when
already overdue), stopped by recording the filing, and chosen by country and sector from a file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from puente.cli.main import main
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import regulatory
from puente.services.escalation import scheduled as escalation_worker
from tests.conftest import make_runtime
from tests.paging import RecordingNotifier, add_team, say

CLOCKS = """
[[clocks]]
name = "Colombian health sector"
countries = ["CO"]
sectors = ["healthcare"]
early-warning = "6h"
notification = "3d"

[[clocks]]
name = "Brazil"
countries = ["BR"]
notification = "2 months"
"""


@pytest.fixture
def team(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Runtime, RecordingNotifier]]:
    path = tmp_path / "clocks.toml"
    path.write_text(CLOCKS, encoding="utf-8")
    runtime = make_runtime(database_url, clock, tmp_path, PUENTE_REGULATORY_CLOCKS=str(path))
    notifier = RecordingNotifier()
    runtime.notifiers.append(notifier)
    add_team(runtime)
    yield runtime, notifier
    runtime.engine.dispose()


def test_a_clock_already_overdue_when_the_ticket_is_opened_pages_at_once(team, clock: ManualClock) -> None:
    runtime, notifier = team
    aware = (clock.now() - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%MZ")
    assert say(runtime, "ana", f"/incident new Data leak at the registry aware={aware}").ok
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana") == [
        "Page P1 for INC-2026-0001: OVERDUE: early warning due Mon, Jan 5, 2026, 01:00 -05 (24 h after awareness at"
        " Sun, Jan 4, 2026, 01:00 -05). Once filed: /incident filed INC-2026-0001 early-warning [ref=…]"
    ]


def test_show_lists_each_clock_in_the_readers_time_zone_and_filing_stops_its_reminder(team, clock: ManualClock) -> None:
    runtime, notifier = team
    say(runtime, "ana", "/incident new Data leak at the registry aware=2026-01-05T10:00Z")
    shown = say(runtime, "ana", "/incident show INC-2026-0001").plain_text()  # ana reads in America/Bogota
    assert (
        "⏰ early warning due Tue, Jan 6, 2026, 05:00 -05 (24 h after awareness, built-in (NIS2-style)): running"
        in (shown)
    )
    assert "⏰ final report due Thu, Feb 5, 2026, 05:00 -05 (1 month after awareness" in shown

    filed = say(runtime, "ana", "/incident filed INC-2026-0001 early-warning ref=CCOC-2026-118")
    assert filed.ok, filed.plain_text()
    assert "early warning recorded as filed" in filed.text
    assert any("early warning due" in line and "filed by ana, ref CCOC-2026-118" in line for line in filed.lines)
    clock.advance(timedelta(hours=23))
    escalation_worker.tick(runtime)
    assert notifier.texts_to("ana") == [], "a filed clock reminds nobody"
    history = say(runtime, "ana", "/incident timeline INC-2026-0001").plain_text()
    filing = "regulatory filing: early warning filed (in time; due Tue, Jan 6, 2026, 05:00 -05), authority reference"
    assert filing in history, "due in her time zone"

    again = say(runtime, "ana", "/incident filed INC-2026-0001 early-warning")
    assert not again.ok and "was filed already" in again.text
    wrong = say(runtime, "ana", "/incident filed INC-2026-0001 warning")
    assert not wrong.ok and "Unknown stage 'warning': use early-warning, notification, final." in wrong.text
    refused = say(runtime, "bob", "/incident filed INC-2026-0001 notification")  # bob is oncall
    assert not refused.ok and "analyst" in refused.text


def test_the_clock_set_follows_the_tickets_country_and_sector(team, clock: ManualClock) -> None:
    runtime, _ = team
    say(runtime, "ana", "/incident new Ransomware at a hospital sector=healthcare aware=2026-01-05T10:00Z")
    say(runtime, "ana", "/incident new Botnet in Brazil countries=BR aware=2026-01-05T10:00Z")
    health = say(runtime, "ana", "/incident show INC-2026-0001").plain_text()
    assert "⏰ early warning due Mon, Jan 5, 2026, 11:00 -05 (6 h after awareness, Colombian health sector)" in health
    assert "⏰ incident notification due Thu, Jan 8, 2026, 05:00 -05 (3 days after awareness" in health
    assert "final report" not in health  # the set has no final-report clock
    brazil = say(runtime, "ana", "/incident show INC-2026-0002").plain_text()
    assert "⏰ incident notification due Thu, Mar 5, 2026, 05:00 -05 (2 months after awareness, Brazil)" in brazil
    assert "early warning" not in brazil


def test_a_bad_clocks_file_names_the_line_and_the_field() -> None:
    text = '[[clocks]]\ncountries = ["CO"]\nearly-warning = "24h"\n\n[[clocks]]\ncountries = ["XX"]\nfinal = "soon"\n'
    with pytest.raises(regulatory.ClockError) as refused:
        regulatory.parse_clocks(text, "clocks.toml")
    lines = str(refused.value).splitlines()
    assert "clocks.toml: line 6, clocks[2].countries[1]: Unknown country 'XX'" in lines[0]
    assert lines[1].startswith("clocks.toml: line 7, clocks[2].final: a duration is hours, days or months")
    with pytest.raises(regulatory.ClockError, match="line 2, clocks\\[1\\].due: unknown field; a clock set has name"):
        regulatory.parse_clocks('[[clocks]]\ndue = "24h"\n', "clocks.toml")


def test_puente_run_refuses_to_start_with_a_bad_clocks_file(tmp_path: Path) -> None:
    clocks = tmp_path / "clocks.toml"
    clocks.write_text('[[clocks]]\nsectors = ["moon-mining"]\n', encoding="utf-8")
    env = {
        "PUENTE_DATABASE_URL": f"sqlite:///{tmp_path / 'puente.db'}",
        "PUENTE_VAR_DIR": str(tmp_path / "var"),
        "PUENTE_ESCALATION_POLICIES": "",
        "PUENTE_REGULATORY_CLOCKS": str(clocks),
    }
    result = CliRunner().invoke(main, ["run"], env=env)
    assert result.exit_code == 1
    assert "bad regulatory clocks file (PUENTE_REGULATORY_CLOCKS)" in result.output
    assert "line 2, clocks[1].sectors[1]: Unknown sector 'moon-mining'" in result.output
