"""A cluster CA rotation on kubeadm with three masters, read back from the hosts: `check` says
which hosts are behind the set's phase between a phase's write and its placement, is clean
once each phase is placed and at the end; `rotate-ca --hosts` shows the hosts' stages and
refuses the next phase while one is behind; `--undo` of reissue and then of prepare, placed on
the hosts, leaves a working cluster (API via the VIP, etcd, a token issued before) with the
client loops counting every failed request.

Files are placed as tests/lab/test_rotate.py's `carry_out` does (wave by wave, host by host,
each checked before the next); `check` and `rotate-ca --hosts` read the hosts over the lab's
SSH ([deploy].ssh_config). What the lab saw is printed (-s) and recorded in FINDINGS.md.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.lab.cluster import REPO, product_argv
from tests.lab.netlab import JUMP, MASTERS, VIP, Lab
from tests.lab.test_rotate import (
    ClientLoop,
    Live,
    Loop,
    assert_no_failed_request,
    carry_out,
    make_token,
    rotate,
    running,
    token_call,
)

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


@pytest.fixture(scope="module")
def live(
    lab: Lab, control_plane: Path, etcd_loop: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """kubeadm on three masters behind the VIP, its cluster.toml with the lab's SSH."""
    work = tmp_path_factory.mktemp("rotate-hosts")
    cluster = running(lab, control_plane, etcd_loop, work, "kubeadm", tuple(MASTERS))
    state = next(cluster)
    toml = work / "cluster.toml"
    toml.write_text(toml.read_text() + f'\n[deploy]\nssh_config = "{lab.ssh_config}"\n')
    try:
        yield state
    finally:
        cluster.close()


