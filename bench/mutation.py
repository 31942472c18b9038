"""Mutation testing of the handling policy and the role checks with cosmic-ray: the share of mutants killed.

Each target is a module (or some definitions in it) and the fast tests that must notice when it is changed:
  services/handling/decision.py   the one handling decision (TLP 2.0, onward sharing, PAP, personal data)
  services/handling/pap.py        which actions each PAP permits (cosmic-ray finds no operator to mutate
                                  in a table of actions; the decision's tests cover what reads it)
  services/handling/policy.py     which TLP goes to which collection, who may write what  (--all)
  services/handling/personal.py   the personal-data detector, with its check digits        (--all)
  services/users/service.py       require_role, the role check every service calls
  storage/models.py               Role: rank and allows
cosmic-ray changes one operator, number, boolean or comparison at a time in the file on disk and runs the
tests; a mutant the tests notice is killed, one they do not survives (each survivor is printed with its
diff, for a test that would kill it). The files are restored afterwards, even when interrupted; run it
in a work tree where nothing else runs the tests meanwhile.

    .venv/bin/python bench/mutation.py [--all] [--examples N]

`--examples` bounds the hypothesis chains per mutant (tests/test_handling_rules.py; 100 by default).
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parents[1]
PYTEST = f"{sys.executable} -m pytest -x -q -p no:randomly -p no:cacheprovider"


@dataclass(frozen=True)
class Target:
    module: str
    tests: str
    definitions: tuple[str, ...] = ()  # only these top-level functions or classes; all of the module if empty


TARGETS = [
    Target("services/handling/decision.py", "tests/test_handling_rules.py"),
    Target("services/handling/pap.py", "tests/test_handling_rules.py"),
    Target("services/users/service.py", "tests/test_handling_rules.py -k 'role or nobody'", ("require_role",)),
    Target("storage/models.py", "tests/test_handling_rules.py -k 'role or nobody'", ("Role",)),
]
MORE = [
    Target("services/handling/policy.py", "tests/test_handling_rules.py tests/taxii"),
    Target("services/handling/personal.py", "tests/test_personal_data.py"),
]


@dataclass
class Score:
    killed: int = 0
    survived: int = 0
    incompetent: int = 0
    skipped: int = 0

    @property
    def rate(self) -> float:
        tried = self.killed + self.survived
        return self.killed / tried if tried else 1.0


Span = tuple[tuple[int, int], tuple[int, int]]


def _annotations(module: Path) -> list[Span]:
    """Where the module's annotations are, from (line, column) to (line, column). Puente's modules do not
    evaluate them (`from __future__ import annotations`), so a mutant there is one no test could tell apart."""
    spans: list[Span] = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        annotation: ast.expr | None = None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotation = node.returns
        elif isinstance(node, ast.arg | ast.AnnAssign):
            annotation = node.annotation
        if annotation is not None and annotation.end_lineno is not None and annotation.end_col_offset is not None:
            spans.append(
                ((annotation.lineno, annotation.col_offset), (annotation.end_lineno, annotation.end_col_offset))
            )
    return spans


def _in_annotation(position: tuple[int, int], spans: list[Span]) -> bool:
    return any(start <= position < end for start, end in spans)


def _lines_of(module: Path, names: tuple[str, ...]) -> set[int]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names:
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _config(target: Target, folder: Path) -> Path:
    config = folder / "cosmic-ray.toml"
    tests = " ".join(str(ROOT / part) if part.startswith("tests/") else part for part in target.tests.split(" "))
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{target.module}"\n'
        "timeout = 120.0\n"
        "excluded-modules = []\n"
        f'test-command = "{PYTEST} {tests}"\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    return config


def run(target: Target, folder: Path) -> tuple[Score, list[str]]:
    config, session = _config(target, folder), folder / f"{Path(target.module).stem}.sqlite"
    cosmic_ray = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic_ray, "init", str(config), str(session)], cwd=ROOT, check=True)
    wanted = _lines_of(ROOT / target.module, target.definitions) if target.definitions else None
    annotations = _annotations(ROOT / target.module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        # cosmic-ray counts columns from 0 as ast does; its lines from 1 as ast does.
        skipped = [
            item.job_id
            for item in db.pending_work_items
            if any(_in_annotation(tuple(m.start_pos), annotations) for m in item.mutations)
            or (wanted is not None and not any(m.start_pos[0] in wanted for m in item.mutations))
        ]
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    subprocess.run([*cosmic_ray, "exec", str(config), str(session)], cwd=ROOT, check=True)
    score, survivors = Score(), []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                score.skipped += 1
            elif result.test_outcome == TestOutcome.KILLED:
                score.killed += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                score.survived += 1
                survivors.append(result.diff or str(item.mutations))
            else:
                score.incompetent += 1
    return score, survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also the collection policy and the personal-data detector")
    parser.add_argument("--examples", type=int, default=100, help="hypothesis chains per mutant")
    options = parser.parse_args()
    os.environ["PUENTE_CHAIN_EXAMPLES"] = str(options.examples)
    targets = TARGETS + (MORE if options.all else [])
    originals = {target.module: (ROOT / target.module).read_bytes() for target in targets}
    total = Score()
    try:
        with tempfile.TemporaryDirectory(prefix="puente-mutation-") as folder:
            for target in targets:
                score, survivors = run(target, Path(folder))
                for diff in survivors:
                    print(f"SURVIVED in {target.module}:\n{diff}")
                print(
                    f"{target.module}{' ' + ','.join(target.definitions) if target.definitions else ''}:"
                    f" {score.killed} killed, {score.survived} survived, {score.incompetent} incompetent"
                    f" ({score.rate:.1%} killed)",
                    flush=True,
                )
                for name in ("killed", "survived", "incompetent", "skipped"):
                    setattr(total, name, getattr(total, name) + getattr(score, name))
    finally:
        for module, content in originals.items():
            (ROOT / module).write_bytes(content)
    print(f"all: {total.killed} of {total.killed + total.survived} mutants killed ({total.rate:.1%})")


if __name__ == "__main__":
    main()
