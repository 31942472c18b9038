"""`puente peers`: the directory of peer CSIRTs (points of contact and TAXII endpoints)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from puente.cli.operator import load_runtime, operator
from puente.services.assistance import messages as assistance_messages
from puente.services.errors import PuenteError
from puente.services.inbox import held
from puente.services.peers import invitations
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
@click.option(
    "--password",
    envvar="PUENTE_PEER_PASSWORD",
    help="HTTP Basic password at the peer; better from PUENTE_PEER_PASSWORD, --password-file, or asked for"
    " (given --user alone on a terminal), as a command line is visible to others on the machine",
)
@click.option(
    "--password-file", type=click.File("r"), help="read the password from the first line of a file (- for stdin)"
)
@click.option("--key", envvar="PUENTE_PEER_KEY", help="API key at the peer (sent as Authorization: Token KEY)")
@click.option("--key-file", type=click.File("r"), help="read the API key from the first line of a file (- for stdin)")
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
    password_file: TextIO | None,
    key: str | None,
    key_file: TextIO | None,
    identity_id: str | None,
    contact: str,
    backup_contact: str,
) -> None:
    """Add a peer CSIRT. Its password or key is stored encrypted with PUENTE_SECRET_KEY."""
    password = _first_line(password_file) if password_file else password
    key = _first_line(key_file) if key_file else key
    if user and not password and not key and sys.stdin.isatty():
        password = click.prompt(f"Password of {user} at {name}", hide_input=True)
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


def _first_line(source: TextIO) -> str:
    return source.readline().rstrip("\r\n")


@peers_group.command("list")
def peers_list() -> None:
    """List peers, and our own identity (give it to peers for their --identity)."""
    with operator() as ctx:
        click.echo(f"our identity: {assistance_messages.our_identity(ctx)}")
        for peer in peers.listing(ctx):
            auth = "key" if peer.api_key else ("basic" if peer.user else "none")
            pull = f" pull={peer.pull_collection_id}" if peer.pull_collection_id else ""
            click.echo(
                f"{peer.name}\t{','.join(peer.countries)}\t{peer.taxii_url} push={peer.collection_id}{pull} auth={auth}"
                f"\tidentity={peer.identity_id or '-'}\tcontact={peer.contact or '-'}"
            )


@peers_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="drop what was queued for the peer and not delivered, without asking")
def peers_remove(name: str, yes: bool) -> None:
    """Remove a peer that has no requests or linked tickets on record. What was queued for it and not
    delivered is listed first, and dropped only once confirmed (or with --yes); the timeline keeps what was dropped."""
    drop: frozenset[int] | None = None
    if not yes:
        with operator() as ctx:
            waiting = peers.undelivered(ctx, name)
        if waiting:
            click.echo(f"{name} has {len(waiting)} delivery(ies) not delivered yet:")
            for item in waiting:
                click.echo(f"  {item.line}")
            click.confirm(f"Drop them and remove {name}?", abort=True)
        drop = frozenset(item.id for item in waiting)
    with operator() as ctx:
        peers.remove(ctx, name, drop)
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


def _token(given: str | None, what: str) -> str:
    """A peering token from the argument, a file (@path), stdin (-) or a hidden prompt: it holds credentials."""
    if given is None:
        return str(click.prompt(f"Paste the {what} token", hide_input=True))
    if given == "-":
        return sys.stdin.read().strip()
    if given.startswith("@"):
        return Path(given[1:]).read_text(encoding="utf-8").strip()
    return given


@peers_group.command("invite")
@click.argument("name")
@click.option("--countries", required=True, help="ISO 3166 codes the peer serves, e.g. BR")
@click.option("--domains", default="", help="domain suffixes in its constituency, e.g. gov.br,br")
@click.option("--asns", default="", help="ASNs in its constituency, e.g. 28573")
@click.option("--contact", default="", help="OUR point of contact, for the peer: name, phone, e-mail")
@click.option("--backup-contact", default="", help="OUR backup point of contact")
def peers_invite(name: str, countries: str, domains: str, asns: str, contact: str, backup_contact: str) -> None:
    """Invite a peer CSIRT: print one token for its operator to give to `puente peers join`."""
    with operator() as ctx:
        draft = invitations.Constituency(
            name, countries.split(","), peers.parse_domains(domains), peers.parse_asns(asns)
        )
        token = invitations.invite(ctx, draft, contact, backup_contact)
    click.echo(
        f"Give this token to {name}'s operator, who runs `puente peers join` (it holds credentials: send it privately):"
    )
    click.echo(token)
    click.echo("Then run `puente peers accept` here with the answer token they send back.")


@peers_group.command("join")
@click.argument("token", required=False)
@click.option("--name", help="the name we give the inviting CSIRT here (default: the one it suggests)")
@click.option("--contact", default="", help="OUR point of contact, for the peer: name, phone, e-mail")
@click.option("--backup-contact", default="", help="OUR backup point of contact")
def peers_join(token: str | None, name: str | None, contact: str, backup_contact: str) -> None:
    """Join a peering we were invited to (TOKEN, @FILE, - for stdin, or asked for); print the answer token."""
    with operator() as ctx:
        peer, answer = invitations.join(ctx, _token(token, "invitation"), name, contact, backup_contact)
        label = f"{peer.name} ({', '.join(peer.countries)})"
    click.echo(f"{label} is now our peer and partner. Send this answer token back to its operator privately:")
    click.echo(answer)
    click.echo(f"They run `puente peers accept`; then `puente peers test {peer.name}` checks the way there.")


@peers_group.command("accept")
@click.argument("token", required=False)
def peers_accept(token: str | None) -> None:
    """Complete a peering we invited with the answer token (TOKEN, @FILE, - for stdin, or asked for)."""
    with operator() as ctx:
        peer = invitations.accept(ctx, _token(token, "answer"))
        name = peer.name
    click.echo(f"{name} is now our peer and partner: `puente peers test {name}` checks the way there.")


@click.command("secret-key")
def secret_key() -> None:
    """Print a new key for PUENTE_SECRET_KEY, which encrypts the peer passwords and keys Puente stores."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


