"""Certificate directories as other tools lay them out, each made by that tool's own recipe — never
from our catalogue:

- kubeasz: real cfssl over the CSR JSON of `roles/*/templates/*-csr.json.j2` and
  `roles/deploy/templates/ca-config.json.j2` (profiles `kubernetes` and `kcfg`), kubeconfigs made
  with real kubectl as `roles/deploy/tasks/create-*-kubeconfig.yml` makes them (embedded certs);
  the files a master holds in /etc/kubernetes/ssl and /etc/kubernetes.
- kubespray host-mode etcd: real openssl running `roles/etcd/templates/make-ssl-etcd.sh.j2`'s
  commands with its `openssl.conf.j2` (one `alt_names` list with every member) in /etc/ssl/etcd/ssl:
  ca.pem, member-<host>.pem, admin-<host>.pem, node-<host>.pem and their -key.pem.
- Kubernetes The Hard Way: real openssl with the guide's `ca.conf` and its command loop
  (`openssl req -config ca.conf -section <name>`, `openssl x509 -req -copy_extensions copyall`), and
  its kubeconfigs (kubectl, `--embed-certs=true`), the jumpbox directory. RSA 2048 instead of the
  guide's 4096 to keep the suite fast; nothing the review checks depends on it.
- RKE2 / k3s `server/tls`: client-go's certutil as k3s's `pkg/daemons/control/deps/deps.go` calls
  it — ECDSA P-256, CAs `<program>-<kind>-ca@<unix time>` with serial 0, leaves with digital
  signature + key encipherment written with their CA appended, the `*.nochain.crt` copies, the
  key-only `client-kubelet.key` / `serving-kubelet.key`, `service.key` + `service.current.key`, the
  etcd tree (server-ca, peer-ca, server-client, peer-server-client, client) and `cred/*.kubeconfig`
  naming the files by absolute path.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KUBEASZ_MASTERS = ("192.168.1.1", "192.168.1.2", "192.168.1.3")
KUBEASZ_NODE_NAME = "k8s-master-01"
KUBEASZ_SVC_IP = "10.68.0.1"
KUBESPRAY_ETCD = {"node1": "10.10.1.3", "node2": "10.10.1.4", "node3": "10.10.1.5"}
KUBESPRAY_NODES = ("node4", "node5")
KTHW_NODES = ("node-0", "node-1")
# a Rancher server's node name and address, and the `tls-san` of its config.yaml (a VIP and a
# load balancer's name in front of the servers)
RANCHER_NODE = ("server-1", "192.168.0.10")
RANCHER_TLS_SAN = ("k8s-api.example.net", "192.168.0.100")
RANCHER_SERVICE_IP = "10.43.0.1"
# an agent's node name and address
RANCHER_AGENT = ("agent-1", "192.168.0.21")


def rancher_sans() -> tuple[str, ...]:
    """config.SANs as k3s's pkg/cli/server builds it: the tls-san values, the loopback names,
    the node's name and addresses, the advertise address, the `kubernetes` Service's IP. One
    list for the supervisor's listener, kube-apiserver's and etcd's certificates."""
    name, address = RANCHER_NODE
    return (
        *RANCHER_TLS_SAN,
        "127.0.0.1",
        "::1",
        "localhost",
        name,
        address,
        RANCHER_SERVICE_IP,
    )


# deps.go's genServerCerts and the listener (pkg/cluster/https.go) add the Service's names
_KUBERNETES_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it builds this tool's fixture)")
    return found


def _run(arguments: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(arguments, cwd=cwd, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(arguments)} failed: {done.stderr.decode()}")
    return done.stdout


# -- kubeasz --------------------------------------------------------------------------------

_KUBEASZ_NAMES = [{"C": "CN", "ST": "HangZhou", "L": "XS", "O": "k8s", "OU": "System"}]
_KUBEASZ_CA_CONFIG = {
    "signing": {
        "default": {"expiry": "438000h"},
        "profiles": {
            "kubernetes": {
                "usages": ["signing", "key encipherment", "server auth", "client auth"],
                "expiry": "438000h",
            },
            "kcfg": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "87600h"},
        },
    }
}


def _kubeasz_csr(cn: str, hosts: list[str], o: str = "k8s") -> dict[str, object]:
    names = [dict(_KUBEASZ_NAMES[0], O=o)]
    return {"CN": cn, "hosts": hosts, "key": {"algo": "rsa", "size": 2048}, "names": names}


