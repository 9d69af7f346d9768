"""`distribute --rotation` on fake hosts (a folder per host, the real scripts in a local sh):
the exact order of a phase's steps, a resume after a kill at every step that ends as an
uninterrupted run does, an unreachable host that stops the run before the next host, the etcd
leader last, the drain hooks around each apiserver, and their settings refused in words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.fleet.fleet_sets import LocalHosts, fake_hosts, make_set, me
from wizard.cli import main
from wizard.deploy import validate_deploy
from wizard.exit_codes import HOSTS_FAILED, OK, REFUSED
from wizard.fleet import rotation_steps as fleet_rotation
from wizard.fleet.rotation_steps import JumpResult
from wizard.jobs.rotation_distribution import (
    NO_DRAIN_WARNING,
    RotationDistributionRequest,
    StepState,
    run_rotation_distribution,
)
from wizard.rotate import CaKind, target_for
from wizard.rotate.progress import read_record, record_name
from wizard.spec import load_spec

NET = "10.9.0"
ETCD = [f"{NET}.11", f"{NET}.12", f"{NET}.13"]
MASTERS = [f"{NET}.21", f"{NET}.22", f"{NET}.23"]


class Killed(BaseException):
    """Stands for a SIGKILL of distribute: nothing after it runs, nothing catches it."""


class Jump:
    """The jump host's commands, recorded: etcdctl answers with `leader` leading, drain and
    undrain append to the shared log."""

    def __init__(self, log: list[str], leader: str = ETCD[1], answers: bool = True) -> None:
        self.log, self.leader, self.answers = log, leader, answers
        self.commands: list[str] = []

    def __call__(self, command: str, timeout: float) -> JumpResult:
        self.commands.append(command)
        if "endpoint status" in command:
            if not self.answers:
                return JumpResult(1, "", "context deadline exceeded")
            ids = {a: 100 + i for i, a in enumerate(ETCD)}
            status = [
                {"Endpoint": f"https://{a}:2379",
                 "Status": {"header": {"member_id": ids[a]}, "leader": ids[self.leader]}}
                for a in ETCD
            ]  # fmt: skip
            return JumpResult(0, json.dumps(status), "")
        if "endpoint health" in command:
            return JumpResult(0, "healthy", "")
        self.log.append(f"jump {command}")
        return JumpResult(0, "", "")


def restart_log_entries(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def rotation(tmp_path: Path):
    """A complete cluster (3 etcd, 3 masters, 2 nodes) on fake hosts, its cluster CA's prepare
    written, and [deploy] restarting by appending `<host> <unit>` to one log."""
    log = tmp_path / "restarts.log"
    owner, group = me()
    extra = f"""
[deploy]
owner = "{owner}"
group = "{group}"
restart_command = "echo $(basename \\"$ROOT\\") {{unit}} >> {log}"
health_command = "true"
"""
    (tmp_path / "set").mkdir()
    fleet = make_set(tmp_path / "set", NET, extra=extra)
    hosts = fake_hosts(fleet, tmp_path / "hosts")
    assert main(["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster"]) == 0
    return SimpleNamespace(fleet=fleet, hosts=hosts, log=log, tmp=tmp_path)


def request(fleet, **kwargs) -> RotationDistributionRequest:
    return RotationDistributionRequest(
        load_spec(fleet.toml), fleet.out, CaKind.CLUSTER, etcd_settle_seconds=0,
        drain_seconds=0, **kwargs,
    )  # fmt: skip


def run(r, hosts: LocalHosts | None = None, jump: Jump | None = None, spec=None, **kwargs):
    hosts = hosts or LocalHosts(r.hosts)
    req = request(r.fleet, **kwargs)
    if spec is not None:
        req = RotationDistributionRequest(spec, r.fleet.out, CaKind.CLUSTER,
                                          etcd_settle_seconds=0, drain_seconds=0)  # fmt: skip
    return run_rotation_distribution(
        req, client=hosts.factory(), jump=jump or Jump([]), sleep=lambda s: None
    )


def tree(root: Path) -> dict[str, bytes]:
    """Every file under the hosts' root but backups, by path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "/backup-" not in f"/{p.relative_to(root)}"
    }


