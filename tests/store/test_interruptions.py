"""An interruption at every point of every write path leaves the old set or the new one, and
every CA key that was there before is still there once the next run has recovered.

The store calls `swap.step(name)` at each point where a kill would leave a different state on
disk; these tests make the N-th call raise (an exception nothing in the store catches, like a
SIGKILL), then run the recovery a next run does — itself interrupted at each of its own points
— and look at what is left. The subprocess tests do the same with a real SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.store.sets import (
    OLD,
    OLD_CA_KEY,
    all_bytes,
    leftovers,
    make_old,
    refuse_exchange,
    tree,
)
from wizard.store import OutputFile, recover, swap, write_files

ROOT = Path(__file__).resolve().parents[2]


class Killed(BaseException):
    """The process died here: no except or cleanup in the store runs."""


@dataclass(frozen=True)
class Scenario:
    existing: bool
    files: tuple[OutputFile, ...]
    remove: tuple[str, ...] = ()


SCENARIOS = {
    "first write": Scenario(
        False,
        (
            OutputFile("ca.pem", b"new CA"),
            OutputFile("ca-key.pem", b"new CA key", 0o600),
            OutputFile("pki/etcd/ca.key", b"etcd key", 0o600),
        ),
    ),
    "replace and remove": Scenario(
        True,
        (
            OutputFile("ca.pem", OLD["ca.pem"][0]),
            OutputFile("ca-key.pem", OLD_CA_KEY, 0o600),
            OutputFile("a.pem", b"new a"),
            OutputFile("a-key.pem", b"new a key", 0o600),
            OutputFile("b.pem", b"new b"),
        ),
        ("notes.txt",),
    ),
    "replace the CA": Scenario(
        True,
        (
            OutputFile("ca.pem", b"new CA"),
            OutputFile("ca-key.pem", b"new CA key", 0o600),
            OutputFile("sub/deep.txt", b"deeper"),
        ),
    ),
    "add only": Scenario(True, (OutputFile("c.pem", b"c"),)),
}
MODES = ("exchange", "fallback")


class Counter:
    """`swap.step` that raises Killed at the N-th call (never when N is None) and counts."""

    def __init__(self, kill_at: int | None = None) -> None:
        self.kill_at = kill_at
        self.calls = 0
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        if self.calls == self.kill_at:
            raise Killed(name)
        self.calls += 1
        self.names.append(name)


def prepare(base: Path, scenario: Scenario) -> Path:
    out = base / "certs"
    base.mkdir(parents=True)
    if scenario.existing:
        make_old(out)
    return out


def run(out: Path, scenario: Scenario) -> None:
    write_files(out, list(scenario.files), force=True, remove=scenario.remove)


def interrupted(
    monkeypatch: pytest.MonkeyPatch, counter: Counter, action: Callable[..., object], *args: object
) -> bool:
    """Whether the action was killed by the counter."""
    monkeypatch.setattr(swap, "step", counter)
    try:
        action(*args)
    except Killed:
        return True
    finally:
        monkeypatch.setattr(swap, "step", lambda name: None)
    return False


def copy(source: Path, target: Path) -> None:
    """The state a kill left, as it is (owners, modes, links), for another recovery to try."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def check(out: Path, old: dict[str, bytes], new: dict[str, bytes], old_keys: set[bytes]) -> str:
    state = tree(out)
    assert state in (old, new), state
    assert old_keys <= all_bytes(out) if out.exists() else not old_keys
    assert leftovers(out.parent) == []
    return "old" if state == old else "new"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", SCENARIOS)
