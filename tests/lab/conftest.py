"""The lab's session fixtures: the control-plane binary, and the namespaces of the hosts.

The lab tests use the machine's namespaces, so they run in one pytest-xdist worker: every lab
test carries ``xdist_group("lab")`` and the suite runs with ``--dist loadgroup``. A file lock
makes a second lab on the same machine wait for the first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.netlab import Lab, cleanup_leftovers, namespaces_available

HERE = Path(__file__).resolve().parent
APT = {  # the rotation's members run tests/lab/build_etcd.sh's; doctor's read Debian's
    "etcd": "etcd-server",
    "etcdctl": "etcd-client",
    "haproxy": "haproxy",
    "kubectl": "kubectl",
    "openssl": "openssl",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lab: runs a real control plane in network namespaces (tests/lab)"
    )


@pytest.fixture(scope="session")
def control_plane() -> Path:
    """The cached kube-apiserver/controller-manager/scheduler binary, or skip saying why."""
    if shutil.which("go") is None:
        pytest.skip("Go is not installed: the lab's control plane is built from k8s.io/kubernetes")
    script = HERE / "build_control_plane.sh"
    path = Path(
        subprocess.run(
            [str(script), "--path"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    if not path.exists():
        pytest.skip(f"control plane not built: run {script} (.ci/run does)")
    return path


def _built(script: Path, what: str) -> Path:
    """A Go program the lab builds: from the cache, or built now, or skip saying why."""
    path = Path(
        subprocess.run(
            [str(script), "--path"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    if path.exists():
        return path
    env = {**os.environ, "PATH": f"{os.environ.get('PATH', '')}:/usr/local/go/bin"}
    if shutil.which("go", path=env["PATH"]) is None:
        pytest.skip(f"Go is not installed: {what} is built from {script}")
    built = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=900)
    if built.returncode != 0 or not path.exists():
        pytest.fail(f"{script} failed ({built.returncode}): {built.stderr[-2000:]}")
    return path


@pytest.fixture(scope="session")
def etcd_loop() -> Path:
    """The lab's etcd client loop (tests/lab/etcdloop: one long-lived clientv3 client), from
    the cache or built now (about 30 s with the module cache warm), or skip saying why."""
    return _built(HERE / "build_etcdloop.sh", "the etcd client loop")


@pytest.fixture(scope="session")
def etcd_server() -> Path:
    """The lab's etcd members' binary (tests/lab/etcdserver, `cluster.lab_etcd()`), from the
    cache or built now (about 30 s with the module cache warm), or skip saying why."""
    return _built(HERE / "build_etcd.sh", "the lab's etcd")


MACHINE_FOLDERS = ("/", "/etc", "/var", "/var/lib", "/run", "/tmp", "/usr")
"""Folders the hosts share with the machine (or overlay): the lab leaves them as it found them."""


@pytest.fixture(scope="session")
def lab(
    control_plane: Path, etcd_server: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lab]:
    """The hosts of cluster.toml as network namespaces on one bridge, torn down at the end
    (their etcd members run `etcd_server`, their control plane `control_plane`)."""
    reason = namespaces_available()
    if reason:
        pytest.skip(reason)
    for tool, package in APT.items():
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    # One lab per machine at a time: a second pytest process (or an xdist worker that got lab
    # tests without --dist loadgroup) waits here instead of tearing down the first one's hosts.
    lock = open("/tmp/kcwlab.lock", "w")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)
    the_lab = Lab(tmp_path_factory.mktemp("lab"))
    machine = {path: os.stat(path) for path in MACHINE_FOLDERS}
    try:
        the_lab.start()
        yield the_lab
    finally:
        the_lab.stop()
        cleanup_leftovers()
        lock.close()
    changed = [
        f"{path} (mode {stat.S_IMODE(before.st_mode):o} → {stat.S_IMODE(after.st_mode):o})"
        for path, before in machine.items()
        if (after := os.stat(path)).st_mode != before.st_mode or after.st_uid != before.st_uid
    ]
    assert not changed, f"the lab changed the machine's own folders: {', '.join(changed)}"