def kubeasz_csrs() -> dict[str, tuple[str, dict[str, object]]]:
    """Each file stem: (ca-config profile, CSR JSON), as kubeasz's templates render them."""
    masters = list(KUBEASZ_MASTERS)
    return {
        "admin": ("kcfg", _kubeasz_csr("admin", [], "system:masters")),
        "kube-proxy": ("kcfg", _kubeasz_csr("system:kube-proxy", [])),
        "kube-controller-manager": (
            "kcfg",
            _kubeasz_csr("system:kube-controller-manager", [], "system:kube-controller-manager"),
        ),
        "kube-scheduler": (
            "kcfg",
            _kubeasz_csr("system:kube-scheduler", [], "system:kube-scheduler"),
        ),
        "etcd": ("kubernetes", _kubeasz_csr("etcd", [*masters, "127.0.0.1"])),
        "kubernetes": (
            "kubernetes",
            _kubeasz_csr(
                "kubernetes",
                [
                    "127.0.0.1",
                    *masters,
                    KUBEASZ_SVC_IP,
                    "kubernetes",
                    "kubernetes.default",
                    "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster",
                    "kubernetes.default.svc.cluster.local",
                ],
            ),
        ),
        "aggregator-proxy": ("kubernetes", _kubeasz_csr("aggregator", [])),
        f"{KUBEASZ_NODE_NAME}-kubelet": (
            "kubernetes",
            _kubeasz_csr(
                f"system:node:{KUBEASZ_NODE_NAME}",
                ["127.0.0.1", KUBEASZ_MASTERS[0], KUBEASZ_NODE_NAME],
                "system:nodes",
            ),
        ),
    }


def _kubectl_kubeconfig(
    kubectl: str, out: Path, user: str, ca: Path, cert: Path, key: Path, server: str
) -> None:
    """`kubectl config set-cluster/set-credentials/set-context/use-context` with embedded certs."""
    config = f"--kubeconfig={out}"
    _run(
        [kubectl, "config", "set-cluster", "kubernetes", f"--certificate-authority={ca}"]
        + ["--embed-certs=true", f"--server={server}", config],
        out.parent,
    )
    _run(
        [kubectl, "config", "set-credentials", user, f"--client-certificate={cert}"]
        + [f"--client-key={key}", "--embed-certs=true", config],
        out.parent,
    )
    _run(
        [kubectl, "config", "set-context", "default", "--cluster=kubernetes", f"--user={user}"]
        + [config],
        out.parent,
    )
    _run([kubectl, "config", "use-context", "default", config], out.parent)
    out.chmod(0o600)


def build_kubeasz(root: Path, work: Path) -> Path:
    """A kubeasz master's /etc/kubernetes (`root`): ssl/ and the kubeconfigs; `work` plays
    kubeasz's {{ cluster_dir }}/ssl on the deploy host."""
    cfssl, cfssljson, kubectl = _tool("cfssl"), _tool("cfssljson"), _tool("kubectl")
    work.mkdir(parents=True, exist_ok=True)
    ca_csr = _kubeasz_csr("kubernetes-ca", [])
    del ca_csr["hosts"]
    ca_csr["ca"] = {"expiry": "876000h"}
    (work / "ca-csr.json").write_text(json.dumps(ca_csr))
    (work / "ca-config.json").write_text(json.dumps(_KUBEASZ_CA_CONFIG))
    _run([cfssljson, "-bare", "ca"], work, _run([cfssl, "gencert", "-initca", "ca-csr.json"], work))
    for stem, (profile, csr) in kubeasz_csrs().items():
        (work / f"{stem}-csr.json").write_text(json.dumps(csr))
        made = _run(
            [cfssl, "gencert", "-ca=ca.pem", "-ca-key=ca-key.pem", "-config=ca-config.json"]
            + [f"-profile={profile}", f"{stem}-csr.json"],
            work,
        )
        _run([cfssljson, "-bare", stem], work, made)
    ssl = root / "ssl"
    ssl.mkdir(parents=True, exist_ok=True)
    ssl.chmod(0o755)
    copies = {
        "ca.pem": "ca.pem",
        "ca-key.pem": "ca-key.pem",
        "kubernetes.pem": "kubernetes.pem",
        "kubernetes-key.pem": "kubernetes-key.pem",
        "aggregator-proxy.pem": "aggregator-proxy.pem",
        "aggregator-proxy-key.pem": "aggregator-proxy-key.pem",
        "etcd.pem": "etcd.pem",
        "etcd-key.pem": "etcd-key.pem",
        f"{KUBEASZ_NODE_NAME}-kubelet.pem": "kubelet.pem",
        f"{KUBEASZ_NODE_NAME}-kubelet-key.pem": "kubelet-key.pem",
    }
    for source, target in copies.items():
        shutil.copyfile(work / source, ssl / target)
        (ssl / target).chmod(0o600 if target.endswith("-key.pem") else 0o644)
    server = f"https://{KUBEASZ_MASTERS[0]}:6443"
    ca = work / "ca.pem"
    kubeconfigs = {
        "kubelet.kubeconfig": (
            f"system:node:{KUBEASZ_NODE_NAME}",
            f"{KUBEASZ_NODE_NAME}-kubelet",
        ),
        "kube-proxy.kubeconfig": ("kube-proxy", "kube-proxy"),
        "kube-controller-manager.kubeconfig": (
            "system:kube-controller-manager",
            "kube-controller-manager",
        ),
        "kube-scheduler.kubeconfig": ("system:kube-scheduler", "kube-scheduler"),
    }
    for file_name, (user, stem) in kubeconfigs.items():
        _kubectl_kubeconfig(
            kubectl,
            root / file_name,
            user,
            ca,
            work / f"{stem}.pem",
            work / f"{stem}-key.pem",
            server,
        )
    return root