def test_the_steps_run_wave_by_wave_one_host_at_a_time_with_the_etcd_leader_last(
    rotation, monkeypatch
) -> None:
    monkeypatch.setattr(fleet_rotation.shutil, "which", lambda name: f"/usr/bin/{name}")
    outcome = run(rotation, jump=Jump([], leader=ETCD[0]))
    assert outcome.finished and outcome.stopped is None
    order = [(r.step.wave, r.step.address) for r in outcome.steps]
    assert [w for w, _a in order] == sorted(w for w, _a in order)  # wave by wave
    etcd = [a for w, a in order if a in ETCD and w == order[0][0]]
    assert etcd == [ETCD[1], ETCD[2], ETCD[0]]  # the leader (etcd-1 here) last
    assert outcome.leaders == [f"etcd leader {ETCD[0]}: restarted last in its wave"]
    # each step's units restarted once, in the steps' order, one host after the other
    expected = [f"{r.step.address} {unit}" for r in outcome.steps for unit in r.step.restart]
    assert restart_log_entries(rotation.log) == expected
    # every host has each step's files, as the directory has them, and owes no restart
    for report in outcome.steps:
        for placed in report.step.files:
            on_host = rotation.hosts / report.step.address / placed.destination.lstrip("/")
            if not placed.source.endswith((".kubeconfig", ".conf")):
                assert on_host.read_bytes() == (rotation.fleet.out / placed.source).read_bytes()
    assert not list(rotation.hosts.rglob(".kcw-restart"))
    assert not list(rotation.hosts.rglob(".kcw-journal"))
    record = read_record(rotation.fleet.out, target_for("cluster", rotation.fleet.spec()))
    assert record is not None and record.finished and record.phase == "prepare"
    assert NO_DRAIN_WARNING in outcome.warnings


def test_when_no_member_answers_the_plans_order_stays_and_it_is_said(rotation, monkeypatch) -> None:
    monkeypatch.setattr(fleet_rotation.shutil, "which", lambda name: f"/usr/bin/{name}")
    outcome = run(rotation, jump=Jump([], answers=False))
    etcd = [r.step.address for r in outcome.steps if r.step.address in ETCD][:3]
    assert etcd == ETCD
    assert outcome.leaders[0].startswith("etcd leader unknown — no member said it leads")
    assert "the plan's order is kept" in outcome.leaders[0]


@pytest.mark.slow
def test_a_kill_at_any_step_resumes_at_the_first_unfinished_one_and_ends_the_same(
    rotation, monkeypatch
) -> None:
    monkeypatch.setattr(fleet_rotation.shutil, "which", lambda name: f"/usr/bin/{name}")
    pristine = rotation.tmp / "pristine"
    shutil.copytree(rotation.hosts, pristine)
    out = rotation.fleet.out
    name = record_name(target_for("cluster", rotation.fleet.spec()))
    counting = LocalHosts(rotation.hosts)
    reference = run(rotation, hosts=counting)
    assert reference.finished
    wanted = tree(rotation.hosts)
    expected_log = restart_log_entries(rotation.log)
    total = len(counting.seen)  # the scripts an uninterrupted run sends (inventory, apply, restart)
    assert total >= 2 * len(reference.steps)
    for kill_at in range(1, total + 1):
        shutil.rmtree(rotation.hosts)
        shutil.copytree(pristine, rotation.hosts)
        (out / name).unlink(missing_ok=True)
        rotation.log.unlink(missing_ok=True)
        sent = [0]

        def gate(target, script, sent=sent, kill_at=kill_at) -> None:  # noqa: ANN001
            sent[0] += 1
            if sent[0] == kill_at:
                raise Killed

        with pytest.raises(Killed):
            run(rotation, hosts=LocalHosts(rotation.hosts, gate=gate))
        before = read_record(out, target_for("cluster", rotation.fleet.spec()))
        done_before = set(before.done) if before else set()
        again = run(rotation)
        assert again.finished, kill_at
        assert {f"{r.step.wave}:{r.step.address}" for r in again.steps
                if r.state == StepState.DONE_BEFORE} == done_before  # fmt: skip
        assert tree(rotation.hosts) == wanted, kill_at
        log = restart_log_entries(rotation.log)
        # nothing restarted out of order: the log is the reference's, a step killed during
        # its restart restarting once more when resumed
        deduplicated = [x for i, x in enumerate(log) if i == 0 or log[i - 1] != x]
        assert deduplicated == expected_log, (kill_at, log)


