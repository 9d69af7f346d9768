"""The same scenarios through both faces: the command line (`main`) and the wizard (Pilot).

Each scenario starts two identical copies of a directory, runs `generate` on one and the
wizard's step 4 on the other with the matching choice, and checks that the faces agree: the same
files, the same CA, the same refusal (kind and data, caught where the job raises it), and no key
made before a refusal (the key generator is watched).
"""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tui.wizard_pilot import fast_spec, jump_to, paste_into, settle, wizard
from wizard import pki
from wizard.cli import main
from wizard.jobs import generation
from wizard.jobs.generation import GenerationRefused, GenerationRequest, Policy, RefusalKind
from wizard.spec import ClusterSpec, dump_spec
from wizard.tui.screens import generate as generate_screen


@dataclass(frozen=True)
class Scenario:
    """A directory to start from, the choice in each face, and what both must do."""

    name: str
    prepare: Callable[[Path], None]
    flags: tuple[str, ...]
    policy: Policy
    refusal: RefusalKind | None
    ca: str  # "kept": ca.pem as before; "new": a new CA; "none": no run wrote


def _make_set(directory: Path, profile: str = "classic") -> None:
    spec = fast_spec()
    spec.profile = profile
    generation.run(GenerationRequest(spec, directory))


def _folder_in_the_way(directory: Path) -> None:
    _make_set(directory)
    (directory / "admin.pem").unlink()
    (directory / "admin.pem").mkdir()
    (directory / "admin.pem" / "notes.txt").write_text("mine\n")


SCENARIOS = [
    Scenario(
        "existing CA, back up and replace", _make_set, ("--force",), Policy.REPLACE, None, "kept"
    ),
    Scenario("existing CA, new CA", _make_set, ("--new-ca",), Policy.NEW_CA, None, "new"),
    Scenario(
        "refuse mode",
        _make_set,
        (),
        Policy.REFUSE,
        RefusalKind.WOULD_CHANGE,
        "none",
    ),
    Scenario(
        "a different profile's set",
        lambda d: _make_set(d, "kubeadm"),
        ("--force",),
        Policy.REPLACE,
        RefusalKind.OTHER_PROFILE,
        "none",
    ),
    Scenario(
        "a folder in the way",
        _folder_in_the_way,
        ("--force",),
        Policy.REPLACE,
        RefusalKind.FOLDER_IN_THE_WAY,
        "none",
    ),
]


def _tree(directory: Path) -> dict[str, bytes]:
    """Every file, with backup folders' timestamps taken out of their names."""
    files = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            parts = path.relative_to(directory).parts
            if parts[0].startswith("backup-"):
                parts = ("backup", *parts[1:])
            files["/".join(parts)] = path.read_bytes()
    return files


