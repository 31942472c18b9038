"""A medallion TAXII 2.1 server on loopback, standing in for a third-party peer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support import wait_until

MEDALLION_DIR = Path(__file__).resolve().parents[2] / "shared" / "peers" / "medallion"
COLLECTION = "8f0a5c9e-2f5b-4c41-9c7e-5b1f2f9d0a01"
USER, PASSWORD = "admin", "Password0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Medallion:
    port: int

    @property
    def discovery(self) -> str:
        return f"http://127.0.0.1:{self.port}/taxii2/"

    @property
    def api_root(self) -> str:
        return f"http://127.0.0.1:{self.port}/csirt/"


@contextmanager
def medallion(tmp_path: Path, port: int | None = None) -> Iterator[Medallion]:
    if not (MEDALLION_DIR / "medallion.json").exists():
        pytest.skip(f"medallion peer config not found under {MEDALLION_DIR} (../shared is absent)")
    port = port or free_port()
    data = json.loads((MEDALLION_DIR / "data.json").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{port}"))
    data_path = tmp_path / f"medallion-{port}.json"
    data_path.write_text(json.dumps(data))
    config = (MEDALLION_DIR / "medallion.json").read_text().replace("@DATA@", str(data_path))
    config_path = tmp_path / f"medallion-config-{port}.json"
    config_path.write_text(config)
    command = [
        str(Path(sys.executable).parent / "medallion"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "WARN",
        str(config_path),
    ]
    log = (tmp_path / f"medallion-{port}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def answers() -> bool:
        assert process.poll() is None, "medallion exited before it answered"
        try:
            requests.get(f"http://127.0.0.1:{port}/taxii2/", auth=(USER, PASSWORD), timeout=30)
        except (requests.ConnectionError, requests.Timeout):
            return False
        return True

    try:
        wait_until(answers, "medallion answers")
        yield Medallion(port)
    finally:
        process.terminate()
        process.wait(10)
        log.close()
