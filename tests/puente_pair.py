"""Two Puente deployments on loopback, each with its own SQLite file and port, peers of each other,
configured and driven only through the `puente` command line (as an operator and analysts would)."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from puente.services.context import Runtime
from puente.settings import load_settings
from tests import running
from tests.conftest import SECRET_KEY
from tests.support import wait_until as wait_until  # its home was here: branches under way still import it

PUENTE = [sys.executable, "-m", "puente.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    """One Puente: `cli` runs a command against its database, `run` serves it."""

    name: str
    country: str
    peer_name: str
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        variables = {k: v for k, v in os.environ.items() if not k.startswith(("PUENTE_", "SLACK_", "TELEGRAM_"))}
        variables.update(
            PUENTE_DATABASE_URL=f"sqlite:///{self.directory / 'puente.db'}",
            PUENTE_CSIRT_NAME=self.name,
            PUENTE_CSIRT_COUNTRY=self.country,
            PUENTE_VAR_DIR=str(self.directory / "var"),
            PUENTE_HOST="127.0.0.1",
            PUENTE_PORT=str(self.port),
            PUENTE_BASE_URL=f"http://127.0.0.1:{self.port}",
            PUENTE_SECRET_KEY=SECRET_KEY,
        )
        return variables

    @property
    def log(self) -> Path:
        return self.directory / "run.log"

    def cli(self, *args: str) -> str:
        """Run a `puente` command against this deployment's database and settings.

        The click command runs in this process (a fresh interpreter per command costs seconds on
        a busy machine); `puente run` itself is always a separate process.
        """
        from puente.cli.main import main

        variables: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith(("PUENTE_", "SLACK_", "TELEGRAM_"))
        }
        variables.update({k: v for k, v in self.env.items() if k.startswith("PUENTE_")})
        done = CliRunner().invoke(main, list(args), env=variables, catch_exceptions=False)
        if done.exit_code != 0:
            raise AssertionError(f"puente {' '.join(args)} failed ({self.name}):\n{done.output}")
        return done.output

    def say(self, user: str, text: str) -> str:
        return self.cli("say", "--as", user, text)

    def say_refused(self, user: str, text: str) -> str:
        """What this deployment answers to a command it refuses (one it carries out fails the test)."""
        try:
            done = self.say(user, text)
        except AssertionError as refusal:
            return " ".join(str(refusal).split())
        raise AssertionError(f"{self.name} did not refuse {text!r}:\n{done}")

    def runtime(self) -> Runtime:
        """This deployment's runtime, for reading it from the test process."""
        return Runtime.from_settings(load_settings(**{k: v for k, v in self.env.items() if k.startswith("PUENTE_")}))

    def request_state(self, requester_reference: str) -> str | None:
        """The state this side records for the request about the requester's ticket (a cheap read for waiting)."""
        with sqlite3.connect(f"file:{self.directory / 'puente.db'}?mode=ro", uri=True, timeout=30) as connection:
            row = connection.execute(
                "SELECT state FROM assistance_requests WHERE requester_reference = ? ORDER BY id DESC",
                (requester_reference,),
            ).fetchone()
        return row[0] if row else None

    def identity(self) -> str:
        match = re.search(r"our identity: (identity--[0-9a-f-]+)", self.cli("peers", "list"))
        assert match, "puente peers list names our identity"
        return match.group(1)

    def start(self) -> None:
        """Start `puente run` and return once it listens (its banner), however slow the machine."""
        self.process = running.start(self.env, self.log)

    def stop(self) -> None:
        if self.process is not None:
            running.stop(self.process)


def issued_credentials(output: str) -> dict[str, str]:
    values = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    collections = {alias: cid for alias, cid, _ in re.findall(r"(\S+)=(\S+)\((\S+)\)", values["collections"])}
    return {"user": values["user"], "password": values["password"], **collections}


@contextmanager
def puente_pair(directory: Path) -> Iterator[tuple[Instance, Instance]]:
    """CSIRT-CO and CERT-BR, each registered as the other's partner (credentials, inbox) and peer."""
    co = Instance("CSIRT-CO", "CO", "cert-br", directory / "co")
    br = Instance("CERT-BR", "BR", "csirt-co", directory / "br")
    for instance in (co, br):
        instance.directory.mkdir(parents=True)
        instance.cli("db", "upgrade")
        instance.cli("users", "add", "ana", "--role", "analyst")
        instance.cli("users", "add", "lead", "--role", "lead")
    identities = {co.name: co.identity(), br.name: br.identity()}
    for local, remote in ((co, br), (br, co)):
        # The remote issues credentials to the local side and gives it an inbox;
        # the local side records the remote as its peer.
        issued = issued_credentials(
            remote.cli(
                "partners", "add", remote.peer_name, "--peer", remote.peer_name, "--identity", identities[local.name]
            )
        )
        local.cli(
            "peers",
            "add",
            local.peer_name,
            "--countries",
            remote.country,
            "--taxii-url",
            f"http://127.0.0.1:{remote.port}/taxii2/",
            "--collection",
            issued[f"{remote.peer_name}-inbox"],
            "--pull-collection",
            issued[remote.peer_name],
            "--user",
            issued["user"],
            "--password",
            issued["password"],
            "--identity",
            identities[remote.name],
            "--contact",
            f"{remote.name} duty desk",
            "--backup-contact",
            f"{remote.name} head",
        )
    with ExitStack() as stack:
        for instance in (co, br):
            instance.start()
            stack.callback(instance.stop)
        yield co, br


@contextmanager
def puente_trio(directory: Path) -> Iterator[dict[str, Instance]]:
    """CSIRT-CO, CERT-BR and CERT-AR, each the partner and peer of the other two; keyed by the name the others
    give it (csirt-co, cert-br, cert-ar)."""
    csirts = {
        "csirt-co": Instance("CSIRT-CO", "CO", "", directory / "co"),
        "cert-br": Instance("CERT-BR", "BR", "", directory / "br"),
        "cert-ar": Instance("CERT-AR", "AR", "", directory / "ar"),
    }
    for instance in csirts.values():
        instance.directory.mkdir(parents=True)
        instance.cli("db", "upgrade")
        instance.cli("users", "add", "ana", "--role", "analyst")
        instance.cli("users", "add", "lead", "--role", "lead")
    identities = {alias: instance.identity() for alias, instance in csirts.items()}
    for local_alias, local in csirts.items():
        for remote_alias, remote in csirts.items():
            if remote is local:
                continue
            issued = issued_credentials(
                remote.cli("partners", "add", local_alias, "--peer", local_alias, "--identity", identities[local_alias])
            )
            local.cli(
                "peers",
                "add",
                remote_alias,
                "--countries",
                remote.country,
                "--taxii-url",
                f"http://127.0.0.1:{remote.port}/taxii2/",
                "--collection",
                issued[f"{local_alias}-inbox"],
                "--pull-collection",
                issued[local_alias],
                "--user",
                issued["user"],
                "--password",
                issued["password"],
                "--identity",
                identities[remote_alias],
                "--contact",
                f"{remote.name} duty desk",
            )
    with ExitStack() as stack:
        for instance in csirts.values():
            instance.start()
            stack.callback(instance.stop)
        yield csirts