def test_every_interruption_point_leaves_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, mode: str
) -> None:
    scenario = SCENARIOS[name]
    if mode == "fallback":
        monkeypatch.setattr(swap, "renameat2", refuse_exchange)
    reference = prepare(tmp_path / "reference", scenario)
    old = tree(reference)
    old_keys = (
        {c for n, (c, _) in OLD.items() if n.endswith("key.pem")} if scenario.existing else set()
    )
    counter = Counter()
    assert not interrupted(monkeypatch, counter, run, reference, scenario)
    new = tree(reference)
    assert new != old
    points = counter.calls
    if scenario.existing:
        expected = "exchanged" if mode == "exchange" else "moved-new"
        assert expected in counter.names
    seen = {"old": 0, "new": 0}
    recovery_points = 0
    for kill_at in range(points):
        base = tmp_path / f"k{kill_at}"
        out = prepare(base, scenario)
        assert interrupted(monkeypatch, Counter(kill_at), run, out, scenario)
        assert old_keys <= all_bytes(base)  # nothing of the old set was deleted yet
        # the recovery a next run does, itself interrupted at each of its points
        probe = Counter()
        snapshot = base.with_name(base.name + "-probe")
        copy(base, snapshot)
        assert not interrupted(monkeypatch, probe, recover, snapshot / "certs")
        check(snapshot / "certs", old, new, old_keys)
        for recover_at in range(probe.calls):
            again = base.with_name(f"{base.name}-r{recover_at}")
            copy(base, again)
            assert interrupted(monkeypatch, Counter(recover_at), recover, again / "certs")
            assert not interrupted(monkeypatch, Counter(), recover, again / "certs")
            check(again / "certs", old, new, old_keys)
            recovery_points += 1
        seen[check(snapshot / "certs", old, new, old_keys)] += 1
        # and the next run itself succeeds
        run(out, scenario)
        assert tree(out) == new
        assert leftovers(base) == []
    print(f"{name}/{mode}: {points} write points, {recovery_points} recovery points, {seen}")
    assert seen["old"] > 0 and seen["new"] > 0


KILL_AT = """
import os, signal, sys
from pathlib import Path
from wizard.store import OutputFile, swap, write_files
from tests.store.sets import refuse_exchange
mode, nth = sys.argv[1], int(sys.argv[2])
calls = [0]
def step(name):
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    calls[0] += 1
swap.step = step
if mode == "fallback":
    swap.renameat2 = refuse_exchange
files = [
    OutputFile("ca.pem", b"new CA"),
    OutputFile("ca-key.pem", b"new CA key", 0o600),
    OutputFile("a.pem", b"new a"),
]
write_files(Path(sys.argv[3]), files, force=True, remove=["notes.txt"])
print(calls[0])
"""


def kill_at(mode: str, nth: int, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILL_AT, mode, str(nth), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_at_every_step_keeps_the_old_ca_key(tmp_path: Path, mode: str) -> None:
    """A real SIGKILL at each step, the exchange refused (EINVAL) or not: the old CA key is
    never lost, and the next run — recovery, then the same write — ends with the new set."""
    reference = tmp_path / "reference" / "certs"
    reference.parent.mkdir()
    make_old(reference)
    old = tree(reference)
    complete = kill_at(mode, 10_000, reference)
    assert complete.returncode == 0, complete.stderr
    points = int(complete.stdout)
    new = tree(reference)
    outcomes = []
    for nth in range(points):
        out = tmp_path / str(nth) / "certs"
        out.parent.mkdir()
        make_old(out)
        process = kill_at(mode, nth, out)
        assert process.returncode == -signal.SIGKILL, process.stderr
        assert OLD_CA_KEY in all_bytes(out.parent)
        assert recover(out) == []
        outcomes.append(check(out, old, new, {OLD_CA_KEY}))
        assert kill_at(mode, 10_000, out).returncode == 0  # the next run
        assert tree(out) == new and leftovers(out.parent) == []
        assert OLD_CA_KEY in all_bytes(out)  # in its backup folder
    print(
        f"{mode}: {points} SIGKILL points, {outcomes.count('old')} old, {outcomes.count('new')} new"
    )
    assert "old" in outcomes and "new" in outcomes
