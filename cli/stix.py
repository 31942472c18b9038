"""`puente export` and `puente import`: tickets as STIX 2.1 bundles at the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from puente.cli.operator import check_schema, load_runtime, operator


@click.command("export")
@click.argument("reference")
@click.option("--compact", is_flag=True, help="One line of JSON instead of indented.")
def export_command(reference: str, compact: bool) -> None:
    """Print a ticket as a STIX 2.1 bundle (JSON), recording new versions of what changed."""
    from puente.services.exchange import service as exchange

    runtime = load_runtime()
    check_schema(runtime)
    with operator(runtime) as ctx:
        result = exchange.export_ticket(ctx, reference)
        payload = exchange.serialize(result.bundle, pretty=not compact)
    sys.stdout.buffer.write(payload + b"\n")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--as", "user", required=True, help="Puente user (analyst or above) the ticket is opened as")
def import_command(path: Path, user: str) -> None:
    """Open (or refresh) a ticket from a STIX 2.1 bundle file ('-' for standard input)."""
    from puente.services.errors import Unauthenticated
    from puente.services.exchange import importer
    from puente.storage.users import by_name

    runtime = load_runtime()
    check_schema(runtime)
    data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    with operator(runtime) as ctx:
        ctx.actor = by_name(ctx.session, user)
        if ctx.actor is None:
            raise Unauthenticated(f"No Puente user {user!r}: add one with puente users add {user} --role analyst")
        result = importer.import_content(ctx, data)
        verb = "opened" if result.created else "refreshed"
        click.echo(
            f"{result.ticket.reference}: {verb} from {result.objects} STIX objects"
            f" ({result.observables_added} observables, {result.notes_added} notes added,"
            f" {result.kept_unmodelled} other objects kept, {result.new_versions} versions stored)"
        )
        for reason in result.skipped:
            click.echo(f"  skipped {reason}")
