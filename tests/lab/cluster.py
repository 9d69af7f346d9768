"""A real cluster in the lab: generate a set with the product, place it, start the components.

Only the product's stable interfaces are used: the CLI (`generate --per-host`, `review --json`),
the per-host trees under hosts/<address>/, the CSR JSON files, and the TLS flags that
DISTRIBUTION.md prints. Flags the product does not print (addresses, ports, etcd membership,
authorization modes…) come from ``LAB_FLAGS`` below, and are named so in failure messages.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab.netlab import ETCD, JUMP, LB, MASTERS, NODES, VIP, Host, Lab, Process

REPO = Path(__file__).resolve().parents[2]
SERVICE_CIDR = "10.254.0.0/16"
ISSUER = "https://kubernetes.default.svc.cluster.local"


def cluster_toml(
    profile: str,
    *,
    kubelet: str = "certificates",
    vip: str = VIP,
    masters: tuple[Host, ...] = tuple(MASTERS),
) -> str:
    """The lab's cluster.toml: its 3 etcd members, 3 masters (or those given), the VIP and (not
    classic) 2 nodes."""
    quoted = lambda hosts: ", ".join(f'"{h.address}"' for h in hosts)  # noqa: E731
    text = f'''profile = "{profile}"
{f'kubelet = "{kubelet}"' if profile != "classic" else ""}

[hosts]
etcd    = [{quoted(ETCD)}]
masters = [{quoted(masters)}]
vip     = ["{vip}"]

[network]
service_cidr   = "{SERVICE_CIDR}"
cluster_domain = "cluster.local"

[key]
algo = "ecdsa"
size = 256
'''
    if profile != "classic":
        for node in NODES:
            text += f'\n[[nodes]]\nname = "{node.name}"\naddress = "{node.address}"\n'
    return text


def parse_tls_flags(distribution_md: str) -> dict[str, list[str]]:
    """DISTRIBUTION.md's '# TLS flags' section: component → its flag lines, as printed."""
    flags: dict[str, list[str]] = {}
    section = distribution_md.split("\n# TLS flags\n", 1)
    if len(section) < 2:
        return flags
    for match in re.finditer(r"^## (\S+)\n\n```\n(.*?)\n```", section[1], re.M | re.S):
        flags[match.group(1)] = [line for line in match.group(2).splitlines() if line.strip()]
    return flags


def command_flags(lines: list[str]) -> list[str]:
    """The command-line flags among a component's lines (the rest are config-file fields)."""
    return [word for line in lines if line.startswith("--") for word in line.split()]


def config_fields(lines: list[str]) -> dict[str, str]:
    """The config-file fields among a component's lines (kubelet's `clientCAFile: …`)."""
    return dict(
        (k.strip(), v.strip())
        for k, _, v in (line.partition(":") for line in lines if not line.startswith("--"))
    )


def flag_value(flags: list[str], name: str) -> str | None:
    """The value of --name=value among flags, or None."""
    for flag in flags:
        if flag.startswith(f"{name}="):
            return flag.split("=", 1)[1]
    return None


ETCD_CLIENT_HTTP_PORT = 2382
"""Where the lab's members serve HTTP (/health, /metrics, /version): 2379 serves gRPC alone."""


@functools.cache
def lab_etcd() -> Path:
    """The lab's etcd (tests/lab/build_etcd.sh: the release the lab's Kubernetes is tested with),
    built by the `lab` fixture; Debian's etcd 3.4 stays for tests/interop."""
    script = Path(__file__).resolve().parent / "build_etcd.sh"
    run = subprocess.run([str(script), "--path"], capture_output=True, text=True, check=True)
    return Path(run.stdout.strip())


