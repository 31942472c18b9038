"""A Puente whose TAXII door is open to two peers, and the messages genuine and hostile peers send.

The app is driven in-process (FastAPI's test client); the `peer-inbox` worker's tick is called by
the test, so every step is deterministic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from puente.server.app import create_app
from puente.services.context import Runtime
from puente.services.feeds import partners
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Role, Ticket

TAXII = "application/taxii+json;version=2.1"
AMBER = MARKING_IDS["amber"]
IDENTITIES = {
    "cert-br": "identity--5b2e8c1a-3f4d-4e6a-8b9c-1d2e3f4a5b6c",
    "cert-ar": "identity--7d1e2c3b-4a5f-4b6c-9d8e-0f1a2b3c4d5e",
}


def stamp(moment: datetime | None = None) -> str:
    moment = moment or datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def incident(peer: str, reference: str = "INC-2026-0042", **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": stamp(),
        "modified": stamp(),
        "created_by_ref": IDENTITIES[peer],
        "name": "Botnet C2 hosted in Brazil",
        "external_references": [{"source_name": peer.upper(), "external_id": reference}],
        "object_marking_refs": [AMBER],
    }
    obj.update(changes)
    return obj


def rfa(peer: str, incident_obj: dict[str, Any], **extension: Any) -> dict[str, Any]:
    """An RFA note about the incident; `extension` overrides fields of the assistance extension."""
    message = stix_notes.Message(
        "RFA",
        str(uuid.uuid4()),
        incident_obj["external_references"][0]["external_id"],
        incident_obj["id"],
        "Please take down 198.51.100.7",
        actions=("block-host",),
        state="SENT",
        severity="high",
    )
    note = stix_notes.note(message, created_by=IDENTITIES[peer], marking_ref=AMBER, at=datetime(2026, 3, 1, tzinfo=UTC))
    note["extensions"][stix_notes.ASSISTANCE_EXTENSION_ID].update(extension)
    return note


@dataclass
class Door:
    """Our Puente as two peers see it: each has credentials and an inbox to post into."""

    runtime: Runtime
    client: TestClient
    auth: dict[str, str] = field(default_factory=dict)
    inbox: dict[str, str] = field(default_factory=dict)

    def post(self, peer: str, objects: list[Any], *, raw: bytes | None = None) -> Any:
        """POST an envelope to the peer's inbox; returns the response."""
        body = raw if raw is not None else None
        return self.client.post(
            f"/taxii2/api/collections/{self.inbox[peer]}/objects/",
            content=body,
            json=None if raw is not None else {"objects": objects},
            headers={"Accept": TAXII, "Content-Type": TAXII, "Authorization": self.auth[peer]},
        )

    def tickets(self) -> list[Ticket]:
        with self.runtime.unit_of_work() as ctx:
            return list(ctx.session.exec(select(Ticket).order_by(col(Ticket.id))))

    def requests(self) -> list[AssistanceRequest]:
        with self.runtime.unit_of_work() as ctx:
            return list(ctx.session.exec(select(AssistanceRequest).order_by(col(AssistanceRequest.id))))


def open_door(runtime: Runtime) -> Door:
    """Register cert-br and cert-ar as peers (with identities) and as partners with inboxes."""
    door = Door(runtime, TestClient(create_app(runtime), raise_server_exceptions=False))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "lead", Role.LEAD)
        for name, identity in IDENTITIES.items():
            peers.add(
                ctx,
                peers.PeerDraft(
                    name=name,
                    countries=["BR" if name == "cert-br" else "AR"],
                    taxii_url="http://127.0.0.1:9/taxii2/",
                    collection_id=str(uuid.uuid4()),
                    identity_id=identity,
                ),
            )
            issued = partners.add(ctx, name, peer=name, identity=identity)
            door.auth[name] = "Basic " + base64.b64encode(f"{issued.user}:{issued.password}".encode()).decode()
            door.inbox[name] = next(g.id for g in issued.collections if g.alias == f"{name}-inbox")
    return door