def test_an_unreachable_host_stops_the_run_before_the_next_host_and_a_rerun_completes(
    rotation, capsys
) -> None:
    master = MASTERS[1]
    hosts = LocalHosts(rotation.hosts, unreachable={master})
    outcome = run(rotation, hosts=hosts)
    assert not outcome.finished
    assert outcome.stopped is not None and outcome.stopped.step.address == master
    assert outcome.stopped.state == StepState.UNREACHABLE
    index = outcome.steps.index(outcome.stopped)
    assert all(r.state == StepState.DONE for r in outcome.steps[:index])
    assert all(r.state == StepState.NOT_STARTED for r in outcome.steps[index + 1 :])
    # nothing was sent to any host after the unreachable one: one try, then the run ended
    assert hosts.seen[hosts.seen.index(master) :] == [master]
    # the command line says it: the host, what was and was not done, how to rerun; exit 2
    toml, out = rotation.fleet.toml, rotation.fleet.out
    argv = ["distribute", "-c", str(toml), str(out), "--rotation", "cluster"]
    monkey = LocalHosts(rotation.hosts, unreachable={master})
    import wizard.jobs.rotation_distribution as job

    real = job.run_rotation_distribution
    job_kwargs = {"client": monkey.factory(), "jump": Jump([]), "sleep": lambda s: None}
    try:
        job.run_rotation_distribution = lambda req, **kw: real(req, **{**kw, **job_kwargs})
        code = main(argv)
        said = capsys.readouterr()
        assert code == HOSTS_FAILED
        assert f"stopped at {master} (unreachable)" in said.out
        assert f"not done: {len(outcome.steps) - index}" in said.out
        assert f"rerun: k8s-cert-wizard distribute -c {toml} {out} --rotation cluster" in said.out
        # rotate-ca does not write reissue meanwhile
        code = main(["rotate-ca", "-c", str(toml), "-o", str(out), "--ca", "cluster"])
        said = capsys.readouterr()
        assert code == REFUSED
        assert "phase prepare is not on every host yet" in said.err
        assert f"distribute {out.absolute()} --rotation cluster" in said.err
        # …a dry run still plans it, and says why the write would be refused
        code = main(["rotate-ca", "-c", str(toml), "-o", str(out), "--ca", "cluster",
                     "--dry-run", "--json"])  # fmt: skip
        dry = json.loads(capsys.readouterr().out)
        assert code == OK and dry["phase"] == "reissue"
        assert any("phase prepare is not on every host yet" in w for w in dry["warnings"])
        # back: the rerun completes from that host on
        job_kwargs["client"] = LocalHosts(rotation.hosts).factory()
        assert main(argv) == OK
        said = capsys.readouterr()
        assert "phase prepare is on every host" in said.out
    finally:
        job.run_rotation_distribution = real
    record = read_record(out, target_for("cluster", rotation.fleet.spec()))
    assert record is not None and record.finished
    assert main(["rotate-ca", "-c", str(toml), "-o", str(out), "--ca", "cluster"]) == 0
    capsys.readouterr()
    # a new phase starts a new record
    fresh = run(rotation, dry_run=True)
    assert fresh.phase == "reissue" and not fresh.done


