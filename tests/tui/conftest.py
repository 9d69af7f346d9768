"""Pytest glue for the wizard's tests: async tests without a plugin, a scratch working directory."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.wizard_pilot import INSPECT_SET


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests in a fresh event loop (the project has no asyncio plugin)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty directory, so `./k8s-certs` is fresh and nothing lands in the checkout."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def inspect_set(in_tmp: Path) -> Path:
    """The committed classic set copied to ./k8s-certs (the wizard's default output)."""
    target = in_tmp / "k8s-certs"
    shutil.copytree(INSPECT_SET, target)
    return target
