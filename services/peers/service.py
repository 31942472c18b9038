"""The peers directory: peer CSIRTs, their points of contact, their TAXII endpoints, and routing
(which peers a ticket's countries, ASNs and domains suggest)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from puente.i18n import N_, Phrase, Words, _
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound
from puente.services.peers import outbox, secrets
from puente.services.vocabularies.countries import country_code, country_codes
from puente.settings import Settings
from puente.storage import assistance as request_store
from puente.storage import inbox as inbox_store
from puente.storage import outbox as outbox_store
from puente.storage import peers as peer_store
from puente.storage.models import Ticket
from puente.storage.peers import Peer

if TYPE_CHECKING:
    from puente.taxii import client

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# A suffix of the constituency: a domain such as gov.br, or a top-level domain alone such as br.
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z]{2,63}$")


@dataclass
class PeerDraft:
    name: str
    countries: list[str]
    taxii_url: str
    collection_id: str
    pull_collection_id: str | None = None
    asns: list[int] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    user: str | None = None
    password: str | None = None
    key: str | None = None
    identity_id: str | None = None
    contact: str = ""
    backup_contact: str = ""


def parse_asns(value: str) -> list[int]:
    asns: list[int] = []
    for item in value.split(","):
        text = item.strip().upper().removeprefix("AS")
        if not text:
            continue
        if not text.isdigit() or not 0 < int(text) < 2**32:
            raise InvalidInput(_("Bad ASN {item!r}: use numbers such as 28573 or AS28573.").format(item=item.strip()))
        asns.append(int(text))
    return asns


def parse_domains(value: str) -> list[str]:
    domains: list[str] = []
    for item in value.split(","):
        text = item.strip().lower().lstrip(".")
        if not text:
            continue
        if not _DOMAIN.match(text):
            raise InvalidInput(
                _("Bad domain {item!r}: use a suffix such as gov.br, example.ar or br.").format(item=item.strip())
            )
        domains.append(text)
    return domains


def add(ctx: Context, draft: PeerDraft) -> Peer:
    if not _NAME.match(draft.name):
        raise InvalidInput(
            _("Bad peer name {name!r}: one word of letters, digits, '.', '_' or '-', e.g. cert-br.").format(
                name=draft.name
            )
        )
    if peer_store.by_name(ctx.session, draft.name) is not None:
        raise Conflict(
            _("Peer {name!r} exists already; `puente peers remove {name}` first to replace it.").format(name=draft.name)
        )
    countries = country_codes(draft.countries)
    if not countries:
        raise InvalidInput(_("A peer serves at least one country: --countries BR,AR"))
    if not draft.taxii_url.startswith(("http://", "https://")):
        raise InvalidInput(
            _("Bad TAXII URL {taxii_url!r}: give the server's discovery or API root URL (http:// or https://).").format(
                taxii_url=draft.taxii_url
            )
        )
    if draft.key and (draft.user or draft.password):
        raise InvalidInput(_("Give either --user/--password or --key for a peer, not both."))
    if bool(draft.user) != bool(draft.password):
        raise InvalidInput(
            _(
                "--user and a password go together: --password-file FILE or PUENTE_PEER_PASSWORD (or run on a "
                "terminal to be asked)."
            )
        )
    if draft.identity_id and not re.match(r"^identity--[0-9a-f-]{36}$", draft.identity_id):
        raise InvalidInput(
            _("Bad identity {identity_id!r}: a STIX id such as identity--f431f809-377b-45e0-aa1c-6a4751cae5ff.").format(
                identity_id=draft.identity_id
            )
        )
    if draft.identity_id and peer_store.by_identity(ctx.session, draft.identity_id) is not None:
        raise Conflict(_("Another peer already has identity {identity_id}.").format(identity_id=draft.identity_id))
    peer = Peer(
        name=draft.name,
        countries=countries,
        asns=list(draft.asns),
        domains=list(draft.domains),
        taxii_url=draft.taxii_url,
        collection_id=draft.collection_id.strip(),
        pull_collection_id=(draft.pull_collection_id or "").strip() or None,
        user=draft.user or None,
        password=secrets.seal(ctx.settings, draft.password, f"the password for peer {draft.name}")
        if draft.password
        else None,
        api_key=secrets.seal(ctx.settings, draft.key, f"the API key for peer {draft.name}") if draft.key else None,
        identity_id=draft.identity_id or None,
        contact=draft.contact,
        backup_contact=draft.backup_contact,
        created_at=ctx.now(),
    )
    ctx.session.add(peer)
    ctx.session.flush()
    ctx.record(
        action="peer-added",
        summary=f"{peer.name} ({','.join(countries)}) at {peer.taxii_url}",
        after={
            "name": peer.name,
            "countries": countries,
            "taxii_url": peer.taxii_url,
            "collection": peer.collection_id,
        },
    )
    return peer


def get(ctx: Context, name: str) -> Peer:
    peer = peer_store.by_name(ctx.session, name.strip())
    if peer is None:
        known = ", ".join(p.name for p in peer_store.all_peers(ctx.session)) or _("none yet (puente peers add …)")
        raise NotFound(_("No peer {name!r}. Known peers: {known}.").format(name=name.strip(), known=known))
    return peer


@dataclass(frozen=True)
class Undelivered:
    """Something queued for a peer that has not reached it."""

    id: int
    line: str


def undelivered(ctx: Context, name: str) -> list[Undelivered]:
    """What removing the peer would drop: what was queued for it and has not reached it."""
    peer = get(ctx, name)
    return [
        Undelivered(row.id or 0, f"#{row.id} {row.summary} ({row.state}, {row.attempts} attempt(s))")
        for row in outbox_store.undelivered_to(ctx.session, peer.id or 0)
    ]


def remove(ctx: Context, name: str, drop: frozenset[int] | None = frozenset()) -> None:
    """Remove the peer. What was queued for it and not delivered is dropped only if listed in `drop`
    (as `undelivered` showed it to the operator; None drops whatever there is), and each drop is
    recorded on its ticket's timeline and with the removal."""
    peer = get(ctx, name)
    history = len(request_store.of_peer(ctx.session, peer.id or 0)) + len(
        peer_store.links_of_peer(ctx.session, peer.id or 0)
    )
    if history:
        raise Conflict(
            _(
                "{name} has {history} assistance request(s) or linked ticket(s) on record; the audit trail "
                "keeps the peer. Change its endpoint with remove/add only before it is used."
            ).format(name=peer.name, history=history)
        )
    waiting = outbox_store.undelivered_to(ctx.session, peer.id or 0)
    unconfirmed = [row for row in waiting if drop is not None and row.id not in drop]
    if unconfirmed:
        raise Conflict(
            _(
                "{name} has {unconfirmed} delivery(ies) not delivered yet that removing it would drop "
                "({value}); `puente peers remove {name}` lists them and asks before dropping them (--yes drops "
                "them without asking)."
            ).format(
                name=peer.name,
                unconfirmed=len(unconfirmed),
                value=", ".join(f"#{row.id} {row.summary}" for row in unconfirmed[:5]),
            )
        )
    for row in waiting:
        ctx.record(
            action="delivery-dropped",
            summary=Phrase(
                N_("{what} → {peer}: dropped with the peer, never delivered ({state})"),
                {"what": outbox.said(row), "peer": peer.name, "state": Words("delivery state", (row.state,))},
            ),
            ticket_id=row.ticket_id,
        )
    before = {
        "name": peer.name,
        "countries": peer.countries,
        "taxii_url": peer.taxii_url,
        "dropped": [{"delivery": row.id, "ticket_id": row.ticket_id, "summary": row.summary} for row in waiting],
    }
    peer_store.forget_deliveries(ctx.session, peer.id or 0)
    inbox_store.forget(ctx.session, peer.id or 0)
    ctx.session.delete(peer)
    ctx.session.flush()
    dropped = f"; dropped {len(waiting)} undelivered delivery(ies)" if waiting else ""
    ctx.record(action="peer-removed", summary=peer.name + dropped, before=before)


