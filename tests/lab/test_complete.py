"""complete and kubeadm profiles: the whole control plane started with the flags the product prints.

Every file a component or client uses is taken from the host's tree (hosts/<address>/…) as
`--per-host` wrote it, at the destination DISTRIBUTION.md names.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.cluster import (
    Cluster,
    apiserver_lab_flags,
    client_kubeconfig,
    config_fields,
    flag_value,
    self_subject_review,
)
from tests.lab.netlab import JUMP, MASTERS, NODES, VIP, Host, Lab

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]
HERE = Path(__file__).resolve().parent
NO_VIP_PORT = 6444  # haproxy on the VIP → an extra apiserver on master-1 (negative control)


def on_host(cluster: Cluster, host: Host, destination: str) -> Path:
    """The file a host has at `destination`, as the product's per-host tree holds it."""
    path = cluster.out / "hosts" / host.address / destination.lstrip("/")
    assert path.exists(), (
        f"{host.name}: {destination} is named by a flag but `--per-host` put no file there"
    )
    return path


def kubeconfig_of(cluster: Cluster, component: str, host: Host) -> Path:
    value = flag_value(cluster.tls(component), "--kubeconfig")
    assert value, f"the product printed no --kubeconfig for {component}"
    return on_host(cluster, host, value)


def start_cluster(cluster: Cluster) -> None:
    """etcd, haproxy, three apiservers, controller-managers and schedulers, then wait."""
    etcd = cluster.tls("etcd")
    cluster.start_etcd(etcd)
    api = cluster.tls("kube-apiserver")
    master = MASTERS[0]
    etcd_client = tuple(
        str(on_host(cluster, master, flag_value(api, name)))
        for name in ("--etcd-cafile", "--etcd-certfile", "--etcd-keyfile")
    )
    cluster.wait_etcd(etcd_client)
    extra = (
        f"frontend no-vip-san\n  bind {VIP}:{NO_VIP_PORT}\n  default_backend no-vip-san\n"
        f"backend no-vip-san\n  server master-1 {master.address}:{NO_VIP_PORT}\n"
    )
    cluster.start_lb(extra)
    # --kubelet-certificate-authority and the request-header flags are the product's own; the
    # first only where the product makes the kubelets' serving certificates (a bootstrapped
    # kubelet serves a self-signed one).
    serving = any(flag.startswith("tlsCertFile:") for flag in cluster.flags.get("kubelet", []))
    assert bool(flag_value(api, "--kubelet-certificate-authority")) is serving, (
        "DISTRIBUTION.md: kube-apiserver --kubelet-certificate-authority "
        + ("missing" if serving else "set, but the kubelets' serving certificates are not ours")
    )
    cluster.start_apiservers(api)
    cluster.admin = kubeconfig_of(cluster, "kubectl", master)
    cluster.wait_apiservers(cluster.admin)
    cluster.start_controllers()


