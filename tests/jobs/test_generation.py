"""The generation job: the survey decides before any key, each policy does what it says,
refusals are data, and the run holds the directory's lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.held_process import start_held
from tests.tui.wizard_pilot import fast_spec
from wizard import pki
from wizard.generate import Cancelled, Progress
from wizard.jobs.cluster_file import load_valid, renewal_cluster_file
from wizard.jobs.generation import (
    GenerationRefused,
    GenerationRequest,
    Policy,
    RefusalKind,
    run,
    survey,
)
from wizard.spec import dump_spec
from wizard.store.lock import DirectoryBusy


def _set(directory: Path, profile: str = "classic") -> dict[str, bytes]:
    """Generate a set of this profile; its top-level files by name."""
    spec = fast_spec()
    spec.profile = profile
    run(GenerationRequest(spec, directory))
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def test_a_new_directory(tmp_path: Path) -> None:
    report = survey(GenerationRequest(fast_spec(), tmp_path / "new"))
    assert not report.exists and report.can_run and report.makes_new_ca
    assert not report.replaces_ca and report.replaced == ()


def test_each_policy_before_any_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "certs"
    _set(directory)
    monkeypatch.setattr(pki, "new_private_key", _fail_key)
    refuse = survey(GenerationRequest(fast_spec(), directory))
    assert refuse.refusal is not None and refuse.refusal.kind is RefusalKind.WOULD_CHANGE
    assert list(refuse.cas) == ["ca"] and "ca.pem" not in refuse.replaced
    assert "kubernetes.pem" in refuse.refusal.names and refuse.held_profile == "classic"
    with pytest.raises(GenerationRefused) as refused:
        run(GenerationRequest(fast_spec(), directory))
    assert refused.value.refusal.kind is RefusalKind.WOULD_CHANGE
    replace = survey(GenerationRequest(fast_spec(), directory, Policy.REPLACE))
    assert replace.can_run and list(replace.cas) == ["ca"] and not replace.replaces_ca
    new_ca = survey(GenerationRequest(fast_spec(), directory, Policy.NEW_CA))
    assert new_ca.can_run and new_ca.makes_new_ca and new_ca.replaces_ca
    assert {"ca.pem", "ca-key.pem"} <= set(new_ca.replaced)


def _fail_key(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("a key was made")


def test_replace_keeps_the_ca_and_new_ca_backs_it_up(tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    first = _set(directory)
    replaced = run(GenerationRequest(fast_spec(), directory, Policy.REPLACE))
    assert (directory / "ca.pem").read_bytes() == first["ca.pem"]
    assert [ca.name for ca in replaced.reused] == ["ca"]
    assert replaced.result.backup is not None
    assert (replaced.result.backup / "kubernetes.pem").read_bytes() == first["kubernetes.pem"]
    new = run(GenerationRequest(fast_spec(), directory, Policy.NEW_CA))
    assert new.reused == [] and new.report.replaces_ca
    assert (directory / "ca.pem").read_bytes() != first["ca.pem"]
    assert new.result.backup is not None and new.result.backup != replaced.result.backup
    assert (new.result.backup / "ca.pem").read_bytes() == first["ca.pem"]


def test_a_ca_from_another_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "source"
    first = _set(source)
    outcome = run(GenerationRequest(fast_spec(), tmp_path / "out", ca_directory=source))
    assert (tmp_path / "out" / "ca.pem").read_bytes() == first["ca.pem"]
    assert outcome.reused[0].source == source
    monkeypatch.setattr(pki, "new_private_key", _fail_key)
    (tmp_path / "a-file").write_text("x\n")
    (tmp_path / "empty").mkdir()
    for given, detail in (("missing", "missing"), ("a-file", "file"), ("empty", "no-ca")):
        report = survey(
            GenerationRequest(fast_spec(), tmp_path / "o2", ca_directory=tmp_path / given)
        )
        assert report.refusal is not None and report.refusal.kind is RefusalKind.CA_DIRECTORY
        assert report.refusal.detail == detail and report.refusal.names[:2] == (
            "ca.pem",
            "ca-key.pem",
        )
    with pytest.raises(GenerationRefused):
        run(GenerationRequest(fast_spec(), tmp_path / "a" / "b", ca_directory=tmp_path / "no"))
    assert not (tmp_path / "a").exists()  # refused before the lock made any folder


def test_half_a_ca_is_refused_unless_a_new_one_is_asked_for(tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    _set(directory)
    (directory / "ca-key.pem").unlink()
    for policy in (Policy.REFUSE, Policy.REPLACE):
        report = survey(GenerationRequest(fast_spec(), directory, policy))
        assert report.refusal is not None and report.refusal.kind is RefusalKind.CA_UNUSABLE
        assert "ca-key.pem is not" in report.refusal.detail
    assert survey(GenerationRequest(fast_spec(), directory, Policy.NEW_CA)).can_run


def test_the_complete_profile_into_a_kubeadm_set_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: it said 'holds no CA' and left two layouts and four CAs."""
    directory = tmp_path / "certs"
    before = _set(directory, "kubeadm")
    monkeypatch.setattr(pki, "new_private_key", _fail_key)
    spec = fast_spec()
    spec.profile = "complete"
    for policy in Policy:
        report = survey(GenerationRequest(spec, directory, policy))
        assert report.refusal is not None and report.refusal.kind is RefusalKind.OTHER_PROFILE
        assert report.refusal.held_profile == "kubeadm" and "pki/ca.crt" in report.refusal.names
        with pytest.raises(GenerationRefused):
            run(GenerationRequest(spec, directory, policy))
    assert {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()} == before


