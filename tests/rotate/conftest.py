"""One generated set per profile for the module; each test copies it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rotate.rotate_sets import make_set, make_spec


@pytest.fixture(scope="session")
def profile_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A complete and a kubeadm set (ECDSA, three masters, one node); read-only."""
    return {
        name: make_set(make_spec(name), tmp_path_factory.mktemp(name) / "certs")
        for name in ("complete", "kubeadm")
    }