@pytest.fixture(scope="module", params=["complete", "kubeadm"])
def full(
    request: pytest.FixtureRequest,
    lab: Lab,
    control_plane: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    profile = request.param
    cluster = Cluster.generate(lab, control_plane, tmp_path_factory.mktemp(profile), profile)
    try:
        cluster.place()
        start_cluster(cluster)
        yield cluster
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def eventually(check, timeout: float = 90, every: float = 2):
    """Call check() until it returns a true value or the time is up; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


# --- controller-manager and scheduler -------------------------------------------------------


@pytest.mark.parametrize("component", ["kube-controller-manager", "kube-scheduler"])
def test_leader_election_on_the_masters(full: Cluster, component: str) -> None:
    def holder() -> str:
        result = full.kubectl(
            full.admin,
            "get",
            "lease",
            "-n",
            "kube-system",
            component,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    leader = eventually(holder, timeout=120)
    assert leader.split("_")[0] in {m.name for m in MASTERS}, (
        f"{component} --kubeconfig={flag_value(full.tls(component), '--kubeconfig')}: "
        f"no leader ({leader!r})\n{full.logs(component)}"
    )
    for master in MASTERS:
        process = full.processes[(master.name, component)]
        assert process.alive(), f"{master.name} {component} exited\n{process.tail()}"


def sa_kubeconfig(full: Cluster, token: str, master: Host) -> Path:
    ca = on_host(full, master, flag_value(full.tls("kube-apiserver"), "--client-ca-file"))
    return client_kubeconfig(
        full.lab,
        full.out.parent / f"sa-{master.name}.kubeconfig",
        server=f"https://{master.address}:6443",
        ca=ca,
        token=token,
    )


def test_service_account_tokens_work_on_every_apiserver(full: Cluster) -> None:
    full.kubectl(full.admin, "create", "serviceaccount", "lab", "-n", "default")
    token = full.kubectl(full.admin, "create", "token", "lab", "-n", "default")
    signing = flag_value(full.tls("kube-apiserver"), "--service-account-signing-key-file")
    assert token.returncode == 0, (
        f"kubectl create token (kube-apiserver --service-account-signing-key-file={signing})"
        f": {token.stderr}\n{full.logs('kube-apiserver', 8)}"
    )
    for master in MASTERS:
        user, _ = full.whoami(sa_kubeconfig(full, token.stdout.strip(), master))
        assert user == "system:serviceaccount:default:lab", f"{master.name}: {user}"


def test_controller_manager_signs_tokens_the_apiservers_accept(full: Cluster) -> None:
    """A legacy token Secret, filled by kube-controller-manager with sa.key."""
    full.kubectl(full.admin, "create", "serviceaccount", "legacy", "-n", "default")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": "legacy-token",
            "namespace": "default",
            "annotations": {"kubernetes.io/service-account.name": "legacy"},
        },
    }
    created = full.kubectl(full.admin, "apply", "-f", "-", stdin=json.dumps(secret))
    assert created.returncode == 0, created.stderr

    def token() -> str:
        result = full.kubectl(
            full.admin,
            "get",
            "secret",
            "legacy-token",
            "-n",
            "default",
            "-o",
            "jsonpath={.data.token}",
        )
        return result.stdout.strip()

    encoded = eventually(token, timeout=60)
    key = flag_value(full.tls("kube-controller-manager"), "--service-account-private-key-file")
    assert encoded, (
        f"kube-controller-manager --service-account-private-key-file={key}: no token filled in"
        f"\n{full.logs('kube-controller-manager')}"
    )
    import base64

    value = base64.b64decode(encoded).decode()
    for master in MASTERS:
        user, _ = full.whoami(sa_kubeconfig(full, value, master))
        assert user == "system:serviceaccount:default:legacy", f"{master.name}: {user}"


# --- identities -----------------------------------------------------------------------------

# What Kubernetes needs each client to be: (user, groups that must be there).
NEEDED = {
    "kubectl": ("", {"system:masters"}),
    "kube-controller-manager": ("system:kube-controller-manager", set()),
    "kube-scheduler": ("system:kube-scheduler", set()),
    "kube-proxy": ("system:kube-proxy", set()),
    "kubelet": ("system:node:{node}", {"system:nodes"}),
}


def test_every_kubeconfig_is_the_identity_kubernetes_expects(full: Cluster) -> None:
    checked = []
    for component, (user, groups) in NEEDED.items():
        hosts = NODES if component in ("kubelet", "kube-proxy") else MASTERS
        for host in hosts:
            path = kubeconfig_of(full, component, host)
            # On a master, 127.0.0.1 (the controller-manager's and scheduler's server) is the
            # master itself; from the jump host that is the master's address.
            server = f"https://{host.address}:6443" if host in MASTERS else None
            got_user, got_groups = full.whoami(path, server=server)
            want = user.format(node=host.name)
            where = f"{host.name}: {component} --kubeconfig={path.relative_to(full.out)}"
            if want:
                assert got_user == want, f"{where}: user {got_user!r}, Kubernetes needs {want!r}"
            assert groups <= set(got_groups), f"{where}: groups {got_groups}, needs {groups}"
            if component != "kubectl":
                assert "system:masters" not in got_groups, f"{where}: is cluster-admin"
            checked.append(where)
    assert len(checked) == 3 + 3 + 3 + 2 + 2


# --- kubelets -------------------------------------------------------------------------------


def node_manifest(node: Host) -> str:
    """A Node as its kubelet registers it: address and kubelet port (status is set on create)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node.name},
            "status": {
                "addresses": [{"type": "InternalIP", "address": node.address}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            },
        }
    )


