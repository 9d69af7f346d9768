"""`k8s-cert-wizard rotate-ca` on the command line: a dry run writes nothing, --json carries
the host plan, --undo, --explain drawn from the catalogue, and every refusal is one line."""

from __future__ import annotations

import json

import pytest

from tests.rotate.rotate_sets import copy_set, make_spec, top_level
from wizard.cli import main
from wizard.rotate import CaKind, target_for
from wizard.spec import save_spec


@pytest.fixture
def cluster(profile_sets, tmp_path):
    spec = make_spec("kubeadm")
    config = tmp_path / "cluster.toml"
    save_spec(spec, config)
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    return spec, config, out


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["rotate-ca", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dry_run_then_each_phase_then_undo(cluster, capsys) -> None:
    _spec, config, out = cluster
    before = top_level(out)
    code, text, _err = _run(
        capsys, "-c", str(config), "-o", str(out), "--ca", "front-proxy", "--dry-run"
    )
    assert (
        code == 0 and "phase: prepare (dry run" in text and "Dry run: nothing was written." in text
    )
    assert top_level(out) == before
    for phase in ("prepare", "reissue"):
        code, text, _err = _run(capsys, "-c", str(config), "-o", str(out), "--ca", "front-proxy")
        assert code == 0 and f"phase: {phase} (writing)" in text
        assert "--undo puts them back" in text or phase == "prepare"
    code, text, _err = _run(
        capsys, "-c", str(config), "-o", str(out), "--ca", "front-proxy", "--undo"
    )
    assert code == 0 and "undo reissue" in text
    code, text, _err = _run(
        capsys, "-c", str(config), "-o", str(out), "--ca", "front-proxy", "--undo"
    )
    assert code == 0 and "undo prepare" in text
    assert top_level(out) == before


def test_json_carries_the_host_plan(cluster, capsys) -> None:
    _spec, config, out = cluster
    code, text, _err = _run(capsys, "-c", str(config), "-o", str(out), "--ca", "cluster", "--json")
    assert code == 0
    document = json.loads(text)
    assert document["phase"] == "prepare" and document["stage"] == "idle"
    waves = [h["wave"] for h in document["hosts"]]
    assert waves == sorted(waves)
    masters = [h for h in document["hosts"] if "kube-apiserver.service" in h["restart"]]
    assert len(masters) == 3
    assert any(f["source"] == "pki/ca-bundle.crt" for f in masters[0]["files"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--phase", "reissue", "--ca", "cluster"], "the next phase is prepare"),
        (["--ca", "sa", "--cross-sign"], "--cross-sign"),
        (["--ca", "etcd", "--clients-only"], "--ca cluster --clients-only"),
        (["--ca", "cluster", "--token-wait", "soon"], "--token-wait 'soon'"),
        (["--ca", "cluster", "--undo"], "nothing to undo"),
        ([], "--ca is missing"),
    ],
)
def test_refusals_are_one_line(cluster, capsys, argv, words) -> None:
    _spec, config, out = cluster
    code, _text, err = _run(capsys, "-c", str(config), "-o", str(out), *argv)
    assert code == 1
    assert words in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("k8s-cert-wizard")]) == 1


def test_a_directory_without_a_set_is_refused(tmp_path, capsys) -> None:
    save_spec(make_spec("complete"), tmp_path / "cluster.toml")
    (tmp_path / "empty").mkdir()
    code, _text, err = _run(
        capsys,
        "-c",
        str(tmp_path / "cluster.toml"),
        "-o",
        str(tmp_path / "empty"),
        "--ca",
        "cluster",
    )
    assert code == 1 and "ca.pem is missing" in err and "Traceback" not in err


@pytest.mark.parametrize("profile", ["complete", "kubeadm"])
def test_explain_draws_every_flag_of_the_catalogue(profile, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, text, _err = _run(capsys, "--explain", "--profile", profile)
    assert code == 0
    spec = make_spec(profile)
    for kind in CaKind:
        target = target_for(kind, spec)
        assert f"· {target.files.trust} (" in text
        for use in (*target.trust, *target.single):
            assert use.text in text, (kind, use.text)
    assert "prepare restarts:" in text and "servers last" in text


def test_token_wait_zero_finalizes_the_service_account_key_at_once(cluster, capsys) -> None:
    _spec, config, out = cluster
    base = ["-c", str(config), "-o", str(out), "--ca", "sa"]
    assert _run(capsys, *base)[0] == 0
    assert _run(capsys, *base)[0] == 0
    code, _text, err = _run(capsys, *base)
    assert code == 1 and "--token-wait" in err
    code, text, _err = _run(capsys, *base, "--token-wait", "0s")
    assert code == 0 and "phase: finalize (writing)" in text
