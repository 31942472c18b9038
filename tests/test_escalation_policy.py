"""Escalation policy files: refused at start-up with the line and the field, shown by `puente oncall policies`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from puente.cli.main import main
from puente.services.escalation.policies import PolicyError, load_policies, parse_policies
from puente.services.vocabularies.taxonomy import Severity
from tests.paging import CHAIN_POLICY, write_policy

BAD = """\
[channels.soc]
slack = "C0SOC"

[policies.critical]
repeat = 0

[[policies.critical.steps]]
user = "bob"
wait_minutes = "five"

[[policies.critical.steps]]
channel = "noc"
wait_minutes = 5
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as raised:
        parse_policies(text, "policies.toml")
    return str(raised.value).splitlines()


def test_bad_values_are_reported_with_their_line_and_field() -> None:
    assert _problems(BAD) == [
        "policies.toml: line 5, policies.critical.repeat: Input should be greater than or equal to 1 (got 0)",
        "policies.toml: line 9, policies.critical.steps[1].wait_minutes: Input should be a valid integer,"
        " unable to parse string as an integer (got 'five')",
    ]


def test_unknown_channel_unknown_field_and_two_targets_are_named() -> None:
    fixed = BAD.replace("repeat = 0", "repeat = 1").replace('"five"', "5")
    assert _problems(fixed) == [
        "policies.toml: line 12, policies.critical.steps[2].channel: unknown channel 'noc';"
        " define it as [channels.noc] (channels: soc)"
    ]
    typo = fixed.replace('channel = "noc"', 'channel = "soc"').replace('user = "bob"', 'usr = "bob"')
    assert _problems(typo)[0] == (
        "policies.toml: line 8, policies.critical.steps[1].usr: unknown field;"
        " a step has one of rotation, user, role, channel, owner, and wait_minutes"
    )
    both = fixed.replace('channel = "noc"', 'channel = "soc"\nuser = "ana"')
    assert _problems(both) == [
        "policies.toml: line 11, policies.critical.steps[2]: a step names exactly one of rotation, user, role,"
        " channel, owner (got user, channel)"
    ]
    assert _problems("[policies.urgent]\nrepeat = 1\n")[0].startswith(
        "policies.toml: line 1, policies.urgent: Input should be 'low', 'medium', 'high' or 'critical'"
    )


def test_a_channel_has_an_address_on_each_platform_the_file_names() -> None:
    found = parse_policies('[channels.soc]\nslack = "C0SOC"\ntelegram = "-1001"\nmatrix = "!soc:x.org"\n', "p.toml")
    assert found.channels["soc"].addresses == {"slack": "C0SOC", "telegram": "-1001", "matrix": "!soc:x.org"}
    assert _problems("[channels.soc]\n") == [
        'policies.toml: line 1, channels.soc: a channel needs slack = "C…" and/or telegram = "-100…"'
    ]
    assert _problems('[channels.soc]\nSlack = "C0SOC"\ntelegram = ""\n') == [
        "policies.toml: line 2, channels.soc.Slack: a chat platform is named in lower case, e.g. slack or telegram"
        " (got 'Slack')",
        "policies.toml: line 3, channels.soc.telegram: String should have at least 1 character (got '')",
    ]


def test_toml_syntax_errors_name_the_line() -> None:
    assert _problems("[policies.high\n") == [
        "policies.toml: not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 15)"
    ]


def test_a_file_overrides_its_severities_and_built_in_covers_the_rest(tmp_path: Path) -> None:
    found = load_policies(write_policy(tmp_path, CHAIN_POLICY))
    assert [s.target for s in found.for_severity("critical").steps] == [
        ("user", "bob"),
        ("user", "carla"),
        ("channel", "soc"),
    ]
    assert found.source[Severity.MEDIUM] == "built-in"
    assert load_policies(None).for_severity("critical").repeat == 3


def _env(tmp_path: Path, policies: Path) -> dict[str, str]:
    return {
        "PUENTE_DATABASE_URL": f"sqlite:///{tmp_path / 'puente.db'}",
        "PUENTE_VAR_DIR": str(tmp_path / "var"),
        "PUENTE_ESCALATION_POLICIES": str(policies),
    }


def test_puente_run_refuses_to_start_with_a_bad_policy_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run"], env=_env(tmp_path, write_policy(tmp_path, BAD)))
    assert result.exit_code == 1
    assert "bad escalation policy file (PUENTE_ESCALATION_POLICIES)" in result.output
    assert "line 9, policies.critical.steps[1].wait_minutes" in result.output
    missing = CliRunner().invoke(main, ["run"], env=_env(tmp_path, tmp_path / "nope.toml"))
    assert missing.exit_code == 1 and "cannot read" in missing.output and "nope.toml" in missing.output


def test_puente_run_refuses_a_channel_address_on_a_platform_it_has_no_adapter_for(tmp_path: Path) -> None:
    misspelt = CHAIN_POLICY.replace("[channels.soc]\n", '[channels.soc]\nslak = "C0TYPO"\n')
    assert misspelt != CHAIN_POLICY
    result = CliRunner().invoke(main, ["run"], env=_env(tmp_path, write_policy(tmp_path, misspelt)))
    assert result.exit_code == 1
    assert "[channels.soc] has an address on slak, a chat platform this Puente has no adapter for" in result.output
    assert "(use console, slack, telegram)" in result.output


def test_oncall_policies_shows_each_severity_and_where_it_comes_from(tmp_path: Path) -> None:
    path = write_policy(tmp_path, CHAIN_POLICY)
    result = CliRunner().invoke(main, ["oncall", "policies"], env=_env(tmp_path, path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        f"critical ({path}): up to 1 round(s) until acknowledged",
        "  1. user bob, then wait 5 min",
        "  2. user carla, then wait 5 min",
        "  3. channel soc, then wait 5 min",
    ]
    assert "medium (built-in): up to 1 round(s) until acknowledged" in lines
    assert lines[-2:] == [
        "cross-border tickets page from medium; more than 10 requests an hour from one peer share one page",
        "a ticket with no update reminds its owner after: critical 2 h, high 8 h, medium 72 h",
    ]