# -- kubespray host-mode etcd -------------------------------------------------------------------


def kubespray_openssl_conf() -> str:
    """roles/etcd/templates/openssl.conf.j2 rendered for three etcd members."""
    lines = [
        "[req]",
        "req_extensions = v3_req",
        "distinguished_name = req_distinguished_name",
        "",
        "[req_distinguished_name]",
        "",
        "[ v3_req ]",
        "basicConstraints = CA:FALSE",
        "keyUsage = nonRepudiation, digitalSignature, keyEncipherment",
        "subjectAltName = @alt_names",
        "",
        "[ ssl_client ]",
        "extendedKeyUsage = clientAuth, serverAuth",
        "basicConstraints = CA:FALSE",
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid,issuer",
        "subjectAltName = @alt_names",
        "",
        "[ v3_ca ]",
        "basicConstraints = CA:TRUE",
        "keyUsage = nonRepudiation, digitalSignature, keyEncipherment",
        "subjectAltName = @alt_names",
        "authorityKeyIdentifier=keyid:always,issuer",
        "",
        "[alt_names]",
        "DNS.1 = localhost",
    ]
    for number, host in enumerate(KUBESPRAY_ETCD, start=2):
        lines.append(f"DNS.{number} = {host}")
    for number, address in enumerate(KUBESPRAY_ETCD.values(), start=1):
        lines.append(f"IP.{number} = {address}")
    lines.append(f"IP.{len(KUBESPRAY_ETCD) + 1} = 127.0.0.1")
    return "\n".join(lines) + "\n"


def kubespray_issue(
    ssl: Path, work: Path, kind: str, host: str, *, days: int = 36500, openssl: str = ""
) -> None:
    """make-ssl-etcd.sh.j2's three commands for one `member`, `admin` or `node` certificate,
    signed by the ca.pem/ca-key.pem in `ssl`, installed into `ssl`."""
    openssl = openssl or _tool("openssl")
    cn = f"etcd-{kind}-{host.split('.')[0]}"
    stem = f"{kind}-{host}"
    extra = ["-config", "openssl.conf"] if kind == "member" else []
    _run([openssl, "genrsa", "-out", f"{stem}-key.pem", "2048"], work)
    _run(
        [openssl, "req", "-sha256", "-new", "-key", f"{stem}-key.pem", "-out", f"{stem}.csr"]
        + ["-subj", f"/CN={cn}", *extra],
        work,
    )
    _run(
        [openssl, "x509", "-sha256", "-req", "-in", f"{stem}.csr", "-CA", str(ssl / "ca.pem")]
        + ["-CAkey", str(ssl / "ca-key.pem"), "-CAcreateserial", "-out", f"{stem}.pem"]
        + ["-days", str(days), "-extensions", "ssl_client", "-extfile", "openssl.conf"],
        work,
    )
    for name in (f"{stem}.pem", f"{stem}-key.pem"):
        shutil.move(work / name, ssl / name)
    (ssl / f"{stem}-key.pem").chmod(0o600)
    (ssl / f"{stem}.pem").chmod(0o644)


