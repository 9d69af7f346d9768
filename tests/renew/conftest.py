"""Fixtures shared by the renew tests: a private copy of the classic set, and a complete
profile set with one node."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wizard.generate import generate_files
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


@pytest.fixture
def workdir(classic_set: Path, tmp_path: Path) -> Path:
    """A private copy of the session's classic set, in tmp_path/out."""
    out = tmp_path / "out"
    shutil.copytree(classic_set, out)
    return out


@pytest.fixture(scope="module")
def complete_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClusterSpec, Path]:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101")]
    directory = tmp_path_factory.mktemp("complete") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return spec, directory
