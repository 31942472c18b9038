"""Rotations: handoffs at local wall-clock time, overrides, and what `/incident oncall` shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from puente.cli.main import main
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import InvalidInput, NotFound
from puente.services.escalation import rotations
from tests.paging import add_team, say

BOGOTA_MONDAY_0700 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # the ManualClock's start


def _primary(runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        rotations.add_rotation(ctx, "primary", ["bob", "carla", "dora"], "mon 09:00", "America/Bogota")


def _on_call_at(runtime: Runtime, clock: ManualClock, moment: datetime) -> str:
    clock.set(moment)
    with runtime.unit_of_work(actor_name="test") as ctx:
        user = rotations.on_call(ctx, "primary")
        assert user is not None
        return user.name


def test_handoff_happens_exactly_at_the_local_handoff_time(runtime: Runtime, clock: ManualClock) -> None:
    add_team(runtime)
    _primary(runtime)  # Monday 07:00 in Bogota: bob's turn began last Monday at 09:00
    monday_0900_bogota = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert _on_call_at(runtime, clock, monday_0900_bogota - timedelta(seconds=1)) == "bob"
    assert _on_call_at(runtime, clock, monday_0900_bogota) == "carla"
    assert _on_call_at(runtime, clock, monday_0900_bogota + timedelta(days=7)) == "dora"
    assert _on_call_at(runtime, clock, monday_0900_bogota + timedelta(days=14)) == "bob"


def test_daily_handoff_keeps_local_time_across_daylight_saving(runtime: Runtime, clock: ManualClock) -> None:
    add_team(runtime)
    clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        rotations.add_rotation(ctx, "night", ["bob", "carla"], "daily 08:00", "Europe/Madrid")
        rotation = rotations.get_rotation(ctx, "night")
        # Madrid moves to summer time on 29 March: the handoff stays at 08:00 local, 06:00 UTC.
        shift = rotations.now_and_next(ctx, rotation, datetime(2026, 3, 29, 12, 0, tzinfo=UTC)).current
    assert shift.starts == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert shift.ends == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_override_covers_a_window_then_the_rotation_resumes(runtime: Runtime, clock: ManualClock) -> None:
    add_team(runtime)
    _primary(runtime)
    starts, ends = datetime(2026, 1, 6, 15, 0, tzinfo=UTC), datetime(2026, 1, 6, 23, 0, tzinfo=UTC)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        rotations.add_override(ctx, "primary", "ana", starts, ends)
        rotation = rotations.get_rotation(ctx, "primary")
        before = rotations.now_and_next(ctx, rotation, starts - timedelta(hours=1))
    assert (before.current.user, before.current.ends, before.next.user, before.next.override) == (
        "carla",
        starts,
        "ana",
        True,
    )
    assert _on_call_at(runtime, clock, starts) == "ana"
    assert _on_call_at(runtime, clock, ends - timedelta(seconds=1)) == "ana"
    assert _on_call_at(runtime, clock, ends) == "carla"


def test_rotation_refuses_unknown_people_zones_and_handoffs(runtime: Runtime) -> None:
    add_team(runtime)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        with pytest.raises(NotFound, match="No Puente user 'zoe'"):
            rotations.add_rotation(ctx, "primary", ["bob", "zoe"], "mon 09:00", "America/Bogota")
        with pytest.raises(InvalidInput, match="Unknown time zone 'Mars/Olympus'"):
            rotations.add_rotation(ctx, "primary", ["bob"], "mon 09:00", "Mars/Olympus")
        with pytest.raises(InvalidInput, match='Bad handoff day .*"mon 09:00"'):
            rotations.add_rotation(ctx, "primary", ["bob"], "someday 09:00", "UTC")


def test_chat_oncall_shows_now_and_next_in_the_viewers_time_zone(runtime: Runtime) -> None:
    add_team(runtime)
    assert "No on-call rotations yet" in say(runtime, "ana", "/incident oncall").text
    _primary(runtime)
    ana = say(runtime, "ana", "/incident oncall")  # ana is in America/Bogota
    assert ana.ok
    assert ana.text == "On call (times in America/Bogota):"
    assert ana.lines == ["primary: bob now, until Mon, Jan 5, 09:00 -05; next carla"]
    carla = say(runtime, "carla", "/incident oncall")  # carla is in Europe/Madrid
    assert carla.lines == ["primary: bob now, until Mon, Jan 5, 15:00 CET; next carla"]
    bob = say(runtime, "bob", "/incident oncall")  # no zone known: the rotation's own
    assert bob.lines == ["primary: bob now, until Mon, Jan 5, 09:00 -05; next carla"]


def test_cli_adds_rotations_and_overrides_and_lists_them(sqlite_url: str, tmp_path: Path) -> None:
    env = {"PUENTE_DATABASE_URL": sqlite_url, "PUENTE_VAR_DIR": str(tmp_path / "var"), "PUENTE_ESCALATION_POLICIES": ""}
    cli = CliRunner()
    for name in ("bob", "carla"):
        assert cli.invoke(main, ["users", "add", name, "--role", "oncall"], env=env).exit_code == 0
    added = cli.invoke(
        main,
        [
            "oncall",
            "rotation",
            "add",
            "primary",
            "--users",
            "bob,carla",
            "--handoff",
            "mon 09:00",
            "--tz",
            "America/Bogota",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert "added rotation primary: bob, carla, handoff mon 09:00 America/Bogota" in added.output
    override = cli.invoke(
        main,
        ["oncall", "override", "primary", "--user", "carla", "--from", "2020-01-01T00:00", "--to", "2099-01-01T00:00"],
        env=env,
    )
    assert override.exit_code == 0, override.output
    assert "carla covers primary from 2020-01-01T05:00:00+00:00" in override.output
    listed = cli.invoke(main, ["oncall", "rotation", "list"], env=env)
    assert "\tnow carla (override) until 2099-01-01T05:00:00+00:00" in listed.output
    bad = cli.invoke(
        main, ["oncall", "override", "primary", "--user", "carla", "--from", "tomorrow", "--to", "x"], env=env
    )
    assert bad.exit_code == 1 and "Bad time 'tomorrow'" in bad.output
