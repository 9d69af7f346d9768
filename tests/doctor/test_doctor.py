"""doctor: real error texts from the peers' trackers, each against a directory broken to produce
it (a set from generate_files + write_files, then one certificate re-issued wrong with
wizard.pki), with the file and the fix asserted — and texts that are not about certificates.

Every text is quoted from the thread its `source` names (`owner/repo#N`, https://github.com/
owner/repo/issues/N), as posted there; the threads were read through the issue search in
session 5 (2026-12-03), and texts that could not be found again were replaced."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from wizard import pki
from wizard.doctor import ErrorKind, diagnose
from wizard.generate import generate_files
from wizard.review import review_directory
from wizard.spec import ClusterSpec
from wizard.store import write_files

BOTH = ("signing", "key encipherment", "server auth", "client auth")


def _load(directory: Path, name: str) -> tuple[x509.Certificate, pki.PrivateKey]:
    cert = pki.load_certificate((directory / f"{name}.pem").read_bytes(), name)
    key = pki.load_private_key((directory / f"{name}-key.pem").read_bytes(), name)
    return cert, key


def foreign_ca(cn: str = "kubernetes") -> tuple[x509.Certificate, pki.PrivateKey]:
    """Another CA — by default with the same CN as ours, the classic mix-up."""
    key = ec.generate_private_key(ec.SECP256R1())
    return pki.issue_ca(key, pki.build_name({"O": "k8s"}, cn), timedelta(days=3650)), key


def reissue(
    directory: Path,
    name: str,
    *,
    cn: str | None = None,
    hosts: list[str] | None = None,
    end: datetime | None = None,
    start: datetime | None = None,
    usages: tuple[str, ...] = BOTH,
    ca: tuple[x509.Certificate, pki.PrivateKey] | None = None,
) -> None:
    """Replace DIR/name.pem (and its key) with a certificate made wrong on purpose."""
    old = (
        pki.load_certificate((directory / f"{name}.pem").read_bytes(), name)
        if (directory / f"{name}.pem").exists()
        else None
    )
    if cn is None:
        assert old is not None
        cn = old.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value  # type: ignore[assignment]
    if hosts is None and old is not None:
        try:
            sans = old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            hosts = [str(n.value) for n in sans]
        except x509.ExtensionNotFound:
            hosts = []
    ca_cert, ca_key = ca or _load(directory, "ca")
    key = ec.generate_private_key(ec.SECP256R1())
    csr = pki.build_csr(key, pki.build_name({"O": "k8s"}, cn), hosts or [])  # type: ignore[arg-type]
    if end is not None:
        now = end - timedelta(days=30)
        lifetime = end - pki.not_before(now)
    elif start is not None:
        now = start + pki.BACKDATE
        lifetime = timedelta(days=365)
    else:
        now, lifetime = None, timedelta(days=365)
    cert = pki.issue_leaf(csr, usages, lifetime, ca_cert, ca_key, now=now)
    (directory / f"{name}.pem").write_bytes(pki.certificate_pem(cert))
    (directory / f"{name}-key.pem").write_bytes(pki.private_key_pem(key))


def replace_ca(directory: Path, cn: str = "kubernetes") -> None:
    """Make DIR/ca.pem another CA of the same name (the leaves stay under the old one)."""
    cert, key = foreign_ca(cn)
    (directory / "ca.pem").write_bytes(pki.certificate_pem(cert))
    (directory / "ca-key.pem").write_bytes(pki.private_key_pem(key))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Case:
    """One real error text, where it was posted, how to break a set to produce it, and what
    the doctor must answer."""

    source: str
    text: str
    kind: ErrorKind
    breaks: Callable[[Path], None]
    files: set[str]  # relative to the broken directory; empty: nothing must match
    fix: str  # a piece of the fix commands
    second_dir: Callable[[Path], None] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The thread the text was posted in (`owner/repo#N` → its GitHub address)."""
        match = re.match(r"([\w.-]+/[\w.-]+)#(\d+)", self.source)
        assert match, self.source
        return f"https://github.com/{match.group(1)}/issues/{match.group(2)}"


def _nothing(directory: Path) -> None:
    """The set as generated."""


