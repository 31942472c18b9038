"""`puente peers`: the directory of peer CSIRTs (points of contact and TAXII endpoints)."""

from __future__ import annotations

import sys

import click

from puente.cli.operator import operator
from puente.services.assistance import service as assistance
from puente.services.peers import service as peers
from puente.services.vocabularies.countries import country_codes


@click.group("peers")
def peers_group() -> None:
    """Peer CSIRTs: who to reach in which country, and how (TAXII 2.1)."""


@peers_group.command("add")
@click.argument("name")
@click.option("--countries", required=True, help="ISO 3166 codes the peer serves, e.g. BR,AR")
@click.option("--asns", default="", help="ASNs in its constituency, e.g. 28573,AS7738")
@click.option("--domains", default="", help="domain suffixes in its constituency, e.g. gov.br,br")
@click.option("--taxii-url", required=True, help="the peer's TAXII discovery or API root URL")
@click.option("--collection", "collection_id", required=True, help="collection id we push into (our inbox at the peer)")
@click.option("--pull-collection", "pull_collection_id", help="collection id we poll for the peer's objects (optional)")
@click.option("--user", help="HTTP Basic user at the peer")
@click.option("--password", help="HTTP Basic password at the peer")
@click.option("--key", help="API key at the peer (sent as Authorization: Token KEY)")
@click.option("--identity", "identity_id", help="the peer's STIX identity id; only objects it created are accepted")
@click.option("--contact", default="", help="point of contact: name, phone, e-mail")
@click.option("--backup-contact", default="", help="backup point of contact, called when an RFA is not acknowledged")
def peers_add(
    name: str,
    countries: str,
    asns: str,
    domains: str,
    taxii_url: str,
    collection_id: str,
    pull_collection_id: str | None,
    user: str | None,
    password: str | None,
    key: str | None,
    identity_id: str | None,
    contact: str,
    backup_contact: str,
) -> None:
    """Add a peer CSIRT."""
    with operator() as ctx:
        draft = peers.PeerDraft(
            name=name,
            countries=country_codes(countries),
            taxii_url=taxii_url,
            collection_id=collection_id,
            pull_collection_id=pull_collection_id,
            asns=peers.parse_asns(asns),
            domains=peers.parse_domains(domains),
            user=user,
            password=password,
            key=key,
            identity_id=identity_id,
            contact=contact,
            backup_contact=backup_contact,
        )
        peer = peers.add(ctx, draft)
        click.echo(f"added peer {peer.name} ({','.join(peer.countries)}); check it with: puente peers test {peer.name}")


@peers_group.command("list")
def peers_list() -> None:
    """List peers, and our own identity (give it to peers for their --identity)."""
    with operator() as ctx:
        click.echo(f"our identity: {assistance.our_identity(ctx)}")
        for peer in peers.listing(ctx):
            auth = "key" if peer.api_key else ("basic" if peer.user else "none")
            pull = f" pull={peer.pull_collection_id}" if peer.pull_collection_id else ""
            click.echo(
                f"{peer.name}\t{','.join(peer.countries)}\t{peer.taxii_url} push={peer.collection_id}{pull} auth={auth}"
                f"\tidentity={peer.identity_id or '-'}\tcontact={peer.contact or '-'}"
            )


@peers_group.command("remove")
@click.argument("name")
def peers_remove(name: str) -> None:
    """Remove a peer that has no requests or linked tickets on record."""
    with operator() as ctx:
        peers.remove(ctx, name)
        click.echo(f"removed peer {name}")


@peers_group.command("test")
@click.argument("name")
def peers_test(name: str) -> None:
    """Discover the peer's server, API root and collection; say what works: auth, read, write."""
    with operator() as ctx:
        found = peers.test(ctx, name)
    for line in found.lines:
        click.echo(line)
    click.echo("all good" if found.ok else "problems found (see above)")
    sys.exit(0 if found.ok else 1)