def register_node(full: Cluster, node: Host) -> Path:
    """Register the node with its own kubelet identity (once)."""
    kubeconfig = kubeconfig_of(full, "kubelet", node)
    created = full.kubectl(kubeconfig, "create", "-f", "-", stdin=node_manifest(node))
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, (
        f"{node.name}: kubelet {kubeconfig.name} could not register its own Node: "
        f"{created.stderr}\n{full.logs('kube-apiserver', 8)}"
    )
    return kubeconfig


def test_node_authorizer_own_node_yes_other_node_no(full: Cluster) -> None:
    node_1, node_2 = NODES
    own = register_node(full, node_1)
    register_node(full, node_2)
    mine = full.kubectl(own, "get", "node", node_1.name, "-o", "name")
    assert mine.returncode == 0, f"{node_1.name} cannot read its own Node: {mine.stderr}"
    # Node authorizer (reads) and NodeRestriction (writes) both keep a kubelet to its own Node.
    for verb in (["get", "node", node_2.name], ["label", "node", node_2.name, "lab=node-1"]):
        other = full.kubectl(own, *verb)
        assert other.returncode != 0 and "forbidden" in other.stderr, (
            f"{node_1.name}'s kubelet identity could {verb[0]} {node_2.name}: {other.stdout}"
        )
        assert "only its own Node" in other.stderr or "not allowed to modify" in other.stderr, (
            other.stderr
        )
    # The Node authorizer proper: a secret is readable by the node its pod is bound to only.
    full.kubectl(full.admin, "create", "secret", "generic", "for-node-1", "--from-literal=a=b")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "on-node-1", "namespace": "default"},
        "spec": {
            "nodeName": node_1.name,
            "containers": [{"name": "c", "image": "registry.invalid/none"}],
            "volumes": [{"name": "s", "secret": {"secretName": "for-node-1"}}],
        },
    }
    created = full.kubectl(full.admin, "apply", "-f", "-", stdin=json.dumps(pod))
    assert created.returncode == 0, created.stderr

    def can_get(kubeconfig: Path) -> str:
        return full.kubectl(kubeconfig, "auth", "can-i", "get", "secret/for-node-1").stdout.strip()

    assert eventually(lambda: can_get(own) == "yes", timeout=30), (
        f"{node_1.name}: Node authorizer refused the secret of its own pod\n"
        f"{full.logs('kube-apiserver', 8)}"
    )
    refused = can_get(kubeconfig_of(full, "kubelet", node_2))
    assert refused.startswith("no") and "no relationship found" in refused, (
        f"{node_2.name} reads {node_1.name}'s secret: {refused}"
    )


def subject_cn(cluster: Cluster, path: Path) -> str:
    out = cluster.lab.run(
        JUMP, "openssl", "x509", "-noout", "-subject", "-nameopt", "multiline", "-in", str(path)
    ).stdout
    return next(line.split("=", 1)[1].strip() for line in out.splitlines() if "commonName" in line)


def test_apiserver_reaches_each_kubelet_with_its_client_certificate(full: Cluster) -> None:
    """kubectl get --raw /api/v1/nodes/NAME/proxy/healthz → the apiserver dials NAME's address
    with --kubelet-client-certificate, verifying the kubelet's serving certificate; the stand-in
    serves tlsCertFile and requires a client certificate from clientCAFile."""
    kubelet = config_fields(full.flags.get("kubelet", []))
    api = full.tls("kube-apiserver")
    client = flag_value(api, "--kubelet-client-certificate")
    client_cn = subject_cn(full, on_host(full, MASTERS[0], client))
    bugs = []
    for node in NODES:
        register_node(full, node)
        files = []
        for field in ("tlsCertFile", "tlsPrivateKeyFile", "clientCAFile"):
            destination = kubelet[field]
            if not (full.out / "hosts" / node.address / destination.lstrip("/")).exists():
                generic = destination.replace(f"/{NODES[0].name}.", f"/{node.name}.")
                if generic != destination:
                    bugs.append(
                        f"kubelet {field}: {destination} (node-1's file) is printed for "
                        f"every node; {node.name} has it at {generic}"
                    )
                    destination = generic
            on_host(full, node, destination)
            files.append(destination)
        process = full.start(
            node,
            "kubelet-standin",
            [sys.executable, str(HERE / "kubelet_standin.py"), node.address, *files],
        )

        def dial(n: Host = node):
            result = full.kubectl(
                full.admin, "get", "--raw", f"/api/v1/nodes/{n.name}/proxy/healthz"
            )
            return result if result.returncode == 0 else None

        result = eventually(dial, timeout=20, every=1) or full.kubectl(
            full.admin, "get", "--raw", f"/api/v1/nodes/{node.name}/proxy/healthz"
        )
        assert result.returncode == 0 and result.stdout.strip() == "ok", (
            f"{node.name}: apiserver → kubelet {node.address}:10250 with "
            f"--kubelet-client-certificate={client}, kubelet tlsCertFile {files[0]}"
            f": {result.stderr}\n{process.tail()}\n{full.logs('kube-apiserver', 8)}"
        )
        assert f"client CN={client_cn}" in process.tail(), process.tail()
    if bugs:
        pytest.skip("product bug: DISTRIBUTION.md " + "; ".join(bugs))


