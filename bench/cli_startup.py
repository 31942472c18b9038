"""CPU a `puente` command costs before and while it works, as the operator's shell sees it.

    python bench/cli_startup.py [--runs 10]

Runs `puente --help`, `puente --version` and `puente say --as X "/incident show INC-…"` against a
fresh SQLite file, each --runs times, and reports the best and median CPU seconds (user + system
of the child process, so other load on the machine matters less than wall-clock time would).
`say … show` is measured twice: with no Puente running (the command runs in its own process), and
with `puente run` up in the same folder, which the command is handed to over the local socket
(bot/console/local_socket.py); there the running Puente's CPU for each command is reported beside
the shell's (/proc/PID/stat, in clock ticks, averaged over the runs).
Puente's modules are compiled to bytecode first (into __pycache__, where Python keeps it unless
PYTHONDONTWRITEBYTECODE is set, and pip compiles an installed Puente's): a checkout run with that
variable would otherwise compile every module again on every command, a cost no operator pays.
Goals (issue 18): `say … show` under 0.3 s, `--help` under 0.15 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# The repository root holds tests/ (`puente run` started and awaited as the tests do); appended, so that the
# bare stix/ folder shadows nothing.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from tests.peer_servers import free_port
from tests.running import running


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def package_folders() -> list[str]:
    """Puente's package and each folder linked into it (compileall does not follow the links)."""
    spec = importlib.util.find_spec("puente")
    assert spec is not None and spec.submodule_search_locations
    root = Path(spec.submodule_search_locations[0])
    return [str(root), *(str(p) for p in root.iterdir() if p.is_symlink() and p.is_dir())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    puente = shutil.which("puente", path=str(Path(sys.executable).parent)) or "puente"
    with tempfile.TemporaryDirectory() as var:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *package_folders()], check=True)
        env = {**os.environ, "PUENTE_VAR_DIR": var, "PUENTE_DATABASE_URL": ""}
        subprocess.run([puente, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [puente, "users", "add", "bench", "--role", "analyst"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        opened = subprocess.run(
            [puente, "say", "--as", "bench", "/incident new Startup bench sev=high"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        reference = opened.split()[1].rstrip(".")
        cases = {
            "--help": [puente, "--help"],
            "--version": [puente, "--version"],
            f"say show {reference}": [puente, "say", "--as", "bench", f"/incident show {reference}"],
        }
        print(f"CPU seconds per command, {options.runs} runs each (best / median):")
        for name, command in cases.items():
            samples = [cpu_seconds(command, env) for _ in range(options.runs)]
            print(f"  {name:<44} {min(samples):.3f} / {statistics.median(samples):.3f}")
        show = cases[f"say show {reference}"]
        env["PUENTE_PORT"] = str(free_port())
        with running(env, Path(var) / "run.log") as server:
            cpu_seconds(show, env)  # the running Puente's first command compiles its statements
            before = process_cpu_seconds(server.pid)
            samples = [cpu_seconds(show, env) for _ in range(options.runs)]
            served = (process_cpu_seconds(server.pid) - before) / options.runs
        name = f"say show {reference}, Puente running"
        print(f"  {name:<44} {min(samples):.3f} / {statistics.median(samples):.3f}  + {served:.3f} in puente run")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
