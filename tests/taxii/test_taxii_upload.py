"""A 10 MB upload never stalls the CSIRT (issue 12, item 2), on SQLite, the default.

The upload is screened before any transaction and stored a batch per transaction, so while it is
being stored chat commands and the workers get the write lock in between its batches.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import threading
import tracemalloc
from pathlib import Path

import httpx
import orjson
import pytest
from sqlmodel import func, select

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.server.taxii import objects as objects_route
from puente.services.assistance import scheduled as assistance_worker
from puente.services.escalation import scheduled as escalation_worker
from puente.services.feeds import door
from puente.services.peers import scheduled as outbox_worker
from puente.services.users import service as users
from puente.storage.collections import CollectionEntry
from puente.storage.engine import make_engine, release_connection_caches
from puente.storage.models import Role
from tests import running
from tests.puente_pair import Instance, issued_credentials
from tests.support import wait_until
from tests.taxii.conftest import PEER_IDENTITY, RunningServer, add_partner, indicator

TAXII = "application/taxii+json;version=2.1"


def _stored(server: RunningServer, collection_id: str) -> int:
    with server.runtime.unit_of_work() as ctx:
        statement = select(func.count()).where(CollectionEntry.collection_id == collection_id)
        return int(ctx.session.exec(statement).one())


def test_workers_and_chat_keep_working_while_a_10_mb_upload_is_stored(sqlite_taxii_server: RunningServer) -> None:
    server, runtime = sqlite_taxii_server, sqlite_taxii_server.runtime
    issued = add_partner(runtime, "cert-br", peer="cert-br", identity=PEER_IDENTITY)
    inbox = next(g.id for g in issued.collections if g.alias == "cert-br-inbox")
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    objects = [indicator(n, creator=PEER_IDENTITY) for n in range(25_000)]
    body = orjson.dumps({"objects": objects})
    assert 10_000_000 < len(body) <= runtime.settings.taxii_max_content_length
    outcome: dict[str, httpx.Response] = {}

    def upload() -> None:
        with httpx.Client(auth=(issued.user, issued.password), timeout=300) as client:
            outcome["status"] = client.post(
                f"{server.api_root}collections/{inbox}/objects/",
                content=body,
                headers={"Accept": TAXII, "Content-Type": TAXII},
            )

    uploading = threading.Thread(target=upload)
    uploading.start()
    # The first batch is in: the upload is being stored (an upload that ends storing nothing fails here).
    wait_until(lambda: _stored(server, inbox) > 0 or not uploading.is_alive(), "the upload's first batch is stored")
    assert _stored(server, inbox) > 0, outcome

    core = CommandCore(runtime)
    reply = core.handle(Command(text="new Phishing wave sev=high", platform="console", user_id="ana"))
    escalation_worker.tick(runtime)
    assistance_worker.tick(runtime)
    outbox_worker.push_due_messages(runtime)
    listed = core.handle(Command(text="list", platform="console", user_id="ana"))
    during = _stored(server, inbox)
    still_uploading = uploading.is_alive()
    uploading.join(300)

    assert reply.ok and "INC-2026-0001" in reply.plain_text(), reply.plain_text()
    assert listed.ok and "Phishing wave" in listed.plain_text()
    assert still_uploading and 0 < during < len(objects), "the commands ran between the upload's batches"
    status = outcome["status"]
    assert status.status_code == 202 and status.json()["success_count"] == len(objects)


@pytest.mark.parametrize("sent", ["with its length", "in chunks"])
def test_what_an_upload_allocates_is_all_freed_once_it_is_stored(sqlite_taxii_server: RunningServer, sent: str) -> None:
    server, runtime = sqlite_taxii_server, sqlite_taxii_server.runtime
    issued = add_partner(runtime, "cert-br", peer="cert-br", identity=PEER_IDENTITY)
    inbox = next(g.id for g in issued.collections if g.alias == "cert-br-inbox")

    def upload(body: bytes) -> int:
        # In chunks, a body has no Content-Length: it is known to be large only once it is read.
        chunks = (body[start : start + 65_536] for start in range(0, len(body), 65_536))
        with httpx.Client(auth=(issued.user, issued.password), timeout=300) as client:
            answer = client.post(
                f"{server.api_root}collections/{inbox}/objects/",
                content=body if sent == "with its length" else chunks,
                headers={"Accept": TAXII, "Content-Type": TAXII},
            )
        assert answer.status_code == 202, answer.text[:300]
        return int(answer.json()["success_count"])

    # A small upload first: what any first request loads (modules, compiled statements) is not the upload's.
    assert upload(orjson.dumps({"objects": [indicator(n, creator=PEER_IDENTITY) for n in range(100)]})) == 100
    body = orjson.dumps({"objects": [indicator(n, creator=PEER_IDENTITY) for n in range(100, 3_100)]})
    assert len(body) > objects_route.LARGE_UPLOAD  # large enough to be handed back
    gc.collect()
    tracemalloc.start()
    try:
        assert upload(body) == 3_000
        del body
        peak = tracemalloc.get_traced_memory()[1]

        def freed() -> bool:
            gc.collect()
            return tracemalloc.get_traced_memory()[0] < 256 * 1024

        # Nothing of the upload stays alive once memory is handed back (after the answer): no cache entry
        # holding a string of it (each would pin memory).
        wait_until(freed, "what the upload allocated is freed", timeout=60)
    finally:
        tracemalloc.stop()
    assert peak > 10_000_000, "the upload's objects were traced"


def _resident_mb(process: subprocess.Popen[bytes]) -> float:
    pages = int(Path(f"/proc/{process.pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_a_connection_in_use_when_the_caches_are_released_is_closed_when_it_comes_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'puente.db'}")
    in_use = engine.connect()  # a worker's tick, as an upload's memory is handed back
    held = in_use.connection.dbapi_connection
    assert held is not None
    old = engine.pool
    releasing = threading.Thread(target=release_connection_caches, args=(engine,))
    releasing.start()
    wait_until(lambda: engine.pool is not old, "the pooled connections are let go")
    in_use.close()
    releasing.join()
    # Closed, its caches freed, before the memory is handed back: not kept open by the old pool.
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        held.execute("select 1")
    engine.dispose()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="resident memory is read from /proc")
def test_puente_run_returns_to_its_memory_after_10_mb_uploads(tmp_path: Path) -> None:
    csirt = Instance("CSIRT-CO", "CO", "cert-br", tmp_path)
    csirt.cli("db", "upgrade")
    added = csirt.cli("partners", "add", "cert-br", "--peer", "cert-br", "--identity", PEER_IDENTITY)
    issued = issued_credentials(added)
    inbox = f"http://127.0.0.1:{csirt.port}/taxii2/api/collections/{issued['cert-br-inbox']}/objects/"

    def upload(first: int, count: int) -> None:
        body = orjson.dumps({"objects": [indicator(n, creator=PEER_IDENTITY) for n in range(first, first + count)]})
        with httpx.Client(auth=(issued["user"], issued["password"]), timeout=300) as client:
            answer = client.post(inbox, content=body, headers={"Accept": TAXII, "Content-Type": TAXII})
        assert answer.status_code == 202 and answer.json()["success_count"] == count, answer.text[:300]

    with running.running(csirt.env, csirt.log) as puente:
        environment = Path(f"/proc/{puente.pid}/environ").read_bytes().split(b"\0")
        assert b"PYTHONMALLOC=malloc" in environment, "puente run restarted itself with glibc's malloc"
        # Its level: after an upload too small to be handed back that loads what every upload loads once
        # (modules, the statements of a whole batch), with its workers running.
        upload(0, door.BATCH + 100)
        level = _resident_mb(puente)
        ceiling = level + 8
        for n in range(1, 4):
            upload(n * 100_000, 25_000)  # 10 MB
            # Measured: within 2 MB of its level (once 5). Leaving out any one of what is done, 13 MB more
            # or worse by the third upload (pymalloc, glibc's sliding thresholds, the pooled connections
            # kept, the caches of what checking read kept); with none of it, 40 to 60 MB.
            # Memory is handed back after the answer, in the background: a minute only ends a failing test.
            wait_until(
                lambda: _resident_mb(puente) < ceiling,
                lambda: f"{_resident_mb(puente):.0f} MB resident is under {ceiling:.0f} ({level:.0f} before uploading)",
                timeout=60,
            )