# The flags a real cluster needs beyond the TLS files: the product does not print these.
def etcd_lab_flags(member: Host, *, split_http: bool = True) -> list[str]:
    """Membership, addresses and ports. With split_http (the default) the client port 2379
    serves gRPC alone and HTTP has its own port: a stopping member then drains its gRPC
    clients (GracefulStop) instead of cutting requests in flight, which etcd does when gRPC
    and HTTP share a TLS port (grpc.Stop, etcd #8916; kubeadm's layout)."""
    cluster = ",".join(f"{m.name}=https://{m.address}:2380" for m in ETCD)
    http = (
        [
            f"--listen-client-http-urls=https://{member.address}:{ETCD_CLIENT_HTTP_PORT},"
            f"https://127.0.0.1:{ETCD_CLIENT_HTTP_PORT}"
        ]
        if split_http
        else []
    )
    return [
        f"--name={member.name}",
        "--data-dir=/var/lib/etcd",
        f"--listen-client-urls=https://{member.address}:2379,https://127.0.0.1:2379",
        *http,
        f"--advertise-client-urls=https://{member.address}:2379",
        f"--listen-peer-urls=https://{member.address}:2380",
        f"--initial-advertise-peer-urls=https://{member.address}:2380",
        f"--initial-cluster={cluster}",
        "--initial-cluster-state=new",
        "--initial-cluster-token=kcwlab",
        "--client-cert-auth",
        "--peer-client-cert-auth",
    ]


DEBIAN_ETCD = "/usr/bin/etcd"
"""Debian's etcd 3.4, for the tests that read its log words (doctor): one port, as it serves."""


def etcd_argv(
    member: Host, tls: list[str], *, split_http: bool = True, binary: str | None = None
) -> list[str]:
    """A member's command line: the lab's etcd (or `binary`), the TLS flags as the product
    printed them, then the lab's own flags."""
    return [binary or str(lab_etcd()), *tls, *etcd_lab_flags(member, split_http=split_http)]


def apiserver_lab_flags(master: Host) -> list[str]:
    return [
        f"--advertise-address={master.address}",
        # All addresses of the host (its eth0 and loopback): the product's controller-manager and
        # scheduler kubeconfigs name https://127.0.0.1:6443.
        "--bind-address=0.0.0.0",
        "--secure-port=6443",
        "--etcd-servers=" + ",".join(f"https://{m.address}:2379" for m in ETCD),
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        f"--service-account-issuer={ISSUER}",
        "--kubelet-preferred-address-types=InternalIP",
        "--profiling=false",
        "--v=1",
    ]


def controller_manager_lab_flags(master: Host) -> list[str]:
    return [
        f"--bind-address={master.address}",
        "--leader-elect=true",
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--controllers=*,bootstrapsigner,tokencleaner",
        "--v=1",
    ]


def scheduler_lab_flags(master: Host) -> list[str]:
    return [f"--bind-address={master.address}", "--leader-elect=true", "--v=1"]


