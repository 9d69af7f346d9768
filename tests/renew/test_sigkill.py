"""renew under SIGKILL: at any moment, and at each step of the write, the directory holds the old
set or the new one, and the next run finishes the job."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.renew.renew_sets import (
    NEW_MASTER,
    ip_sans,
    load_cert,
    renew,
    snapshot,
    top_level,
    with_new_master,
    write_spec,
)
from wizard import pki
from wizard.catalog import concrete_entries, files_of, get_profile
from wizard.certdetails import signed_by
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files


@pytest.fixture(scope="module")
def rsa4096_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wizard.spec import load_spec

    spec = load_spec(Path(__file__).parents[1] / "data" / "rsa4096.toml")
    directory = tmp_path_factory.mktemp("rsa4096") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return directory


def check_consistent(
    out: Path, original: dict[str, tuple[bytes, int]], uniform: bool = True
) -> str:
    """Every key fits its certificate, every leaf verifies against the untouched CA, and (when
    `uniform`) the leaves are all the old ones or all new ones; returns "old", "new" or "mixed"."""
    profile = get_profile("classic")
    spec = ClusterSpec.example()
    assert (out / "ca.pem").read_bytes() == original["ca.pem"][0]
    assert (out / "ca-key.pem").read_bytes() == original["ca-key.pem"][0]
    ca = load_cert(out / "ca.pem")
    states = set()
    for entry in concrete_entries(profile, spec):
        if entry.is_ca:
            continue
        files = files_of(entry, profile)
        certificate = load_cert(out / files.cert)
        key = pki.load_private_key((out / files.key).read_bytes(), files.key)
        assert pki.key_matches_certificate(key, certificate), files.cert
        assert signed_by(certificate, ca) and certificate.issuer == ca.subject, files.cert
        states.add("old" if (out / files.cert).read_bytes() == original[files.cert][0] else "new")
    if not uniform:
        return "mixed" if len(states) > 1 else states.pop()
    assert len(states) == 1, states
    state = states.pop()
    assert (NEW_MASTER in ip_sans(load_cert(out / "kubernetes.pem"))) == (state == "new")
    return state


ROOT = Path(__file__).resolve().parents[2]


def checkout_env() -> dict[str, str]:
    """The environment for `python -m wizard`: this checkout first, whatever is installed."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


@pytest.mark.parametrize("delay", [0.5, 1.5, 2.5])
def test_sigkill_during_renew_leaves_the_old_or_the_new_set(
    rsa4096_set: Path, tmp_path: Path, delay: float
) -> None:
    out = tmp_path / "k8s-certs"
    shutil.copytree(rsa4096_set, out)
    original = snapshot(out)
    text = (Path(__file__).parents[1] / "data" / "rsa4096.toml").read_text()
    text = text.replace('"192.168.214.202",', f'"192.168.214.202",\n    "{NEW_MASTER}",')
    (tmp_path / "cluster.toml").write_text(text)
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "renew", "--only", "kubernetes", "admin", "kube-proxy"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=checkout_env(),
    )
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    state = check_consistent(out, original)
    assert state in ("old", "new")
    # whatever happened, the next run finishes the job and cleans up after the dead one
    finish = subprocess.run(
        [sys.executable, "-m", "wizard", "renew", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=checkout_env(),
    )
    assert finish.returncode == 0, finish.stderr
    check_consistent(out, original, uniform=False)
    assert NEW_MASTER in ip_sans(load_cert(out / "kubernetes.pem"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k8s-cert-wizard-staging")]


# A SIGKILL at exact points of the write: the process kills itself just before or just after
# a step of store.write_files, so every stage is hit whatever the machine's speed.
KILL_AT = """
import os, signal, sys
import wizard.store as store
name, when, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
real = getattr(store, name)
calls = [0]
def wrapper(*args, **kwargs):
    calls[0] += 1
    if when == "before" and calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    result = real(*args, **kwargs)
    if when == "after" and calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(store, name, wrapper)
from wizard.cli import main
sys.exit(main(sys.argv[4:]))
"""


@pytest.mark.parametrize(
    ("step", "when", "nth", "expected"),
    [
        ("_write_new", "before", 1, "old"),  # staging made, nothing written yet
        ("_write_new", "after", 4, "old"),  # half the new files staged
        ("_swap_into_place", "before", 1, "old"),  # staging complete, not swapped
        ("_exchange", "after", 1, "new"),  # swapped, the old directory not yet removed
        ("_swap_into_place", "after", 1, "new"),  # done, before the report
    ],
)
def test_sigkill_at_each_step_of_the_write(
    workdir: Path, tmp_path: Path, step: str, when: str, nth: int, expected: str
) -> None:
    original = snapshot(workdir)
    config = write_spec(tmp_path, with_new_master())
    process = subprocess.run(
        [sys.executable, "-c", KILL_AT, step, when, str(nth), "renew", "-c", str(config)]
        + ["-o", str(workdir), "--only", "kubernetes", "admin", "kube-proxy"],
        cwd=tmp_path,
        capture_output=True,
        env=checkout_env(),
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert check_consistent(workdir, original) == expected
    if expected == "old":
        assert top_level(snapshot(workdir)) == top_level(original)
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    assert NEW_MASTER in ip_sans(load_cert(workdir / "kubernetes.pem"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k8s-cert-wizard-staging")]