class Watch:
    """Counts keys made and records the refusals the job raised, for both faces."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys = 0
        self.refusals: list[GenerationRefused] = []
        new_key = pki.new_private_key
        run = generation.run

        def counting_key(*args: object, **kwargs: object) -> pki.PrivateKey:
            self.keys += 1
            return new_key(*args, **kwargs)  # type: ignore[arg-type]

        def recording_run(*args: object, **kwargs: object) -> generation.GenerationOutcome:
            try:
                return run(*args, **kwargs)  # type: ignore[arg-type]
            except GenerationRefused as refused:
                self.refusals.append(refused)
                raise

        monkeypatch.setattr(pki, "new_private_key", counting_key)
        monkeypatch.setattr(generation, "run", recording_run)
        monkeypatch.setattr(generate_screen, "run", recording_run)

    def reset(self) -> None:
        self.keys = 0
        self.refusals = []


def _through_the_cli(
    spec: ClusterSpec, directory: Path, flags: tuple[str, ...], capsys
) -> tuple[str, str]:
    """Run `generate` with these flags; returns its stdout and stderr."""
    config = directory.parent / "cli-cluster.toml"
    config.write_text(dump_spec(spec))
    code = main(["generate", "-c", str(config), "-o", str(directory), *flags])
    out, err = capsys.readouterr()
    assert (code == 0) == ("k8s-cert-wizard:" not in err), err
    return out, err


def _through_the_wizard(spec: ClusterSpec, directory: Path, policy: Policy) -> tuple[str, str]:
    """Run step 4 with this choice; returns the result line and the policy note."""

    async def drive() -> tuple[str, str]:
        app = wizard(copy.deepcopy(spec))
        async with app.run_test(size=(120, 40)) as pilot:
            await jump_to(pilot, 4)
            screen = app.screen
            field = screen.query_one("#output-dir")
            field.value = ""
            await paste_into(pilot, field, str(directory))
            await settle(pilot)
            await pilot.click(f"#existing-{policy.value}")
            await settle(pilot)
            note = str(screen.query_one("#existing-note").render())
            await pilot.press("ctrl+g")
            await settle(pilot)
            return str(screen.query_one("#result").render()), note

    return asyncio.run(drive())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_both_faces_do_the_same(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    start = tmp_path / "start"
    scenario.prepare(start)
    before = _tree(start)
    old_ca = before.get("ca.pem")
    cli_dir, tui_dir = tmp_path / "cli" / "certs", tmp_path / "tui" / "certs"
    for target in (cli_dir, tui_dir):
        shutil.copytree(start, target, symlinks=True)
    spec = fast_spec()
    watch = Watch(monkeypatch)

    out, err = _through_the_cli(spec, cli_dir, scenario.flags, capsys)
    cli_keys, cli_refusals = watch.keys, list(watch.refusals)
    watch.reset()
    result, note = _through_the_wizard(spec, tui_dir, scenario.policy)
    tui_keys, tui_refusals = watch.keys, list(watch.refusals)

    cli_tree, tui_tree = _tree(cli_dir), _tree(tui_dir)
    assert sorted(cli_tree) == sorted(tui_tree)  # the same files
    if scenario.refusal is None:
        assert not cli_refusals and not tui_refusals, (err, result)
        assert "wrote" in result
        if scenario.ca == "kept":
            assert cli_tree["ca.pem"] == tui_tree["ca.pem"] == old_ca
            assert cli_tree["ca-key.pem"] == tui_tree["ca-key.pem"] == before["ca-key.pem"]
            assert "signs with the existing ca.pem" in note
            assert "reused the existing CA" in out
        else:
            assert cli_tree["ca.pem"] != old_ca and tui_tree["ca.pem"] != old_ca
            assert cli_tree["backup/ca.pem"] == tui_tree["backup/ca.pem"] == old_ca
            assert "a NEW CA replaces the old one" in note
            assert "a new CA replaced the old one" in out
        assert cli_keys == tui_keys > 0
        return
    # refused: the same refusal, as data, in each face's words; nothing made, nothing changed
    assert [r.refusal.kind for r in cli_refusals] == [scenario.refusal]
    assert [r.refusal.kind for r in tui_refusals] == [scenario.refusal]
    cli_refusal, tui_refusal = cli_refusals[0].refusal, tui_refusals[0].refusal
    assert cli_refusal.names == tui_refusal.names
    assert cli_refusal.held_profile == tui_refusal.held_profile
    assert cli_keys == 0 and tui_keys == 0  # no key made before a refusal
    assert cli_tree == before and tui_tree == before
    assert "nothing was written" in result or "nothing is made" in result or "move it" in result
    assert "Traceback" not in err and "Traceback" not in result
    if scenario.refusal is RefusalKind.WOULD_CHANGE:
        assert "--force" in err and "--new-ca" in err
        assert "back up and replace" in result and "--force" not in result
    if scenario.refusal is RefusalKind.OTHER_PROFILE:
        assert "holds a kubeadm set" in err and "holds a kubeadm set" in result
        assert "--profile kubeadm" in err and "the kubeadm profile (step 2)" in result
    if scenario.refusal is RefusalKind.FOLDER_IN_THE_WAY:
        assert f"{cli_dir / 'admin.pem'} is a folder" in err
        assert f"{tui_dir / 'admin.pem'} is a folder" in result
