"""Directories the review tests share, built once per session (treat them as read-only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # review_pki, the tests' certificate factory

from review_pki import build_kubeadm_tree, build_messy_dir  # noqa: E402

from wizard.generate import generate_files, plan_json_files  # noqa: E402
from wizard.spec import ClusterSpec  # noqa: E402
from wizard.store import write_files  # noqa: E402


@pytest.fixture(scope="session")
def engine_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set made by our engine (generate_files + write_files)."""
    directory = tmp_path_factory.mktemp("engine") / "k8s-certs"
    write_files(directory, generate_files(ClusterSpec.example()))
    return directory


@pytest.fixture(scope="session")
def cfssl_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same set made by real cfssl from our JSON, as the guide's commands make it."""
    cfssl, cfssljson = shutil.which("cfssl"), shutil.which("cfssljson")
    if not cfssl or not cfssljson:
        pytest.skip("cfssl and cfssljson are not installed (apt-get install golang-cfssl)")
    directory = tmp_path_factory.mktemp("cfssl")
    for item in plan_json_files(ClusterSpec.example()):
        (directory / item.path).write_bytes(item.content)

    def gencert(name: str, *arguments: str) -> None:
        made = subprocess.run(
            [cfssl, "gencert", *arguments], cwd=directory, check=True, capture_output=True
        )
        subprocess.run([cfssljson, "-bare", name], input=made.stdout, cwd=directory, check=True)

    gencert("ca", "-initca", "ca-csr.json")
    for name in ("kubernetes", "admin", "kube-proxy"):
        gencert(
            name,
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=kubernetes",
            f"{name}-csr.json",
        )
    return directory


@pytest.fixture(scope="session")
def kubeadm_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/etc/kubernetes as kubeadm leaves it, made with cryptography."""
    return build_kubeadm_tree(tmp_path_factory.mktemp("kubeadm") / "kubernetes")


@pytest.fixture(scope="session")
def messy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file per problem (review_pki.MESSY_EXPECTED)."""
    return build_messy_dir(tmp_path_factory.mktemp("messy") / "ssl")
