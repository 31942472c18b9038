"""`puente web-link --as USER`: the operator hands someone a sign-in link to the web view."""

from __future__ import annotations

import click

from puente.cli.operator import check_schema, load_runtime, operator
from puente.services.users import signin


@click.command("web-link")
@click.option("--as", "user", required=True, help="the Puente user the link signs in")
def web_link_command(user: str) -> None:
    """Print a single-use sign-in link to the web view (valid a few minutes), as /incident web gives in chat."""
    runtime = load_runtime()
    check_schema(runtime)
    with operator(runtime) as ctx:
        link = signin.issue_link(ctx, user)
    click.echo(f"link: {link.url}")
    click.echo(f"expires: {link.expires_at:%Y-%m-%d %H:%M} UTC")
