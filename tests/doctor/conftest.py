"""The doctor's shared set, generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set, made once (copied before each case breaks it)."""
    directory = tmp_path_factory.mktemp("doctor") / "k8s-certs"
    write_files(directory, generate_files(ClusterSpec.example()))
    return directory
