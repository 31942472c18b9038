"""The interactive console through prompt_toolkit's real input pipeline, as a person at a terminal uses it."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from puente.bot.console import local_socket
from puente.bot.console.notifier import ConsoleNotifier
from puente.bot.console.repl import Console
from puente.bot.core import CommandCore
from puente.services.context import Runtime
from puente.services.notify import Notice, Recipient
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.storage.models import Role
from tests.support import wait_until


class Terminal(io.StringIO):
    """What the person sees: the prompt's drawing and everything printed, in one stream."""

    def isatty(self) -> bool:
        return True

    @property
    def seen(self) -> str:
        return self.getvalue()


@pytest.fixture
def core(sqlite_runtime: Runtime) -> CommandCore:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return CommandCore(sqlite_runtime)


@contextmanager
def at_terminal(console: Console, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PipeInput, Terminal]]:
    """Run the console's prompt in a thread, typing into a pipe; yields the keyboard and the screen."""
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    failures: list[BaseException] = []
    with create_pipe_input() as keyboard:
        output = Vt100_Output(screen, lambda: Size(rows=40, columns=200), term="xterm")

        def run() -> None:
            try:
                with create_app_session(input=keyboard, output=output):
                    console.interact()
            except BaseException as error:  # reported by the test below
                failures.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield keyboard, screen
        thread.join(60)
        assert not thread.is_alive(), f"the console did not leave; screen:\n{screen.seen[-2000:]}"
    assert not failures, failures


def after(screen: Terminal, text: str) -> Callable[[], bool]:
    return lambda: text in screen.seen


def test_ctrl_c_clears_the_line_and_the_console_stays(core: CommandCore, monkeypatch: pytest.MonkeyPatch) -> None:
    console = Console(core, "ana")
    with at_terminal(console, monkeypatch) as (keyboard, screen):
        keyboard.send_text("/incident new Half typed sev=high")
        wait_until(after(screen, "Half typed"), "the typed line is shown")
        keyboard.send_text("\x03")
        keyboard.send_text("/incident list\r")
        wait_until(after(screen, "No open tickets"), "the list reply")
        keyboard.send_text("quit\r")
    assert "Opened" not in screen.seen


