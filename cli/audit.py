"""`puente audit`: the audit timeline as the operator checks it."""

from __future__ import annotations

import sys

import click

from puente.cli.operator import operator
from puente.services.tickets import audit


@click.group("audit")
def audit_group() -> None:
    """The audit timeline: every state change, each event chained to the one before it."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check every event against its digest and the event before it; name the first that does not hold."""
    with operator() as ctx:
        report = audit.verify(ctx)
    if report.intact:
        click.echo(f"timeline intact: {report.checked} event(s), each chained to the one before it")
        return
    click.echo(f"timeline broken at {report.broken}")
    sys.exit(1)