def test_the_directorys_own_cluster_file_is_kept_as_written(tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    _set(directory)
    config = directory / "cluster.toml"
    text = "# my notes\n" + dump_spec(fast_spec())
    config.write_text(text)
    report = survey(GenerationRequest(fast_spec(), directory, Policy.REPLACE, spec_file=config))
    assert report.kept_spec_file and "cluster.toml" not in report.replaced
    run(GenerationRequest(fast_spec(), directory, Policy.REPLACE, spec_file=config))
    assert config.read_text() == text


def test_cancel_writes_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run(GenerationRequest(fast_spec(), tmp_path / "certs"), cancel=cancel)
    assert not (tmp_path / "certs").exists()


def test_another_writer_is_refused_before_any_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "certs"
    script = (  # holds the lock until killed: a 5 s hold could end before a late run() began
        "import sys\nfrom wizard.store.lock import directory_lock\n"
        "with directory_lock(sys.argv[1], command='k8s-cert-wizard renew'):\n"
        "    print('locked', flush=True); sys.stdin.readline()\n"
    )
    holder = start_held(script, str(directory), says="locked")
    try:
        monkeypatch.setattr(pki, "new_private_key", _fail_key)
        with pytest.raises(DirectoryBusy) as busy:
            run(GenerationRequest(fast_spec(), directory))
        assert busy.value.holder is not None and busy.value.holder.pid == holder.pid
        assert busy.value.holder.command == "k8s-cert-wizard renew"
    finally:
        holder.kill()
        holder.wait()
    assert not directory.exists()


def test_loading_a_cluster_file_gives_problems_as_data(tmp_path: Path) -> None:
    missing = load_valid(tmp_path / "none.toml")
    assert missing.spec is None and "none.toml" in missing.unreadable and not missing.usable
    bad = tmp_path / "bad.toml"
    bad.write_text(dump_spec(fast_spec()).replace('"192.168.214.100"', '"192.168.214.1/24"'))
    loaded = load_valid(bad)
    assert loaded.spec is not None and not loaded.usable
    assert any("hosts.vip" in p.path for p in loaded.errors)
    assert load_valid(bad, "kubeadm").spec.profile == "kubeadm"  # type: ignore[union-attr]


def test_which_cluster_file_a_renewal_uses(tmp_path: Path) -> None:
    directory = tmp_path / "certs"
    directory.mkdir()
    assert renewal_cluster_file(directory, None) is None
    (directory / "cluster.toml").write_text(dump_spec(fast_spec()))
    own = renewal_cluster_file(directory, None)
    assert own is not None and own.path == directory / "cluster.toml" and own.usable
    given = fast_spec()
    given.profile = "complete"
    chosen = renewal_cluster_file(directory, given, tmp_path / "mine.toml")
    assert chosen is not None and chosen.spec is given and chosen.path == tmp_path / "mine.toml"


class GatedKeys:
    """A key maker for pki.new_private_key: the first `held` keys wait for `gate` (a key "still
    being made"), the others come at once. `entered` counts the calls begun."""

    def __init__(self, held: int = 1_000) -> None:
        self.held = held
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.entered = 0
        self.waiting = threading.Event()
        self.returned = 0
        self.make = pki.new_private_key

    def __call__(self, algo: str, size: int) -> pki.PrivateKey:
        with self.lock:
            self.entered += 1
            gated = self.entered <= self.held
        if gated:
            self.waiting.set()
            self.gate.wait(300)  # a failing test must not hang the suite
        key = self.make(algo, size)
        with self.lock:
            self.returned += 1
        return key


def test_cancel_returns_while_a_key_is_still_being_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = GatedKeys()
    monkeypatch.setattr(pki, "new_private_key", keys)
    cancel = threading.Event()
    raised: list[BaseException] = []

    def generate() -> None:
        try:
            run(GenerationRequest(fast_spec(), tmp_path / "certs"), cancel=cancel)
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=generate)
    thread.start()
    try:
        assert keys.waiting.wait(60), "no key was started"
        cancel.set()
        thread.join(60)  # a safety net: the run returns at its next poll (50 ms)
        # run() gave up while every key maker is still blocked inside a key: it did not wait
        assert not thread.is_alive() and keys.returned == 0 and not keys.gate.is_set()
        assert len(raised) == 1 and isinstance(raised[0], Cancelled)
        assert not (tmp_path / "certs").exists() or not any((tmp_path / "certs").iterdir())
    finally:
        keys.gate.set()
        thread.join(10)
    assert not (tmp_path / "certs" / "ca.pem").exists()


def test_progress_moves_per_key_before_the_last_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = GatedKeys(held=1)  # the first key asked for (the CA's) held back, the others free
    monkeypatch.setattr(pki, "new_private_key", keys)
    steps: list[str] = []
    two_keys = threading.Event()

    def progress(step: Progress) -> None:
        steps.append(step.message)
        if sum("key for" in message for message in steps) == 2:
            two_keys.set()

    thread = threading.Thread(
        target=run, args=(GenerationRequest(fast_spec(), tmp_path / "certs"),),
        kwargs={"progress": progress},
    )  # fmt: skip
    thread.start()
    try:
        assert two_keys.wait(60), f"the bar did not move while keys were held back: {steps}"
        assert not keys.gate.is_set()  # the first key is still being made
        assert all(message.startswith("ECDSA 256 key for ") for message in steps)
    finally:
        keys.gate.set()
        thread.join(120)
    names = {
        message.removeprefix("ECDSA 256 key for ") for message in steps if "key for" in message
    }
    assert len(names) == keys.entered  # one step per key, each named once
    assert (tmp_path / "certs" / "ca.pem").is_file()
