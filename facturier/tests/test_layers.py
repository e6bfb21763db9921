"""The import graph of the production code: dependencies point down the layers and go round in no circle.

Read from the source with ast (every import, those inside functions too), so a late import cannot hide an
arrow that runs back up. ARCHITECTURE.md draws the layers; billing and purchases announce what happens
through signals (billing/events.py) rather than calling the apps built on them.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
# The apps billing and purchases must never import: they build on billing, not the other way round.
ABOVE_BILLING = ("reports", "exports", "einvoice", "webhooks", "api", "web", "firm", "devdata")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _production_modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).parts
        if "tests" in relative or "migrations" in relative or relative[0] in ("devdata", "conftest.py"):
            continue
        modules[_module_name(path)] = path
    return modules


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules `name` imports (a `from package import module` counts as the module)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {module for module in found if module in known and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _production_modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_production_code_has_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("app", ["billing", "purchases"])
def test_billing_and_purchases_import_nothing_built_on_them(app: str) -> None:
    upward = {
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.startswith(f"facturier.{app}.")
        for target in targets
        if target.split(".")[1] in ABOVE_BILLING
    }
    assert upward == set()


def test_the_graph_reader_sees_late_and_relative_imports() -> None:
    # The checks above can only fail if the reader finds arrows: it does, on the project's own modules.
    graph = _graph()
    assert "facturier.reports.summaries" in graph["facturier.reports.apps"]  # imported inside ready()
    assert "facturier.billing.models" in graph["facturier.billing.services.documents"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_operations_and_lib_import_no_domain_app() -> None:
    # settings.py imports ops (the log format): ops, like lib, must load without any app.
    domain = {
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.split(".")[1:2] in (["ops"], ["lib"])
        for target in targets
        if target.split(".")[1:2] not in (["ops"], ["lib"], ["env"])
    }
    assert domain == set()
