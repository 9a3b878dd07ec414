"""The package's layers: imports go one way, with no cycles, and the service needs only its own.

spamcheck.paths        <- every layer (where things are, hashing, atomic writes)
spamcheck.serving      <- run time: what the image holds; imports only paths and itself
spamcheck.training     <- data, models, evaluation, export; may import serving
spamcheck.tooling      <- engines, local servers, manifests, port-forwards; may import both
"""

from __future__ import annotations

import ast
import re

from service import ROOT

PACKAGE = ROOT / "spamcheck"
ALLOWED = {  # layer -> the layers it may import
    "paths": {"paths"},
    "serving": {"paths", "serving"},
    "training": {"paths", "serving", "training"},
    "tooling": {"paths", "serving", "training", "tooling"},
}


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path) -> set[str]:
    """Every spamcheck module ``path`` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("spamcheck"):
            found |= {
                f"{node.module}.{alias.name}"
                if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                else node.module
                for alias in node.names
            }
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("spamcheck")}
    return found


GRAPH = {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "paths"  # the package's own __init__ counts as shared


def test_every_module_is_in_a_layer():
    assert {layer(m) for m in GRAPH} == set(ALLOWED)


def test_imports_go_one_way():
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if layer(target) not in ALLOWED[layer(module)]
    ]
    assert not wrong


def test_no_import_cycles():
    def visit(module, path):
        assert module not in path, "import cycle: " + " -> ".join([*path, module])
        for target in GRAPH.get(module, ()):
            visit(target, [*path, module])

    for module in GRAPH:
        visit(module, [])


def test_the_app_imports_only_the_serving_layer():
    used = imports(ROOT / "app" / "app.py")
    assert used and {layer(m) for m in used} <= {"paths", "serving"}, used


def test_one_place_defines_the_repository_root():
    files = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "scripts").glob("*.py"),
        ROOT / "conftest.py",
        ROOT / "app" / "gunicorn.conf.py",
    ]
    defined = [str(p.relative_to(ROOT)) for p in files if re.search(r"^ROOT = ", p.read_text(), re.M)]
    assert defined == ["spamcheck/paths.py"], defined
