"""The one hard rule: the domain never imports the UI (textual or rich)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import wizard

PACKAGE = Path(wizard.__file__).parent
UI_ALLOWED = {"cli", "__main__"}


def domain_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts
        if parts[1:2] == ("tui",) or (len(parts) == 2 and parts[1] in UI_ALLOWED):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


@pytest.mark.parametrize("module", domain_modules())
def test_domain_module_does_not_import_the_ui(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"


def test_the_certinfo_command_does_not_import_textual() -> None:
    code = (
        "import sys; from wizard import cli; "
        "sys.argv = ['k8s-cert-wizard', 'certinfo', '-cert', '/nonexistent']; "
        "import io, contextlib\n"
        "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual','rich'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1:] in ([], [""])
