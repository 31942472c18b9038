"""Partners: teams that poll our TAXII collections, with credentials issued once and stored hashed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from puente.services.feeds.collections import ensure_collection, visible
from puente.services.feeds.records import AuthenticatedPartner
from puente.services.handling import policy as handling
from puente.services.handling.policy import Rights
from puente.storage import collections as collection_store
from puente.storage import partners
from puente.storage.partners import Partner, PartnerGrant

IDENTITY_ID = re.compile(r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
AUTH_HINT = "Send HTTP Basic credentials or `Authorization: Token <key>` as issued by `puente partners add`."


@dataclass(frozen=True)
class GrantedCollection:
    alias: str
    id: str
    rights: Rights

    @property
    def describe(self) -> str:
        modes = "+".join(m for m, on in (("read", self.rights.can_read), ("write", self.rights.can_write)) if on)
        return f"{self.alias}={self.id}({modes})"


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown once at creation: only hashes are kept."""

    partner: Partner
    user: str
    password: str
    key: str
    collections: list[GrantedCollection]


# Passwords and keys are 256-bit random values Puente generates, not human choices, so a salted
# SHA-256 resists guessing as well as a slow hash would and keeps every request cheap.
def _password_hash(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add(
    ctx: Context,
    name: str,
    *,
    peer: str | None = None,
    identity: str | None = None,
    collections: list[str] | None = None,
) -> IssuedCredentials:
    """Register a partner (optionally speaking for a peer) and issue its credentials."""
    name = name.strip()
    handling.check_audience_name(name)
    if peer is not None:
        peer = peer.strip()
        handling.check_audience_name(peer)
    if identity is not None and not IDENTITY_ID.match(identity):
        raise InvalidInput(
            _("Identity {identity!r} is not a STIX identity id: use identity--<uuid>.").format(identity=identity)
        )
    if partners.by_name(ctx.session, name) is not None:
        raise Conflict(_("Partner {name!r} exists already: revoke it first or pick another name.").format(name=name))
    audience = peer or name
    entitled = handling.partner_collections(audience, is_peer=peer is not None)
    chosen = handling.restrict(entitled, collections) if collections else entitled
    password, key, salt = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_hex(16)
    partner = Partner(
        name=name,
        audience=audience,
        peer=peer,
        identity_ref=identity,
        password_salt=salt,
        password_hash=_password_hash(salt, password),
        key_hash=_key_hash(key),
        created_at=ctx.now(),
    )
    ctx.session.add(partner)
    ctx.session.flush()
    granted = []
    for destination, rights in chosen.items():
        collection = ensure_collection(ctx, destination)
        ctx.session.add(
            PartnerGrant(
                partner_id=partner.id or 0,
                collection_id=collection.id,
                can_read=rights.can_read,
                can_write=rights.can_write,
            )
        )
        granted.append(GrantedCollection(collection.alias, collection.id, rights))
    ctx.record(
        action="partner-added",
        summary=f"{name} ({'peer ' + peer if peer else 'partner'})",
        after={"name": name, "peer": peer, "identity": identity, "collections": [g.alias for g in granted]},
    )
    return IssuedCredentials(partner, name, password, key, granted)


def listing(ctx: Context) -> list[tuple[Partner, list[GrantedCollection]]]:
    result = []
    for partner in partners.all_partners(ctx.session):
        granted = []
        for grant in partners.grants(ctx.session, partner.id or 0):
            collection = collection_store.by_id(ctx.session, grant.collection_id)
            if collection is not None:
                granted.append(
                    GrantedCollection(collection.alias, collection.id, Rights(grant.can_read, grant.can_write))
                )
        result.append((partner, granted))
    return result


def revoke(ctx: Context, name: str) -> Partner:
    """Withdraw a partner's credentials and access at once; its past posts stay."""
    partner = partners.by_name(ctx.session, name)
    if partner is None:
        raise NotFound(_("No partner {name!r}: `puente partners list` shows them.").format(name=name))
    if partner.revoked_at is None:
        partner.revoked_at = ctx.now()
        ctx.session.add(partner)
        partners.remove_grants(ctx.session, partner.id or 0)
        ctx.record(action="partner-revoked", summary=name)
    return partner


def authenticate(ctx: Context, authorization: str | None) -> AuthenticatedPartner:
    """The partner behind an Authorization header (Basic, or Token/Bearer key); refused with how to fix it."""
    if not authorization:
        raise Unauthenticated(_("No credentials. {AUTH_HINT}").format(AUTH_HINT=AUTH_HINT))
    scheme, _sep, value = authorization.strip().partition(" ")
    value = value.strip()
    partner: Partner | None = None
    if scheme.lower() == "basic":
        try:
            user, _sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated(_("Malformed Basic credentials. {AUTH_HINT}").format(AUTH_HINT=AUTH_HINT)) from None
        # A NUL cannot be in any name (and PostgreSQL cannot even compare one): unknown credentials.
        candidate = None if "\x00" in user else partners.by_name(ctx.session, user)
        if candidate is not None and hmac.compare_digest(
            candidate.password_hash, _password_hash(candidate.password_salt, password)
        ):
            partner = candidate
    elif scheme.lower() in ("token", "bearer"):
        partner = partners.by_key_hash(ctx.session, _key_hash(value))
    if partner is None or partner.id is None or partner.revoked_at is not None:
        raise Unauthenticated(_("Unknown or revoked credentials. {AUTH_HINT}").format(AUTH_HINT=AUTH_HINT))
    return AuthenticatedPartner(partner.id, partner.name, partner.identity_ref, visible(ctx, partner.id))


def named(ctx: Context, name: str) -> Partner | None:
    return partners.by_name(ctx.session, name)


def set_identity(ctx: Context, name: str, identity: str) -> Partner:
    """Recognise the partner's STIX identity (learnt when a peering completes): only objects it created are taken."""
    if not IDENTITY_ID.match(identity):
        raise InvalidInput(
            _("Identity {identity!r} is not a STIX identity id: use identity--<uuid>.").format(identity=identity)
        )
    partner = partners.by_name(ctx.session, name)
    if partner is None or partner.revoked_at is not None:
        raise NotFound(_("No active partner {name!r}: `puente partners list` shows them.").format(name=name))
    if partner.identity_ref not in (None, identity):
        raise Conflict(
            _("Partner {name!r} already has identity {identity_ref}; revoke it and add it again.").format(
                name=name, identity_ref=partner.identity_ref
            )
        )
    partner.identity_ref = identity
    ctx.session.add(partner)
    ctx.record(action="partner-identified", summary=f"{name} is {identity}", after={"identity": identity})
    return partner