def test_leaving_inside_puente_run_asks_because_it_stops_the_server(
    core: CommandCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = Console(core, "ana", serving=True)
    with at_terminal(console, monkeypatch) as (keyboard, screen):
        keyboard.send_text("quit\r")
        wait_until(after(screen, "Stop Puente? [y/N]"), "the question")
        keyboard.send_text("n\r")
        keyboard.send_text("/incident help\r")
        wait_until(after(screen, "/incident new"), "help, proving the console stayed")
        keyboard.send_text("\x04")  # Ctrl-D asks too
        wait_until(lambda: screen.seen.count("Stop Puente? [y/N]") == 2, "the question again")
        keyboard.send_text("y\r")
    assert "Stopping Puente: TAXII server and workers." in screen.seen


def test_a_notice_appears_above_the_prompt_and_the_typed_line_is_redrawn(
    core: CommandCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = Console(core, "ana")
    with at_terminal(console, monkeypatch) as (keyboard, screen):
        keyboard.send_text("/incident lis")
        wait_until(after(screen, "/incident lis"), "the typed line is shown")
        # A worker thread pages someone while the analyst is typing.
        paging = threading.Thread(
            target=ConsoleNotifier().send, args=(Recipient("omar", {}), Notice("Page: INC-2026-0042 critical"))
        )
        paging.start()
        paging.join()
        wait_until(after(screen, "INC-2026-0042"), "the notice is printed")
        notice_at = screen.seen.index("[to omar] Page: INC-2026-0042 critical")
        wait_until(lambda: "/incident lis" in screen.seen[notice_at:], "the typed line is redrawn under the notice")
        keyboard.send_text("t\r")
        wait_until(after(screen, "No open tickets"), "the completed command ran")
        keyboard.send_text("quit\r")


def test_tab_completes_subcommands_option_values_references_and_peers(core: CommandCore) -> None:
    console = Console(core, "ana")
    opened = console.render_one("/incident new Phishing wave sev=medium")
    reference = opened.split()[1].rstrip(".")
    with core.runtime.unit_of_work(actor_name="operator") as ctx:
        peers.add(ctx, peers.PeerDraft("cert-br", ["BR"], "https://127.0.0.1:9/taxii2/", "inbox"))
    assert console.complete("/incident sh") == ["show", "share"]
    assert console.complete("/incident new Outage sev=h") == ["sev=high"]
    assert console.complete("/incident update INC-2026-0001 tlp=amber") == ["tlp=amber", "tlp=amber+strict"]
    assert console.complete("/incident update INC-2026-0001 type=fraud/ph") == ["type=fraud/phishing"]
    assert console.complete(f"/incident show {reference[:-2]}") == [reference]
    assert console.complete("/incident new X sect") == ["sector=", "sectors="]
    assert console.complete(f"/incident share {reference} to cert") == ["cert-br"]
    assert console.complete(f"/incident cancel {reference} peer=cert-") == ["peer=cert-br"]
    assert Console(core, "stranger").complete("/incident show INC") == []


def _exchange(path: Path, line: bytes) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall(line)
        connection.shutdown(socket.SHUT_WR)
        answer: dict[str, object] = json.loads(connection.makefile("rb").readline())
    return answer


def test_the_local_socket_answers_its_own_settings_and_turns_away_the_rest(core: CommandCore, tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    server = local_socket.serve(var_dir, core, "fingerprint", "1.0")
    assert server is not None, "Linux has SO_PEERCRED"
    path = var_dir / local_socket.SOCKET_NAME
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for line in (b"not json\n", b'{"version": "1.0"}\n', b"[" * (local_socket.LONGEST_REQUEST + 10)):
            assert "turned_away" in _exchange(path, line), line[:20]
        # Another version of Puente, or other settings: the caller runs the command itself.
        assert local_socket.ask(var_dir, "fingerprint", "0.9", "ana", "/incident list") is None
        assert local_socket.ask(var_dir, "other settings", "1.0", "ana", "/incident list") is None
        opened = local_socket.ask(var_dir, "fingerprint", "1.0", "ana", "/incident new Phishing wave sev=medium")
        assert opened is not None and opened.ok and opened.reply.startswith("Opened INC-"), opened
        refused = local_socket.ask(var_dir, "fingerprint", "1.0", "ana", "/incident show INC-1999-0001")
        assert refused is not None and not refused.ok and refused.reply.startswith("error: "), refused
        # A second Puente on the same folder leaves the socket to the first.
        assert local_socket.serve(var_dir, core, "fingerprint", "1.0") is None
    finally:
        local_socket.stop(server)
    assert not path.exists()
    assert local_socket.ask(var_dir, "fingerprint", "1.0", "ana", "/incident list") is None


def test_a_var_folder_puente_cannot_write_to_leaves_say_to_its_own_process(
    core: CommandCore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_folder = tmp_path / "var"
    not_a_folder.write_text("")
    with caplog.at_level(logging.WARNING):
        assert local_socket.serve(not_a_folder, core, "fingerprint", "1.0") is None
    assert f"local socket: cannot listen on {not_a_folder / local_socket.SOCKET_NAME}" in caplog.text
    assert local_socket.ask(not_a_folder, "fingerprint", "1.0", "ana", "/incident list") is None


def test_a_connection_that_stalls_is_given_up_while_others_are_answered(
    core: CommandCore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_socket, "IDLE_SECONDS", 0.2)
    var_dir = tmp_path / "var"
    server = local_socket.serve(var_dir, core, "fingerprint", "1.0")
    assert server is not None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
            stalled.settimeout(600)  # only a hang waits this long
            stalled.connect(str(var_dir / local_socket.SOCKET_NAME))
            stalled.sendall(b'{"version": "1.0", ')  # and no more
            listed = local_socket.ask(var_dir, "fingerprint", "1.0", "ana", "/incident list")
            assert listed is not None and listed.ok, listed
            assert stalled.recv(1) == b"", "the stalled connection is closed without an answer"
    finally:
        local_socket.stop(server)


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.access("/usr/bin/python3", os.X_OK),
    reason="speaking as another user needs root to switch to one, and a Python that user may run",
)
def test_another_user_of_the_machine_gets_no_answer_from_the_local_socket(
    core: CommandCore, caplog: pytest.LogCaptureFixture
) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        os.chmod(folder, 0o755)  # a folder open to all: only the socket's own guards remain
        var_dir = Path(folder) / "var"
        server = local_socket.serve(var_dir, core, "fingerprint", "1.0")
        assert server is not None
        var_dir.chmod(0o755)
        path = var_dir / local_socket.SOCKET_NAME
        request = json.dumps({"version": "1.0", "settings": "fingerprint", "as": "ana", "command": "/incident list"})
        script = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n"
            f"    s.connect({str(path)!r})\n"
            "except OSError as error:\n"
            "    sys.exit(f'refused: {error}')\n"
            "try:\n"
            f"    s.sendall({request.encode()!r} + b'\\n')\n"
            "    answer = s.recv(65536)\n"
            "except (BrokenPipeError, ConnectionResetError):  # closed with the request unread\n"
            "    answer = b''\n"
            "print(answer)\n"
        )

        def as_nobody() -> subprocess.CompletedProcess[str]:
            command = ["/usr/bin/python3", "-c", script]
            return subprocess.run(command, user=65534, capture_output=True, text=True, timeout=60)

        try:
            refused = as_nobody()  # the socket file is its owner's alone
            path.chmod(0o666)  # and were it opened to all, the other end's user id is checked
            with caplog.at_level(logging.WARNING):
                unanswered = as_nobody()
        finally:
            local_socket.stop(server)
    assert "refused: [Errno 13] Permission denied" in refused.stderr, refused.stderr
    assert unanswered.returncode == 0 and unanswered.stdout == "b''\n", (unanswered.stdout, unanswered.stderr)
    assert "a process of another user was turned away" in caplog.text
