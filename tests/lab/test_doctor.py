"""doctor against the real components: errors captured from kubectl, etcdctl, kube-apiserver and
etcd in the lab (classic profile, one good apiserver on master-1), pasted back into
`k8s-cert-wizard doctor` on the jump host, which must name the file and the fix.

The broken certificates are made with the product's pki code (tests.doctor's `reissue`): an
apiserver certificate whose validity ended yesterday, one made before master-3 was added to the
hosts, and a client's pair taken from another set whose CA is also named "kubernetes".
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from tests.doctor.test_doctor import reissue
from tests.lab.cluster import (
    DEBIAN_ETCD,
    REPO,
    Cluster,
    apiserver_lab_flags,
    client_kubeconfig,
    product_argv,
)
from tests.lab.netlab import ETCD, JUMP, MASTERS, Lab
from tests.lab.test_classic import GUIDE_APISERVER, GUIDE_ETCD, SIGNING_KEY
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

# The doctor reads Debian's etcd 3.4 log words ("rejected connection from …: failed to verify
# client certificate"): these tests run that etcd (DEBIAN_ETCD) on one port, as it serves.

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def _serve(cluster: Cluster, master_index: int, cert: Path, key: Path) -> None:
    """A kube-apiserver on MASTERS[i] with the guide's flags, serving `cert` (etcd client and
    CA stay the host's good files)."""
    master = MASTERS[master_index]
    flags = [
        f"--tls-cert-file={cert}" if f.startswith("--tls-cert-file=") else f
        for f in GUIDE_APISERVER
    ]
    flags = [
        f"--tls-private-key-file={key}" if f.startswith("--tls-private-key-file=") else f
        for f in flags
    ]
    cluster.start(
        master,
        "kube-apiserver",
        [str(cluster.binary), "kube-apiserver", *flags, SIGNING_KEY, *apiserver_lab_flags(master)],
    )


def _wait_tls(cluster: Cluster, master_index: int, timeout: float = 180) -> None:
    """Wait until MASTERS[i]:6443 answers TLS at all (openssl, no verification)."""
    address = MASTERS[master_index].address
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = cluster.lab.run(
            JUMP,
            "sh",
            "-c",
            f"echo | openssl s_client -connect {address}:6443 2>/dev/null | grep -q 'BEGIN CERT'",
            timeout=20,
        )
        if probe.returncode == 0:
            return
        time.sleep(2)
    raise AssertionError(
        f"{MASTERS[master_index].name}: kube-apiserver not serving TLS\n"
        f"{cluster.logs('kube-apiserver', 15)}"
    )


