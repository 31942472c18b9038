"""TAXII fixtures: a real Puente HTTP server on a free loopback port, partners, and STIX objects."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.routing import Mount

from puente.server.app import create_app
from puente.server.taxii.guards import Guards
from puente.services.context import Runtime
from puente.services.feeds import partners
from puente.services.feeds.partners import IssuedCredentials
from tests.support import wait_until

OUR_IDENTITY = "identity--0c4a3f1e-8d1b-4c52-9a55-7a8c3e1d2b10"
PEER_IDENTITY = "identity--5b2e8c1a-3f4d-4e6a-8b9c-1d2e3f4a5b6c"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
BASE_TIME = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def indicator(
    n: int,
    *,
    creator: str = OUR_IDENTITY,
    modified: datetime | None = None,
    marking: str | None = None,
    object_id: str | None = None,
) -> dict[str, Any]:
    created = BASE_TIME + timedelta(seconds=n)
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id or f"indicator--{uuid.UUID(int=n + 1, version=4)}",
        "created": stamp(created),
        "modified": stamp(modified or created),
        "created_by_ref": creator,
        "name": f"C2 server {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix",
        "valid_from": stamp(created),
        "indicator_types": ["malicious-activity"],
    }
    if marking:
        obj["object_marking_refs"] = [marking]
    return obj


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    runtime: Runtime
    base_url: str
    app: FastAPI

    @property
    def discovery(self) -> str:
        return f"{self.base_url}/taxii2/"

    @property
    def api_root(self) -> str:
        return f"{self.base_url}/taxii2/api/"

    @property
    def guards(self) -> Guards:
        taxii = next(route for route in self.app.routes if isinstance(route, Mount) and route.path == "/taxii2")
        assert isinstance(taxii.app, FastAPI), "/taxii2 is the TAXII sub-application"
        found: Guards = taxii.app.state.guards
        return found


def serve(runtime: Runtime) -> Iterator[RunningServer]:
    port = free_port()
    runtime.settings.base_url = f"http://127.0.0.1:{port}"
    app = create_app(runtime)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "the TAXII test server stopped before it started"
        return bool(server.started)

    wait_until(started, "the TAXII test server started")
    try:
        yield RunningServer(runtime, f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def taxii_server(runtime: Runtime) -> Iterator[RunningServer]:
    yield from serve(runtime)


@pytest.fixture
def sqlite_taxii_server(sqlite_runtime: Runtime) -> Iterator[RunningServer]:
    yield from serve(sqlite_runtime)


def add_partner(runtime: Runtime, name: str, **options: Any) -> IssuedCredentials:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        return partners.add(ctx, name, **options)
