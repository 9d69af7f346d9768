"""The cluster CA of a three-master complete cluster rotated live, phase by phase, the way
`rotate-ca` plans it: each phase written on the jump host, then carried out by the product,
`distribute --rotation KIND` over SSH — files to their destinations, units restarted in its
waves, one host at a time, each checked before the next, the etcd leader last, each apiserver
out of haproxy (deploy.drain_command, through haproxy's admin socket) while it restarts. The lab
has no systemd: deploy.restart_command asks the test's `Supervisor` (a file on the host) to
restart the lab's process and wait until it is ready, as systemd with a readiness check would.
Meanwhile a client loop through the VIP (`kubectl get --raw /readyz`, and a
list call every fifth round, every 100 ms) and an etcd client loop count every failed request.

The load balancer checks each apiserver's /readyz (as a production one does) and the
apiservers drain for a few seconds on SIGTERM (--shutdown-delay-duration): without those a
restart is downtime whatever the certificates do. Nodes get their files; no kubelet runs here.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.interop.etcd_process import leader_hand_over_only
from tests.lab.cluster import (
    REPO,
    Cluster,
    apiserver_lab_flags,
    client_kubeconfig,
    controller_manager_lab_flags,
    etcd_argv,
    product_argv,
    scheduler_lab_flags,
    self_subject_review,
)
from tests.lab.netlab import ETCD, JUMP, LB, MASTERS, NODES, VIP, Host, Lab, Process
from wizard.rotate import signing_destination, target_for
from wizard.spec import load_spec

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]
HOSTS = {h.address: h for h in [*ETCD, *MASTERS, *NODES, LB]}
SHUTDOWN_DELAY = "--shutdown-delay-duration=4s"
LB_ADMIN_PORT = 9999
LB_COMMAND = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(f"{sys.argv[3]} server masters/{sys.argv[4]}\\n".encode())
answer = s.recv(4096).decode().strip()
print(answer)
sys.exit(1 if answer else 0)  # haproxy says nothing when it did it
"""
REQUEST = "/var/lib/kcw-restart-request"


def lb_admin(work: Path) -> str:
    """The command line (on the jump host) of haproxy's admin socket, before `disable|enable
    ADDRESS` (the servers are named by address)."""
    helper = work / "lb_admin.py"
    if not helper.exists():
        helper.write_text(LB_COMMAND)
    return f"{sys.executable} {helper} {LB.address} {LB_ADMIN_PORT}"


def ensure_deploy(live: Live) -> None:
    """cluster.toml's [deploy] for `distribute --rotation` in the lab: its SSH, restarts
    through the Supervisor, haproxy drained and put back from the jump host. Added once, after
    a [deploy] a test wrote itself (the last table of the file) or as a table of its own."""
    toml = live.work / "cluster.toml"
    text = toml.read_text()
    if "restart_command" in text:
        return
    admin = lb_admin(live.work)
    lines = []
    if "[deploy]" not in text:
        lines += ["[deploy]", f'ssh_config = "{live.cluster.lab.ssh_config}"']
    elif "ssh_config" not in text:
        lines.append(f'ssh_config = "{live.cluster.lab.ssh_config}"')
    lines += [
        f'restart_command = "echo {{unit}} > {REQUEST} && while [ -e {REQUEST} ]; do sleep 0.2; '
        'done"',
        f'health_command = "test ! -e {REQUEST}"',
        f'drain_command = "{admin} disable {{address}}"',
        f'undrain_command = "{admin} enable {{address}}"',
    ]
    toml.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n")


