"""The package's layering, checked from the source: who may import whom.

Rules
-----
1. The model layer (:data:`MODEL`: the network, activations, errors, validation, limits, the
   result base) imports nothing above it — not at import time and not inside functions.
2. No two top-level parts of the package (``fixed_points``, ``stability``, ``report``, …)
   import each other at import time, directly or through others.
3. No import cycle between modules at import time (module-level statements).
4. Only the command line imports the command line.

Imports are read with :mod:`ast` (nothing is executed). ``from .pkg.mod import x`` counts as
importing ``pkg`` too, because Python runs the package's ``__init__`` first.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "eicircuits"

#: The model layer: modules that may import only each other.
MODEL = {
    "eicircuits.errors",
    "eicircuits._limits",
    "eicircuits._result",
    "eicircuits._validate",
    "eicircuits._threads",
    "eicircuits._report",
    "eicircuits.activations",
    "eicircuits.network",
    "eicircuits.delays",
}

#: Edges that break a rule today, each with its reason. The test fails when one disappears
#: (remove it here) and when a new one appears (fix the import instead of listing it).
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package_of(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]


def _with_parents(target: str) -> list[str]:
    """``a.b.c`` -> the modules Python runs to import it: ``a.b``, ``a.b.c`` (known ones)."""
    parts = target.split(".")
    return [".".join(parts[:k]) for k in range(2, len(parts) + 1)
            if ".".join(parts[:k]) in MODULES]


def imports(module: str, *, top_level_only: bool) -> set[str]:
    """Modules of the package that ``module`` imports (with the packages that run first)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also `if TYPE_CHECKING:` is not run; `try:` bodies are
        nodes = [n for stmt in nodes for n in ([stmt] if not isinstance(stmt, ast.Try)
                                               else stmt.body)]
    pkg = _package_of(module)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from . import _jax` imports the submodule `_jax` when there is one
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem
                       for a in node.names]
        else:
            continue
        for t in targets:
            if t.startswith("eicircuits"):
                found.update(_with_parents(t))
    found.discard(module)
    return found


def _unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _unit_graph(*, top_level_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for m in MODULES:
        if m == "eicircuits":  # the curated namespace re-exports everything lazily
            continue
        for t in imports(m, top_level_only=top_level_only):
            a, b = _unit(m), _unit(t)
            if a != b and b != "eicircuits" and (a, b) not in KNOWN_VIOLATIONS:
                graph[a].add(b)
    return graph


def test_the_model_layer_imports_nothing_above_it():
    bad = {}
    for m in MODEL:
        above = {_unit(t) for t in imports(m, top_level_only=False)} - MODEL - {"eicircuits"}
        for t in above:
            if (m, t) not in KNOWN_VIOLATIONS:
                bad[m] = sorted(above)
    assert bad == {}, f"model modules importing upward: {bad}"


def test_known_violations_are_still_real():
    for (a, b), why in KNOWN_VIOLATIONS.items():
        assert b in {_unit(t) for t in imports(a, top_level_only=False)}, (
            f"{a} no longer imports {b}: remove it from KNOWN_VIOLATIONS ({why})")


def test_no_cycles_between_the_parts_of_the_package():
    assert _cycles(_unit_graph(top_level_only=True)) == []


def test_no_import_time_cycles_between_modules():
    graph = {m: imports(m, top_level_only=True) for m in MODULES}
    # a package's __init__ importing its own submodules (and those importing siblings) is
    # how packages are built; a cycle is a submodule needing its own package's __init__
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not (MODULES[d].name == "__init__.py"
                                            and m.startswith(d + "."))}
    assert _cycles(graph) == []


def test_only_the_command_line_imports_the_command_line():
    bad = sorted(m for m in MODULES if not m.startswith("eicircuits.cli")
                 and any(t.startswith("eicircuits.cli") for t in imports(m,
                                                                         top_level_only=False)))
    assert bad == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The rules can fail: a model module importing an analysis is caught."""
    fake = tmp_path / "network.py"
    fake.write_text("from .games import game\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "eicircuits.network", fake)
    assert "eicircuits.games" in imports("eicircuits.network", top_level_only=False)
    with pytest.raises(AssertionError, match="model modules importing upward"):
        test_the_model_layer_imports_nothing_above_it()
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
