"""A loopback stand-in for the Slack Web API, response URLs and the Socket Mode websocket.

It records every call so a test can assert on what Slack (and so the analyst) would have received.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "UPUENTEBOT"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the app's signing secret: requests to Puente are signed with it
BOT_TOKEN = "xoxb-puente-test"
GONE = "U0GONE"  # a member who left the workspace: Slack refuses messages to them


@dataclass
class Call:
    method: str  # a Web API method such as chat.postMessage, or "response:<name>" for a response_url
    params: dict[str, Any]
    token: str | None


class SlackStandIn:
    """Runs on 127.0.0.1 in its own thread and event loop; use as a context manager."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slack-standin", daemon=True)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self._ts = 0
        self.port = 0
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes Puente uploaded
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel id -> the messages posted there, oldest first
        # method -> how many of its next calls get no answer: "applied" ones take effect first, "lost" ones do not.
        self._unanswered: dict[str, list[bool]] = {}
        self._released: asyncio.Event | None = None
        self.locales: dict[str, str] = {}  # user id -> the locale users.info gives them (default en-US)

    # lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        self._released = asyncio.Event()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._released is not None
        self._released.set()
        for socket in list(self._sockets):
            await socket.close()
        assert self._runner is not None
        await self._runner.cleanup()

    # addresses -------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def withhold_answer(self, method: str, times: int = 1, applied: bool = True) -> None:
        """The next `times` calls of `method` are recorded but never answered (the caller times out); with
        `applied` they take effect all the same (a message is posted), without it they are lost on the way."""
        self._unanswered.setdefault(method, []).extend([applied] * times)

    # recording -------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def of(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 600.0) -> list[Call]:
        """The calls of `method` once there are at least `count` of them. The timeout only ends a test that is
        stuck (then it fails): a slow, shared machine must never make a correct run fail."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} {method} call(s), saw {seen}")
                self._changed.wait(left)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.content_type == "application/json":
            return dict(json.loads(raw or b"{}"))
        params: dict[str, Any] = dict(parse_qsl(raw.decode()))
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    # endpoints -------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or params.get("token")
        self._record(Call(method, params, token))
        withheld = self._unanswered.get(method)
        if withheld:
            applied = withheld.pop(0)
            if applied:
                self._answer(method, params)
            assert self._released is not None
            await self._released.wait()  # until the stand-in closes: long after the caller gave up
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": "T0CSIRT", "user_id": BOT_USER, "bot_id": "B0PUENTE", "team": "CSIRT"}
        if method == "chat.postMessage":
            if params["channel"] == GONE:
                return {"ok": False, "error": "channel_not_found"}
            self._ts += 1
            channel = self._conversation(str(params["channel"]))
            message = {
                "type": "message",
                "user": BOT_USER,
                "text": params.get("text", ""),
                "ts": f"1700000000.{self._ts:06d}",
            }
            if params.get("metadata"):
                message["metadata"] = params["metadata"]
            self.history.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": params}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self._conversation(str(params["users"]))}}
        if method == "conversations.history":
            return self._history(params)
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:08d}"
            self.uploads[file_id] = b""
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params["files"] if isinstance(params["files"], list) else json.loads(params["files"])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "chat.update":
            return {"ok": True, "channel": params["channel"], "ts": params["ts"]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": "1700000000.999999"}
        if method == "users.info":
            user = str(params["user"])
            return {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "en-US")}}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V0NEWTICKET", **params.get("view", {})}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        return {"ok": False, "error": "unknown_method"}

    @staticmethod
    def _conversation(address: str) -> str:
        """Posting to a user id opens the app's DM with them, which has its own channel id."""
        return "D" + address[1:] if address.startswith("U") else address

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `limit` at a time; metadata only when asked for, as Slack does. (It answers with
        the whole history, whatever `oldest` says: its timestamps do not follow the test's clock.)"""
        newest_first = list(reversed(self.history.get(str(params["channel"]), [])))
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        shown = newest_first[start : start + limit]
        if str(params.get("include_all_metadata")).lower() not in ("true", "1"):
            shown = [{k: v for k, v in m.items() if k != "metadata"} for m in shown]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": shown,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    async def _upload(self, request: web.Request) -> web.Response:
        """Where files.getUploadURLExternal sends the file's bytes (Slack's upload URL)."""
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        self._record(Call(f"response:{request.match_info['name']}", await self._params(request), None))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        self._record(Call("socket:connect", {}, None))
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0PUENTE"}})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self._record(Call("socket:ack", json.loads(message.data), None))
        self._sockets.remove(socket)
        return socket

    def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope (e.g. a slash command) to every connected client."""

        async def send() -> None:
            for socket in self._sockets:
                await socket.send_json(envelope)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)


def slack_settings(slack: SlackStandIn, **extra: object) -> dict[str, object]:
    """Settings that point Puente's Slack adapter at the stand-in (HTTP mode, signed requests)."""
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url, **extra}