def listing(ctx: Context, country: str | None = None) -> list[Peer]:
    peers = peer_store.all_peers(ctx.session)
    if country:
        code = country_code(country)
        peers = [p for p in peers if code in p.countries]
    return peers


def endpoint(settings: Settings, peer: Peer, collection_id: str | None = None) -> client.Endpoint:
    """Where and how to reach the peer, its secrets opened for the purpose."""
    # Imported here, as in `test`: the TAXII client loads requests and taxii2client, which only reaching a peer needs.
    from puente.taxii import client

    return client.Endpoint(
        url=peer.taxii_url,
        collection_id=collection_id or peer.collection_id,
        user=peer.user,
        password=secrets.unseal(settings, peer.password, f"the password for peer {peer.name}"),
        key=secrets.unseal(settings, peer.api_key, f"the API key for peer {peer.name}"),
        api_root_url=peer.api_root_url,
    )


def test(ctx: Context, name: str) -> client.Probe:
    """Probe the peer's server (push collection, then the pull collection) and remember the API root found."""
    from puente.taxii import client

    peer = get(ctx, name)
    found = client.probe(endpoint(ctx.settings, peer))
    if found.api_root_url and found.api_root_url != peer.api_root_url:
        peer.api_root_url = found.api_root_url
        ctx.session.add(peer)
    if peer.pull_collection_id and peer.pull_collection_id != peer.collection_id:
        pulled = client.probe(endpoint(ctx.settings, peer, peer.pull_collection_id), for_pulling=True)
        for line in pulled.lines:
            if line.startswith(("collection", "read")):
                found.say(f"pull {line}")
        found.ok = found.ok and pulled.ok
    return found


