"""Identity is ownership: who may write a version of an object, beyond what the object claims.

The writer rule (services/handling/policy.py) checks the `created_by_ref` an object carries; a
hostile partner can claim itself as the creator of someone else's id. So an object id, once stored
as created by one identity, may only ever be versioned by that identity; our own objects may be
written by nobody else (nor asked about in a request for assistance, which is about the sender's own
incident); and a marking definition bearing an official TLP id must be the official definition,
word for word, or it could relabel material as more open than it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import orjson
import stix2

from puente.services.context import Context
from puente.services.exchange import service as exchange
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS, TLP1_MARKING_IDS, marking_definition
from puente.storage import collections, stix_objects
from puente.storage import tickets as ticket_store


@cache
def _official() -> dict[str, dict[str, Any]]:
    tlp1 = (stix2.v21.TLP_WHITE, stix2.v21.TLP_GREEN, stix2.v21.TLP_AMBER, stix2.v21.TLP_RED)
    official = {marking["id"]: orjson.loads(marking.serialize()) for marking in tlp1}
    assert set(official) == set(TLP1_MARKING_IDS)
    return official | {MARKING_IDS[level]: marking_definition(level) for level in MARKING_IDS}


def marking_refusal(obj: Mapping[str, Any]) -> str | None:
    """Why an object may not stand as an official TLP marking definition, or None."""
    official = _official().get(obj.get("id"))  # type: ignore[arg-type]
    if official is None or dict(obj) == official:
        return None
    return f"{obj['id']} is the official {official['name']} marking definition: send it unchanged or not at all"


def asks_about(obj: Mapping[str, Any]) -> str | None:
    """The incident an RFA note asks for assistance with (it must be the sender's own), or None."""
    try:
        message = stix_notes.read(dict(obj))
    except stix_notes.NotAMessage:
        return None
    return message.incident_id if message is not None and message.type == "RFA" else None


def foreign(
    ctx: Context, writer_identity: str | None, ids: Sequence[str], asked: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Ids the writer may not version, each with the reason; `asked` maps RFA notes to the incident each asks about."""
    ours = exchange.our_identity(ctx)["id"]
    asked = asked or {}
    ids = [stix_id for stix_id in ids if stix_id not in _official()]
    if not ids:
        return {}
    looked_up = [*ids, *asked.values()]
    # Only identities other than the writer's can make an id foreign: the writer's own rows are not read.
    known = collections.creators_of(ctx.session, looked_up, besides=writer_identity)
    for stix_id, creators in stix_objects.creators_of(ctx.session, looked_up, besides=writer_identity).items():
        known.setdefault(stix_id, set()).update(creators)
    # Our tickets' incidents are ours even before any version of them was exported or shared.
    for stix_id in ticket_store.our_incident_ids(ctx.session, [i for i in looked_up if i.startswith("incident--")]):
        known.setdefault(stix_id, set()).add(ours)
    refused: dict[str, str] = {}
    for stix_id in ids:
        creators = known.get(stix_id, set())
        if stix_id == ours or ours in creators:
            refused[stix_id] = f"{stix_id} is one of our own objects: only we write its versions"
        elif writer_identity == ours:
            refused[stix_id] = "this writer claims our own identity: it may not write anything"
        elif creators - {writer_identity}:
            first = ", ".join(sorted(creators))
            refused[stix_id] = f"{stix_id} was first stored as created by {first}: only that identity may version it"
        elif stix_id in asked and known.get(asked[stix_id], set()) - {writer_identity}:
            refused[stix_id] = f"a request for assistance is about the sender's own incident, not {asked[stix_id]}"
    return refused