def build_kubespray_etcd(ssl: Path, work: Path) -> Path:
    """/etc/ssl/etcd/ssl on the first etcd member, as make-ssl-etcd.sh leaves it (every member's
    member- and admin- pair, every node's node- pair)."""
    openssl = _tool("openssl")
    work.mkdir(parents=True, exist_ok=True)
    ssl.mkdir(parents=True, exist_ok=True)
    ssl.chmod(0o700)  # kubespray's etcd_cert_dir_mode
    (work / "openssl.conf").write_text(kubespray_openssl_conf())
    _run([openssl, "genrsa", "-out", "ca-key.pem", "2048"], work)
    _run(
        [openssl, "req", "-sha256", "-x509", "-new", "-nodes", "-key", "ca-key.pem"]
        + ["-days", "36500", "-out", "ca.pem", "-subj", "/CN=etcd-ca"],
        work,
    )
    shutil.move(work / "ca.pem", ssl / "ca.pem")
    shutil.move(work / "ca-key.pem", ssl / "ca-key.pem")
    (ssl / "ca-key.pem").chmod(0o600)
    for host in KUBESPRAY_ETCD:
        kubespray_issue(ssl, work, "member", host, openssl=openssl)
        kubespray_issue(ssl, work, "admin", host, openssl=openssl)
    for host in KUBESPRAY_NODES:
        kubespray_issue(ssl, work, "node", host, openssl=openssl)
    return ssl


# -- Kubernetes The Hard Way -------------------------------------------------------------------

_KTHW_PLACE = "C  = US\nST = Washington\nL  = Seattle\n"


def _kthw_section(
    section: str, cn: str, o: str | None, eku: str, san: str | None, comment: str
) -> str:
    """One certificate's two sections of ca.conf, as the guide writes them."""
    extensions = f"{section}_req_extensions" if san else "default_req_extensions"
    text = (
        f"[{section}]\ndistinguished_name = {section}_distinguished_name\nprompt             = "
        f"no\nreq_extensions     = {extensions}\n\n"
    )
    if san:
        text += (
            f"[{section}_req_extensions]\nbasicConstraints     = CA:FALSE\nextendedKeyUsage     ="
            f" {eku}\nkeyUsage             = critical, digitalSignature, keyEncipherment\n"
            f'nsCertType           = client\nnsComment            = "{comment}"\n'
            f"subjectAltName       = {san}\nsubjectKeyIdentifier = hash\n\n"
        )
    text += f"[{section}_distinguished_name]\nCN = {cn}\n"
    if o:
        text += f"O  = {o}\n"
    if san:
        text += _KTHW_PLACE
    return text + "\n"


def kthw_ca_conf() -> str:
    """The guide's ca.conf (kelseyhightower/kubernetes-the-hard-way, ca.conf)."""
    text = (
        "[req]\ndistinguished_name = req_distinguished_name\nprompt             = no\n"
        "x509_extensions    = ca_x509_extensions\n\n[ca_x509_extensions]\n"
        "basicConstraints = CA:TRUE\nkeyUsage         = cRLSign, keyCertSign\n\n"
        "[req_distinguished_name]\n" + _KTHW_PLACE + "CN  = CA\n\n"
    )
    text += _kthw_section("admin", "admin", "system:masters", "", None, "")
    text += _kthw_section("service-accounts", "service-accounts", None, "", None, "")
    both = "clientAuth, serverAuth"
    for node in KTHW_NODES:
        text += _kthw_section(
            node, f"system:node:{node}", "system:nodes", both, f"DNS:{node}, IP:127.0.0.1", node
        )
    text += _kthw_section(
        "kube-proxy",
        "system:kube-proxy",
        "system:node-proxier",
        both,
        "DNS:kube-proxy, IP:127.0.0.1",
        "Kube Proxy Certificate",
    )
    text += _kthw_section(
        "kube-controller-manager",
        "system:kube-controller-manager",
        "system:kube-controller-manager",
        both,
        "DNS:kube-controller-manager, IP:127.0.0.1",
        "Kube Controller Manager Certificate",
    )
    text += _kthw_section(
        "kube-scheduler",
        "system:kube-scheduler",
        "system:system:kube-scheduler",  # sic: the guide's own O
        both,
        "DNS:kube-scheduler, IP:127.0.0.1",
        "Kube Scheduler Certificate",
    )
    text += _kthw_section(
        "kube-api-server",
        "kubernetes",
        None,
        both,
        "@kube-api-server_alt_names",
        "Kube API Server Certificate",
    )
    text += (
        "[kube-api-server_alt_names]\nIP.0  = 127.0.0.1\nIP.1  = 10.32.0.1\nDNS.0 = kubernetes\n"
        "DNS.1 = kubernetes.default\nDNS.2 = kubernetes.default.svc\n"
        "DNS.3 = kubernetes.default.svc.cluster\nDNS.4 = kubernetes.svc.cluster.local\n"
        "DNS.5 = server.kubernetes.local\nDNS.6 = api-server.kubernetes.local\n\n"
        "[default_req_extensions]\nbasicConstraints     = CA:FALSE\n"
        "extendedKeyUsage     = clientAuth\n"
        "keyUsage             = critical, digitalSignature, keyEncipherment\n"
        'nsCertType           = client\nnsComment            = "Admin Client Certificate"\n'
        "subjectKeyIdentifier = hash\n"
    )
    return text