CASES = [
    Case(
        "kubernetes/kubeadm#2852",
        "Unable to connect to the server: x509: certificate has expired or is not yet valid: "
        "current time 2023-03-31T09:11:37+03:00 is after 2023-03-25T05:32:30Z",
        ErrorKind.EXPIRED,
        lambda d: reissue(d, "admin", end=utc("2023-03-25T05:32:30Z")),
        {"admin.pem"},
        "renew -c {dir}/cluster.toml -o {dir} --only admin.pem",
    ),
    Case(
        "kubernetes/kubernetes#122639 (kube-apiserver's log: etcd's server certificate ended)",
        "2023-12-16T07:35:01.426019865+01:00 stderr F }. Err: connection error: desc = "
        '"transport: authentication handshake failed: x509: certificate has expired or is not '
        'yet valid: current time 2023-12-16T06:35:01Z is after 2023-12-03T03:37:19Z"',
        ErrorKind.EXPIRED,
        lambda d: (
            reissue(d, "etcd", cn="etcd", hosts=["127.0.0.1"], end=utc("2023-12-03T03:37:19Z")),
            reissue(d, "kube-proxy", end=utc("2023-05-07T03:12:06Z")),  # expired too, other date
        ),
        {"etcd.pem"},
        "--only etcd.pem",
    ),
    Case(
        "cookeem/kubeadm-ha#44",
        "[root@k8s-master01 ~]# kubectl get po\nNo resources found.\nUnable to connect to the "
        "server: x509: certificate has expired or is not yet valid",
        ErrorKind.EXPIRED,
        lambda d: reissue(d, "kube-proxy", end=datetime.now(UTC) - timedelta(days=3)),
        {"kube-proxy.pem"},
        "--only kube-proxy.pem",
    ),
    Case(
        "harvester/harvester#2860 (rke2's journal line; the paste's link markup dropped)",
        'Sep 05 07:59:00 <***> rke2[2657]: time="2022-09-05T07:59:00Z" level=info '
        'msg="Waiting to retrieve kube-proxy configuration; server is not ready: CA cert '
        'validation failed: Get \\"https://127.0.0.1:9345/cacerts\\": x509: certificate has '
        "expired or is not yet valid: current time 2022-09-05T07:59:00Z is before "
        '2022-09-05T08:16:15Z"',
        ErrorKind.NOT_YET_VALID,
        lambda d: reissue(d, "kubernetes", start=utc("2022-09-05T08:16:15Z")),
        {"kubernetes.pem"},
        "timedatectl",
    ),
    Case(
        "easzlab/kubeasz#922 (the cause was the hosts' clocks)",
        "Unable to connect to the server: x509: certificate has expired or is not yet valid",
        ErrorKind.EXPIRED,
        _nothing,
        set(),
        "timedatectl",
    ),
    Case(
        "rootsongjc/follow-me-install-kubernetes-cluster#1",
        "Unable to connect to the server: x509: certificate signed by unknown authority "
        '(possibly because of "crypto/rsa: verification error" while trying to verify candidate'
        ' authority certificate "kubernetes")',
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "kubernetes", ca=foreign_ca()),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "opsnull/follow-me-install-kubernetes-cluster#82",
        "health check for peer ec2a7add58746895 could not connect: x509: certificate signed by "
        'unknown authority (possibly because of "crypto/rsa: verification error" while trying '
        'to verify candidate authority certificate "kubernetes")',
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "admin", ca=foreign_ca()),
        {"admin.pem"},
        "--only admin.pem",
    ),
    Case(
        "kelseyhightower/kubernetes-the-hard-way#302 (kubectl get componentstatuses)",
        "etcd-2               Unhealthy   Get https://10.240.0.11:2379/health: x509: certificate "
        'signed by unknown authority (possibly because of "crypto/rsa: verification error" '
        'while trying to verify candidate authority certificate "Kubernetes")',
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "etcd", cn="etcd", hosts=["10.240.0.11"], ca=foreign_ca("Kubernetes")),
        {"etcd.pem"},
        "--only etcd.pem",
    ),
    Case(
        "kubernetes-retired/dashboard#2275 (two directories, two CAs named kubernetes)",
        "Get https://10.96.0.1:443/api/v1/namespaces/default/pods: x509: certificate signed by "
        'unknown authority (possibly because of "crypto/rsa: verification error" while trying '
        'to verify candidate authority certificate "kubernetes")',
        ErrorKind.UNKNOWN_AUTHORITY,
        _nothing,
        {"ca.pem", "../other/ca.pem"},
        "use one CA everywhere",
        second_dir=lambda d: None,
    ),
    Case(
        "rancher-archives/rke#1123 (etcd 3.3's wording)",
        '2019-02-07 13:05:55.848860 I | etcdmain: rejected connection from "x:x" (error "tls: '
        "failed to verify client's certificate: x509: certificate has expired or is not yet "
        'valid", ServerName "")',
        ErrorKind.EXPIRED,
        lambda d: reissue(d, "admin", end=datetime.now(UTC) - timedelta(days=5)),
        {"admin.pem"},
        "--only admin.pem",
        extra={"what": "could not verify the client certificate"},
    ),
    Case(
        "labring/sealos#1128",
        "x509: certificate is valid for 127.0.0.1, 10.96.0.1, 192.168.0.118, 10.103.97.2, not "
        "106.74.24.250",
        ErrorKind.WRONG_NAME,
        lambda d: reissue(
            d, "kubernetes", hosts=["127.0.0.1", "10.96.0.1", "192.168.0.118", "10.103.97.2"]
        ),
        {"kubernetes.pem"},
        "add 106.74.24.250",
    ),
    Case(
        "kubernetes/kops#8409",
        "x509: certificate is valid for 100.64.0.1, 127.0.0.1, not 172.20.86.175",
        ErrorKind.WRONG_NAME,
        lambda d: reissue(d, "kubernetes", hosts=["100.64.0.1", "127.0.0.1"]),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "kelseyhightower/intro-to-kubernetes-workshop#13",
        "error: couldn't read version from server: Get https://146.148.119.50:6443/api: x509: "
        "certificate is valid for 10.240.0.2, 10.200.100.1, not 146.148.119.50",
        ErrorKind.WRONG_NAME,
        lambda d: reissue(d, "kubernetes", hosts=["10.240.0.2", "10.200.100.1"]),
        {"kubernetes.pem"},
        "add 146.148.119.50",
    ),
    Case(
        "kubernetes-sigs/metrics-server#196",
        'E0511 21:57:06.607078       1 scraper.go:140] "Failed to scrape node" err="Get '
        '\\"https://192.168.203.181:10250/metrics/resource\\": x509: cannot validate '
        "certificate for 192.168.203.181 because it doesn't contain any IP SANs\" "
        'node="lke60627-94194-627bc558aaae"',
        ErrorKind.NO_IP_SANS,
        lambda d: reissue(
            d,
            "kubelet",
            cn="system:node:lke60627-94194-627bc558aaae",
            hosts=["lke60627-94194-627bc558aaae"],
        ),
        {"kubelet.pem"},
        "kubectl certificate approve",
    ),
    Case(
        "kubernetes/kubeadm#2028",
        "unable to fetch metrics from Kubelet node1 (10.0.23.26): Get "
        "https://10.0.23.26:10250/stats/summary?only_cpu_and_memory=true: x509: cannot validate "
        "certificate for 10.0.23.26 because it doesn't contain any IP SANs]",
        ErrorKind.NO_IP_SANS,
        lambda d: reissue(d, "kubelet-node1", cn="system:node:node1", hosts=["node1"]),
        {"kubelet-node1.pem"},
        "add 10.0.23.26",
    ),
    Case(
        "kubernetes/kubernetes#27442 (a kubelet's journal line)",
        "kubnod01.huffnet.org kubelet[7388]: E0615 11:54:32.106405    7388 event.go:207] Unable "
        "to write event: 'Post https://192.168.122.20:6443/api/v1/namespaces/default/events: "
        "x509: cannot validate certificate for 192.168.122.20 because it doesn't contain any IP "
        "SANs' (may retry after sleeping)",
        ErrorKind.NO_IP_SANS,
        lambda d: reissue(d, "kubernetes", hosts=["kubernetes", "kubernetes.default"]),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "linkerd/linkerd2#4945",
        "x509: certificate relies on legacy Common Name field, use SANs or temporarily enable "
        "Common Name matching with GODEBUG=x509ignoreCN=0",
        ErrorKind.LEGACY_CN,
        lambda d: reissue(d, "kubernetes", hosts=[]),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "hulklab/yago#76",
        "x509: certificate relies on legacy Common Name field, use SANs instead",
        ErrorKind.LEGACY_CN,
        _nothing,
        set(),
        "give the certificate hosts",
    ),
    Case(
        "bsycorp/kind#49",
        "E0517 10:23:23.994527    3081 bootstrap.go:265] part of the existing bootstrap client "
        "certificate in /etc/kubernetes/kubelet.conf is expired: 2022-05-17 04:45:09 +0000 UTC",
        ErrorKind.BOOTSTRAP_EXPIRED,
        lambda d: reissue(
            d, "kubelet-client", cn="system:node:node1", end=utc("2022-05-17T04:45:09Z")
        ),
        {"kubelet-client.pem"},
        "kubectl certificate approve",
    ),
    Case(
        "kubernetes/kubernetes#98150 (a journalctl line)",
        "Jan 18 17:33:58 aura kubelet[1457370]: E0118 17:33:58.888700 1457370 bootstrap.go:265]"
        " part of the existing bootstrap client certificate is expired: 2020-12-06 18:55:55 "
        "+0000 UTC\nJan 18 17:33:58 aura kubelet[1457370]: F0118 17:33:58.888743 1457370 "
        "server.go:271] failed to run Kubelet: unable to load bootstrap kubeconfig: stat "
        "/etc/kubernetes/bootstrap-kubelet.conf: no such file or directory",
        ErrorKind.BOOTSTRAP_EXPIRED,
        lambda d: reissue(d, "kube-proxy", end=utc("2020-12-06T18:55:55Z")),
        {"kube-proxy.pem"},
        "bootstrap-kubelet.conf",
    ),
    Case(
        "etcd-io/etcd#13485",
        'Nov 14 16:47:27 k8s-01 etcd[1817]: rejected connection from "192.168.7.175:54810" '
        '(error "remote error: tls: bad certificate", ServerName "")',
        ErrorKind.PEER_REJECTED,
        lambda d: reissue(d, "admin", ca=foreign_ca("etcd-ca")),
        {"admin.pem"},
        "--only admin.pem",
    ),
    Case(
        "etcd-io/etcd#11770",
        'Aug  9 12:57:26 k8s-master01 etcd: rejected connection from "192.168.0.12:34990" '
        '(error "remote error: tls: bad certificate", ServerName "")',
        ErrorKind.PEER_REJECTED,
        lambda d: reissue(d, "kube-proxy", end=datetime.now(UTC) - timedelta(days=1)),
        {"kube-proxy.pem"},
        "journalctl -u etcd",
    ),
    Case(
        "etcd-io/etcd#9785 (the thread's title)",
        "transport: authentication handshake failed: remote error: tls: bad certificate",
        ErrorKind.PEER_REJECTED,
        lambda d: reissue(d, "kubernetes", usages=("signing", "key encipherment", "server auth")),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "etcd-io/etcd#9398 (both sides' lines, pasted together)",
        '2018-03-07 22:36:51.136699 I | embed: rejected connection from "127.0.0.1:35160" (error'
        " \"tls: failed to verify client's certificate: x509: certificate specifies an "
        'incompatible key usage", ServerName "")\nWARNING: 2018/03/07 22:36:51 Failed to '
        'dial 0.0.0.0:2379: connection error: desc = "transport: authentication handshake '
        'failed: remote error: tls: bad certificate"; please retry.',
        ErrorKind.WRONG_USAGE,
        lambda d: reissue(
            d, "etcd", cn="etcd", hosts=["127.0.0.1"], usages=("signing", "server auth")
        ),
        {"etcd.pem"},
        "--only etcd.pem",
    ),
    Case(
        "easzlab/kubeasz#1069 (etcd's journal lines)",
        'Sep 22 23:44:05 k8s-master1 etcd[82362]: rejected connection from "10.0.0.13:43146" '
        '(error "remote error: tls: bad certificate", ServerName "")\nSep 22 23:44:05 '
        'k8s-master1 etcd[82362]: rejected connection from "10.0.0.12:47532" (error "remote '
        'error: tls: bad certificate", ServerName "")',
        ErrorKind.PEER_REJECTED,
        lambda d: reissue(d, "etcd", cn="etcd", hosts=["10.0.0.11"], ca=foreign_ca()),
        {"etcd.pem"},
        "--only etcd.pem",
    ),
    Case(
        "etcd-io/etcd#13630",
        '2022-01-17 21:02:17.4563 I | embed: rejected connection from "127.0.0.1:12345" (error '
        "\"tls: failed to verify client's certificate: x509: certificate specifies an "
        'incompatible key usage", ServerName "")',
        ErrorKind.WRONG_USAGE,
        lambda d: reissue(d, "kubernetes", usages=("signing", "key encipherment", "server auth")),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    Case(
        "opsnull/follow-me-install-kubernetes-cluster#244",
        "x509: subject with cn=aggregator is not in the allowed list: []",
        ErrorKind.CN_NOT_ALLOWED,
        lambda d: reissue(d, "aggregator", cn="aggregator", hosts=[]),
        {"aggregator.pem"},
        "--requestheader-allowed-names=aggregator",
    ),
    Case(
        "stefanprodan/k8s-prom-hpa#30",
        "W0613 03:59:30.791929       1 x509.go:172] x509: subject with cn=front-proxy-client is "
        "not in the allowed list: [aggregator]",
        ErrorKind.CN_NOT_ALLOWED,
        lambda d: reissue(d, "front-proxy-client", cn="front-proxy-client", hosts=[]),
        {"front-proxy-client.pem"},
        "--requestheader-allowed-names=aggregator,front-proxy-client",
    ),
    Case(
        "rancher/rancher#40091 (etcd 3.5's JSON log, the new wording)",
        '{"level":"warn","ts":"2023-01-06T21:04:03.200Z","caller":"embed/config_logging.go:169",'
        '"msg":"rejected connection","remote-addr":"10.119.67.113:60014","server-name":"",'
        '"error":"tls: failed to verify client certificate: x509: certificate signed by unknown '
        'authority (possibly because of \\"crypto/rsa: verification error\\" while trying to '
        'verify candidate authority certificate \\"kube-ca\\")"}',
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "admin", ca=foreign_ca("kube-ca")),
        {"admin.pem"},
        "--only admin.pem",
        extra={"what": "could not verify the client certificate"},
    ),
    Case(
        "etcd-io/etcd#15740 (the thread's title)",
        '"error":"keys: failed to verify client certificate: x509: certificate has expired or is '
        'not yet valid"',
        ErrorKind.EXPIRED,
        lambda d: reissue(d, "kube-proxy", end=datetime.now(UTC) - timedelta(days=3)),
        {"kube-proxy.pem"},
        "--only kube-proxy.pem",
        extra={"what": "could not verify the client certificate"},
    ),
    Case(
        "opsnull/follow-me-install-kubernetes-cluster#166 (journal lines of etcd, pasted whole)",
        " health check for peer 797ef817b0f8239 could not connect: x509: certificate signed by "
        'unknown authority (possibly because of "crypto/rsa: verification error" while trying '
        'to verify candidate authority certificate "kubernetes")\nNov 01 13:58:24 '
        "localhost.localdomain etcd[11737]: health check for peer 552fb05951af50c9 could not "
        "connect: x509: certificate signed by unknown authority (possibly because of "
        '"crypto/rsa: verification error" while trying to verify candidate authority '
        'certificate "kubernetes")',
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "etcd", cn="etcd", hosts=["127.0.0.1"], ca=foreign_ca()),
        {"etcd.pem"},
        "--only etcd.pem",
    ),
    Case(
        "kelseyhightower/kubernetes-the-hard-way#654 (kube-apiserver's log)",
        "I0430 00:00:24.205492   31884 log.go:172] http: TLS handshake error from "
        "127.0.0.1:54950: remote error: tls: bad certificate\nI0430 00:00:25.692841   31884 "
        "log.go:172] http: TLS handshake error from 127.0.0.1:54952: remote error: tls: bad "
        "certificate",
        ErrorKind.PEER_REJECTED,
        lambda d: reissue(d, "kubernetes", ca=foreign_ca()),
        {"kubernetes.pem"},
        "--only kubernetes.pem",
    ),
    # not certificate problems: nothing may match, and the answer must say so
    Case(
        "kubernetes-sigs/kubespray#2147",
        "Error from server: Get https://k8s-node2-gslb-devel-sjc1.novalocal:10250/containerLogs"
        "/kube-system/nginx-proxy: dial tcp: lookup k8s-node2-gslb-devel-sjc1.novalocal on "
        "8.8.8.8:53: no such host",
        ErrorKind.NOT_CERTIFICATE,
        lambda d: reissue(d, "kube-proxy", end=datetime.now(UTC) - timedelta(days=1)),
        set(),
        "DNS",
    ),
    Case(
        "kubernetes/kubeadm#1852",
        "Get https://localhost:8443/api/v1/namespaces/kube-system/configmaps/kubeadm-config: dial "
        "tcp 127.0.0.1:8443: connect: connection refused",
        ErrorKind.NOT_CERTIFICATE,
        lambda d: reissue(d, "admin", ca=foreign_ca()),  # a broken file must not be named
        set(),
        "listens on that port",
    ),
    Case(
        "kubernetes/kubernetes#78158 (`journalctl -u kube-apiserver` pasted whole)",
        "May 21 11:49:34 master kube-apiserver[1236]: I0521 11:49:34.874794    1236 "
        "customresource_discovery_controller.go:199] Starting DiscoveryController\n"
        "May 21 11:49:34 master kube-apiserver[1236]: I0521 11:49:34.874891    1236 "
        "naming_controller.go:284] Starting NamingConditionController\n"
        "May 21 11:49:34 master kube-apiserver[1236]: I0521 11:49:34.876306    1236 log.go:172] "
        "http: TLS handshake error from 10.91.32.169:57432: tls: first record does not look "
        "like a TLS handshake\n"
        "May 21 11:49:35 master kube-apiserver[1236]: I0521 11:49:35.085722    1236 "
        "cache.go:39] Caches are synced for APIServiceRegistrationController controller",
        ErrorKind.NOT_CERTIFICATE,
        _nothing,
        set(),
        "https://",
    ),
    Case(
        "kubernetes-sigs/metrics-server#375",
        "Error: Get https://10.96.0.1:443/api/v1/namespaces/kube-system/configmaps/extension-"
        "apiserver-authentication: dial tcp 10.96.0.1:443: i/o timeout",
        ErrorKind.NOT_CERTIFICATE,
        _nothing,
        set(),
        "reachable",
    ),
    Case(
        "easzlab/kubeasz#1071",
        "Error: Get https://10.68.0.1:443/api/v1/namespaces/kube-system/configmaps/extension-"
        "apiserver-authentication: dial tcp 10.68.0.1:443: connect: no route to host",
        ErrorKind.NOT_CERTIFICATE,
        lambda d: reissue(d, "kube-proxy", end=datetime.now(UTC) - timedelta(days=1)),
        set(),
        "reachable",
    ),
]