def checked_lb(cluster: Cluster, masters: tuple[Host, ...] = tuple(MASTERS)) -> None:
    """haproxy in front of the apiservers, sending traffic only to those whose /readyz is ok."""
    servers = "\n".join(
        f"  server {m.address} {m.address}:6443 check check-ssl verify none inter 1s fall 3 rise 2"
        for m in masters
    )
    config = f"""global
  maxconn 2000
  stats socket ipv4@{LB.address}:{LB_ADMIN_PORT} level admin
defaults
  mode tcp
  timeout connect 3s
  timeout check 3s
  timeout client 1h
  timeout server 1h
  retries 3
  option redispatch
frontend apiserver
  bind {VIP}:6443
  default_backend masters
backend masters
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
{servers}
"""
    cluster.lab.write(LB, "/etc/haproxy/haproxy.cfg", config)
    cluster.start(LB, "haproxy", ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"])


@dataclass(frozen=True)
class Names:
    """The files of a profile the checks use: the admin's kubeconfig and certificate,
    kube-apiserver's etcd client certificate and its front-proxy (request-header) client one."""

    admin: str
    admin_cert: str
    admin_key: str
    etcd_cert: str
    etcd_key: str
    front_proxy_cert: str
    front_proxy_key: str


NAMES = {
    "complete": Names(
        "admin.kubeconfig",
        "admin.pem",
        "admin-key.pem",
        "kubernetes.pem",
        "kubernetes-key.pem",
        "front-proxy-client.pem",
        "front-proxy-client-key.pem",
    ),
    "kubeadm": Names(
        "admin.conf",
        "pki/admin.crt",
        "pki/admin.key",
        "pki/apiserver-etcd-client.crt",
        "pki/apiserver-etcd-client.key",
        "pki/front-proxy-client.crt",
        "pki/front-proxy-client.key",
    ),
}


@dataclass
class Live:
    """The running cluster and how each component was started."""

    cluster: Cluster
    work: Path
    loop_binary: Path
    argv: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    supervisor: Supervisor | None = None

    @property
    def out(self) -> Path:
        return self.cluster.out

    @property
    def spec(self):
        return load_spec(self.work / "cluster.toml")

    @property
    def names(self) -> Names:
        return NAMES[self.cluster.profile]

    @property
    def admin(self) -> Path:
        return self.out / self.names.admin

    def trust(self, kind: str = "cluster") -> Path:
        """What a client on the jump host trusts now: the bundle during the rotation."""
        files = target_for(kind, self.spec).files
        bundle = self.out / files.bundle
        return bundle if bundle.exists() else self.out / files.trust

    def trust_copy(self, kind: str = "cluster") -> Path:
        """A copy of `trust(kind)` the rotation never removes, for the etcd client loop.
        Finalize deletes the bundle: a loop that picked the bundle's path a moment before
        failed on a missing file, which no real client sees (it has read its CA file). When the
        bundle has just gone, the last copy (old + new CA) still trusts the new CA."""
        copy = self.work / f"client-{kind}-ca.pem"
        try:
            data = self.trust(kind).read_bytes()
        except FileNotFoundError:
            return copy
        handle, temporary = tempfile.mkstemp(dir=self.work, prefix=".client-ca-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, copy)
        return copy

    def start(self, host: Host, component: str, argv: list[str]) -> None:
        self.argv[(host.name, component)] = argv
        self.cluster.start(host, component, argv)

    def restart(self, host: Host, component: str) -> None:
        process = self.cluster.processes[(host.name, component)]
        self.cluster.lab.kill(process, timeout=30)
        argv = self.argv[(host.name, component)]
        if component == "kube-controller-manager":  # the one flag the plan says to switch
            signing = signing_destination(target_for("cluster", self.spec))
            argv = [
                f"--cluster-signing-cert-file={signing}"
                if a.startswith("--cluster-signing-cert-file=")
                else a
                for a in argv
            ]
            self.argv[(host.name, component)] = argv
        self.cluster.start(host, component, argv)

    def etcdctl(
        self,
        *args: str,
        cert: Path | None = None,
        key: Path | None = None,
        only: Host | None = None,
    ):
        endpoints = ",".join(f"https://{m.address}:2379" for m in ([only] if only else ETCD))
        return self.cluster.lab.run(
            JUMP,
            "etcdctl",
            f"--endpoints={endpoints}",
            f"--cacert={self.trust_copy('etcd')}",
            f"--cert={cert or self.out / self.names.etcd_cert}",
            f"--key={key or self.out / self.names.etcd_key}",
            "--dial-timeout=3s",
            "--command-timeout=5s",
            *args,
            env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        )

    def wait_ready(self, host: Host, component: str) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if component == "etcd":  # the member itself healthy, then time to settle (the plan)
                ok = self.etcdctl("endpoint", "health", only=host).returncode == 0
                if ok:
                    time.sleep(5)
            elif component == "kube-apiserver":
                result = self.cluster.kubectl(
                    self.admin,
                    "get",
                    "--raw",
                    "/readyz",
                    server=f"https://{host.address}:6443",
                    timeout=20,
                )
                ok = result.returncode == 0 and result.stdout.strip() == "ok"
            else:
                time.sleep(3)
                ok = self.cluster.processes[(host.name, component)].alive()
            if ok:
                return
            time.sleep(0.5)
        raise AssertionError(f"{host.name} {component} not ready\n{self.cluster.logs(component)}")


def rotate(live: Live, *args: str, kind: str = "cluster") -> dict:
    """`rotate-ca --ca KIND --json` on the jump host."""
    result = live.cluster.lab.run(
        JUMP,
        *product_argv(
            "rotate-ca",
            "-c",
            str(live.work / "cluster.toml"),
            "-o",
            str(live.out),
            "--ca",
            kind,
            "--json",
            *args,
        ),
        cwd=REPO,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class Supervisor:
    """systemd for the lab: deploy.restart_command writes the unit's name to REQUEST on its
    host and waits while the file is there; this thread sees it (in the host's /var/lib
    overlay, from outside), restarts the lab's process, waits until it is ready (etcd healthy,
    /readyz ok), then removes the file. Units the lab does not run (kubelet, kube-proxy) are
    answered at once. `restarts` is what it did: (host, unit, seconds)."""

    live: Live
    restarts: list[tuple[str, str, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: str = ""

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def request_file(self, host: Host) -> Path:
        layer = self.live.cluster.lab.root / "hosts" / host.name / "var-lib" / "upper"
        return layer / REQUEST.removeprefix("/var/lib/")

    def run(self) -> None:
        hosts = [*ETCD, *MASTERS, *NODES]
        while not self.stop.wait(0.2):
            for host in hosts:
                path = self.request_file(host)
                try:
                    unit = path.read_text().strip()
                except OSError:
                    continue
                if not unit:
                    continue  # being written
                began = time.monotonic()
                component = unit.removesuffix(".service")
                try:
                    if (host.name, component) in self.live.cluster.processes:
                        self.live.restart(host, component)
                        self.live.wait_ready(host, component)
                except AssertionError as error:  # stays requested: the restart never ends
                    self.error = str(error)[:2000]
                    continue
                self.restarts.append((host.name, unit, round(time.monotonic() - began, 1)))
                self.live.cluster.lab.run(host, "rm", "-f", REQUEST)

    def finish(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(30)


def distribute_rotation(
    live: Live, kind: str, *extra: str, timeout: float = 1800
) -> tuple[int, dict]:
    """`distribute DIR --rotation KIND --json` on the jump host: (exit code, the JSON)."""
    result = live.cluster.lab.run(
        JUMP,
        *product_argv(
            "distribute", "-c", str(live.work / "cluster.toml"), str(live.out),
            "--rotation", kind, "--json", *extra,
        ),
        cwd=REPO,
        timeout=timeout,
    )  # fmt: skip
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"distribute --rotation: {result.stdout}{result.stderr}") from None
    return result.returncode, document


def carry_out(live: Live, plan: dict, kind: str = "") -> dict:
    """A written phase's host plan, by the product: `distribute --rotation`, which must
    finish. An undo's plan (which distribute does not run) is placed by hand."""
    if "undo_of" in plan:
        carry_out_by_hand(live, plan)
        return {}
    ensure_deploy(live)
    code, done = distribute_rotation(live, kind or plan["kind"])
    assert code == 0 and done["finished"], (done, live.supervisor.error if live.supervisor else "")
    assert done["phase"] == plan["phase"]
    assert sorted((s["wave"], s["address"]) for s in done["steps"]) == sorted(
        (s["wave"], s["address"]) for s in plan["hosts"]
    )
    return done


def place_file(lab: Lab, host: Host, source: Path, destination: str, mode: str) -> None:
    """One file onto a host, whole: written beside its place, then renamed over it."""
    lab.run(
        host,
        "sh",
        "-c",
        f'mkdir -p "$(dirname {destination})" && cat > {destination}.new && '
        f"chmod {mode} {destination}.new && mv {destination}.new {destination}",
        input=source.read_text(),
        check=True,
    )


def carry_out_by_hand(live: Live, plan: dict) -> None:
    """A host plan placed by the test itself (an undo's): wave by wave, host by host, each
    apiserver out of the balancer while it restarts."""
    admin = lb_admin(live.work).split()
    for step in plan["hosts"]:
        host = HOSTS[step["address"]]
        for placed in step["files"]:
            place_file(
                live.cluster.lab,
                host,
                live.out / placed["source"],
                placed["destination"],
                placed["mode"],
            )
        for unit in step["restart"]:
            component = unit.removesuffix(".service")
            if (host.name, component) not in live.cluster.processes:
                continue  # nodes: no kubelet runs in this lab
            draining = component == "kube-apiserver"
            if draining:
                live.cluster.lab.run(JUMP, *admin, "disable", host.address, check=True)
                time.sleep(1)
            live.restart(host, component)
            live.wait_ready(host, component)
            if draining:
                live.cluster.lab.run(JUMP, *admin, "enable", host.address, check=True)
                time.sleep(1)


@dataclass
class Loop:
    """A client loop on the jump host counting requests and failures."""

    name: str
    call: object
    every: float = 0.1
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    outcomes: list[tuple[float, bool]] = field(default_factory=list)  # (started at, answered)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            result = self.call(self.requests)  # type: ignore[operator]
            self.requests += 1
            self.outcomes.append((started, result.returncode == 0))
            if result.returncode != 0:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {result.stderr.strip()[-160:]}")
            time.sleep(self.every)

    def outages(self) -> list[float]:
        """Each stretch of failed requests, in seconds: from the first failed request's start
        to the start of the next one answered (or of the last one made)."""
        stretches, began = [], None
        for started, answered in self.outcomes:
            if not answered and began is None:
                began = started
            elif answered and began is not None:
                stretches.append(round(started - began, 1))
                began = None
        if began is not None:
            stretches.append(round(self.outcomes[-1][0] - began, 1))
        return stretches


@dataclass
class ClientLoop:
    """The etcd client loop of tests/lab/etcdloop on the jump host: one clientv3 client over
    every member for the whole rotation (kube-apiserver holds one such client, with its
    balancer), a Put every 100 ms with a 5 s deadline. It rereads its CA file and client
    certificate when they change; the CA file is `trust_copy`, refreshed here every 200 ms."""

    name: str
    live: Live
    process: Process | None = None
    refresh: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        live = self.live
        endpoints = ",".join(f"https://{m.address}:2379" for m in ETCD)
        argv = [
            str(live.loop_binary),
            f"--endpoints={endpoints}",
            f"--cacert={live.trust_copy('etcd')}",
            f"--cert={live.out / live.names.etcd_cert}",
            f"--key={live.out / live.names.etcd_key}",
            "--every=100ms",
            "--timeout=5s",
        ]
        self.process = live.cluster.lab.spawn(JUMP, self.name, *argv)

        def refresh() -> None:
            while not self.stop.wait(0.2):
                live.trust_copy("etcd")

        self.refresh = threading.Thread(target=refresh, daemon=True)
        self.refresh.start()

    def finish(self) -> dict:
        """Stop the loop; its count of requests, failures (the first five) and slowest one."""
        assert self.process is not None
        self.stop.set()
        if self.refresh is not None:
            self.refresh.join(5)
        alive = self.process.alive()
        self.live.cluster.lab.kill(self.process)
        lines = self.process.log.read_text(errors="replace").splitlines()
        results = [line.split(" ", 4) for line in lines if line.split(" ")[1:2] != ["-"]]
        results = [r for r in results if len(r) >= 4 and r[2] in ("ok", "error")]
        failures = [
            f"{time.strftime('%H:%M:%S', time.gmtime(int(r[0]) / 1000))} {' '.join(r[3:])}"
            for r in results
            if r[2] == "error"
        ]
        assert alive, f"{self.name} ended early: {self.process.tail()}"
        return {
            "requests": len(results),
            "failed": len(failures),
            "slowest_ms": max((int(r[3]) for r in results), default=0),
            "reloads": [line for line in lines if " - reload " in line],
            "first": failures[:5],
        }


@pytest.fixture(scope="module", params=["complete", "kubeadm"])
def live(
    request: pytest.FixtureRequest,
    lab: Lab,
    control_plane: Path,
    etcd_loop: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    profile = request.param
    work = tmp_path_factory.mktemp(f"rotate-{profile}")
    yield from running(lab, control_plane, etcd_loop, work, profile, tuple(MASTERS))


def running(
    lab: Lab,
    control_plane: Path,
    etcd_loop: Path,
    work: Path,
    profile: str,
    masters: tuple[Host, ...],
) -> Iterator[Live]:
    """The profile's cluster on these masters (3 etcd members, haproxy on the VIP), running
    until the generator is closed; then every process stops and the hosts are reset."""
    cluster = Cluster.generate(lab, control_plane, work, profile, masters=masters)
    state = Live(cluster, work, etcd_loop)
    state.supervisor = Supervisor(state)
    try:
        cluster.place()
        etcd = cluster.tls("etcd")
        for member in ETCD:
            state.start(member, "etcd", etcd_argv(member, etcd))
        state.wait_ready(ETCD[0], "etcd")
        checked_lb(cluster, masters)
        api = cluster.tls("kube-apiserver")
        for master in masters:
            state.start(
                master,
                "kube-apiserver",
                [
                    str(control_plane),
                    "kube-apiserver",
                    *api,
                    *apiserver_lab_flags(master),
                    SHUTDOWN_DELAY,
                ],
            )
        for master in masters:
            state.wait_ready(master, "kube-apiserver")
        for master in masters:
            state.start(
                master,
                "kube-controller-manager",
                [
                    str(control_plane),
                    "kube-controller-manager",
                    *cluster.tls("kube-controller-manager"),
                    *controller_manager_lab_flags(master),
                ],
            )
            state.start(
                master,
                "kube-scheduler",
                [
                    str(control_plane),
                    "kube-scheduler",
                    *cluster.tls("kube-scheduler"),
                    *scheduler_lab_flags(master),
                ],
            )
        state.supervisor.start()
        yield state
    finally:
        state.supervisor.finish()
        lab.stop_processes()
        lab.reset_hosts()


def make_token(live: Live, account: str) -> str:
    admin = live.admin
    live.cluster.kubectl(admin, "create", "serviceaccount", account)
    made = live.cluster.kubectl(admin, "create", "token", account, "--duration=2h")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def token_call(live: Live, token: str, path: Path) -> subprocess.CompletedProcess[str]:
    """`kubectl auth whoami` with a ServiceAccount token through the VIP."""
    kubeconfig = client_kubeconfig(
        live.cluster.lab, path, server=f"https://{VIP}:6443", ca=live.trust(), token=token
    )
    return live.cluster.kubectl(kubeconfig, "auth", "whoami", "-o", "json")


def rotate_live(
    live: Live, kind: str, *extra: str, during=None, downtime: bool = False, carry=None
) -> dict:
    """The three phases of `--ca KIND` with the client loops running; the loops' counts. With
    one master (`downtime`) each phase that restarts kube-apiserver says DOWNTIME first.
    `carry(live, plan, kind)` runs a phase's host steps (default: `carry_out`) and returns
    what to report for it."""
    carry = carry or carry_out
    admin = live.admin

    def api_call(n: int):
        path = "/api/v1/namespaces?limit=1" if n % 5 == 4 else "/readyz"
        return live.cluster.kubectl(
            admin, "get", "--raw", path, server=f"https://{VIP}:6443", timeout=20
        )

    loops = [
        Loop("apiserver via the VIP", api_call),
        Loop(
            "etcdctl one-shot (informative)", lambda n: live.etcdctl("put", "/rotate/one", str(n))
        ),
    ]
    client = ClientLoop(f"etcdloop-{live.cluster.profile}-{kind}", live)
    client.start()
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    phases = []
    distributed: dict[str, dict] = {}
    steps: dict[str, list[str]] = {}
    started = time.monotonic()
    try:
        for expected in ("prepare", "reissue", "finalize"):
            options = extra if expected == "finalize" else ()
            dry = rotate(live, "--dry-run", *options, kind=kind)
            assert dry["phase"] == expected, dry["evidence"]
            plan = rotate(live, *options, kind=kind)
            assert plan["phase"] == expected
            restarts_api = any("kube-apiserver.service" in s["restart"] for s in plan["hosts"])
            said = [w for w in plan["warnings"] if w.startswith("DOWNTIME")]
            assert bool(said) == (downtime and restarts_api), plan["warnings"]
            if said:
                assert plan["warnings"][0] == said[0] == dry["warnings"][0]
            began = time.monotonic()
            ran = carry(live, plan, kind)
            distributed[expected] = {
                "seconds": round(time.monotonic() - began, 1),
                "steps": len(plan["hosts"]),
                "leaders": ran.get("leaders", []),
                "warnings": ran.get("warnings", []),
                **{k: v for k, v in ran.items() if k.startswith("lab_")},
            }
            steps[expected] = plan["cluster_steps"]
            phases.append((expected, round(time.monotonic() - started)))
            if during is not None:
                during(expected)
    finally:
        time.sleep(1)
        for loop in loops:
            loop.stop.set()
        for thread in threads:
            thread.join(30)
        etcd = client.finish()
    report = {
        "profile": live.cluster.profile,
        "ca": kind,
        "phases_done_at_seconds": phases,
        "distribute_rotation": distributed,
        "loops": {
            loop.name: {
                "requests": loop.requests,
                "failed": len(loop.failures),
                "first": loop.failures[:5],
            }
            for loop in loops
        },
    }
    report["loops"]["apiserver via the VIP"]["outages_seconds"] = loops[0].outages()
    reviewed = live.cluster.lab.run(
        JUMP,
        *product_argv("review", "--plain", "-c", str(live.work / "cluster.toml"), str(live.out)),
        cwd=REPO,
    )
    report["review_exit"] = reviewed.returncode
    report["loops"]["etcd (one clientv3 client)"] = etcd
    text = json.dumps(report, indent=2)
    report["cluster_steps"] = steps  # not printed: the plans' kubectl steps, by phase
    # the set reviews clean at the end (backups, hosts/ copies and bundles included)
    assert reviewed.returncode == 0, reviewed.stdout[-4000:]
    (live.work / f"rotation-{kind}-loops.json").write_text(text)
    print(text)
    return report


def assert_no_failed_request(report: dict) -> None:
    """Nothing but a rare Put lost at a leader hand-over (the one-shot etcdctl loop is a record
    only: each process dials afresh, so a member stopping between its dial and its put fails
    it)."""
    for name, loop in report["loops"].items():
        assert loop["requests"] > 50, name
        if "informative" in name:
            continue
        said = f"{name}: {loop['failed']} of {loop['requests']} failed: {loop['first']}"
        assert leader_hand_over_only(loop["first"], loop["requests"], loop["failed"]), said


def etcd_refuses(live: Live, cert: Path, key: Path) -> list[str]:
    """The members that accept this client certificate (none, after finalize)."""
    accepted = []
    for member in ETCD:
        result = live.cluster.lab.run(
            JUMP,
            "etcdctl",
            f"--endpoints=https://{member.address}:2379",
            f"--cacert={live.trust('etcd')}",
            f"--cert={cert}",
            f"--key={key}",
            "--dial-timeout=3s",
            "--command-timeout=5s",
            "get",
            "/rotate/loop",
            env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        )
        if result.returncode == 0:
            accepted.append(member.name)
    return accepted


def _keep(live: Live, folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(live.out / name, folder / name)


def test_the_cluster_ca_rotates_with_the_api_up(live: Live, tmp_path: Path) -> None:
    cluster, names, old = live.cluster, live.names, tmp_path / "old"
    _keep(live, old, names.admin_cert, names.admin_key, names.etcd_cert, names.etcd_key)
    token = make_token(live, "rotation")
    user = "system:serviceaccount:default:rotation"

    def token_works(phase: str) -> None:
        result = token_call(live, token, tmp_path / f"sa-{phase}.kubeconfig")
        assert user in result.stdout, (phase, result.stderr)

    report = rotate_live(live, "cluster", during=token_works)
    # after finalize: the old CA's admin certificate is refused by every apiserver
    old_admin = client_kubeconfig(
        cluster.lab,
        tmp_path / "old-admin.kubeconfig",
        server=f"https://{VIP}:6443",
        ca=live.trust(),
        cert=old / names.admin_cert,
        key=old / names.admin_key,
    )
    for master in MASTERS:
        refused = cluster.kubectl(
            old_admin, "auth", "whoami", server=f"https://{master.address}:6443"
        )
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr, (
            master.name,
            refused.stderr,
        )
    if cluster.profile == "complete":  # one CA: etcd's client certificate was re-issued too
        assert etcd_refuses(live, old / names.etcd_cert, old / names.etcd_key) == []
    assert "system:masters" in cluster.whoami(live.admin)[1]
    assert_no_failed_request(report)


def test_the_etcd_ca_rotates_with_etcd_up(live: Live, tmp_path: Path) -> None:
    if live.cluster.profile == "complete":
        pytest.skip("complete has one CA: the etcd CA rotated with the cluster CA")
    names, old = live.names, tmp_path / "old"
    _keep(live, old, names.etcd_cert, names.etcd_key)
    report = rotate_live(live, "etcd")
    assert etcd_refuses(live, old / names.etcd_cert, old / names.etcd_key) == []
    assert etcd_refuses(live, live.out / names.etcd_cert, live.out / names.etcd_key) == [
        m.name for m in ETCD
    ]
    assert_no_failed_request(report)


def test_the_service_account_key_rotates_with_tokens_working(live: Live, tmp_path: Path) -> None:
    """A token of the old key works through prepare and reissue, one of the new key from
    reissue on; after finalize only the new one works."""
    old_token = make_token(live, "keys")
    user = "system:serviceaccount:default:keys"
    made: dict[str, str] = {}

    def during(phase: str) -> None:
        if phase != "finalize":
            result = token_call(live, old_token, tmp_path / f"old-{phase}.kubeconfig")
            assert user in result.stdout, (phase, result.stderr)
        if phase == "reissue":
            made["new"] = make_token(live, "keys")

    report = rotate_live(live, "sa", "--token-wait", "0s", during=during)
    refused = token_call(live, old_token, tmp_path / "old-after.kubeconfig")
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr
    assert user in token_call(live, made["new"], tmp_path / "new-after.kubeconfig").stdout
    assert_no_failed_request(report)


FRONT_PROXY_USER = "aggregated-as-alice"
"""The user an aggregator asserts in X-Remote-User; the apiserver believes it only from a client
certificate of the front-proxy CA named in --requestheader-allowed-names."""


def front_proxy_users(live: Live, cert: Path, key: Path) -> dict[str, str]:
    """Who each apiserver says a request is when it comes, as an aggregator's would, with this
    front-proxy client certificate and `X-Remote-User` ("" when it is refused)."""
    return {
        master.name: self_subject_review(
            live.cluster,
            f"https://{master.address}:6443",
            cert,
            key,
            live.trust(),
            user=FRONT_PROXY_USER,
            groups=(),
        ).get("username", "")
        for master in MASTERS
    }


def test_the_front_proxy_ca_rotates_with_request_headers_believed(
    live: Live, tmp_path: Path
) -> None:
    """An aggregator's requests (front-proxy client certificate + X-Remote-User) are believed by
    every apiserver in every phase; after finalize the old CA's client certificate is not, and
    extension-apiserver-authentication publishes the new CA alone."""
    if live.cluster.profile == "complete":
        pytest.skip("complete has one CA: the front-proxy CA rotated with the cluster CA")
    names, old = live.names, tmp_path / "old"
    _keep(live, old, names.front_proxy_cert, names.front_proxy_key)
    everyone = {m.name: FRONT_PROXY_USER for m in MASTERS}
    assert front_proxy_users(live, old / names.front_proxy_cert, old / names.front_proxy_key) == (
        everyone
    )

    def during(phase: str) -> None:
        current = live.out / names.front_proxy_cert, live.out / names.front_proxy_key
        assert front_proxy_users(live, *current) == everyone, phase

    report = rotate_live(live, "front-proxy", during=during)
    refused = front_proxy_users(live, old / names.front_proxy_cert, old / names.front_proxy_key)
    assert FRONT_PROXY_USER not in refused.values(), refused
    new_ca = (live.out / target_for("front-proxy", live.spec).files.cert).read_text().strip()
    # kube-apiserver merges its CA into extension-apiserver-authentication and never drops one:
    # the old CA is still published, as finalize's cluster steps say, until the ConfigMap goes
    assert published_front_proxy_cas(live).count("BEGIN CERTIFICATE") == 2
    finalize = report["cluster_steps"]["finalize"]
    delete = next(s for s in finalize if "delete configmap extension-apiserver-authentication" in s)
    deleted = live.cluster.kubectl(live.admin, *shlex.split(delete)[1:])
    assert deleted.returncode == 0, deleted.stderr
    deadline = time.monotonic() + 60
    while published_front_proxy_cas(live) != new_ca and time.monotonic() < deadline:
        time.sleep(1)
    assert published_front_proxy_cas(live) == new_ca
    check = next(s for s in finalize if "requestheader-client-ca-file}" in s)
    counted = live.cluster.lab.run(
        JUMP, "sh", "-c", check, env={"KUBECONFIG": str(live.admin), "PATH": "/usr/bin:/bin"}
    )
    assert counted.stdout.strip() == "requestheader-client-ca-file 1", counted
    assert_no_failed_request(report)


def published_front_proxy_cas(live: Live) -> str:
    """The front-proxy CAs kube-apiserver publishes for aggregated API servers ("" if none)."""
    published = live.cluster.kubectl(
        live.admin,
        "get",
        "configmap",
        "-n",
        "kube-system",
        "extension-apiserver-authentication",
        "-o",
        "jsonpath={.data.requestheader-client-ca-file}",
    )
    return published.stdout.strip() if published.returncode == 0 else ""