KTHW_CERTS = (
    "admin",
    *KTHW_NODES,
    "kube-proxy",
    "kube-scheduler",
    "kube-controller-manager",
    "kube-api-server",
    "service-accounts",
)


def build_kthw(root: Path) -> Path:
    """The jumpbox's directory after the guide's "Provisioning a CA and Generating TLS
    Certificates" and "Generating Kubernetes Configuration Files" labs."""
    openssl, kubectl = _tool("openssl"), _tool("kubectl")
    root.mkdir(parents=True, exist_ok=True)
    (root / "ca.conf").write_text(kthw_ca_conf())
    _run([openssl, "genrsa", "-out", "ca.key", "2048"], root)
    _run(
        [openssl, "req", "-x509", "-new", "-sha512", "-noenc", "-key", "ca.key", "-days"]
        + ["3653", "-config", "ca.conf", "-out", "ca.crt"],
        root,
    )
    for name in KTHW_CERTS:
        _run([openssl, "genrsa", "-out", f"{name}.key", "2048"], root)
        _run(
            [openssl, "req", "-new", "-key", f"{name}.key", "-sha256", "-config", "ca.conf"]
            + ["-section", name, "-out", f"{name}.csr"],
            root,
        )
        _run(
            [openssl, "x509", "-req", "-days", "3653", "-in", f"{name}.csr", "-copy_extensions"]
            + ["copyall", "-sha256", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"]
            + ["-out", f"{name}.crt"],
            root,
        )
    server = "https://server.kubernetes.local:6443"
    users = {node: f"system:node:{node}" for node in KTHW_NODES}
    users |= {
        "kube-proxy": "system:kube-proxy",
        "kube-controller-manager": "system:kube-controller-manager",
        "kube-scheduler": "system:kube-scheduler",
        "admin": "admin",
    }
    for stem, user in users.items():
        _kubectl_kubeconfig(
            kubectl,
            root / f"{stem}.kubeconfig",
            user,
            root / "ca.crt",
            root / f"{stem}.crt",
            root / f"{stem}.key",
            "https://127.0.0.1:6443" if stem != "kube-proxy" and "node" not in stem else server,
        )
    return root


# -- k3s / RKE2 server/tls ---------------------------------------------------------------------


@dataclass(frozen=True)
class GoPair:
    """A certutil-made certificate and its key."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _go_ca(cn: str) -> GoPair:
    """certutil.NewSelfSignedCACert: serial 0, 10 years, KU digital signature + key encipherment
    + cert sign, an ECDSA P-256 key. cryptography refuses to sign serial 0, so openssl makes it."""
    openssl = _tool("openssl")
    key = ec.generate_private_key(ec.SECP256R1())
    with tempfile.TemporaryDirectory() as work:
        Path(work, "ca.key").write_bytes(_key(key))
        _run(
            [openssl, "req", "-x509", "-new", "-key", "ca.key", "-set_serial", "0", "-days"]
            + ["3650", "-subj", f"/CN={cn}", "-sha256", "-out", "ca.crt"]
            + ["-addext", "basicConstraints=critical,CA:TRUE"]
            + ["-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"],
            Path(work),
        )
        with warnings.catch_warnings():  # "serial number which wasn't positive": that is k3s's
            warnings.simplefilter("ignore")
            cert = x509.load_pem_x509_certificate(Path(work, "ca.crt").read_bytes())
    return GoPair(key, cert)


def _go_leaf(
    ca: GoPair,
    cn: str,
    orgs: tuple[str, ...] = (),
    usages: tuple[x509.ObjectIdentifier, ...] = (ExtendedKeyUsageOID.CLIENT_AUTH,),
    sans: tuple[str, ...] = (),
    *,
    start: datetime | None = None,
    days: int = 365,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> GoPair:
    """certutil.NewSignedCert: random serial, KU key encipherment + digital signature, the EKUs,
    AKI = the CA's SKI, the SANs split into DNS names and IPs (a new key unless given one)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    now = start or datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
    )
    if sans:
        names: list[x509.GeneralName] = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return GoPair(key, builder.sign(ca.key, hashes.SHA256()))


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def write_go_leaf(tls: Path, stem: str, leaf: GoPair, ca: GoPair) -> None:
    """certutil.WriteCert(certFile, EncodeCertsPEM(cert, caCerts)) and WriteKey: the leaf with
    its CA appended (0644), the key (0600)."""
    _write(tls / f"{stem}.crt", _pem(leaf.cert) + _pem(ca.cert), 0o644)
    _write(tls / f"{stem}.key", _key(leaf.key), 0o600)


