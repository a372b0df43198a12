"""Every third-party module the packages import is declared in pyproject.toml: in the base
install when the serving side (bot/, db/, core/) imports it; db/ may also use the connectorx extra
(the sync's opt-in reader), model/ the train extra, and the bench extra for the comparison
baselines it imports only when installed."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"bot", "core", "db", "model", "migrations", "tests", "bench"}


def _declared(requirements: list[str]) -> set[str]:
    names = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requirements}
    return {n.lower().replace("_", "-") for n in names}


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - OURS - set(sys.stdlib_module_names) - {"__future__"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    owners = packages_distributions()
    return {m: {d.lower().replace("_", "-") for d in owners.get(m, [m])} for m in modules}


def test_every_imported_package_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = _declared(project["dependencies"])
    extras = project["optional-dependencies"]
    train = base | _declared(extras["train"]) | _declared(extras["bench"])
    missing = []
    # db/sync/arrow_source.py imports connectorx only when a source asks for it (an extra)
    sync = base | _declared(extras["connectorx"])
    for package, allowed in (("core", base), ("db", sync), ("bot", base), ("model", train)):
        for module, dists in _distributions(_imports(package)).items():
            if not dists & allowed:
                missing.append(f"{package}/ imports {module} ({', '.join(sorted(dists))})")
    assert not missing, "undeclared dependencies: " + "; ".join(missing)
