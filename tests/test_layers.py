"""The house's rules, read from the code: imports run one way between layers, no module imports another's
private names, and the pure KPI engine imports without any web framework."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Each layer and the layers it may import: domain ← store ← collectors; domain ← kpis ← service ← reports ← alerts ← dashboard.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "store": {"domain"},
    "collectors": {"domain", "store"},
    "kpis": {"domain"},
    "service": {"domain", "store", "kpis"},
    "reports": {"domain", "store", "kpis", "service"},
    "alerts": {"domain", "store", "kpis", "service", "reports"},
    "dashboard": {"domain", "store", "kpis", "service", "reports", "alerts", "collectors"},
}


def _modules() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in ALLOWED for path in sorted((ROOT / layer).rglob("*.py"))]


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import in a file, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


@pytest.mark.parametrize(("layer", "path"), _modules(), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_imports_run_one_way_and_touch_no_private_name(layer: str, path: Path) -> None:
    for module, names, line in _imports(path):
        top = module.split(".")[0]
        if top in ALLOWED and top != layer:
            assert top in ALLOWED[layer], f"{path.relative_to(ROOT)}:{line} : {layer} ne doit pas importer {module}"
        if top in ALLOWED and module != _module_name(path):
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{path.relative_to(ROOT)}:{line} : nom privé importé de {module} : {', '.join(private)}"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_the_kpi_engine_and_the_reports_import_no_web_framework() -> None:
    code = (
        "import sys, kpis.metrics, kpis.document, kpis.series, kpis.case_state, service.kpi_service, reports.content;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask', 'plotly', 'werkzeug', 'flask_wtf'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_rule_itself_catches_an_arrow_against_it(tmp_path: Path) -> None:
    """The walker sees function-level imports and private names (a rule that cannot fail guards nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from dashboard.figures import _hidden\n")
    assert _imports(sample) == [("dashboard.figures", ["_hidden"], 2)]


def test_test_modules_share_helpers_through_one_support_module() -> None:
    """Helpers live in tests/support.py (and the fixtures' data modules), never in another test module."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for module, _names, line in _imports(path):
            parts = module.split(".")
            if parts[0] == "tests":
                assert not any(p.startswith("test_") or p == "conftest" for p in parts[1:]), (
                    f"{path.relative_to(ROOT)}:{line} importe {module} : passer par tests.support"
                )
