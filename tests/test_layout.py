"""The package's shape, checked: layers import only downward (and so no import cycle), files and
functions stay small, only public Keras APIs, no process-wide socket state, no test that cannot
fail, and the library never imports Streamlit."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "explorer"

# What each part of explorer/ may import (besides itself). Bottom to top: zoo -> arch -> nn ->
# inference -> lab -> cli; figures (no Keras) and data sit beside, on zoo/arch only.
ALLOWED = {
    "zoo": set(),
    "arch": {"zoo"},
    "nn": {"zoo", "arch"},
    "inference": {"zoo", "arch", "nn"},
    "explain": {"zoo", "arch", "nn", "inference"},
    "figures": {"zoo", "arch"},
    "data": set(),
    "lecture": set(),
    "lab": {"zoo", "arch", "nn", "inference", "data", "figures", "explorer"},
    "cli": {"zoo", "arch", "nn", "inference", "data", "figures", "lab", "explorer"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def _imports(path: Path, name: str) -> set[str]:
    """Every explorer module `path` imports, at the top or inside a function."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {f for f in found if f == "explorer" or f.startswith("explorer.")}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "explorer"


def test_layers_import_only_downward():
    mods = _modules()
    bad = []
    for name, path in mods.items():
        part = _part(name)
        if part not in ALLOWED:  # explorer/__init__.py, explorer/__main__.py: the public face
            continue
        for target in _imports(path, name):
            tpart = _part(target)
            if tpart != part and tpart not in ALLOWED[part]:
                bad.append(f"{name} imports {target} ({part} may import {sorted(ALLOWED[part]) or 'nothing'})")
    assert not bad, "\n".join(bad)


def find_cycle(graph: dict[str, set]) -> list[str]:
    """One import cycle of `graph` ({module: imported modules}) as a path, or []."""
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[node] = 2
        return []

    for n in sorted(graph):
        if n not in state:
            found = visit(n, [n])
            if found:
                return found
    return []


def test_no_import_cycle_inside_explorer():
    mods = _modules()
    graph = {n: {t for t in _imports(p, n) if t in mods and t != n and t != "explorer"} for n, p in mods.items()}
    assert find_cycle(graph) == [], "import cycle: " + " -> ".join(find_cycle(graph))


def test_the_cycle_finder_can_fail(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    from explorer.zoo import b\n")
    assert _imports(tmp_path / "a.py", "explorer.zoo.a") == {"explorer.zoo", "explorer.zoo.b"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def _sources():
    yield from PKG.rglob("*.py")
    yield from (ROOT / "pages").rglob("*.py")
    yield ROOT / "streamlit_app.py"


def test_files_and_functions_stay_small():
    bad = []
    for p in _sources():
        text = p.read_text()
        limit = 400 if PKG in p.parents else 300  # the library; the app's pages and router
        if text.count("\n") > limit:
            bad.append(f"{p.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                bad.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name}() is {node.end_lineno - node.lineno + 1} lines")
    assert not bad, "\n".join(bad)


# written in pieces, so this file does not match its own patterns
@pytest.mark.parametrize("pattern", ["_keras" + "_history", "_inbound" + "_nodes", r"keras\." + "src",
                                     "setdefault" + "timeout", r"\bor " + r"True\b"])
def test_no_private_keras_or_global_state_or_cannot_fail_asserts(pattern):
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in list(PKG.rglob("*.py")) + list((ROOT / "tests").rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(pattern, line)]
    assert not hits, hits


def test_the_library_never_imports_streamlit():
    hits = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
            if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(), re.M)]
    assert not hits, hits