def _chosen(values: tuple[str, ...]) -> list[int] | None:
    """`all` (None: every object set aside) or the ids given; anything else is refused in one line."""
    if "all" in values:
        return None
    try:
        return [int(value) for value in values]
    except ValueError:
        raise click.ClickException(
            f"give ids as `puente peers inbox NAME` lists them, or all (got {', '.join(values)})"
        ) from None


@peers_group.command("inbox")
@click.argument("name")
@click.option("--retry", "retries", multiple=True, metavar="ID|all", help="apply a set-aside object again")
@click.option("--discard", "discards", multiple=True, metavar="ID|all", help="drop a set-aside object for good")
def peers_inbox(name: str, retries: tuple[str, ...], discards: tuple[str, ...]) -> None:
    """What the peer sent that could not be applied, set aside with the reason; retry or discard it."""
    runtime = load_runtime()
    if retries:
        try:
            outcome = held.retry(runtime, name, _chosen(retries))
        except PuenteError as error:
            raise click.ClickException(str(error)) from None
        for held_id, reason in outcome:
            click.echo(f"{held_id}: taken in" if reason is None else f"{held_id}: still failing: {reason}")
    if discards:
        with operator(runtime) as ctx:
            click.echo(f"discarded {held.discard(ctx, name, _chosen(discards))} object(s) from {name}")
    if retries or discards:
        return
    with operator(runtime) as ctx:
        rows = held.listing(ctx, name)
    if not rows:
        click.echo(f"nothing set aside from {name}")
    for row in rows:
        click.echo(f"{row.id}\t{row.stix_id}\t{row.version or '-'}\tset aside {row.held_at}, {row.attempts} attempt(s)")
        click.echo(f"\t{row.reason}")
