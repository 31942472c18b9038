"""`puente oncall`: rotations, overrides and the escalation policies in force."""

from __future__ import annotations

import click

from puente.cli.operator import load_runtime, operator
from puente.services.escalation import rotations
from puente.services.escalation.policies import PolicyError, load_policies
from puente.services.vocabularies.taxonomy import Severity


@click.group("oncall")
def oncall_group() -> None:
    """On-call rotations, overrides and escalation policies."""


@oncall_group.group("rotation")
def rotation_group() -> None:
    """People taking turns on call."""


@rotation_group.command("add")
@click.argument("name")
@click.option("--users", "members", required=True, help="Puente users in turn order, comma-separated: ana,bob,carla")
@click.option("--handoff", required=True, help='When the turn passes: "mon 09:00" (weekly) or "daily 08:00"')
@click.option(
    "--tz", "timezone", default="UTC", show_default=True, help="IANA time zone of the handoff, e.g. America/Bogota"
)
def rotation_add(name: str, members: str, handoff: str, timezone: str) -> None:
    """Add a rotation; the first user is on call from the latest handoff."""
    with operator() as ctx:
        rotation = rotations.add_rotation(ctx, name, members.split(","), handoff, timezone)
        now = rotations.now_and_next(ctx, rotation)
        click.echo(
            f"added rotation {rotation.name}: {', '.join(rotation.members)}, "
            f"handoff {rotation.handoff} {rotation.timezone}"
        )
        click.echo(f"on call now: {now.current.user} until {now.current.ends.isoformat()}; next: {now.next.user}")


@rotation_group.command("list")
def rotation_list() -> None:
    """Rotations with who is on call now and next."""
    with operator() as ctx:
        found = rotations.listing(ctx)
        if not found:
            click.echo(
                "no rotations yet: "
                'puente oncall rotation add NAME --users a,b --handoff "mon 09:00" --tz America/Bogota'
            )
        for item in found:
            r = item.rotation
            override = " (override)" if item.current.override else ""
            click.echo(
                f"{r.name}\t{','.join(r.members)}\t{r.handoff} {r.timezone}\tnow {item.current.user}{override}"
                f" until {item.current.ends.isoformat()}\tnext {item.next.user}"
            )


@rotation_group.command("remove")
@click.argument("name")
def rotation_remove(name: str) -> None:
    """Remove a rotation and its overrides."""
    with operator() as ctx:
        rotations.remove_rotation(ctx, name)
        click.echo(f"removed rotation {name}")


@oncall_group.command("override")
@click.argument("name")
@click.option("--user", required=True, help="Puente user who covers")
@click.option("--from", "starts", required=True, help="ISO time, e.g. 2026-03-02T09:00 (rotation's zone) or …Z")
@click.option("--to", "ends", required=True, help="ISO time when the cover ends")
def override(name: str, user: str, starts: str, ends: str) -> None:
    """Let USER be on call for rotation NAME for a while (the newest override wins)."""
    with operator() as ctx:
        rotation = rotations.get_rotation(ctx, name)
        zone = rotations.parse_timezone(rotation.timezone)
        added = rotations.add_override(
            ctx, name, user, rotations.parse_moment(starts, zone), rotations.parse_moment(ends, zone)
        )
        click.echo(
            f"{added.user_name} covers {rotation.name} from "
            f"{added.starts_at.isoformat()} to {added.ends_at.isoformat()}"
        )


@oncall_group.command("policies")
def policies() -> None:
    """The escalation policy of each severity (PUENTE_ESCALATION_POLICIES, or built-in)."""
    runtime = load_runtime()
    try:
        found = load_policies(runtime.settings.escalation_policies)
    except PolicyError as error:
        raise click.ClickException(str(error)) from None
    for severity in reversed(list(Severity)):
        policy = found.for_severity(severity)
        click.echo(f"{severity.value} ({found.source[severity]}): up to {policy.repeat} round(s) until acknowledged")
        for number, step in enumerate(policy.steps, start=1):
            click.echo(f"  {number}. {step.describe()}")
    click.echo(
        f"cross-border tickets page from {found.paging.cross_border_from.value};"
        f" more than {found.paging.peer_pages_per_hour} requests an hour from one peer share one page"
    )
    quiet = [
        f"{severity.value} {limit.total_seconds() / 3600:g} h"
        for severity in reversed(list(Severity))
        if (limit := found.stale_after(severity)) is not None
    ]
    click.echo("a ticket with no update reminds its owner after: " + (", ".join(quiet) or "never"))
