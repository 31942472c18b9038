"""`puente run`'s local socket: a `puente say` hands its command to the Puente already running.

Run in a process of its own, `puente say` would import SQLAlchemy, SQLModel and every handler to answer
one command (about 0.45 s of CPU); handed to `puente run`, which has them loaded, it costs the shell
only click and the settings. The socket is `say.sock` in the var folder, for this operating-system
user alone: the file is 0600 and each side checks the other's user id (SO_PEERCRED) before a word
is read. A `puente say` whose settings (or folder) differ from the running Puente's is turned away
and runs the command itself, as it does when no Puente runs: either way it acts on the Puente its
own settings name.

One exchange per connection, one JSON line each way:
  say -> run   {"version": "…", "settings": "<fingerprint>", "as": "ana", "command": "/incident …"}
  run -> say   {"ok": true, "reply": "…"} | {"turned_away": "why"}

The client half imports the standard library only: it is on `puente say`'s start-up path.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from puente.bot.core import CommandCore

log = logging.getLogger(__name__)

SOCKET_NAME = "say.sock"
# A command line is short; a reply can be long (a ticket's timeline), never unbounded.
LONGEST_REQUEST = 1 << 20
# `puente say` sends its line at once and reads the answer as it comes: a connection that does neither
# for this long is given up, so no thread waits on it for good.
IDLE_SECONDS = 60.0
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class Answer:
    """What the running Puente replied, as `puente say` prints it."""

    ok: bool
    reply: str


class Lost(Exception):
    """The running Puente took the command and then went away before answering."""


def _same_user(connection: socket.socket) -> bool:
    """Whether the process at the other end runs as this process's user (Linux: SO_PEERCRED)."""
    peer_credentials = getattr(socket, "SO_PEERCRED", None)
    if peer_credentials is None:
        return False  # no way to tell who is at the other end: no exchange
    _pid, uid, _gid = _CREDENTIALS.unpack(connection.getsockopt(socket.SOL_SOCKET, peer_credentials, _CREDENTIALS.size))
    return bool(uid == os.getuid())


def _read_line(connection: socket.socket, limit: int | None = None) -> bytes:
    """One line (or what came before the other end closed), at most `limit` bytes of it."""
    received = bytearray()
    while not received.endswith(b"\n") and (limit is None or len(received) <= limit):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return bytes(received)


# ---- the `puente say` side ------------------------------------------------------------------------


def ask(var_dir: Path, fingerprint: str, version: str, user: str, command: str) -> Answer | None:
    """The running Puente's answer to `command`, or None when no Puente of these settings is running
    here (the caller then runs the command itself). Raises Lost when it took the command but gave no
    answer: it may have been carried out, so it must not be run twice."""
    path = var_dir / SOCKET_NAME
    if not path.is_socket():
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            connection.connect(str(path))
        except OSError:  # left behind by a Puente that stopped, or a path too long to reach
            return None
        if not _same_user(connection):
            return None
        request = {"version": version, "settings": fingerprint, "as": user, "command": command}
        try:
            connection.sendall(json.dumps(request).encode() + b"\n")
            line = _read_line(connection)
        except OSError as error:
            raise Lost(str(error)) from None
    finally:
        connection.close()
    try:
        answer: Any = json.loads(line)
    except ValueError:
        raise Lost("no answer") from None
    if not isinstance(answer, dict) or "turned_away" in answer:
        return None
    return Answer(bool(answer.get("ok")), str(answer.get("reply", "")))


# ---- the `puente run` side ------------------------------------------------------------------------


class _Exchange(socketserver.BaseRequestHandler):
    server: SayServer

    def handle(self) -> None:
        connection: socket.socket = self.request
        if not _same_user(connection):
            log.warning("local socket: a process of another user was turned away")
            return
        connection.settimeout(IDLE_SECONDS)
        try:
            answer = self.server.answer(_read_line(connection, LONGEST_REQUEST))
        except TimeoutError:
            log.info("local socket: a connection sent no whole request in %g s", IDLE_SECONDS)
            return
        except Exception:  # one bad request must not stop the socket, nor the Puente serving it
            log.exception("local socket: a `puente say` request failed")
            answer = {"ok": False, "reply": self.server.failed()}
        try:
            connection.sendall(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
        except OSError:
            log.info("local socket: `puente say` left before its answer")


class SayServer(socketserver.ThreadingUnixStreamServer):
    """The socket `puente run` answers `puente say` on; each connection is served in a thread of its own."""

    daemon_threads = True

    def __init__(self, path: Path, core: CommandCore, fingerprint: str, version: str) -> None:
        self.path, self.core, self.fingerprint, self.version = path, core, fingerprint, version
        previous = os.umask(0o177)  # the socket file is 0600 from its first moment
        try:
            super().__init__(str(path), _Exchange)
        finally:
            os.umask(previous)

    def answer(self, line: bytes) -> dict[str, Any]:
        from puente.bot.console.repl import Console, render, reports_folder

        if len(line) > LONGEST_REQUEST:
            return {"turned_away": f"over {LONGEST_REQUEST} bytes"}
        try:
            request: Any = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            return {"turned_away": "not a JSON line"}
        if not isinstance(request, dict) or not all(
            isinstance(request.get(key), str) for key in ("version", "settings", "as", "command")
        ):
            return {"turned_away": "not a request"}
        if request["version"] != self.version or request["settings"] != self.fingerprint:
            return {"turned_away": "another version of Puente, or other settings"}
        reply = Console(self.core, request["as"]).run_one(request["command"])
        # Named in full: `puente say` may print it in another folder.
        return {"ok": reply.ok, "reply": render(reply, reports_folder(self.core.runtime).resolve())}

    def failed(self) -> str:
        from puente import i18n
        from puente.i18n import _

        with i18n.language(self.core.runtime.settings.language):  # whoever asked, only their answer would tell
            return _("error: the running Puente failed on this command; its log says why.")


def serve(var_dir: Path, core: CommandCore, fingerprint: str, version: str) -> SayServer | None:
    """Listen on the var folder's socket and answer in a background thread; None (and a log line) when
    this cannot be done here: the commands then run in their own processes, as before."""
    path = var_dir / SOCKET_NAME
    if not hasattr(socket, "SO_PEERCRED"):
        log.info("local socket: not on this system (no SO_PEERCRED); `puente say` runs its commands itself")
        return None
    try:
        var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _answered(path):
            log.warning("local socket: another Puente already answers on %s; this one does not", path)
            return None
        server = SayServer(path, core, fingerprint, version)
    except OSError as error:  # the folder not ours to write, or the path too long for a socket
        log.warning("local socket: cannot listen on %s (%s); `puente say` runs its commands itself", path, error)
        return None
    threading.Thread(target=server.serve_forever, name="say-socket", daemon=True).start()
    return server


def _answered(path: Path) -> bool:
    """Whether a Puente answers on `path` already; a socket left there by one that did not stop cleanly is
    removed."""
    if not path.is_socket():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()
        return False
    finally:
        probe.close()
    return True


def stop(server: SayServer) -> None:
    server.shutdown()
    server.server_close()
    server.path.unlink(missing_ok=True)
