"""The interactive console through prompt_toolkit's real input pipeline, as a person at a terminal uses it."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

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
