"""Peering in one exchange: an invitation token, an answer token, and both sides are registered.

Without this, two CSIRTs make four registrations (each issues the other TAXII credentials and
records the other as a peer) and copy ids between them by hand. Here the inviting side issues its
credentials and packs them, with its identity and contact, into one token; the joining side
registers the inviter, issues its own credentials and answers with a token; accepting the answer
completes the inviter's side. Tokens carry credentials: they are read from a prompt, a file or
stdin, never needed on a command line, and each is shown once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import asdict, dataclass, field

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound
from puente.services.exchange import service as exchange
from puente.services.feeds import partners
from puente.services.peers import service as peers
from puente.services.vocabularies.countries import country_codes
from puente.storage import peers as peer_store
from puente.storage.peers import Peer

PREFIX = "puente-peering:"
BAD_TOKEN = (
    "That is not a Puente peering token: paste the whole line, starting puente-peering:, that {command} printed."
)


@dataclass(frozen=True)
class Constituency:
    """What the inviting operator said about the peer it invites: its name here and what it serves."""

    name: str
    countries: list[str]
    domains: list[str] = field(default_factory=list)
    asns: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Offer:
    """One side of a peering: how to reach it, as whom to recognise it, and whom to call."""

    kind: str  # "invite" or "answer"
    csirt: str
    country: str
    suggested_name: str
    taxii_url: str
    inbox: str
    collection: str
    key: str
    identity: str
    contact: str
    backup_contact: str
    invited: Constituency

    def token(self) -> str:
        payload = json.dumps(asdict(self), separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(payload).decode().rstrip("=")

    @classmethod
    def read(cls, token: str, kind: str) -> Offer:
        command = "`puente peers invite`" if kind == "invite" else "`puente peers join`"
        # Tolerate what surrounds the token when a whole output was saved or pasted.
        found = re.search(re.escape(PREFIX) + r"([A-Za-z0-9_-]+)", token)
        if found is None:
            raise InvalidInput(BAD_TOKEN.format(command=command))
        body = found.group(1)
        try:
            fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            fields["invited"] = Constituency(**fields["invited"])
            offer = cls(**fields)
        except (binascii.Error, ValueError, TypeError, KeyError):
            raise InvalidInput(BAD_TOKEN.format(command=command)) from None
        if offer.kind != kind:
            hint = "`puente peers accept`" if offer.kind == "answer" else "`puente peers join`"
            raise InvalidInput(_("This is an {kind} token: it goes to {hint}.").format(kind=offer.kind, hint=hint))
        return offer


def _offer(
    ctx: Context,
    kind: str,
    issued: partners.IssuedCredentials,
    suggested_name: str,
    contacts: tuple[str, str],
    invited: Constituency,
) -> Offer:
    """Our side, as the token tells it: where to reach us with the credentials just issued."""
    collections = {granted.alias: granted.id for granted in issued.collections}
    settings = ctx.settings
    return Offer(
        kind=kind,
        csirt=settings.csirt_name,
        country=settings.csirt_country,
        suggested_name=suggested_name,
        taxii_url=f"{settings.effective_base_url}/taxii2/",
        inbox=collections[f"{issued.partner.name}-inbox"],
        collection=collections[issued.partner.name],
        key=issued.key,
        identity=str(exchange.our_identity(ctx)["id"]),
        contact=contacts[0],
        backup_contact=contacts[1],
        invited=invited,
    )


def invite(ctx: Context, draft: Constituency, contact: str = "", backup_contact: str = "") -> str:
    """Issue credentials for the peer we invite and return the invitation token for its operator."""
    if peer_store.by_name(ctx.session, draft.name) is not None:
        raise Conflict(
            _("Peer {name!r} exists already; `puente peers remove {name}` first to replace it.").format(name=draft.name)
        )
    invited = Constituency(draft.name, country_codes(draft.countries), list(draft.domains), list(draft.asns))
    if not invited.countries:
        raise InvalidInput(_("A peer serves at least one country: --countries BR,AR"))
    issued = partners.add(ctx, draft.name, peer=draft.name)
    # The name the invited side will know us by, unless its operator chooses another.
    our_name = re.sub(r"[^a-z0-9._-]+", "-", ctx.settings.csirt_name.lower()).strip("-") or "peer"
    offer = _offer(ctx, "invite", issued, our_name, (contact, backup_contact), invited)
    ctx.record(action="peer-invited", summary=f"{draft.name} ({','.join(invited.countries)})")
    return offer.token()


def join(
    ctx: Context, token: str, name: str | None = None, contact: str = "", backup_contact: str = ""
) -> tuple[Peer, str]:
    """Register the inviting CSIRT as our peer and partner; return it and the answer token for its operator."""
    offer = Offer.read(token, "invite")
    local_name = (name or offer.suggested_name).strip()
    peer = peers.add(ctx, _draft(local_name, [offer.country], offer))
    issued = partners.add(ctx, local_name, peer=local_name, identity=offer.identity)
    answer = _offer(ctx, "answer", issued, offer.invited.name, (contact, backup_contact), offer.invited)
    ctx.record(action="peer-joined", summary=f"{local_name} ({offer.csirt}, {offer.country}) invited us")
    return peer, answer.token()


def accept(ctx: Context, token: str) -> Peer:
    """Complete our side of a peering we invited: record the peer and recognise its identity."""
    answer = Offer.read(token, "answer")
    invited = answer.invited
    partner = partners.named(ctx, invited.name)
    if partner is None or partner.peer != invited.name:
        raise NotFound(
            _("We never invited {name!r}: `puente peers invite {name} …` starts a peering.").format(name=invited.name)
        )
    partners.set_identity(ctx, invited.name, answer.identity)
    draft = _draft(invited.name, invited.countries, answer)
    draft.domains, draft.asns = list(invited.domains), list(invited.asns)
    peer = peers.add(ctx, draft)
    ctx.record(action="peer-accepted", summary=f"{invited.name} ({answer.csirt}, {answer.country})")
    return peer


def _draft(name: str, countries: list[str], offer: Offer) -> peers.PeerDraft:
    return peers.PeerDraft(
        name=name,
        countries=countries,
        taxii_url=offer.taxii_url,
        collection_id=offer.inbox,
        pull_collection_id=offer.collection,
        key=offer.key,
        identity_id=offer.identity,
        contact=offer.contact,
        backup_contact=offer.backup_contact,
    )
