"""The `puente` command line: a table of commands, each imported only when it runs.

`puente --help`, `--version` and `say` must start in a fraction of a second, so this module imports
click and nothing of Puente's: a command's module (and the database, STIX and chat libraries it
needs) is imported when that command is invoked.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from puente import __version__

# name -> (module:attribute, one line for `puente --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("puente.cli.serve:run", "Serve TAXII, chat webhooks and workers (and the console on a terminal)."),
    "console": ("puente.cli.terminal:console", "An interactive /incident console."),
    "say": ("puente.cli.say:say", "Run one /incident command, print the reply."),
    "users": ("puente.cli.users:users_group", "People who may use Puente, and their chat identities."),
    "oncall": ("puente.cli.oncall:oncall_group", "On-call rotations, overrides and escalation policies."),
    "peers": ("puente.cli.peers:peers_group", "Peer CSIRTs: who to reach in which country, and how."),
    "partners": ("puente.cli.partners:partners_group", "TAXII partners: credentials and collections."),
    "report": ("puente.cli.terminal:report", "Write a ticket's readable report (md, html or pdf)."),
    "export": ("puente.cli.stix:export_command", "Print a ticket as a STIX 2.1 bundle."),
    "import": ("puente.cli.stix:import_command", "Open (or refresh) a ticket from a STIX 2.1 bundle file."),
    "db": ("puente.cli.database:db", "Database schema."),
    "secret-key": ("puente.cli.peers:secret_key", "Print a new key for PUENTE_SECRET_KEY (encrypts peer secrets)."),
    "audit": ("puente.cli.audit:audit_group", "The audit timeline: check no event was changed or removed."),
    "config": ("puente.cli.doctor:config", "The effective settings and where each came from."),
    "doctor": ("puente.cli.doctor:doctor", "Check settings, database, peers and chat tokens."),
    "web-link": ("puente.cli.web:web_link_command", "A single-use sign-in link to the web view for a user."),
}


class Commands(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name][0].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=Commands)
@click.version_option(__version__, prog_name="puente")
def main() -> None:
    """Puente: incident coordination between national CSIRTs."""


def _on_glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):  # a C library that is not glibc does not know the name
        return False


def start() -> None:
    """The `puente` command as a process starts it (the `puente` script, `python -m puente.cli`).

    `puente run` serves for months and takes partners' 10 MB uploads, so it first restarts itself in
    place (same process id) with Python's small-object allocator off (PYTHONMALLOC=malloc): pymalloc
    gives a 1 MiB arena back only once all of it is free, and the few long-lived objects the workers
    and the connection pool make while an upload is screened keep arenas (bench/upload_memory.py:
    +12 to +15 MB after four uploads, growing), whereas glibc returns every free page once the
    upload is over (server/taxii/memory.py): back within a few MB. It costs about a tenth more CPU on an
    upload. A PYTHONMALLOC already set (pymalloc, say) is the operator's choice and is kept.

    Importing the command's module creates most of the objects the process will ever hold (libraries,
    tables, domains), all alive until it exits: the cyclic garbage collector would walk them again at each
    full collection and once more at exit, a good part of a one-shot `puente say`. So it waits while the
    command is imported, then leaves what is there alone (frozen). Not in `main`: a test that invokes it
    shares its process with all the test holds.
    """
    if sys.argv[1:2] == ["run"] and "PYTHONMALLOC" not in os.environ and _on_glibc():
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, "PYTHONMALLOC": "malloc"})
    global _ONE_PROCESS
    _ONE_PROCESS = True
    with imported_for_good():
        name = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        if name in COMMANDS:
            main.get_command(click.Context(main), name)
    main()


# Set by `start`: this process is one `puente` command, whose imports live until it exits.
_ONE_PROCESS = False


@contextmanager
def imported_for_good() -> Iterator[None]:
    """Imports made inside are kept until the process exits: the collector waits while they are made, then
    leaves them alone (see `start`). A command imports more inside it once it knows it needs them (`say`,
    when no running Puente answers). Only in a process `start` began: a test shares its own."""
    if not _ONE_PROCESS:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


if __name__ == "__main__":
    start()