@pytest.fixture(scope="module")
def lab_doctor(
    lab: Lab, control_plane: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """etcd ×3 and a good apiserver on master-1, from the product's classic set."""
    cluster = Cluster.generate(lab, control_plane, tmp_path_factory.mktemp("doctor"), "classic")
    try:
        cluster.place()
        cluster.start_etcd(GUIDE_ETCD, split_http=False, binary=DEBIAN_ETCD)
        out = cluster.out
        cluster.wait_etcd((f"{out}/ca.pem", f"{out}/kubernetes.pem", f"{out}/kubernetes-key.pem"))
        _serve(
            cluster,
            0,
            Path("/etc/kubernetes/ssl/kubernetes.pem"),
            Path("/etc/kubernetes/ssl/kubernetes-key.pem"),
        )
        cluster.admin = client_kubeconfig(
            lab,
            out.parent / "admin.kubeconfig",
            server=f"https://{MASTERS[0].address}:6443",
            ca=out / "ca.pem",
            cert=out / "admin.pem",
            key=out / "admin-key.pem",
        )
        _wait_ready(cluster, MASTERS[0].address)
        yield cluster
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def _wait_ready(cluster: Cluster, address: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        result = cluster.kubectl(
            cluster.admin, "get", "--raw", "/readyz", server=f"https://{address}:6443"
        )
        if result.returncode == 0 and result.stdout.strip() == "ok":
            return
        last = result.stdout + result.stderr
        time.sleep(2)
    raise AssertionError(f"{address}: not ready: {last}\n{cluster.logs('kube-apiserver')}")


def doctor(cluster: Cluster, text: str, *directories: Path) -> dict:
    """`k8s-cert-wizard doctor DIR… --json` on the jump host, the text on stdin."""
    result = cluster.lab.run(
        JUMP,
        *product_argv("doctor", *map(str, directories), "--json"),
        cwd=REPO,
        input=text,
        timeout=120,
    )
    assert result.returncode == 0, f"doctor refused:\n{result.stderr}\n--- the text:\n{text}"
    return json.loads(result.stdout)


def _copy(cluster: Cluster, name: str) -> Path:
    """A copy of the generated set (without the per-host trees) to break."""
    target = cluster.out.parent / name
    shutil.copytree(cluster.out, target, ignore=shutil.ignore_patterns("hosts"))
    return target


def test_an_expired_apiserver_certificate(lab_doctor: Cluster) -> None:
    """master-2 serves a kubernetes.pem that ended yesterday: kubectl's own words lead to it."""
    broken = _copy(lab_doctor, "expired")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    reissue(broken, "kubernetes", end=end)
    _serve(lab_doctor, 1, broken / "kubernetes.pem", broken / "kubernetes-key.pem")
    _wait_tls(lab_doctor, 1)
    result = lab_doctor.kubectl(
        lab_doctor.admin, "get", "--raw", "/readyz", server=f"https://{MASTERS[1].address}:6443"
    )
    assert result.returncode != 0, result.stdout
    text = result.stderr
    assert "certificate has expired" in text, text
    report = doctor(lab_doctor, text, lab_doctor.out, broken)
    first = report["diagnoses"][0]
    assert first["kind"] == "expired", (text, first)
    assert [f["path"] for f in first["files"]] == [str(broken.resolve() / "kubernetes.pem")], (
        text,
        first,
    )
    assert f"{end:%Y-%m-%d %H:%M:%S}" in first["looked_for"], first
    assert f"-o {broken.resolve()} --only kubernetes.pem" in "\n".join(first["fix"]), first


def _log_of(cluster: Cluster, host: str, name: str, waiting_for: str) -> str:
    """A component's whole log, once it holds `waiting_for` (logs are flushed a bit late)."""
    log = ""
    for _ in range(20):
        log = next(
            p.log.read_text(errors="replace")
            for (where, what), p in cluster.processes.items()
            if where == host and what == name
        )
        if waiting_for in log:
            return log
        time.sleep(0.5)
    raise AssertionError(f"{host} {name}: no {waiting_for!r} in its log:\n{log[-2000:]}")


def test_an_address_missing_from_the_sans(lab_doctor: Cluster) -> None:
    """master-3 serves a certificate made before it was a master: dialled by its address."""
    broken = _copy(lab_doctor, "nosan")
    current = x509.load_pem_x509_certificate((broken / "kubernetes.pem").read_bytes())
    sans = current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    hosts = [str(n.value) for n in sans if str(n.value) != MASTERS[2].address]
    assert len(hosts) == len(list(sans)) - 1, f"{MASTERS[2].address} not in the set's SANs"
    reissue(broken, "kubernetes", hosts=hosts)
    _serve(lab_doctor, 2, broken / "kubernetes.pem", broken / "kubernetes-key.pem")
    _wait_tls(lab_doctor, 2)
    result = lab_doctor.kubectl(
        lab_doctor.admin, "get", "--raw", "/readyz", server=f"https://{MASTERS[2].address}:6443"
    )
    assert result.returncode != 0, result.stdout
    text = result.stderr
    assert f"not {MASTERS[2].address}" in text, text
    report = doctor(lab_doctor, text, lab_doctor.out, broken)
    first = report["diagnoses"][0]
    assert first["kind"] == "wrong-name", (text, first)
    assert [f["path"] for f in first["files"]] == [str(broken.resolve() / "kubernetes.pem")], (
        text,
        first,
    )
    fix = "\n".join(first["fix"])
    assert f"add {MASTERS[2].address}" in fix and "--only kubernetes.pem" in fix, first


def _other_set(cluster: Cluster) -> Path:
    """Another generate of the same cluster: a new CA, also named "kubernetes"."""
    other = cluster.out.parent / "other"
    if not other.exists():
        write_files(other, generate_files(ClusterSpec.example()))
    return other


def test_kubectl_with_a_kubeconfig_of_another_ca(lab_doctor: Cluster) -> None:
    """kubectl trusts another set's CA: the doctor sees two CAs named kubernetes, and names
    the kubeconfig holding the other one."""
    other = _other_set(lab_doctor)
    work = _copy(lab_doctor, "wrongca")
    client_kubeconfig(
        lab_doctor.lab,
        work / "admin.kubeconfig",
        server=f"https://{MASTERS[0].address}:6443",
        ca=other / "ca.pem",
        cert=other / "admin.pem",
        key=other / "admin-key.pem",
    )
    result = lab_doctor.kubectl(work / "admin.kubeconfig", "get", "--raw", "/readyz")
    assert result.returncode != 0, result.stdout
    text = result.stderr
    assert "signed by unknown authority" in text, text
    report = doctor(lab_doctor, text, work)
    first = report["diagnoses"][0]
    assert first["kind"] == "unknown-authority", (text, first)
    paths = {f["path"] for f in first["files"]}
    assert str(work.resolve() / "ca.pem") in paths, first
    assert any(p.startswith(str(work.resolve() / "admin.kubeconfig")) for p in paths), first
    assert "use one CA everywhere" in "\n".join(first["fix"]), first


def test_etcd_rejects_a_client_pair_from_another_set(lab_doctor: Cluster) -> None:
    """etcdctl presents another set's admin pair: etcd's own log line (its JSON, as journald
    would hold it) is pasted whole, and the doctor names the copied pair."""
    other = _other_set(lab_doctor)
    mixed = _copy(lab_doctor, "mixed")
    for name in ("admin.pem", "admin-key.pem"):
        shutil.copy(other / name, mixed / name)
    member = ETCD[0]
    result = lab_doctor.lab.run(
        JUMP,
        "etcdctl",
        f"--endpoints=https://{member.address}:2379",
        f"--cacert={mixed}/ca.pem",
        f"--cert={mixed}/admin.pem",
        f"--key={mixed}/admin-key.pem",
        "--dial-timeout=5s",
        "--command-timeout=5s",
        "endpoint",
        "health",
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0, result.stdout
    log = _log_of(lab_doctor, member.name, "etcd", "rejected connection")
    assert "failed to verify client certificate" in log, log
    report = doctor(lab_doctor, log, mixed)
    kinds = [d["kind"] for d in report["diagnoses"]]
    assert "unknown-authority" in kinds, (kinds, log[-2000:])
    found = report["diagnoses"][kinds.index("unknown-authority")]
    assert "could not verify the client certificate" in found["what"], found
    assert [f["path"] for f in found["files"]] == [str(mixed.resolve() / "admin.pem")], found
    assert f"-o {mixed.resolve()} --only admin.pem" in "\n".join(found["fix"]), found
    # etcdctl's own words hide the cause (gRPC: `context deadline exceeded`): the doctor says
    # so and sends the reader to etcd's log, rather than guessing
    client = cluster_doctor_refusal(lab_doctor, result.stderr, mixed)
    assert "journalctl -u etcd" in client, (client, result.stderr)


def cluster_doctor_refusal(cluster: Cluster, text: str, directory: Path) -> str:
    """doctor's refusal (exit 1) on stderr for a text it cannot diagnose."""
    result = cluster.lab.run(
        JUMP, *product_argv("doctor", str(directory)), cwd=REPO, input=text, timeout=120
    )
    assert result.returncode == 1, (result.stdout, text)
    return result.stderr


def _guide_steps(guide: str) -> list[tuple[str, list[str]]]:
    """(component, the command lines of its code blocks) in the guide's order."""
    steps: list[tuple[str, list[str]]] = []
    for section in re.split(r"^## \d+\. ", guide, flags=re.M)[1:]:
        component = section.split("\n", 1)[0].strip()
        lines = [
            line
            for block in re.findall(r"```\n(.*?)```", section, re.S)
            for line in block.splitlines()
            if line.strip()
        ]
        steps.append((component, lines))
    return steps


def test_the_recovery_guide_brings_back_a_cluster_switched_off_too_long(
    lab_doctor: Cluster, control_plane: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A classic cluster whose every certificate ended yesterday (same CA): etcd's peers refuse
    each other, and its own log says so; the guide of `doctor --recovery`, followed as printed
    (its renew lines on the jump host, its scp lines over the lab's SSH, its restarts), brings
    etcd and kube-apiserver back."""
    lab = lab_doctor.lab
    lab.stop_processes()
    lab.reset_hosts()
    cluster = Cluster.generate(lab, control_plane, tmp_path_factory.mktemp("off"), "classic")
    out = cluster.out
    config = out.parent / "cluster.toml"
    now = datetime.now(UTC).replace(microsecond=0)
    for days, name in enumerate(("kubernetes", "admin", "kube-proxy"), 1):
        reissue(out, name, end=now - timedelta(days=days))
        for tree in (out / "hosts").glob(f"*/etc/kubernetes/ssl/{name}*.pem"):
            shutil.copy(out / tree.name, tree)
    cluster.place()
    cluster.start_etcd(GUIDE_ETCD, split_http=False, binary=DEBIAN_ETCD)
    member = ETCD[0]
    log = _log_of(cluster, member.name, "etcd", "certificate has expired")
    report = doctor(cluster, log, out)
    kinds = [d["kind"] for d in report["diagnoses"]]
    assert "expired" in kinds, (kinds, log[-1500:])
    expired = report["diagnoses"][kinds.index("expired")]
    assert [f["path"] for f in expired["files"]] == [str(out.resolve() / "kubernetes.pem")]

    guide = lab.run(
        JUMP,
        *product_argv("doctor", "--recovery", "-c", str(config), str(out)),
        cwd=REPO,
        timeout=120,
    )
    assert guide.returncode == 0, guide.stderr
    steps = _guide_steps(guide.stdout)
    assert [c for c, _ in steps][:2] == ["etcd", "kube-apiserver"], steps
    ran: list[str] = []
    for component, lines in steps:
        for line in lines:
            words = shlex.split(line)
            if words[0] == "k8s-cert-wizard":
                done = lab.run(JUMP, *product_argv(*words[1:]), cwd=REPO, timeout=180)
            elif words[0] == "scp":
                # -O: the lab's sshd has no sftp subsystem, so scp uses its classic protocol
                scp = ["scp", "-O", "-q", "-F", str(lab.ssh_config), *words[1:]]
                done = lab.run(JUMP, *scp, timeout=60)
            elif words[:2] == ["systemctl", "restart"]:
                _restart(cluster, words[2])
                ran.append(words[2])
                continue
            else:
                continue
            assert done.returncode == 0, f"{component}: `{line}`\n{done.stdout}{done.stderr}"
    assert ran[:2] == ["etcd", "kube-apiserver"], ran
    cluster.admin = client_kubeconfig(
        lab,
        out.parent / "admin.kubeconfig",
        server=f"https://{MASTERS[0].address}:6443",
        ca=out / "ca.pem",
        cert=out / "admin.pem",
        key=out / "admin-key.pem",
    )
    _wait_ready(cluster, MASTERS[0].address)
    assert _expired_in_review(cluster, out) == []


def _restart(cluster: Cluster, component: str) -> None:
    """What `systemctl restart` does in the lab (no systemd there): stop, start again."""
    for (host, name), process in list(cluster.processes.items()):
        if name == component:
            cluster.lab.kill(process)
            del cluster.processes[(host, name)]
    if component == "etcd":
        cluster.start_etcd(GUIDE_ETCD, split_http=False, binary=DEBIAN_ETCD)
        out = cluster.out
        cluster.wait_etcd(
            (f"{out}/ca.pem", f"{out}/kubernetes.pem", f"{out}/kubernetes-key.pem"), timeout=120
        )
    elif component == "kube-apiserver":
        _serve(
            cluster,
            0,
            Path("/etc/kubernetes/ssl/kubernetes.pem"),
            Path("/etc/kubernetes/ssl/kubernetes-key.pem"),
        )
    # the classic lab runs no controller-manager, scheduler, kubelet or kube-proxy


def _expired_in_review(cluster: Cluster, directory: Path) -> list[str]:
    """What the review still calls expired in the set: not the backups, and not the
    `--per-host` trees under hosts/ (renew does not rewrite them; the guide's scp lines copy
    the set's own renewed files to the hosts instead)."""
    review = cluster.review(directory)
    return [
        e["path"]
        for e in review["expiry"]
        if e["status"] == "expired" and not e["path"].startswith(("backup-", "hosts/"))
    ]
