"""The README's "Try it: two CSIRTs on one machine" runs as written: its exact lines, in a shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from tests.puente_pair import free_port
from tests.running import running

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Try it: two CSIRTs on one machine"
RUN = re.compile(r"^\(cd (\S+) && puente run > (\S+) 2>&1 &\)$")
# A step whose effect comes through a peer's worker: repeated until its output shows the text.
UNTIL = re.compile(r"\s+# until: (.+)$")
PATIENCE_SECONDS = 300  # a ceiling for a stuck exchange; each step returns as soon as its text shows


def steps() -> Iterator[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                yield line.strip()


def test_the_readme_try_it_section_runs_as_written(tmp_path: Path) -> None:
    ports = {"8081": str(free_port()), "8082": str(free_port())}
    year = str(datetime.now(UTC).year)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUENTE_", "SLACK_", "TELEGRAM_"))}
    # `export PATH="$PWD/.venv/bin:$PATH"`: here the interpreter running the tests is that venv.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    done: list[str] = []
    with ExitStack() as servers:
        for step in steps():
            for default, port in ports.items():
                step = step.replace(default, port)
            step = step.replace("INC-2026-", f"INC-{year}-")
            started = RUN.match(step)
            if started:
                folder = tmp_path / started.group(1)
                servers.enter_context(running(env, folder / started.group(2), cwd=folder))
            else:
                until = UNTIL.search(step)
                run_step(step[: until.start()] if until else step, until.group(1) if until else None, tmp_path, env)
            done.append(step)
    assert any("accept" in step for step in done) and len(done) >= 15


def run_step(command: str, until: str | None, cwd: Path, env: dict[str, str]) -> None:
    started = time.monotonic()
    while True:
        result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)
        shown = result.stdout + result.stderr
        if until is None:
            assert result.returncode == 0, f"$ {command}\n{shown}"
            return
        if until in shown:
            return
        assert time.monotonic() - started < PATIENCE_SECONDS, f"$ {command}\nnever showed {until!r}:\n{shown}"
        time.sleep(0.5)
