"""Demo and benchmark data live in facturier.devdata, which production need not install.

Nothing outside that app may import it, and FACTURIER_DEVDATA (default: DEBUG) decides whether it is
installed; without it the project still starts, passes its checks and imports every module.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TypedDict

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "facturier"
DEVDATA = PACKAGE / "devdata"

# Run in a fresh process, because settings are read once: what is installed, which commands exist, and
# with EVERYTHING=1 the system checks and an import of every module of the project but devdata and tests.
PROBE = """
import importlib, json, os, pkgutil
import django
django.setup()
from django.apps import apps
from django.core.management import call_command, get_commands
import facturier
imported = 0
if os.environ.get("EVERYTHING"):
    for module in pkgutil.walk_packages(facturier.__path__, "facturier."):
        parts = module.name.split(".")
        if "devdata" in parts or "tests" in parts or parts[-1] == "conftest":
            continue
        importlib.import_module(module.name)
        imported += 1
    call_command("check", fail_level="ERROR")
print(json.dumps({
    "installed": apps.is_installed("facturier.devdata"),
    "commands": sorted(name for name in ("seed_demo", "generate_dataset") if name in get_commands()),
    "imported": imported,
}))
"""


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module an `import` or `from ... import` of this file names (relative imports resolved)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def devdata_imports(paths: list[Path], root: Path) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        names = sorted(
            name
            for name in imported_modules(path, root)
            if name == "facturier.devdata" or name.startswith("facturier.devdata.")
        )
        if names:
            found[str(path.relative_to(root))] = names
    return found


def test_no_module_outside_devdata_imports_it():
    outside = [path for path in PACKAGE.rglob("*.py") if DEVDATA not in path.parents]
    assert len(outside) > 100  # the walk sees the project

    assert devdata_imports(outside, ROOT) == {}


def test_the_import_walk_sees_imports_of_devdata_in_every_form(tmp_path):
    # The guard above is only as good as this reader: absolute, from-package and relative imports count.
    sources = {
        "facturier/billing/a.py": "import facturier.devdata.demo\n",
        "facturier/billing/b.py": "from facturier import devdata\n",
        "facturier/billing/c.py": "def f():\n    from facturier.devdata.dataset import generate\n",
        "facturier/billing/d.py": "from ..devdata import demo\n",
        "facturier/billing/e.py": "from facturier.billing import models\nimport facturier.devdatasets\n",
    }
    for name, source in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)

    found = devdata_imports(sorted(tmp_path.rglob("*.py")), tmp_path)

    assert found == {
        "facturier/billing/a.py": ["facturier.devdata.demo"],
        "facturier/billing/b.py": ["facturier.devdata"],
        "facturier/billing/c.py": ["facturier.devdata.dataset", "facturier.devdata.dataset.generate"],
        "facturier/billing/d.py": ["facturier.devdata", "facturier.devdata.demo"],
    }


class Probed(TypedDict):
    installed: bool
    commands: list[str]
    imported: int


def probe(tmp_path: Path, **variables: str) -> Probed:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "FACTURIER_DEVDATA"}}
    env.update(
        FACTURIER_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="facturier.settings",
        SECRET_KEY="a-test-key-that-is-not-used-for-anything-else",
        **variables,
    )
    result = subprocess.run(  # noqa: S603 (runs PROBE above with this interpreter)
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    probed: Probed = json.loads(result.stdout.splitlines()[-1])
    return probed


def test_production_settings_leave_devdata_out_and_everything_else_works(tmp_path):
    production = probe(tmp_path, DEBUG="false", EVERYTHING="1")

    assert production["installed"] is False
    assert production["commands"] == []
    assert production["imported"] > 100


@pytest.mark.parametrize(
    ("variables", "installed"),
    [
        ({"DEBUG": "true"}, True),
        ({"DEBUG": "true", "FACTURIER_DEVDATA": "false"}, False),
        ({"DEBUG": "false", "FACTURIER_DEVDATA": "true"}, True),
    ],
)
def test_the_setting_switches_the_app_and_its_commands(tmp_path, variables, installed):
    result = probe(tmp_path, **variables)

    assert result["installed"] is installed
    assert result["commands"] == (["generate_dataset", "seed_demo"] if installed else [])
