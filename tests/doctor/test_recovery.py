"""The recovery guide: for every profile and kubelet mode the order follows the catalogue, every
certificate is renewed once and no CA ever, the copies are the distribution plan's, and the
printed commands run as printed against a set whose certificates all ended."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from wizard import pki
from wizard.catalog import COMPONENT_ORDER, RESTARTS, Part, concrete_entries, files_of, get_profile
from wizard.distribution import plan_distribution
from wizard.doctor.recovery import recovery_guide, recovery_plan
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, load_spec
from wizard.store import write_files

HOSTS = """
[hosts]
etcd    = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
masters = ["10.0.0.21", "10.0.0.22"]
vip     = ["10.0.0.10"]
"""
NODES = """
[[nodes]]
name = "node-1"
address = "10.0.0.31"

[[nodes]]
name = "node-2"
address = "10.0.0.32"
"""
CLUSTERS = {
    "classic": 'profile = "classic"\n' + HOSTS,
    "complete": 'profile = "complete"\nkubelet = "certificates"\n' + HOSTS + NODES,
    "complete-bootstrap": 'profile = "complete"\nkubelet = "bootstrap"\n' + HOSTS,
    "kubeadm": 'profile = "kubeadm"\nkubelet = "certificates"\n' + HOSTS + NODES,
    "kubeadm-bootstrap": 'profile = "kubeadm"\nkubelet = "bootstrap"\n' + HOSTS,
}


def spec_of(name: str, tmp_path: Path) -> tuple[ClusterSpec, Path]:
    path = tmp_path / "cluster.toml"
    path.write_text(CLUSTERS[name])
    return load_spec(path), path


def first_reader(spec: ClusterSpec) -> dict[str, str]:
    """entry → the first component in start order that reads its certificate or key, from the
    catalogue's used_by alone."""
    profile = get_profile(spec.profile)
    result = {}
    for entry in concrete_entries(profile, spec):
        if entry.is_ca or entry.key_only:
            continue
        readers = {
            use.component
            for use in entry.used_by
            if any(part in (Part.CERT, Part.KEY) for part in use.parts)
        }
        ordered = [c for c in COMPONENT_ORDER if c in readers]
        if ordered:
            result[entry.name] = ordered[0]
    return result


@pytest.mark.parametrize("name", CLUSTERS)
def test_the_order_follows_the_catalogue(name: str, tmp_path: Path) -> None:
    spec, _ = spec_of(name, tmp_path)
    plan = recovery_plan(spec)
    components = [step.component for step in plan.steps]
    assert components == [c for c in COMPONENT_ORDER if c in components], components
    assert components[0] == "etcd"
    assert components.index("kube-apiserver") < components.index("kube-controller-manager")
    assert components.index("kube-controller-manager") < components.index("kubelet")
    renewed = [entry for step in plan.steps for entry in step.entries]
    assert len(renewed) == len(set(renewed)), "a certificate renewed twice"
    wanted = first_reader(spec)
    assert {e: s.component for s in plan.steps for e in s.entries} == wanted
    profile = get_profile(spec.profile)
    cas = {files_of(e, profile).cert for e in concrete_entries(profile, spec) if e.is_ca}
    assert set(plan.cas) == cas
    for step in plan.steps:
        assert not cas & set(step.renew), (step.component, step.renew)
        assert step.restart == RESTARTS.get(step.component, "")


@pytest.mark.parametrize("name", CLUSTERS)
def test_copies_are_the_distribution_plans(name: str, tmp_path: Path) -> None:
    spec, _ = spec_of(name, tmp_path)
    placed = {
        (plan.address, f.source, f.destination)
        for plan in plan_distribution(spec)
        for f in plan.files
    }
    plan = recovery_plan(spec)
    copies = [(c.address, c.source, c.destination) for s in plan.steps for c in s.copies]
    assert copies and set(copies) <= placed
    assert len(copies) == len(set(copies)), "a file copied twice to one host"
    assert not {source for _, source, _ in copies} & set(plan.cas)
    # every renewed certificate reaches every host that runs its first reader
    for step in plan.steps:
        for cert in step.renew:
            reached = {a for a, s, _ in copies if s == cert}
            needs = {a for a, s, _ in placed if s == cert}
            assert reached == needs, (step.component, cert, reached, needs)