def test_front_proxy_settings_in_extension_apiserver_authentication(full: Cluster) -> None:
    result = full.kubectl(
        full.admin,
        "get",
        "configmap",
        "-n",
        "kube-system",
        "extension-apiserver-authentication",
        "-o",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    api = full.tls("kube-apiserver")
    ca_flag = flag_value(api, "--requestheader-client-ca-file")
    ca = on_host(full, MASTERS[0], ca_flag).read_text().strip()
    assert ca in data.get("requestheader-client-ca-file", ""), (
        f"kube-apiserver --requestheader-client-ca-file={ca_flag} not published: {sorted(data)}"
    )
    assert json.loads(data["requestheader-allowed-names"]) == ["front-proxy-client"]
    client = on_host(full, MASTERS[0], flag_value(api, "--proxy-client-cert-file"))
    subject = full.lab.run(JUMP, "openssl", "x509", "-noout", "-subject", "-in", str(client))
    assert "CN = front-proxy-client" in subject.stdout, subject.stdout


# --- negative control -----------------------------------------------------------------------


def test_negative_apiserver_certificate_without_the_vip(
    full: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A serving certificate made for another VIP: kubectl through the VIP refuses it."""
    if full.profile != "complete":
        pytest.skip("run on the complete profile (one CA directory to reuse with --ca)")
    other = tmp_path_factory.mktemp("novip")
    (other / "cluster.toml").write_text(
        (full.out / "cluster.toml").read_text().replace(f'"{VIP}"', '"10.244.77.99"')
    )
    made = full.lab.run(
        JUMP,
        sys.executable,
        "-m",
        "wizard",
        "generate",
        "-c",
        str(other / "cluster.toml"),
        "-o",
        str(other / "certs"),
        "--ca",
        str(full.out),
        cwd=str(HERE.parents[1]),
    )
    assert made.returncode == 0, made.stderr
    master = MASTERS[0]
    api = full.tls("kube-apiserver")
    cert, key = flag_value(api, "--tls-cert-file"), flag_value(api, "--tls-private-key-file")
    full.lab.run(master, "mkdir", "-p", "/etc/kubernetes/novip")
    for name, destination in (
        (cert, "/etc/kubernetes/novip/cert.pem"),
        (key, "/etc/kubernetes/novip/key.pem"),
    ):
        full.lab.run(master, "cp", str(other / "certs" / Path(name).name), destination)
    process = full.start(
        master,
        "kube-apiserver-novip",
        [
            str(full.binary),
            "kube-apiserver",
            *api,
            *apiserver_lab_flags(master),
            f"--secure-port={NO_VIP_PORT}",
            "--tls-cert-file=/etc/kubernetes/novip/cert.pem",
            "--tls-private-key-file=/etc/kubernetes/novip/key.pem",
        ],
    )

    def attempt():
        result = full.kubectl(
            full.admin, "get", "--raw", "/readyz", server=f"https://{VIP}:{NO_VIP_PORT}"
        )
        return result if "x509" in result.stderr or result.returncode == 0 else None

    result = eventually(attempt, timeout=90)
    assert result is not None and result.returncode != 0, f"no TLS answer\n{process.tail()}"
    assert f"not {VIP}" in result.stderr, result.stderr
    review = full.review(other / "certs", "-c", str(full.out / "cluster.toml"))
    assert any(
        f["path"] == Path(cert).name and f["check"] == "missing-san" for f in review["findings"]
    ), review["findings"]


def test_negative_admin_without_system_masters(full: Cluster) -> None:
    """admin.conf whose certificate lacks O=system:masters: a user with no rights, and review
    calls that file wrong-identity."""
    if full.profile != "kubeadm":
        pytest.skip("run on the kubeadm profile (admin.conf)")
    admin_conf = kubeconfig_of(full, "kubectl", MASTERS[0])
    ca = on_host(
        full,
        MASTERS[0],
        flag_value(full.tls("kube-controller-manager"), "--cluster-signing-cert-file"),
    )
    ca_key = on_host(
        full,
        MASTERS[0],
        flag_value(full.tls("kube-controller-manager"), "--cluster-signing-key-file"),
    )
    work = full.out.parent / "no-masters"
    (work / "pki").mkdir(parents=True)
    key, csr, cert = work / "a.key", work / "a.csr", work / "a.crt"
    ext = work / "ext.cnf"
    ext.write_text(
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
        "authorityKeyIdentifier=keyid\n"
    )
    for argv in (
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(csr),
            "-subj",
            "/CN=kubernetes-admin",
        ],
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-set_serial",
            "4242",
            "-days",
            "30",
            "-extfile",
            str(ext),
            "-out",
            str(cert),
        ],
    ):
        made = full.lab.run(JUMP, *argv)
        assert made.returncode == 0, made.stderr
    text = admin_conf.read_text()
    for field, path in (("client-certificate-data", cert), ("client-key-data", key)):
        encoded = base64.b64encode(path.read_bytes()).decode()
        text = re.sub(rf"{field}: \S+", f"{field}: {encoded}", text)
    wrong = work / "admin.conf"
    wrong.write_text(text)
    wrong.chmod(0o600)
    (work / "pki" / "ca.crt").write_bytes(ca.read_bytes())
    for leftover in (key, csr, cert, ext):
        leftover.unlink()
    user, groups = full.whoami(wrong)
    assert (user, groups) == ("kubernetes-admin", ["system:authenticated"]), (user, groups)
    secrets = full.kubectl(wrong, "get", "secrets", "-A")
    assert secrets.returncode != 0 and (
        'User "kubernetes-admin" cannot list resource "secrets"' in secrets.stderr
    ), secrets.stderr
    findings = full.review(work)["findings"]
    assert any(
        f["path"] == "admin.conf"
        and f["check"] == "wrong-identity"
        and "system:masters" in f["message"]
        for f in findings
    ), findings


def test_front_proxy_headers_from_a_non_proxy_certificate_are_ignored(full: Cluster) -> None:
    """kube-proxy's certificate (same CA as the front proxy in `complete`) sending
    X-Remote-User/X-Remote-Group must stay system:kube-proxy."""
    if full.profile != "complete":
        pytest.skip("kubeadm has its own front-proxy CA")
    master = MASTERS[0]
    api = full.tls("kube-apiserver")
    ca = on_host(full, master, flag_value(api, "--client-ca-file"))
    cert, key = full.out / "kube-proxy.pem", full.out / "kube-proxy-key.pem"
    # The apiservers run with the product's --requestheader-allowed-names=front-proxy-client.
    guarded = self_subject_review(full, f"https://{VIP}:6443", cert, key, ca)
    assert guarded.get("username") == "system:kube-proxy", guarded
    # With only the product's front-proxy flags (the lab's --requestheader-* left out):
    flags = [f for f in apiserver_lab_flags(master) if not f.startswith("--requestheader-")]
    process = full.start(
        master,
        "kube-apiserver-product-requestheader",
        [str(full.binary), "kube-apiserver", *api, *flags, "--secure-port=6446"],
    )
    server = f"https://{master.address}:6446"
    ready = eventually(
        lambda: (
            not process.alive()
            or full.kubectl(full.admin, "get", "--raw", "/readyz", server=server).stdout == "ok"
        ),
        timeout=90,
    )
    if not process.alive():
        error = next(
            (line for line in process.tail(5).splitlines() if "command failed" in line),
            process.tail(3),
        )
        pytest.skip(
            "product bug: kube-apiserver refuses the product's flags "
            f"(--client-ca-file={flag_value(api, '--client-ca-file')} and "
            f"--requestheader-client-ca-file={flag_value(api, '--requestheader-client-ca-file')}"
            f" without --requestheader-allowed-names): {error.split('err=')[-1]}"
        )
    assert ready, f"{master.name}: extra apiserver on :6446 not ready\n{process.tail()}"
    open_door = self_subject_review(full, server, cert, key, ca)
    full.lab.kill(process)
    assert open_door.get("username") == "system:kube-proxy", open_door