def product(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    """The product on the jump host with the lab's cluster.toml and set."""
    command, *rest = args
    return live.cluster.lab.run(
        JUMP,
        *product_argv(command, "-c", str(live.work / "cluster.toml"), "-o", str(live.out), *rest),
        cwd=REPO,
        timeout=240,
    )


def check(live: Live) -> tuple[int, list[dict]]:
    """`check --json`: its exit code and its findings."""
    result = product(live, "check", "--json")
    try:
        return result.returncode, json.loads(result.stdout)["findings"]
    except (json.JSONDecodeError, KeyError):
        raise AssertionError(f"check: no JSON\n{result.stdout}\n{result.stderr}") from None


def serious(findings: list[dict]) -> list[str]:
    """The warnings and errors, one line each."""
    return [
        f"{f['severity']} {f['node']} {f['path']} {f['check']}: {f['message']}"
        for f in findings
        if f["severity"] != "info"
    ]


def behind(findings: list[dict], slug: str = "rotation-behind") -> set[str]:
    """The addresses of the hosts a finding `slug` names."""
    return {f["node"].split()[0] for f in findings if f["check"] == slug}


def review_code(live: Live) -> tuple[int, str]:
    result = live.cluster.lab.run(
        JUMP,
        *product_argv("review", "--plain", "-c", str(live.work / "cluster.toml"), str(live.out)),
        cwd=REPO,
    )
    return result.returncode, result.stdout[-3000:]


@contextmanager
def measured(live: Live, name: str) -> Iterator[dict]:
    """The client loops of test_rotate (the API through the VIP every 100 ms, one clientv3
    client's Put every 100 ms) running for the block; their counts land in the dict."""
    admin = live.admin

    def api_call(n: int) -> subprocess.CompletedProcess[str]:
        path = "/api/v1/namespaces?limit=1" if n % 5 == 4 else "/readyz"
        return live.cluster.kubectl(
            admin, "get", "--raw", path, server=f"https://{VIP}:6443", timeout=20
        )

    api = Loop("apiserver via the VIP", api_call)
    client = ClientLoop(f"etcdloop-hosts-{name}", live)
    client.start()
    thread = threading.Thread(target=api.run, daemon=True)
    thread.start()
    report: dict = {}
    try:
        yield report
    finally:
        time.sleep(1)
        api.stop.set()
        thread.join(30)
        etcd = client.finish()
        report["loops"] = {
            api.name: {
                "requests": api.requests,
                "failed": len(api.failures),
                "first": api.failures[:5],
                "outages_seconds": api.outages(),
            },
            "etcd (one clientv3 client)": etcd,
        }


def files_placed(plan: dict) -> set[str]:
    """The hosts a phase's (or an undo's) plan gives a file."""
    return {s["address"] for s in plan["hosts"] if s["files"]}


def test_check_and_rotate_ca_read_the_stage_on_the_hosts_and_check_is_clean_at_the_end(
    live: Live,
) -> None:
    seen: dict = {"before": serious(check(live)[1])}
    with measured(live, "check") as report:
        for phase in ("prepare", "reissue", "finalize"):
            plan = rotate(live)
            assert plan["phase"] == phase, plan["evidence"]
            code, findings = check(live)
            dry = product(live, "rotate-ca", "--ca", "cluster", "--hosts", "--dry-run")
            refused = product(live, "rotate-ca", "--ca", "cluster", "--hosts")
            carry_out(live, plan)
            after_code, after = check(live)
            seen[phase] = {
                "placed_on": sorted(files_placed(plan)),
                "check_before_placing": {"exit": code, "behind": sorted(behind(findings))},
                "behind_words": [f["message"] for f in findings if f["check"] == "rotation-behind"][
                    :2
                ],
                "other_before_placing": [
                    s for s in serious(findings) if "rotation-behind" not in s
                ][:8],
                "dry_run_hosts": {
                    "exit": dry.returncode,
                    "out": dry.stdout.split("\n\n", 1)[0].splitlines(),
                },
                "refused": {"exit": refused.returncode, "err": refused.stderr[-600:]},
                "check_after_placing": {"exit": after_code, "serious": serious(after)[:12]},
            }
    seen["review_end"] = review_code(live)
    end_code, end = check(live)
    seen["check_end"] = {
        "exit": end_code,
        "serious": serious(end),
        "info": [f"{f['node']} {f['path']} {f['check']}: {f['message'][:160]}" for f in end],
    }
    seen["loops"] = report["loops"]
    print(json.dumps(seen, indent=2))
    (live.work / "rotation-hosts.json").write_text(json.dumps(seen, indent=2))
    assert seen["before"] == []
    for phase in ("prepare", "reissue", "finalize"):
        said = seen[phase]
        assert said["check_before_placing"]["behind"] == said["placed_on"], (phase, said)
        assert said["check_before_placing"]["exit"] != 0, (phase, said)
        assert said["other_before_placing"] == [], (phase, said)
        assert said["refused"]["exit"] == 1, (phase, said)
        assert "BEHIND" in said["refused"]["err"], (phase, said)
        assert said["dry_run_hosts"]["exit"] == 0, (phase, said)
        shown = said["dry_run_hosts"]["out"]
        assert shown[0] == "Hosts now (read over SSH):", (phase, shown)
        lagging = {line.split()[0].rstrip(":") for line in shown[1:] if " — BEHIND (" in line}
        assert lagging == set(said["placed_on"]), (phase, shown)
        assert said["check_after_placing"] == {"exit": 0, "serious": []}, (phase, said)
    assert seen["review_end"][0] == 0, seen["review_end"]
    assert (seen["check_end"]["exit"], seen["check_end"]["serious"]) == (0, []), seen["check_end"]
    assert_no_failed_request(report)


def test_undo_of_reissue_then_of_prepare_placed_on_the_hosts_leaves_a_working_cluster(
    live: Live, tmp_path: Path
) -> None:
    token = make_token(live, "undo")
    user = "system:serviceaccount:default:undo"
    seen: dict = {}

    def working(when: str) -> dict:
        code, findings = check(live)
        dry = product(live, "rotate-ca", "--ca", "cluster", "--dry-run", "--json")
        health = live.etcdctl("endpoint", "health")
        whoami = token_call(live, token, tmp_path / f"sa-{when}.kubeconfig")
        return {
            "check": {"exit": code, "serious": serious(findings)[:12]},
            "review": review_code(live)[0],
            "next_phase": json.loads(dry.stdout)["phase"] if dry.returncode == 0 else dry.stderr,
            "etcd_health": health.returncode,
            "token": user in whoami.stdout,
            "token_err": whoami.stderr[-300:],
        }

    with measured(live, "undo") as report:
        for phase in ("prepare", "reissue"):
            plan = rotate(live)
            assert plan["phase"] == phase, plan["evidence"]
            carry_out(live, plan)
        seen["reissued"] = working("reissued")
        for phase, back_to in (("reissue", "reissue"), ("prepare", "prepare")):
            started = time.monotonic()
            undo = rotate(live, "--undo")
            assert undo["phase"] == phase, undo
            _code, before_placing = check(live)
            carry_out(live, undo)
            seen[f"undo {phase}"] = {
                "seconds": round(time.monotonic() - started),
                "placed_on": sorted(files_placed(undo)),
                "ahead_before_placing": sorted(behind(before_placing, "rotation-ahead")),
                "other_before_placing": [
                    s for s in serious(before_placing) if "rotation-ahead" not in s
                ][:8],
                "restarts": sum(len(s["restart"]) for s in undo["hosts"]),
                **working(f"undo-{phase}"),
                "expected_next": back_to,
            }
    seen["loops"] = report["loops"]
    print(json.dumps(seen, indent=2))
    (live.work / "undo-hosts.json").write_text(json.dumps(seen, indent=2))
    for phase in ("reissue", "prepare"):
        said = seen[f"undo {phase}"]
        assert said["ahead_before_placing"] == said["placed_on"], (phase, said)
        assert said["other_before_placing"] == [], (phase, said)
        assert said["check"] == {"exit": 0, "serious": []}, (phase, said)
        assert said["review"] == 0, (phase, said)
        assert said["next_phase"] == said["expected_next"], (phase, said)
        assert said["etcd_health"] == 0 and said["token"], (phase, said)
    assert "system:masters" in live.cluster.whoami(live.admin)[1]
    assert_no_failed_request(report)
