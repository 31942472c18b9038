"""`puente partners`: the teams that poll our TAXII collections, and their credentials."""

from __future__ import annotations

import click

from puente.cli.operator import load_runtime, operator
from puente.services.feeds import partners


@click.group("partners")
def partners_group() -> None:
    """TAXII partners: credentials and the collections each may use."""


@partners_group.command("add")
@click.argument("name")
@click.option("--peer", help="the peer CSIRT this partner speaks for (gives it that peer's collection and inbox)")
@click.option("--identity", help="the partner's STIX identity id; objects it posts must have it as created_by_ref")
@click.option(
    "--collections", "collection_list", help="comma-separated aliases to limit access to, e.g. public,community"
)
def partners_add(name: str, peer: str | None, identity: str | None, collection_list: str | None) -> None:
    """Add a partner and print its credentials (shown once: only hashes are kept)."""
    runtime = load_runtime()
    with operator(runtime) as ctx:
        issued = partners.add(
            ctx, name, peer=peer, identity=identity, collections=collection_list.split(",") if collection_list else None
        )
    click.echo(f"user: {issued.user}")
    click.echo(f"password: {issued.password}")
    click.echo(f"key: {issued.key}")
    click.echo(f"collections: {' '.join(g.describe for g in issued.collections)}")
    click.echo(f"discovery: {runtime.settings.effective_base_url}/taxii2/")


@partners_group.command("list")
def partners_list() -> None:
    """List partners and their collections."""
    with operator() as ctx:
        for partner, granted in partners.listing(ctx):
            state = "revoked" if partner.revoked_at else "active"
            peer = f"peer={partner.peer}" if partner.peer else "partner"
            click.echo(f"{partner.name}\t{state}\t{peer}\t{' '.join(g.describe for g in granted)}".rstrip())


@partners_group.command("revoke")
@click.argument("name")
def partners_revoke(name: str) -> None:
    """Withdraw a partner's credentials and access at once."""
    with operator() as ctx:
        partners.revoke(ctx, name)
    click.echo(f"revoked {name}")
