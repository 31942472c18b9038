"""`puente doctor` and `puente config`: is this Puente set up right, and with what."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import click
from sqlalchemy.exc import OperationalError

from puente import settings as settings_module
from puente.cli.operator import shown_url, unreachable
from puente.settings import Settings, SettingsError, effective, load_settings, unknown_variables


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: what was checked, what was found, what to do."""

    subject: str
    finding: str
    ok: bool = True
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        fix = f" Fix: {self.fix}" if self.fix and not self.ok else ""
        finding = self.finding if not fix or self.finding.endswith((".", "?")) else f"{self.finding}."
        return f"{mark}  {self.subject}: {finding}{fix}"


@click.command()
def config() -> None:
    """Show the effective settings, where each came from (environment, .env, default), secrets masked."""
    try:
        current = load_settings()
    except SettingsError as error:
        raise click.ClickException(f"bad setting: {error}") from None
    for row in effective(current):
        click.echo(f"{row.name}={row.value}  ({row.source})")
    for unknown in unknown_variables():
        click.echo(unknown.warning(), err=True)


@click.command()
def doctor() -> None:
    """Check settings, database, migrations, escalation policies, peers and chat tokens; one line each."""
    checks = list(_settings_checks())
    try:
        current = load_settings()
    except SettingsError as error:
        checks.append(Check("settings", str(error), ok=False, fix="correct the variable in the environment or .env"))
        _report(checks)
        return
    checks.append(_identity(current))
    database = _database(current, checks)
    if database:
        checks.extend(_policies_and_peers(current))
    for platform, token, verify in _chat_checks(current):
        if token:
            checks.append(_chat(platform, verify, current))
    _report(checks)


def _report(checks: list[Check]) -> None:
    for check in checks:
        click.echo(check.line())
    failed = sum(not check.ok for check in checks)
    click.echo("all good" if not failed else f"{failed} problem(s) found")
    sys.exit(1 if failed else 0)


def _settings_checks() -> list[Check]:
    return [
        Check(u.name, u.warning().removeprefix("warning: "), ok=False, fix=f"rename or remove it in the {u.where}")
        for u in unknown_variables()
    ]


def _identity(current: Settings) -> Check:
    missing = [name for name in ("PUENTE_CSIRT_NAME", "PUENTE_CSIRT_COUNTRY") if name in settings_module.unset()]
    if missing:
        return Check(
            "identity",
            f"{' and '.join(missing)} not set: this Puente calls itself"
            f" {current.csirt_name} of {current.csirt_country}",
            ok=False,
            fix="set both in .env (e.g. PUENTE_CSIRT_NAME=cert-br, PUENTE_CSIRT_COUNTRY=BR)",
        )
    return Check("identity", f"{current.csirt_name} ({current.csirt_country})")


def _database(current: Settings, checks: list[Check]) -> bool:
    from puente.storage import migrate
    from puente.storage.engine import make_engine

    url = current.effective_database_url
    engine = make_engine(url)
    try:
        at = migrate.current_revision(engine)
    except OperationalError as error:
        problem = str(unreachable(url, error).message)
        finding, _, fix = problem.partition(" Fix: ")
        checks.append(Check("database", finding, ok=False, fix=fix))
        return False
    finally:
        engine.dispose()
    head = migrate.head_revision()
    checks.append(Check("database", f"{shown_url(url)} reachable"))
    migrated = at == head
    checks.append(
        Check("migrations", f"at {at or 'nothing'}, this Puente expects {head}", ok=migrated, fix="puente db upgrade")
    )
    return migrated


def _policies_and_peers(current: Settings) -> list[Check]:
    from puente.cli.operator import operator
    from puente.cli.serve import CHAT_PLATFORMS
    from puente.services.context import Runtime
    from puente.services.escalation import regulatory
    from puente.services.escalation import service as escalation
    from puente.services.escalation.policies import PolicyError
    from puente.services.peers import service as peers

    runtime = Runtime.from_settings(current)
    found: list[Check] = []
    try:
        escalation.check_policies(runtime, CHAT_PLATFORMS)
        found.append(Check("escalation policies", str(current.escalation_policies or "built-in defaults")))
    except PolicyError as error:
        found.append(
            Check("escalation policies", str(error).replace("\n", "; "), ok=False, fix="correct the policy file")
        )
    try:
        regulatory.load_clocks(current.regulatory_clocks)
        found.append(Check("regulatory clocks", str(current.regulatory_clocks or "built-in defaults")))
    except regulatory.ClockError as error:
        found.append(
            Check("regulatory clocks", str(error).replace("\n", "; "), ok=False, fix="correct the clocks file")
        )
    with operator(runtime) as ctx:
        names = [peer.name for peer in peers.listing(ctx)]
    for name in names:
        with operator(runtime) as ctx:
            probe = peers.test(ctx, name)
        summary = "; ".join(probe.lines)
        fix = f"see `puente peers test {name}`; re-add it with the URL and credentials its operator gives you"
        found.append(Check(f"peer {name}", summary, ok=probe.ok, fix=fix))
    runtime.engine.dispose()
    return found


def _chat_checks(current: Settings) -> list[tuple[str, str, Callable[[Settings], str]]]:
    from puente.bot.slack.credentials import verify_token as slack
    from puente.bot.telegram.credentials import verify_token as telegram

    return [("Slack", current.slack_bot_token, slack), ("Telegram", current.telegram_bot_token, telegram)]


def _chat(platform: str, verify: Callable[[Settings], str], current: Settings) -> Check:
    variable = f"{platform.upper()}_BOT_TOKEN"
    try:
        return Check(f"{platform} token", verify(current))
    except Exception as error:  # any failure to reach or to be accepted is the finding
        return Check(
            f"{platform} token",
            str(error) or type(error).__name__,
            ok=False,
            fix=f"check {variable} and {platform.upper()}_API_URL",
        )