@pytest.mark.parametrize("name", CLUSTERS)
def test_the_kubelet_step_says_how_it_gets_its_client_certificate(
    name: str, tmp_path: Path
) -> None:
    spec, path = spec_of(name, tmp_path)
    (kubelet,) = [s for s in recovery_plan(spec).steps if s.component == "kubelet"]
    guide = recovery_guide(spec, str(path), "/srv/certs")
    bootstrap = name == "classic" or name.endswith("bootstrap")
    assert kubelet.bootstrap is bootstrap
    if bootstrap:
        assert "kubectl certificate approve" in guide
        assert "kubelet-client-current.pem" in guide
        assert not any("client" in e and "kubelet" in e for e in kubelet.entries)
    else:
        assert "bootstrap is off" in guide
        clients = [e for e in kubelet.entries if e.endswith("-client")]
        assert len(clients) == len(spec.nodes), kubelet.entries


@pytest.mark.parametrize("name", CLUSTERS)
def test_en_and_zh_give_the_same_commands(name: str, tmp_path: Path) -> None:
    spec, path = spec_of(name, tmp_path)
    commands = lambda text: re.findall(r"```\n(.*?)```", text, re.S)  # noqa: E731
    en = recovery_guide(spec, str(path), "/srv/certs", "en")
    zh = recovery_guide(spec, str(path), "/srv/certs", "zh")
    assert commands(en) == commands(zh) and commands(en)
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
    with pytest.raises(ValueError, match="--lang fr"):
        recovery_guide(spec, str(path), "/srv/certs", "fr")


def _expire_everything(directory: Path, spec: ClusterSpec) -> list[Path]:
    """Re-issue every leaf of the set so that it ended yesterday (same CA, same names)."""
    from tests.doctor.test_doctor import reissue

    profile = get_profile(spec.profile)
    done = []
    for entry in concrete_entries(profile, spec):
        if entry.is_ca or entry.key_only:
            continue
        cert = files_of(entry, profile).cert
        if profile.naming.value == "cfssl":
            ca = files_of(profile.signer_of(entry), profile).cert.removesuffix(".pem")
            reissue(
                directory,
                cert.removesuffix(".pem"),
                end=datetime.now(UTC) - timedelta(days=1),
                ca=_pair(directory, ca),
            )
            done.append(directory / cert)
    return done


def _pair(directory: Path, name: str) -> tuple[x509.Certificate, pki.PrivateKey]:
    return (
        pki.load_certificate((directory / f"{name}.pem").read_bytes(), name),
        pki.load_private_key((directory / f"{name}-key.pem").read_bytes(), name),
    )


def _expired_in(directory: Path) -> list[str]:
    """What `review --json` calls expired in the directory (backups left out)."""
    review = subprocess.run(
        [sys.executable, "-m", "wizard", "review", str(directory), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [
        e["path"]
        for e in json.loads(review.stdout)["expiry"]
        if e["status"] == "expired" and not e["path"].startswith("backup-")
    ]


@pytest.mark.slow
def test_the_printed_renew_commands_run_and_leave_nothing_expired(tmp_path: Path) -> None:
    """complete profile: every leaf ended yesterday; the guide's renew lines, run as printed
    in their order, leave a set the review finds nothing expired in."""
    spec, path = spec_of("complete", tmp_path)
    out = tmp_path / "certs"
    write_files(out, generate_files(spec))
    expired = _expire_everything(out, spec)
    before = _expired_in(out)
    assert {str(p.relative_to(out)) for p in expired} <= set(before), before
    guide = recovery_guide(spec, str(path), str(out))
    renews = [line for line in guide.splitlines() if line.startswith("k8s-cert-wizard renew ")]
    assert len(renews) == len([s for s in recovery_plan(spec).steps if s.renew])
    for line in renews:
        argv = shlex.split(line)[1:]
        done = subprocess.run(
            [sys.executable, "-m", "wizard", *argv], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    ended = _expired_in(out)
    assert ended == [], ended
    scps = [line.split()[1] for line in guide.splitlines() if line.startswith("scp ")]
    missing = [s for s in scps if not Path(s).exists()]
    assert missing == [], missing


def test_cli_recovery(tmp_path: Path) -> None:
    spec, path = spec_of("kubeadm", tmp_path)
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "wizard", "doctor", *a], capture_output=True, text=True, timeout=120
    )
    zh = run("--recovery", "-c", str(path), str(tmp_path), "--lang", "zh")
    assert zh.returncode == 0, zh.stderr
    assert zh.stdout.startswith("# 恢复") and "pki/apiserver.crt" in zh.stdout
    assert f"-o {tmp_path.resolve()} " in zh.stdout
    bare = run("--recovery")
    assert bare.returncode == 1 and "give -c cluster.toml" in bare.stderr
