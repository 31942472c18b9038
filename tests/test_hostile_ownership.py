"""Identity is ownership (issue 12, item 4): what a partner claims in `created_by_ref` is not enough.

An id first stored as created by one identity is versioned by that identity only; our own objects
are written by nobody else; a marking definition with an official TLP id must be the official one.
Refusals are failures in the status resource; nothing refused reaches the inbox or opens a ticket.
"""

from __future__ import annotations

from typing import Any

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.services.context import Runtime
from puente.services.exchange import service as exchange
from puente.services.inbox import scheduled as inbox_worker
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.stix.markings import MARKING_IDS, marking_definition
from puente.storage.models import Role
from tests.hostile import IDENTITIES, Door, incident, open_door, rfa, stamp


def _failures(door: Door, peer: str, objects: list[dict[str, Any]]) -> dict[str, str]:
    posted = door.post(peer, objects)
    assert posted.status_code == 202, posted.text
    return {f["id"]: f["message"] for f in posted.json().get("failures", [])}


def _our_incident(runtime: Runtime) -> dict[str, Any]:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        analyst = users.add(ctx, "ana", Role.ANALYST)
    reply = CommandCore(runtime).handle(
        Command(text="new DDoS on the tax office sev=high", platform="console", user_id="ana")
    )
    assert reply.ok, reply.text
    with runtime.unit_of_work(analyst) as ctx:
        bundle = exchange.export_ticket(ctx, "INC-2026-0001").bundle
    return next(o for o in bundle["objects"] if o["type"] == "incident")


def test_a_partner_cannot_version_our_incident_even_claiming_itself_as_creator(runtime: Runtime) -> None:
    door = open_door(runtime)
    ours = _our_incident(runtime)
    forged = ours | {"created_by_ref": IDENTITIES["cert-br"], "modified": stamp(), "name": "All clear"}
    forged.pop("extensions", None)
    refused = _failures(door, "cert-br", [forged, rfa("cert-br", forged)])
    assert "is one of our own objects: only we write its versions" in refused[ours["id"]]
    inbox_worker.take_inbox(runtime)
    assert [t.title for t in door.tickets()] == ["DDoS on the tax office"]  # no ticket, no page for the forgery
    # A ticket never exported nor shared: its incident id is ours all the same.
    reply = CommandCore(runtime).handle(Command(text="new Quiet one", platform="console", user_id="ana"))
    assert reply.ok, reply.text
    with runtime.unit_of_work() as ctx:
        quiet = tickets.get(ctx, "INC-2026-0002").incident_id
    refused = _failures(door, "cert-br", [incident("cert-br", id=quiet)])
    assert "is one of our own objects" in refused[quiet]


def test_an_id_first_stored_by_one_peer_is_versioned_by_that_peer_only(runtime: Runtime) -> None:
    door = open_door(runtime)
    original = incident("cert-br")
    assert _failures(door, "cert-br", [original]) == {}
    hijack = original | {"created_by_ref": IDENTITIES["cert-ar"], "modified": "2026-03-02T00:00:00.000Z"}
    refused = _failures(door, "cert-ar", [hijack])
    assert f"was first stored as created by {IDENTITIES['cert-br']}" in refused[original["id"]]
    newer = original | {"modified": "2026-03-02T00:00:00.000Z", "name": "Botnet C2, now sinkholed"}
    assert _failures(door, "cert-br", [newer]) == {}


def test_a_marking_definition_with_an_official_tlp_id_must_be_the_official_definition(runtime: Runtime) -> None:
    door = open_door(runtime)
    relabelled = marking_definition("red")
    relabelled["extensions"] = {ext: value | {"tlp_2_0": "clear"} for ext, value in relabelled["extensions"].items()}
    relabelled["name"] = "TLP:CLEAR"
    refused = _failures(door, "cert-br", [relabelled])
    assert "is the official TLP:RED marking definition: send it unchanged" in refused[MARKING_IDS["red"]]
    assert _failures(door, "cert-br", [marking_definition("red")]) == {}