@dataclass
class Cluster:
    """One generated set placed on the lab's hosts, and the components started from it."""

    lab: Lab
    out: Path
    binary: Path
    profile: str
    flags: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[tuple[str, str], Process] = field(default_factory=dict)

    # --- the product ---------------------------------------------------------------------

    @classmethod
    def generate(cls, lab: Lab, binary: Path, work: Path, profile: str, **toml) -> Cluster:
        """Run the product on the jump host: write cluster.toml, `generate --per-host`."""
        work.mkdir(parents=True, exist_ok=True)
        (work / "cluster.toml").write_text(cluster_toml(profile, **toml))
        out = work / "certs"
        result = lab.run(
            JUMP,
            *product_argv(
                "generate", "-c", str(work / "cluster.toml"), "-o", str(out), "--per-host"
            ),
            cwd=REPO,
        )
        assert result.returncode == 0, (
            f"jump: `generate --per-host` failed\n{result.stdout}{result.stderr}"
        )
        cluster = cls(lab, out, binary, profile)
        md = out / "DISTRIBUTION.md"
        cluster.flags = parse_tls_flags(md.read_text()) if md.exists() else {}
        return cluster

    def place(self) -> None:
        """Copy every host's tree from hosts/<address>/ onto that host (SSH comes later)."""
        for host in [*ETCD, *MASTERS, *NODES]:
            tree = self.out / "hosts" / host.address
            if tree.is_dir():
                self.lab.place(host, tree)

    def tls(self, component: str) -> list[str]:
        """The TLS flags the product printed for a component (command-line ones)."""
        return command_flags(self.flags.get(component, []))

    # --- components ----------------------------------------------------------------------

    def start(self, host: Host, name: str, argv: list[str]) -> Process:
        process = self.lab.spawn(host, name, *argv)
        self.processes[(host.name, name)] = process
        return process

    def start_etcd(
        self, tls: list[str], *, split_http: bool = True, binary: str | None = None
    ) -> None:
        for member in ETCD:
            argv = etcd_argv(member, tls, split_http=split_http, binary=binary)
            self.start(member, "etcd", argv)

    def start_lb(self, extra_frontends: str = "") -> None:
        servers = "\n".join(f"  server {m.name} {m.address}:6443" for m in MASTERS)
        config = f"""global
  maxconn 2000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend apiserver
  bind {VIP}:6443
  default_backend masters
backend masters
  balance roundrobin
{servers}
{extra_frontends}"""
        self.lab.write(LB, "/etc/haproxy/haproxy.cfg", config)
        self.start(LB, "haproxy", ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"])

    def start_apiservers(self, tls: list[str]) -> None:
        for master in MASTERS:
            self.start(
                master,
                "kube-apiserver",
                [str(self.binary), "kube-apiserver", *tls, *apiserver_lab_flags(master)],
            )

    def start_controllers(self) -> None:
        for master in MASTERS:
            self.start(
                master,
                "kube-controller-manager",
                [
                    str(self.binary),
                    "kube-controller-manager",
                    *self.tls("kube-controller-manager"),
                    *controller_manager_lab_flags(master),
                ],
            )
            self.start(
                master,
                "kube-scheduler",
                [
                    str(self.binary),
                    "kube-scheduler",
                    *self.tls("kube-scheduler"),
                    *scheduler_lab_flags(master),
                ],
            )

    def logs(self, component: str, lines: int = 20) -> str:
        """The log tails of every instance of a component, for assertion messages."""
        parts = []
        for (host, name), process in self.processes.items():
            if name == component:
                state = "running" if process.alive() else f"exited {process.popen.returncode}"
                parts.append(f"--- {host} {name} ({state}), {process.log}:\n{process.tail(lines)}")
        return "\n".join(parts)

    def wait_etcd(self, client: tuple[str, str, str], timeout: float = 90) -> None:
        """Wait until every member reports healthy through etcdctl on the jump host."""
        ca, cert, key = client
        endpoints = ",".join(f"https://{m.address}:2379" for m in ETCD)
        deadline = time.monotonic() + timeout
        result = None
        while time.monotonic() < deadline:
            result = self.lab.run(
                JUMP,
                "etcdctl",
                f"--endpoints={endpoints}",
                f"--cacert={ca}",
                f"--cert={cert}",
                f"--key={key}",
                "endpoint",
                "health",
                env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
            )
            if result.returncode == 0:
                return
            time.sleep(1)
        raise AssertionError(
            f"etcd members {[m.name for m in ETCD]} not healthy with {cert}:\n"
            f"{result.stdout if result else ''}{result.stderr if result else ''}\n"
            f"{self.logs('etcd')}"
        )

    def wait_apiservers(self, kubeconfig: Path, timeout: float = 240) -> None:
        """Wait until every apiserver answers /readyz on its own address and through the VIP."""
        deadline = time.monotonic() + timeout
        pending = [*[f"https://{m.address}:6443" for m in MASTERS], f"https://{VIP}:6443"]
        last = ""
        while pending and time.monotonic() < deadline:
            server = pending[0]
            result = self.kubectl(kubeconfig, "get", "--raw", "/readyz", server=server, timeout=20)
            if result.returncode == 0 and result.stdout.strip() == "ok":
                pending.pop(0)
                continue
            last = result.stdout + result.stderr
            dead = [p for p in self.processes.values() if not p.alive()]
            if dead:
                break
            time.sleep(2)
        assert not pending, (
            f"kube-apiserver not ready at {pending} with kubeconfig {kubeconfig}: {last}\n"
            f"{self.logs('kube-apiserver')}\n{self.logs('etcd', 5)}"
        )

    # --- clients -------------------------------------------------------------------------

    def kubectl(
        self,
        kubeconfig: Path,
        *args: str,
        server: str | None = None,
        timeout: float = 60,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """kubectl on the jump host with a kubeconfig (optionally another --server)."""
        argv = ["kubectl", f"--kubeconfig={kubeconfig}", "--request-timeout=20s"]
        if server:
            argv.append(f"--server={server}")
        return self.lab.run(JUMP, *argv, *args, timeout=timeout, input=stdin)

    def whoami(self, kubeconfig: Path, server: str | None = None) -> tuple[str, list[str]]:
        """(username, groups) the apiserver maps the kubeconfig's credentials to."""
        result = self.kubectl(kubeconfig, "auth", "whoami", "-o", "json", server=server)
        assert result.returncode == 0, (
            f"`kubectl --kubeconfig {kubeconfig} auth whoami` failed: {result.stderr}\n"
            f"{self.logs('kube-apiserver', 8)}"
        )
        info = json.loads(result.stdout)["status"]["userInfo"]
        return info["username"], sorted(info.get("groups", []))

    def review(self, directory: Path, *extra: str) -> dict:
        """The product's `review --json` of a directory."""
        result = self.lab.run(
            JUMP, *product_argv("review", str(directory), "--json", *extra), cwd=REPO
        )
        return json.loads(result.stdout)


def product_argv(*args: str) -> list[str]:
    """The product's CLI, run with this interpreter from the worktree."""
    return [sys.executable, "-m", "wizard", *args]


def client_kubeconfig(
    lab: Lab,
    path: Path,
    *,
    server: str,
    ca: Path,
    cert: Path | None = None,
    key: Path | None = None,
    token: str | None = None,
) -> Path:
    """A kubeconfig written with kubectl config (as the guide does for its four pairs)."""
    base = ["kubectl", f"--kubeconfig={path}", "config"]
    steps = [
        [
            *base,
            "set-cluster",
            "lab",
            f"--server={server}",
            f"--certificate-authority={ca}",
            "--embed-certs=true",
        ],
        [
            *base,
            "set-credentials",
            "user",
            *(
                [f"--client-certificate={cert}", f"--client-key={key}", "--embed-certs=true"]
                if cert
                else []
            ),
            *([f"--token={token}"] if token else []),
        ],
        [*base, "set-context", "lab", "--cluster=lab", "--user=user"],
        [*base, "use-context", "lab"],
    ]
    for step in steps:
        result = lab.run(JUMP, *step)
        assert result.returncode == 0, f"{' '.join(step)}: {result.stderr}"
    return path


def self_subject_review(
    cluster: Cluster,
    server: str,
    cert: Path,
    key: Path,
    ca: Path,
    *,
    user: str = "mallory",
    groups: tuple[str, ...] = ("system:masters",),
) -> dict:
    """POST a SelfSubjectReview (curl from the jump host) with a client certificate and an
    aggregator's front-proxy headers: the user the apiserver says it is, or {"refused": why}."""
    body = '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
    headers = [f"X-Remote-User: {user}", *(f"X-Remote-Group: {group}" for group in groups)]
    result = cluster.lab.run(
        JUMP,
        "curl",
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        str(ca),
        "--cert",
        str(cert),
        "--key",
        str(key),
        *(arg for header in headers for arg in ("-H", header)),
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        f"{server}/apis/authentication.k8s.io/v1/selfsubjectreviews",
    )
    try:  # a refusal's status is the string "Failure"; kube-apiserver may also answer 401
        status = json.loads(result.stdout).get("status")  # before reading the body (curl: 18)
    except ValueError:
        status = None
    if isinstance(status, dict):
        return status.get("userInfo", {})
    return {"refused": f"curl {result.returncode}: {result.stderr.strip()} {result.stdout[:200]}"}
