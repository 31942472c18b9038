"""`puente run` as a child process: started, waited for by readiness (never by the clock), stopped."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PUENTE = [sys.executable, "-m", "puente.cli"]
# `puente run` prints this once its port is bound and listening (connections queue until it serves).
BANNER = "Puente ("


def start(env: dict[str, str], log: Path, *args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `puente run` (in `cwd`, whose .env it reads) and return once it listens."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*PUENTE, "run", *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=output
        )
    try:
        assert process.stdout is not None
        _wait_for_banner(process, process.stdout, log)
    except BaseException:
        stop(process)
        raise
    # Keep reading what it prints (pages on the console), so a full pipe never blocks it.
    threading.Thread(target=_copy, args=(process.stdout, log), daemon=True).start()
    return process


@contextmanager
def running(env: dict[str, str], log: Path, *args: str, cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`puente run` for the duration of a block; never left behind."""
    process = start(env, log, *args, cwd=cwd)
    try:
        yield process
    finally:
        stop(process)


def _wait_for_banner(process: subprocess.Popen[bytes], stdout: IO[bytes], log: Path) -> None:
    seen: list[bytes] = []
    for line in iter(stdout.readline, b""):
        seen.append(line)
        if line.decode().startswith(BANNER):
            return
    process.wait()
    raise AssertionError(
        f"puente run exited with {process.returncode} before listening:\n"
        + b"".join(seen).decode()
        + log.read_text(errors="replace")
    )


def _copy(stdout: IO[bytes], log: Path) -> None:
    with log.open("ab") as output:
        for line in iter(stdout.readline, b""):
            output.write(line)
            output.flush()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