def _write_go_ca(tls: Path, stem: str, ca: GoPair) -> None:
    _write(tls / f"{stem}.crt", _pem(ca.cert), 0o644)
    _write(tls / f"{stem}.key", _key(ca.key), 0o600)


def _go_kubeconfig(path: Path, url: str, ca: Path, cert: Path, key: Path) -> None:
    """deps.go's kubeconfigTemplate, 0600."""
    text = (
        f"apiVersion: v1\nclusters:\n- cluster:\n    server: {url}\n    certificate-authority: "
        f"{ca}\n  name: local\ncontexts:\n- context:\n    cluster: local\n    namespace: default\n"
        "    user: user\n  name: Default\ncurrent-context: Default\nkind: Config\n"
        f"preferences: {{}}\nusers:\n- name: user\n  user:\n    client-certificate: {cert}\n"
        f"    client-key: {key}\n"
    )
    _write(path, text.encode(), 0o600)


def build_rancher_server(server: Path, program: str = "rke2") -> Path:
    """/var/lib/rancher/<program>/server as genCerts/genServiceAccount leave it (`server` is
    that directory; tls/ and cred/ below it)."""
    tls, cred = server / "tls", server / "cred"
    stamp = int(time.time())
    client_ca = _go_ca(f"{program}-client-ca@{stamp}")
    server_ca = _go_ca(f"{program}-server-ca@{stamp}")
    request_ca = _go_ca(f"{program}-request-header-ca@{stamp}")
    for stem, ca in (("client-ca", client_ca), ("server-ca", server_ca)):
        _write_go_ca(tls, stem, ca)
        _write(tls / f"{stem}.nochain.crt", _pem(ca.cert), 0o644)
    _write_go_ca(tls, "request-header-ca", request_ca)
    masters = ("system:masters",)
    clients = {
        "client-admin": ("system:admin", masters, "admin"),
        "client-supervisor": (f"system:{program}-supervisor", masters, "supervisor"),
        "client-controller": ("system:kube-controller-manager", (), "controller"),
        "client-scheduler": ("system:kube-scheduler", (), "scheduler"),
        "client-kube-apiserver": ("system:apiserver", masters, "api-server"),
        "client-kube-proxy": ("system:kube-proxy", (), None),
        f"client-{program}-controller": (f"system:{program}-controller", (), None),
        f"client-{program}-cloud-controller": (
            f"{program}-cloud-controller-manager",
            (),
            "cloud-controller",
        ),
    }
    url = "https://127.0.0.1:6443"
    for stem, (cn, orgs, kubeconfig) in clients.items():
        write_go_leaf(tls, stem, _go_leaf(client_ca, cn, orgs), client_ca)
        if kubeconfig:
            _go_kubeconfig(
                cred / f"{kubeconfig}.kubeconfig",
                url,
                tls / "server-ca.crt",
                tls / f"{stem}.crt",
                tls / f"{stem}.key",
            )
    _write(tls / "client-kubelet.key", _key(ec.generate_private_key(ec.SECP256R1())), 0o600)
    serving_sans = (*_KUBERNETES_NAMES, *rancher_sans())
    serving = _go_leaf(
        server_ca, "kube-apiserver", (), (ExtendedKeyUsageOID.SERVER_AUTH,), serving_sans
    )
    write_go_leaf(tls, "serving-kube-apiserver", serving, server_ca)
    _write(tls / "serving-kubelet.key", _key(ec.generate_private_key(ec.SECP256R1())), 0o600)
    proxy = _go_leaf(request_ca, "system:auth-proxy")
    write_go_leaf(tls, "client-auth-proxy", proxy, request_ca)
    etcd = tls / "etcd"
    etcd_server_ca = _go_ca(f"etcd-server-ca@{stamp}")
    etcd_peer_ca = _go_ca(f"etcd-peer-ca@{stamp}")
    _write_go_ca(etcd, "server-ca", etcd_server_ca)
    _write_go_ca(etcd, "peer-ca", etcd_peer_ca)
    both = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
    etcd_sans = ("kine.sock", *rancher_sans())
    write_go_leaf(etcd, "client", _go_leaf(etcd_server_ca, "etcd-client"), etcd_server_ca)
    write_go_leaf(
        etcd,
        "peer-server-client",
        _go_leaf(etcd_peer_ca, "etcd-peer", (), both, etcd_sans),
        etcd_peer_ca,
    )
    write_go_leaf(
        etcd,
        "server-client",
        _go_leaf(etcd_server_ca, "etcd-server", (), both, etcd_sans),
        etcd_server_ca,
    )
    service = ec.generate_private_key(ec.SECP256R1())
    _write(tls / "service.key", _key(service), 0o600)
    _write(tls / "service.current.key", _key(service), 0o600)
    write_dynamic_cert(tls / "dynamic-cert.json", program, server_ca)
    for folder in (server, tls, etcd, cred):
        folder.chmod(0o700)
    return server