def _build(case: Case, pristine: Path, tmp_path: Path) -> list[Path]:
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    case.breaks(directory)
    directories = [directory]
    if case.second_dir is not None:
        other = tmp_path / "other"
        write_files(other, generate_files(ClusterSpec.example()))  # a second CA, same name
        directories.append(other)
    return directories


@pytest.mark.parametrize("case", CASES, ids=[c.source.split(" ")[0] for c in CASES])
def test_real_error_texts(case: Case, pristine: Path, tmp_path: Path) -> None:
    directories = _build(case, pristine, tmp_path)
    reviews = [review_directory(d) for d in directories]
    diagnoses = diagnose(case.text, reviews)
    assert diagnoses, f"{case.source}: nothing recognised"
    first = diagnoses[0]
    assert first.kind is case.kind, (case.source, [d.kind for d in diagnoses])
    root = directories[0].resolve()
    got = {str(Path(m.path).resolve()) for m in first.matches}
    want = {str((root / f).resolve()) for f in case.files}
    assert got == want, (case.source, got)
    assert all(Path(m.path).is_absolute() for m in first.matches)
    assert first.looked_for
    fix = "\n".join(first.fix)
    assert case.fix.replace("{dir}", str(root)) in fix, (case.source, fix)
    assert first.is_certificate_problem is (case.kind is not ErrorKind.NOT_CERTIFICATE)
    if "what" in case.extra:
        assert case.extra["what"] in first.what, first.what


