"""Our side of a peer's TAXII 2.1 server, through taxii2-client: discovery, push, poll.

Everything here takes plain values (URLs, credentials) and returns plain values, so the services
decide what a failure means for a ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from taxii2client.common import TokenAuth, _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server

from puente.stix.timestamps import instant

TIMEOUT_SECONDS = 10.0
# 4xx answers that a retry cannot fix; everything else (5xx, 408, 429, no answer) is worth retrying.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 406, 413, 415, 422})


@dataclass(frozen=True)
class Endpoint:
    """Where a peer's collection is and how to authenticate to it."""

    url: str
    collection_id: str
    user: str | None = None
    # Kept out of repr, so no log line or traceback that shows an Endpoint shows them.
    password: str | None = field(default=None, repr=False)
    key: str | None = field(default=None, repr=False)
    api_root_url: str | None = None

    def collection_url(self, collection_id: str | None = None) -> str:
        root = (self.api_root_url or self.url).rstrip("/") + "/"
        return f"{root}collections/{collection_id or self.collection_id}/"


class PeerUnreachable(Exception):
    """The push or poll did not go through; `permanent` says whether retrying can help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class _TimedSession(requests.Session):
    # taxii2-client has no timeout option; a peer that accepts the connection and never answers
    # must not hold a worker forever.
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def _connection(endpoint: Endpoint) -> _HTTPConnection:
    auth = TokenAuth(endpoint.key) if endpoint.key else None
    conn = _HTTPConnection(endpoint.user, endpoint.password, version="2.1", auth=auth)
    timed = _TimedSession()
    timed.auth = conn.session.auth
    conn.session.close()
    conn.session = timed
    return conn


def _explain(error: Exception) -> PeerUnreachable:
    if isinstance(error, requests.HTTPError) and error.response is not None:
        code = error.response.status_code
        what = {
            401: "authentication refused (check the peer's user/password or key)",
            403: "not allowed to use this collection",
            404: "no such collection or API root at this URL",
        }.get(code, error.response.reason or "error")
        return PeerUnreachable(f"HTTP {code}: {what}", permanent=code in PERMANENT_STATUSES)
    if isinstance(error, requests.ConnectionError):
        return PeerUnreachable("connection refused or dropped (is the peer's server up?)")
    if isinstance(error, requests.Timeout):
        return PeerUnreachable(f"no answer within {TIMEOUT_SECONDS:.0f} s")
    if isinstance(error, TAXIIServiceException):
        return PeerUnreachable(f"not a TAXII 2.1 answer: {str(error).splitlines()[0]}", permanent=True)
    return PeerUnreachable(f"{type(error).__name__}: {error}")


def resolve_api_root(endpoint: Endpoint) -> str:
    """The API root holding the collection: the URL itself, or one of the roots its discovery lists."""
    conn = _connection(endpoint)
    try:
        try:
            server = Server(endpoint.url, conn=conn)
            roots = [root.url for root in server.api_roots]
        except (requests.HTTPError, TAXIIServiceException, KeyError):
            return endpoint.url.rstrip("/") + "/"
        for root_url in roots:
            try:
                root = ApiRoot(root_url, conn=conn)
                if any(c.id == endpoint.collection_id for c in root.collections):
                    return str(root_url)
            except (requests.HTTPError, TAXIIServiceException):
                continue
        raise PeerUnreachable(f"no API root of {endpoint.url} has collection {endpoint.collection_id}", permanent=True)
    except requests.RequestException as error:
        raise _explain(error) from None
    finally:
        conn.close()


def push(endpoint: Endpoint, objects: list[dict[str, Any]]) -> None:
    """Add the objects to the peer's collection with `add_objects`; raise PeerUnreachable if not all were taken."""
    conn = _connection(endpoint)
    try:
        collection = Collection(endpoint.collection_url(), conn=conn)
        status = collection.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=0.2, timeout=10)
        if status.status != "complete":
            raise PeerUnreachable(f"the peer's status is still {status.status} after 10 s")
        refused = _not_already_there(collection, objects, status.failures or [])
    except (requests.RequestException, TAXIIServiceException) as error:
        raise _explain(error) from None
    finally:
        conn.close()
    if refused:
        reasons = "; ".join(f"{f.get('id')}: {f.get('message', 'refused')}" for f in refused[:3])
        raise PeerUnreachable(f"the peer refused {len(refused)} object(s): {reasons}", permanent=True)


