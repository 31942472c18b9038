"""Peer secrets at rest: the password or API key Puente presents to a peer's TAXII server is kept
sealed with PUENTE_SECRET_KEY (Fernet: AES-128-CBC and HMAC-SHA256) and opened only to talk to the peer.

Secrets stored before sealing existed are still read as they are; `seal_plain` seals them (at
`puente db upgrade` and `puente run` start-up) once a key is set.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlmodel import col, or_, select

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.settings import MAKE_SECRET_KEY, Settings
from puente.storage.peers import Peer

SEALED = "fernet:"
# Longer than any password or key a TAXII server hands out; a longer value is a mistake (a file pasted).
LONGEST_SECRET = 4096


def seal(settings: Settings, secret: str, what: str) -> str:
    """The secret as it is stored; refused without PUENTE_SECRET_KEY (Puente keeps none in plain text)."""
    sealer = settings.sealer
    if sealer is None:
        raise InvalidInput(
            _("PUENTE_SECRET_KEY is not set, and Puente stores {what} only encrypted: {MAKE_SECRET_KEY}.").format(
                what=what, MAKE_SECRET_KEY=MAKE_SECRET_KEY
            )
        )
    if len(secret) > LONGEST_SECRET:
        raise InvalidInput(
            _("{what} is {secret} characters long; at most {LONGEST_SECRET} are kept.").format(
                what=what.capitalize(), secret=len(secret), LONGEST_SECRET=LONGEST_SECRET
            )
        )
    return SEALED + sealer.encrypt(secret.encode()).decode()


def is_sealed(stored: str | None) -> bool:
    return stored is None or stored.startswith(SEALED)


def unseal(settings: Settings, stored: str | None, what: str) -> str | None:
    """The secret itself, to present to the peer."""
    if stored is None or not stored.startswith(SEALED):
        return stored
    sealer = settings.sealer
    if sealer is None:
        raise InvalidInput(
            _("{what} is encrypted and PUENTE_SECRET_KEY is not set: set the key it was sealed with.").format(
                what=what.capitalize()
            )
        )
    try:
        return sealer.decrypt(stored.removeprefix(SEALED).encode()).decode()
    except InvalidToken:
        raise InvalidInput(
            _(
                "PUENTE_SECRET_KEY does not open {what}: set the key it was sealed with (while changing keys, "
                "list the new one first, then the old: NEW,OLD)."
            ).format(what=what)
        ) from None


def seal_plain(ctx: Context) -> tuple[int, int]:
    """Seal the secrets still stored in plain text; returns (sealed now, left in plain text for want of a key)."""
    statement = select(Peer).where(or_(col(Peer.password).is_not(None), col(Peer.api_key).is_not(None)))
    plain = [p for p in ctx.session.exec(statement) if not (is_sealed(p.password) and is_sealed(p.api_key))]
    if not plain or ctx.settings.sealer is None:
        return 0, len(plain)
    for peer in plain:
        if peer.password is not None and not is_sealed(peer.password):
            peer.password = seal(ctx.settings, peer.password, f"the password for peer {peer.name}")
        if peer.api_key is not None and not is_sealed(peer.api_key):
            peer.api_key = seal(ctx.settings, peer.api_key, f"the API key for peer {peer.name}")
        ctx.session.add(peer)
    ctx.record(action="peer-secrets-sealed", summary=", ".join(p.name for p in plain))
    return len(plain), 0