def test_the_fix_runs_and_then_nothing_old_is_named(pristine: Path, tmp_path: Path) -> None:
    """The renew command the doctor prints works as printed; afterwards the expired copy kept
    in backup-… is not taken for the culprit."""
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    reissue(directory, "admin", end=utc("2023-03-25T05:32:30Z"))
    (first,) = diagnose(CASES[0].text, [review_directory(directory)])
    command = first.fix[0].split()
    assert command[:2] == ["k8s-cert-wizard", "renew"]
    renewed = subprocess.run(
        [sys.executable, "-m", "wizard", *command[1:]], capture_output=True, text=True, timeout=120
    )
    assert renewed.returncode == 0, renewed.stderr
    assert any(p.name.startswith("backup-") for p in directory.iterdir())
    (after,) = diagnose(CASES[0].text, [review_directory(directory)])
    assert after.matches == []
    assert "2023-03-25 05:32:30" in after.looked_for


def test_the_table_is_big_enough() -> None:
    """At least 20 texts, each from a thread (owner/repo#number), every kind of issue 16."""
    assert len(CASES) >= 20
    assert all(c.url.startswith("https://github.com/") for c in CASES)
    trackers = {c.url.split("/")[4] for c in CASES}
    assert {"kubeadm", "kubeasz", "kubespray", "kubernetes", "etcd", "metrics-server"} <= trackers
    assert len({c.text for c in CASES}) == len(CASES)
    assert sum(c.kind is ErrorKind.NOT_CERTIFICATE for c in CASES) >= 3
    # etcd's "failed to verify client certificate" wraps the real cause: it shows in `what`
    wrapped = [c for c in CASES if "could not verify the client" in c.extra.get("what", "")]
    assert len(wrapped) >= 2
    assert {c.kind for c in CASES} | {ErrorKind.CLIENT_NOT_VERIFIED} == set(ErrorKind)