def test_each_apiserver_is_drained_before_its_restart_and_put_back_after(rotation) -> None:
    spec = load_spec(rotation.fleet.toml)
    spec.deploy.drain_command = "drain {name} {address}"
    spec.deploy.undrain_command = "undrain {address}"
    log: list[str] = []
    restarts = rotation.log

    class Recording(Jump):
        def __call__(self, command: str, timeout: float) -> JumpResult:
            # the jump host's commands and the hosts' restarts, in one order
            for line in restart_log_entries(restarts)[len(seen) :]:
                seen.append(line)
                log.append(line)
            return super().__call__(command, timeout)

    seen: list[str] = []
    outcome = run(rotation, jump=Recording(log), spec=spec)
    assert outcome.finished and NO_DRAIN_WARNING not in outcome.warnings
    log += restart_log_entries(restarts)[len(seen) :]
    for master in MASTERS:
        around = [x for x in log if master in x]
        restart = around.index(f"{master} kube-apiserver.service")
        assert around[restart - 1] == f"jump drain {master} {master}"
        assert f"jump undrain {master}" in around[restart + 1 :]
    drains = [x for x in log if x.startswith("jump drain")]
    assert len(drains) == len(MASTERS)
    # one master out of the balancer at a time: each undrain comes before the next drain
    marks = [x.split()[1] for x in log if x.startswith("jump ")]
    assert marks == ["drain", "undrain"] * len(MASTERS)


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"drain_command": "drain {name}"}, "deploy.undrain_command",
         "missing — deploy.drain_command is set, and an apiserver taken out of the balancer "
         "must be put back"),
        ({"drain_command": "drain now", "undrain_command": "undrain {name}"},
         "deploy.drain_command", '"drain now" should be one line naming the master as {name} '
         "or {address}"),
        ({"drain_command": "a {name}\nb", "undrain_command": "undrain {name}"},
         "deploy.drain_command", "should be one line naming the master"),
    ],
)  # fmt: skip
def test_bad_drain_settings_are_refused_naming_field_value_and_fix(
    settings, field, words, tmp_path, capsys
) -> None:
    spec = make_set(tmp_path, NET).spec()
    for key, value in settings.items():
        setattr(spec.deploy, key, value)
    problems = validate_deploy(spec.deploy, [])
    assert [f for f, _m in problems] == [field]
    assert words in problems[0][1]
    assert "e.g." in problems[0][1] or "add undrain_command" in problems[0][1]


def test_bad_drain_settings_in_cluster_toml_refuse_the_command(tmp_path, capsys) -> None:
    fleet = make_set(tmp_path, NET)
    with fleet.toml.open("a") as toml:
        toml.write('\n[deploy]\ndrain_command = "drain {name}"\n')
    code = main(["distribute", "-c", str(fleet.toml), str(fleet.out), "--rotation", "cluster"])
    said = capsys.readouterr()
    assert code == REFUSED
    assert "deploy.undrain_command: missing" in said.err and "Traceback" not in said.err
    assert 'add undrain_command = "ssh lb1' in said.err


def test_no_written_phase_and_flags_that_do_not_fit_are_refused(tmp_path, capsys) -> None:
    fleet = make_set(tmp_path, NET)
    base = ["distribute", "-c", str(fleet.toml), str(fleet.out), "--rotation", "cluster"]
    assert main(base) == REFUSED
    assert "no phase of the" in capsys.readouterr().err
    assert main([*base, "--hosts", ETCD[0]]) == REFUSED
    assert "drop --hosts" in capsys.readouterr().err
    assert main([*base[:-1], "etcd", "--clients-only"]) == REFUSED
    assert "--clients-only goes with --rotation cluster" in capsys.readouterr().err
