"""Limits at the TAXII door (issue 12, item 6): a partner's request rate (429 with Retry-After),
failed logins logged, throttled then locked out, uploads in progress per partner, and a read timeout
for a body that stops arriving. Time is the runtime's manual clock: no test waits for time to pass."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import timedelta

import httpx
import orjson
import pytest

from puente.services.clock import ManualClock
from puente.services.feeds.partners import IssuedCredentials
from tests.support import wait_until
from tests.taxii.conftest import PEER_IDENTITY, RunningServer, add_partner, indicator

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def partner(sqlite_taxii_server: RunningServer) -> IssuedCredentials:
    return add_partner(sqlite_taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)


def _client(server: RunningServer, user: str, password: str) -> httpx.Client:
    return httpx.Client(base_url=server.api_root, auth=(user, password), headers={"Accept": TAXII}, timeout=30)


def test_a_partner_over_its_request_rate_gets_429_with_retry_after(
    sqlite_taxii_server: RunningServer, partner: IssuedCredentials, clock: ManualClock
) -> None:
    sqlite_taxii_server.runtime.settings.taxii_partner_requests_per_minute = 3
    client = _client(sqlite_taxii_server, partner.user, partner.password)
    assert [client.get("collections/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("collections/")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "20"
    assert refused.headers["content-type"] == TAXII and "over its 3 requests a minute" in refused.json()["description"]
    clock.advance(timedelta(seconds=20))
    assert client.get("collections/").status_code == 200


def test_failed_logins_are_logged_throttled_then_locked_out(
    sqlite_taxii_server: RunningServer, partner: IssuedCredentials, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = sqlite_taxii_server.runtime.settings
    settings.taxii_failed_logins_before_throttle, settings.taxii_failed_logins_before_lockout = 2, 4
    wrong = _client(sqlite_taxii_server, "csirt-ar", "guess")
    right = _client(sqlite_taxii_server, partner.user, partner.password)
    with caplog.at_level(logging.WARNING):
        assert [wrong.get("collections/").status_code for _ in range(2)] == [401, 401]
    assert "failed TAXII login from 127.0.0.1 with user 'csirt-ar' (2 in a row)" in caplog.text
    throttled = right.get("collections/")  # even the right password waits its turn
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    clock.advance(timedelta(seconds=1))
    assert wrong.get("collections/").status_code == 401
    assert wrong.get("collections/").headers["Retry-After"] == "2"
    clock.advance(timedelta(seconds=2))
    assert wrong.get("collections/").status_code == 401  # the fourth: locked out from now on
    locked = right.get("collections/")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == str(15 * 60)
    assert "locked out" in locked.json()["description"] and "locked out for 15 min" in caplog.text
    clock.advance(timedelta(minutes=15))
    assert right.get("collections/").status_code == 200
    assert wrong.get("collections/").status_code == 401  # a success started the count afresh


def _half_open(
    server: RunningServer, partner: IssuedCredentials, collection: str, body: bytes, length: int
) -> socket.socket:
    """A POST whose headers promise `length` bytes of body, of which only `body` is sent."""
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=600)  # only a hang waits this long
    basic = base64.b64encode(f"{partner.user}:{partner.password}".encode()).decode()
    head = (
        f"POST /taxii2/api/collections/{collection}/objects/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Basic {basic}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    connection.sendall(head.encode() + body)
    return connection


def _answer(connection: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _inbox(partner: IssuedCredentials) -> str:
    return next(g.id for g in partner.collections if g.alias == "csirt-ar-inbox")


def test_a_body_that_stops_arriving_is_given_up_with_408(
    sqlite_taxii_server: RunningServer, partner: IssuedCredentials
) -> None:
    sqlite_taxii_server.runtime.settings.taxii_read_timeout = 0.5
    with _half_open(sqlite_taxii_server, partner, _inbox(partner), b'{"objects": [', 5000) as connection:
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_a_partner_has_at_most_its_uploads_in_progress(
    sqlite_taxii_server: RunningServer, partner: IssuedCredentials
) -> None:
    settings = sqlite_taxii_server.runtime.settings
    settings.taxii_partner_uploads, settings.taxii_partner_requests_per_minute = 1, 10**6
    settings.taxii_read_timeout = 3600  # the half-open upload stays in progress however long the test takes
    client = _client(sqlite_taxii_server, partner.user, partner.password)
    url = f"collections/{_inbox(partner)}/objects/"
    body = orjson.dumps({"objects": [indicator(1, creator=PEER_IDENTITY)]})
    guards, partner_id = sqlite_taxii_server.guards, partner.partner.id
    assert partner_id is not None

    with _half_open(sqlite_taxii_server, partner, _inbox(partner), body[:10], len(body)) as slow:
        # Waited for, not raced: a second upload sent before the server takes up the half-open one would
        # hold the place itself, and the half-open one would be the upload refused.
        wait_until(lambda: guards.uploads_in_progress(partner_id) == 1, "the half-open upload holds its place")
        second = client.post(url, content=body, headers={"Content-Type": TAXII})
        assert second.status_code == 429, second.text
        assert second.headers["Retry-After"] == "1" and "1 upload(s) in progress" in second.text
        slow.sendall(body[10:])
        assert _answer(slow).startswith(b"HTTP/1.1 202 ")
    assert client.post(url, content=body, headers={"Content-Type": TAXII}).status_code == 202
