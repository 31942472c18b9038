"""The shape of the code base: one import namespace, no import cycles, small modules, a wheel
that holds every module, and nothing shadowed by python-stix (which misp-stix installs)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("bot", "cli", "server", "services", "stix", "storage", "taxii", "i18n")
LONGEST_MODULE = 400


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("puente", exclude_type_checking_imports=False)


def _strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of nodes that reach one another (cycles), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph()
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _strongly_connected(graph.modules, edges) == []


def test_no_package_depends_on_itself_through_a_sibling() -> None:
    """Within every package, its children (modules and subpackages, each with all it holds) form no cycle."""
    graph = _graph()
    cycles = []
    for package in sorted(m for m in graph.modules if graph.find_children(m)):
        children = graph.find_children(package)

        def child_of(module: str, package: str = package, children: set[str] = children) -> str | None:
            head = module[len(package) + 1 :].split(".")[0] if module.startswith(package + ".") else None
            return f"{package}.{head}" if head and f"{package}.{head}" in children else None

        edges: dict[str, set[str]] = {}
        for module in graph.find_descendants(package):
            source = child_of(module)
            for imported in graph.find_modules_directly_imported_by(module):
                target = child_of(imported)
                if source and target and source != target:
                    edges.setdefault(source, set()).add(target)
        cycles += _strongly_connected(children, edges)
    assert cycles == []


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for folder in (*FOLDERS, "puente")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and (lines := len(path.read_text().splitlines())) > LONGEST_MODULE
    }
    assert too_long == {}


def test_every_module_imports_beside_python_stix(tmp_path: Path) -> None:
    """python-stix installs a top-level `stix`; Puente's STIX mapping is `puente.stix`, so both work at once."""
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import stix                      # python-stix, as misp-stix imports it
        import stix.core
        import puente
        found = pkgutil.walk_packages(puente.__path__, "puente.")
        names = [m.name for m in found if ".migrations" not in m.name and not m.name.endswith("__main__")]
        for name in names:
            importlib.import_module(name)
        assert sys.modules["stix"] is stix and "site-packages" in stix.__file__, stix.__file__
        import puente.stix.mapping
        assert puente.stix.mapping.__name__ == "puente.stix.mapping"
        print(len(names))
        """
    )
    pytest.importorskip("stix.core", reason="python-stix is in the dev extra (make test installs it)")
    # Run where an installed Puente runs: not from the checkout, whose top-level `stix/` folder
    # `python -c` would put first on sys.path.
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 90


def test_the_wheel_holds_every_module_under_puente(tmp_path: Path) -> None:
    # setuptools would otherwise build in ./build inside the checkout.
    (tmp_path / "setup.cfg").write_text(f"[build]\nbuild_base = {tmp_path / 'build'}\n")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DIST_EXTRA_CONFIG": str(tmp_path / "setup.cfg")},
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("puente-*.whl")
    assert not (ROOT / "build").exists()
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"puente/{path.relative_to(ROOT)}"
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".mako", ".yaml", ".html", ".css", ".js", ".json", ".po", ".pot")
        and "__pycache__" not in path.parts
    }
    expected |= {"puente/__init__.py", "puente/settings.py"}
    assert expected - names == set()
    assert not {n for n in names if n.split("/")[0] in FOLDERS}, "a bare top-level package would shadow others"