def test_a_journal_excerpt_gives_each_error_once(pristine: Path, tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    reissue(directory, "kubernetes", hosts=["kubernetes", "kubernetes.default"])
    line = (
        "Dec 02 10:00:0{n} m1 kube-apiserver[812]: E1202 10:00:0{n} 812 reflector.go:138] Get "
        '"https://10.254.0.1:443/api": x509: cannot validate certificate for 10.254.0.1 because '
        "it doesn't contain any IP SANs"
    )
    text = "\n".join(line.format(n=n) for n in range(5)) + "\nDec 02 10:00:09 m1 systemd[1]: ok"
    diagnoses = diagnose(text, [review_directory(directory)])
    assert [d.kind for d in diagnoses] == [ErrorKind.NO_IP_SANS]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", "doctor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_plain_json_and_refusals(pristine: Path, tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    reissue(directory, "admin", end=utc("2023-03-25T05:32:30Z"))
    text = CASES[0].text
    plain = _cli(str(directory), "-e", text)
    assert plain.returncode == 0, plain.stderr
    assert str(directory.resolve() / "admin.pem") in plain.stdout
    assert "--only admin.pem" in plain.stdout
    piped = _cli(str(directory), "--json", stdin=text)
    assert piped.returncode == 0, piped.stderr
    document = json.loads(piped.stdout)
    assert document["diagnoses"][0]["kind"] == "expired"
    assert [f["path"] for f in document["diagnoses"][0]["files"]] == [
        str(directory.resolve() / "admin.pem")
    ]
    honest = _cli(str(directory), "-e", "dial tcp 10.0.0.1:6443: i/o timeout")
    assert honest.returncode == 0 and "not a certificate problem" in honest.stdout
    empty = _cli(str(directory), stdin="")
    assert empty.returncode == 1 and "empty" in empty.stderr
    unknown = _cli(str(directory), "-e", "everything is fine")
    assert unknown.returncode == 1 and "no certificate or connection error" in unknown.stderr
    big = _cli(str(directory), stdin="x" * (1024 * 1024 + 1))
    assert big.returncode == 1 and "1 MiB" in big.stderr
    missing = _cli(str(tmp_path / "nope"), "-e", text)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr + big.stderr + empty.stderr
    helped = _cli("--help")
    assert "Exit code: 0 diagnosed" in helped.stdout


def test_per_host_copies_are_not_the_culprit(pristine: Path, tmp_path: Path) -> None:
    """`generate --per-host` copies (hosts/<address>/etc/…) share the set file's dates: the
    set's own file is named, and the renew names only it (renew refuses the copies' paths)."""
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    reissue(directory, "admin", end=utc("2023-03-25T05:32:30Z"))
    copy = directory / "hosts" / "10.0.0.21" / "etc" / "kubernetes" / "ssl"
    copy.mkdir(parents=True)
    shutil.copy(directory / "admin.pem", copy / "admin.pem")
    (first,) = diagnose(CASES[0].text, [review_directory(directory)])
    assert [Path(m.path).relative_to(directory.resolve()) for m in first.matches] == [
        Path("admin.pem")
    ]
    assert first.fix[0].endswith("--only admin.pem"), first.fix
