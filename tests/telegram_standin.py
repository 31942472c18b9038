"""A loopback stand-in for the Telegram Bot API, and Puente served for real on a free port.

The stand-in answers like Telegram (getMe, sendMessage, editMessageText, answerCallbackQuery,
setWebhook, getUpdates), records every call, and can be told to answer 429 with retry_after.
Tests post Updates to Puente's webhook the way Telegram does and read what the bot said here.
"""

from __future__ import annotations

import email.policy
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import uvicorn
from fastapi import FastAPI

from puente.server.app import create_app
from puente.services.context import Runtime
from tests.support import wait_until

TOKEN = "123456:TEST-token"
BOT_ID = 777000
BOT_USERNAME = "PuenteBot"
SECRET = "s3cret-webhook-token"
JSON_FIELDS = {"reply_markup", "reply_parameters", "link_preview_options", "allowed_updates", "entities"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    message_id: int | None = None  # of the message a sendMessage created or an editMessageText changed

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        return list(markup.get("inline_keyboard", []))

    def button(self, label: str) -> dict[str, Any]:
        for row in self.keyboard:
            for key in row:
                if key["text"] == label:
                    return key
        raise AssertionError(f"no button {label!r} in {self.keyboard}")


@dataclass
class BotApiStandIn:
    calls: list[Call] = field(default_factory=list)
    floods: dict[str, deque[int]] = field(default_factory=dict)
    refusals: dict[str, deque[str]] = field(default_factory=dict)
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(5001))
    slow: dict[str, float] = field(default_factory=dict)  # method -> seconds to wait before answering
    unanswered: dict[str, int] = field(default_factory=dict)  # method -> how many of its next calls go unanswered
    released: threading.Event = field(default_factory=threading.Event)  # set when the stand-in closes
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def flood(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 Too Many Requests."""
        self.floods.setdefault(method, deque()).extend([retry_after] * times)

    def refuse(self, method: str, description: str) -> None:
        """Answer the next call of `method` with 400 Bad Request and this description."""
        self.refusals.setdefault(method, deque()).append(description)

    def withhold_answer(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` take effect (a message is sent) but their answer never comes:
        the caller times out not knowing."""
        self.unanswered[method] = self.unanswered.get(method, 0) + times

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def since(self, mark: int, method: str | None = None) -> list[Call]:
        return [c for c in self.calls[mark:] if method is None or c.method == method]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        waits = self.floods.get(method)
        if waits:
            retry_after = waits.popleft()
            self.calls.append(Call(method + " (429)", params))
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        refusals = self.refusals.get(method)
        if refusals:
            self.calls.append(Call(method + " (400)", params))
            return 400, {"ok": False, "error_code": 400, "description": refusals.popleft()}
        if method == "getUpdates":
            if not self.updates:
                time.sleep(0.05)
            batch = [self.updates.popleft() for _ in range(len(self.updates))]
            return 200, {"ok": True, "result": batch}
        call = Call(method, params)
        self.calls.append(call)
        time.sleep(self.slow.get(method, 0.0))  # done, but the answer takes its time
        if method == "getMe":
            return 200, {"ok": True, "result": bot_user()}
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            message_id = int(params["message_id"]) if method == "editMessageText" else next(self.message_ids)
            call.message_id = message_id
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "from": bot_user(),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": params["text"],
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            if self.unanswered.get(method):
                self.unanswered[method] -= 1
                self.released.wait()  # until the stand-in closes: long after the caller gave up
            return 200, {"ok": True, "result": message}
        if method == "sendDocument":
            filename, content = params["document"]
            message = {
                "message_id": next(self.message_ids),
                "date": int(time.time()),
                "from": bot_user(),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "document": {"file_id": f"doc-{len(content)}", "file_unique_id": "u1", "file_name": filename},
            }
            return 200, {"ok": True, "result": message}
        return 200, {"ok": True, "result": True}


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Puente", "username": BOT_USERNAME}


def _handler(standin: BotApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            _, _, rest = self.path.partition("/bot")
            token, _, method = rest.partition("/")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if token != TOKEN:
                status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                status, payload = standin.answer(method, _params(self.headers.get("Content-Type", ""), body))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _params(content_type: str, raw: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/form-data"):
        return _multipart(content_type, raw)
    body = raw.decode()
    if content_type.startswith("application/json"):
        return dict(json.loads(body or "{}"))
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    for key in JSON_FIELDS & params.keys():
        params[key] = json.loads(params[key])
    return params


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form fields as text, files as (filename, bytes): how sendDocument arrives."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        filename = part.get_filename()
        params[str(name)] = (filename, content) if filename else content.decode()
    for key in JSON_FIELDS & params.keys():
        params[key] = json.loads(params[key])
    return params


@contextmanager
def bot_api() -> Iterator[BotApiStandIn]:
    standin = BotApiStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        standin.released.set()
        server.shutdown()
        server.server_close()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve the ASGI app on a free loopback port for the block; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "Puente stopped before it started"
        return bool(server.started)

    wait_until(started, "Puente started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@contextmanager
def webhook_of(runtime: Runtime) -> Iterator[str]:
    """Puente serving `runtime` on loopback for the block: yields the address Telegram posts updates to."""
    with serving(create_app(runtime)) as base:
        yield f"{base}/telegram/webhook"


class TelegramUser:
    """A person in a Telegram chat, producing the Updates Telegram would post for what they do."""

    _update_ids = itertools.count(1)

    def __init__(
        self,
        webhook: str,
        user_id: int,
        first_name: str,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = None,
    ) -> None:
        self.webhook = webhook
        self.language_code = language_code
        self.user_id = user_id
        self.first_name = first_name
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_type = chat_type
        self._message_ids = itertools.count(1)

    def _chat(self) -> dict[str, Any]:
        if self.chat_type == "private":
            return {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        return {"id": self.chat_id, "type": self.chat_type, "title": "CSIRT coordination"}

    def _sender(self) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code is not None:  # the language of the person's Telegram app
            sender["language_code"] = self.language_code
        return sender

    def message_update(self, text: str, edited: bool = False) -> dict[str, Any]:
        command = text.split(None, 1)[0] if text.startswith("/") else ""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(),
            "from": self._sender(),
            "text": text,
        }
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if edited:
            message["edit_date"] = int(time.time())
        return {"update_id": next(self._update_ids), "edited_message" if edited else "message": message}

    def says(self, text: str) -> httpx.Response:
        return self.post(self.message_update(text))

    def presses(self, on: Call, label: str) -> httpx.Response:
        """Press a button on a message the bot sent (as recorded by the stand-in)."""
        message = {
            "message_id": on.message_id,
            "date": int(time.time()),
            "chat": self._chat(),
            "from": bot_user(),
            "text": on.text,
        }
        query = {
            "id": str(next(self._update_ids)),
            "from": self._sender(),
            "chat_instance": "ci-1",
            "data": on.button(label)["callback_data"],
            "message": message,
        }
        return self.post({"update_id": next(self._update_ids), "callback_query": query})

    def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return httpx.post(self.webhook, json=update, headers=headers, timeout=30)


def telegram_settings(api: BotApiStandIn, **extra: object) -> dict[str, object]:
    """Settings that point Puente's Telegram adapter at the stand-in (webhook mode)."""
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": api.url, **extra}