def dynamic_cert_secret(
    program: str,
    ca: GoPair,
    sans: tuple[str, ...] = (),
    *,
    start: datetime | None = None,
    days: int = 365,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> dict[str, object]:
    """The Secret dynamiclistener keeps (factory.generateCert): CN and O the program, EKU server
    auth, the SANs one `listener.cattle.io/cn-<name>` annotation each (sorted, DNS names then
    IPs), `tls.crt` the leaf with the server CA appended (MarshalChain), `tls.key` its key."""
    names = sorted(sans or (*_KUBERNETES_NAMES, *rancher_sans()))
    dns = [n for n in names if not _is_ip(n)]
    ips = [n for n in names if _is_ip(n)]
    leaf = _go_leaf(
        ca,
        program,
        (program,),
        (ExtendedKeyUsageOID.SERVER_AUTH,),
        (*dns, *ips),
        start=start,
        days=days,
    )
    pem_key = _key(leaf.key if key is None else key)
    annotations = {_cn_annotation(n): n for n in names}
    fingerprint = hashlib.sha1(leaf.cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    annotations["listener.cattle.io/fingerprint"] = "SHA1=" + fingerprint.upper()
    return {
        "metadata": {
            "name": f"{program}-serving",
            "namespace": "kube-system",
            "creationTimestamp": None,
            "annotations": annotations,
        },
        "data": {
            "tls.crt": base64.b64encode(_pem(leaf.cert) + _pem(ca.cert)).decode(),
            "tls.key": base64.b64encode(pem_key).decode(),
        },
        "type": "kubernetes.io/tls",
    }


def write_dynamic_cert(path: Path, program: str, ca: GoPair, **options: object) -> None:
    """storage/file's Update: json.NewEncoder(...).Encode(secret) (one line and a newline),
    mode 0600."""
    secret = dynamic_cert_secret(program, ca, **options)  # type: ignore[arg-type]
    _write(path, (json.dumps(secret, separators=(",", ":")) + "\n").encode(), 0o600)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _cn_annotation(cn: str) -> str:
    """factory.getAnnotationKey: the name itself when short and plain, else cut and hashed."""
    key = "listener.cattle.io/cn-" + cn
    if len(key) < 64 and ":" not in key and "*" not in key:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:6]
    return key.replace(":", "_").replace("*", "_")[:56] + "-" + digest


def load_go_pair(cert_file: Path, key_file: Path) -> GoPair:
    """The first certificate of a file deps.go wrote, and its key."""
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    with warnings.catch_warnings():  # serial 0 CAs
        warnings.simplefilter("ignore")
        cert = x509.load_pem_x509_certificates(cert_file.read_bytes())[0]
    return GoPair(key, cert)


def _split_cert_key(data: bytes) -> tuple[bytes, bytes]:
    """The agent's splitCertKeyPEM: the certificate blocks, then the private key blocks."""
    certs, keys = b"", b""
    for block in data.split(b"-----END ")[:-1]:
        begin = block.index(b"-----BEGIN ")
        label = block[begin + 11 : block.index(b"-----", begin + 11)]
        text = block[begin:] + b"-----END " + label + b"-----\n"
        if b"PRIVATE KEY" in label:
            keys += text
        else:
            certs += text
    return certs, keys


def build_rancher_agent(
    agent: Path, server: Path, program: str = "rke2", node: tuple[str, str] = RANCHER_AGENT
) -> Path:
    """/var/lib/rancher/<program>/agent after the agent's config.get (pkg/agent/config): what the
    supervisor's handlers (pkg/server/router.go) answer, written as the agent writes it.

    - client-ca.crt, server-ca.crt: the server's files as served (getHostFile), 0600;
    - serving-kubelet.crt: servingKubeletCert — CN the node name, EKU server auth, DNS the node
      name and localhost, IPs 127.0.0.1 and the node's, signed by the server CA with its chain;
      its key is the server's tls/serving-kubelet.key;
    - client-kubelet.crt: clientKubeletCert — CN system:node:<name>, O system:nodes, signed by
      the client CA; its key is the server's tls/client-kubelet.key;
    - client-kube-proxy and client-<program>-controller: the server's files (fileHandler of the
      cert and its key), split into .crt and .key;
    - kubelet.kubeconfig, kubeproxy.kubeconfig, <program>controller.kubeconfig: deps.KubeConfig
      with the agent's load-balancer URL and the files by absolute path.
    """
    tls = server / "tls"
    name, address = node
    agent.mkdir(parents=True, exist_ok=True)
    agent.chmod(0o755)
    for ca_file in ("client-ca.crt", "server-ca.crt"):
        _write(agent / ca_file, (tls / ca_file).read_bytes(), 0o600)
    server_ca = load_go_pair(tls / "server-ca.crt", tls / "server-ca.key")
    client_ca = load_go_pair(tls / "client-ca.crt", tls / "client-ca.key")
    for stem, ca, cn, orgs, usage, sans, key_file in (
        (
            "serving-kubelet",
            server_ca,
            name,
            (),
            ExtendedKeyUsageOID.SERVER_AUTH,
            (name, "localhost", "127.0.0.1", address),
            "serving-kubelet.key",
        ),
        (
            "client-kubelet",
            client_ca,
            f"system:node:{name}",
            ("system:nodes",),
            ExtendedKeyUsageOID.CLIENT_AUTH,
            (),
            "client-kubelet.key",
        ),
    ):
        key_bytes = (tls / key_file).read_bytes()
        key = serialization.load_pem_private_key(key_bytes, None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        leaf = _go_leaf(ca, cn, orgs, (usage,), sans, key=key)
        _write(agent / f"{stem}.crt", _pem(leaf.cert) + _pem(ca.cert), 0o600)
        _write(agent / f"{stem}.key", key_bytes, 0o600)
    for stem in ("client-kube-proxy", f"client-{program}-controller"):
        served = (tls / f"{stem}.crt").read_bytes() + (tls / f"{stem}.key").read_bytes()
        cert_pem, key_pem = _split_cert_key(served)
        _write(agent / f"{stem}.crt", cert_pem, 0o600)
        _write(agent / f"{stem}.key", key_pem, 0o600)
    url = "https://127.0.0.1:6443"  # the agent's client load balancer
    for kubeconfig, stem in (
        ("kubelet.kubeconfig", "client-kubelet"),
        ("kubeproxy.kubeconfig", "client-kube-proxy"),
        (f"{program}controller.kubeconfig", f"client-{program}-controller"),
    ):
        _go_kubeconfig(
            agent / kubeconfig,
            url,
            agent / "server-ca.crt",
            agent / f"{stem}.crt",
            agent / f"{stem}.key",
        )
    return agent
