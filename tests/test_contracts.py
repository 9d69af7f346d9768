"""The static rules of the code: the import contracts (import-linter) and the types (mypy).

Each rule is checked on the real tree, and on a copy with a deliberate violation, so a rule that
silently stopped checking anything would fail here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytest.importorskip(
    "importlinter", reason="import-linter is not installed (pip install -e '.[test]')"
)
pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")

TOOLS = Path(sys.executable).parent


def _copy_of_the_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(
        PROJECT_ROOT / "wizard", root / "wizard", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(TOOLS / "lint-imports"), "--no-cache"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _mypy(root: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].split("kept")[0]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("pki/usages.py", "import textual  # noqa", "The domain is headless"),
        ("review/chains.py", "import wizard.tui  # noqa", "The domain is headless"),
        (
            "pki/names.py",
            "import wizard.catalog  # noqa",
            "The crypto primitives depend on nothing",
        ),
        ("renew/apply.py", "import wizard.review  # noqa", "Review and renew are independent"),
        ("catalog/model.py", "import wizard.generate  # noqa", "Layers:"),
        ("jobs/generation.py", "import wizard.cli  # noqa", "Layers:"),
        ("cli/csr.py", "import wizard.tui.screens  # noqa", "The command line reaches the TUI"),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    root = _copy_of_the_tree(tmp_path)
    target = root / "wizard" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = _lint_imports(root)
    assert result.returncode != 0, result.stdout
    broken = [row for row in result.stdout.splitlines() if "BROKEN" in row]
    assert any(contract in row for row in broken), result.stdout


@pytest.mark.slow
def test_the_types_check(tmp_path: Path) -> None:
    result = _mypy(PROJECT_ROOT, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_a_deliberate_type_error_fails_the_type_check(tmp_path: Path) -> None:
    root = _copy_of_the_tree(tmp_path)
    target = root / "wizard" / "expiry.py"
    target.write_text(
        target.read_text(encoding="utf-8") + '\n\nWRONG: int = "not a number"\n', encoding="utf-8"
    )
    result = _mypy(root, tmp_path / "cache")
    assert result.returncode != 0
    assert "wizard/expiry.py" in result.stdout and "Incompatible types" in result.stdout