def _not_already_there(
    collection: Collection, objects: list[dict[str, Any]], failures: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The failures that are real refusals: some servers (medallion) report a version they already
    hold as a failure, which for a re-push after a crash is exactly the outcome we want."""
    if not failures:
        return []
    versions = {o["id"]: o.get("modified") or o.get("created") for o in objects}
    ids = sorted({str(f.get("id")) for f in failures})
    try:
        manifest = collection.get_manifest(id=ids, version="all", limit=max(100, len(ids) * 4))
    except (requests.HTTPError, TAXIIServiceException):
        return failures  # a write-only inbox cannot be asked; its refusals stand
    held = {(m.get("id"), _instant(m.get("version"))) for m in manifest.get("objects", [])}
    present = {m.get("id") for m in manifest.get("objects", [])}

    def refused(failure: dict[str, Any]) -> bool:
        version = versions.get(failure.get("id"))
        if not version:  # an observable has no version: held at all is held as sent
            return failure.get("id") not in present
        return (failure.get("id"), _instant(version)) not in held

    return [f for f in failures if refused(f)]


@dataclass
class Page:
    objects: list[dict[str, Any]]
    cursor: str | None
    more: bool


def poll(endpoint: Endpoint, collection_id: str, cursor: str | None, limit: int = 100) -> Iterator[Page]:
    """Objects added after `cursor`, a page at a time, each with the cursor that follows it.

    taxii2-client does not expose the X-TAXII-Date-Added-Last header, so each page's cursor is the
    latest `date_added` the collection's manifest gives for the objects on that page.
    """
    conn = _connection(endpoint)
    try:
        collection = Collection(endpoint.collection_url(collection_id), conn=conn)
        while True:
            filters: dict[str, Any] = {"limit": limit}
            if cursor:
                filters["added_after"] = cursor
            envelope = collection.get_objects(**filters)
            objects = list(envelope.get("objects", []))
            if not objects:
                return
            ids = sorted({o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)})
            manifest = collection.get_manifest(id=ids, version="all", limit=max(limit, len(ids) * 4))
            entries = [m for m in manifest.get("objects", []) if isinstance(m, dict) and m.get("id") in ids]
            # Only a timestamp (that fits where we keep it) becomes our cursor, whatever a peer's server says.
            stamps = [m.get("date_added") for m in entries]
            added = [d for d in stamps if isinstance(d, str) and len(d) <= 40 and _instant(d) is not None]
            newest = max(added, key=lambda stamp: _instant(stamp) or 0) if added else None
            more = bool(envelope.get("more")) and newest is not None and newest != cursor
            yield Page(objects, newest or cursor, more)
            if not more:
                return
            cursor = newest
    except (requests.RequestException, TAXIIServiceException) as error:
        raise _explain(error) from None
    finally:
        conn.close()


@dataclass
class Probe:
    """What `peers test` found, one plain line per aspect."""

    lines: list[str] = field(default_factory=list)
    api_root_url: str | None = None
    ok: bool = True

    def say(self, line: str, ok: bool = True) -> None:
        self.lines.append(line)
        self.ok = self.ok and ok


def probe(endpoint: Endpoint, for_pulling: bool = False) -> Probe:
    """Discover the server, the API root and the collection; try a read; report the write right
    (which a collection we only poll does not need, and reading one we only push to)."""
    found = Probe()
    conn = _connection(endpoint)
    try:
        try:
            server = Server(endpoint.url, conn=conn)
            found.say(f"server: {server.title or 'untitled'} ({endpoint.url})")
            roots = [root.url for root in server.api_roots]
            found.say("auth: accepted")
        except requests.HTTPError as error:
            problem = _explain(error)
            if error.response is not None and error.response.status_code == 401:
                found.say(f"auth: refused — {problem}", ok=False)
                return found
            roots = [endpoint.url.rstrip("/") + "/"]
            found.say(f"server: no discovery at {endpoint.url} ({problem}); trying it as an API root")
        for root_url in roots:
            try:
                root = ApiRoot(root_url, conn=conn)
                match = next((c for c in root.collections if c.id == endpoint.collection_id), None)
            except (requests.HTTPError, TAXIIServiceException) as error:
                found.say(f"api root {root_url}: {_explain(error)}", ok=False)
                continue
            if match is None:
                continue
            found.api_root_url = str(root_url)
            found.say(f"api root: {root.title or 'untitled'} ({root_url})")
            found.say(f"collection: {match.title or match.id} ({match.id})")
            if match.can_read:
                try:
                    match.get_objects(limit=1)
                    found.say("read: works")
                except (requests.RequestException, TAXIIServiceException) as error:
                    found.say(f"read: allowed but failed — {_explain(error)}", ok=False)
            else:
                found.say(
                    "read: NOT allowed — polling it will fail"
                    if for_pulling
                    else "read: not allowed (not needed to push)",
                    ok=not for_pulling,
                )
            if not for_pulling:
                found.say(
                    "write: allowed" if match.can_write else "write: NOT allowed — pushes to this peer will fail",
                    ok=match.can_write,
                )
            return found
        found.say(f"collection {endpoint.collection_id}: not found under {', '.join(roots)}", ok=False)
        return found
    except requests.RequestException as error:
        found.say(f"server: unreachable — {_explain(error)}", ok=False)
        return found
    except TAXIIServiceException as error:
        found.say(f"server: {_explain(error)}", ok=False)
        return found
    finally:
        conn.close()


def _instant(stamp: object) -> int | None:
    """A peer's timestamp as an instant to compare; None for one that is not a timestamp."""
    try:
        return instant(stamp) if isinstance(stamp, str) else None
    except ValueError:
        return None