@dataclass(frozen=True)
class Suggestion:
    """A peer a ticket points to, and why."""

    peer: Peer
    because: str


def suggest(ctx: Context, ticket: Ticket, domains: Sequence[str] = (), asns: Sequence[int] = ()) -> list[Suggestion]:
    """Peers whose countries, domains or ASNs the ticket touches, most specific reason first."""
    ours = ctx.settings.csirt_country
    found: dict[int, Suggestion] = {}
    for peer in peer_store.all_peers(ctx.session):
        assert peer.id is not None
        asn = next((a for a in asns if a in peer.asns), None)
        domain = next((d for d in domains for suffix in peer.domains if d == suffix or d.endswith("." + suffix)), None)
        country = next((c for c in ticket.countries if c != ours and c in peer.countries), None)
        if asn is not None:
            found[peer.id] = Suggestion(peer, f"AS{asn}")
        elif domain is not None:
            found[peer.id] = Suggestion(peer, f"domain {domain}")
        elif country is not None:
            found[peer.id] = Suggestion(peer, f"country {country}")
    return sorted(found.values(), key=lambda s: s.peer.name)


def resolve_recipients(ctx: Context, names: list[str]) -> list[Peer]:
    """Peers named by the analyst: a peer name, or a country code standing for its peers."""
    chosen: dict[int, Peer] = {}
    for name in names:
        peer = peer_store.by_name(ctx.session, name)
        if peer is None and len(name) == 2:
            code = country_code(name)
            by_country = [p for p in peer_store.all_peers(ctx.session) if code in p.countries]
            if not by_country:
                raise NotFound(
                    _("No peer serves {code}; add one with puente peers add NAME --countries {code} …").format(
                        code=code
                    )
                )
            for found in by_country:
                chosen[found.id or 0] = found
            continue
        if peer is None:
            peer = get(ctx, name)
        chosen[peer.id or 0] = peer
    return list(chosen.values())
