"""`k8s-cert-wizard review DIR`: --json, --plain, exit codes, refusals."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from review_pki import make_ca, make_leaf, write_pair

from wizard import cli
from wizard.spec import ClusterSpec, save_spec


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["review", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_of_a_clean_set(engine_set: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(engine_set), "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert set(document) >= {"root", "files", "findings"}
    assert document["root"] == str(engine_set.absolute())
    assert document["findings"] == []
    for item in document["files"]:
        assert {"path", "kind", "role"} <= set(item)
    kubernetes = next(f for f in document["files"] if f["path"] == "kubernetes.pem")
    assert kubernetes["kind"] == "certificate" and kubernetes["role"] == "kubernetes"
    assert kubernetes["issued_by"] == "ca.pem" and kubernetes["keys"] == ["kubernetes-key.pem"]
    assert "10.254.0.1" in kubernetes["sans"]["ip"]
    assert kubernetes["status"] == "valid" and kubernetes["days_left"] > 3000
    ends = [e["not_after"] for e in document["expiry"]]
    assert ends == sorted(ends) and len(ends) == 4


def test_exit_code_one_for_warnings_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "soon", make_leaf(ca, "soon", days=5))
    code, out, _ = run(capsys, str(tmp_path), "--json")
    assert code == 1
    assert [f["check"] for f in json.loads(out)["findings"]] == ["expiring"]
    code, out, _ = run(capsys, str(tmp_path), "--json", "--warn-days", "1")
    assert code == 0


def test_exit_code_two_for_errors(messy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(messy_dir), "--json")
    assert code == 2
    findings = json.loads(out)["findings"]
    assert {"path", "severity", "check", "message"} == set(findings[0])
    assert findings[0]["severity"] == "error"


def test_plain_report(messy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(messy_dir), "--plain")
    assert code == 2 and err == ""
    assert "Files in" in out and "Findings" in out
    assert "expired.pem" in out and "key-mismatch" in out
    assert "expired" in out and "errors" in out


def test_plain_report_of_a_clean_set(engine_set: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(engine_set), "--plain")
    assert code == 0
    assert "nothing to fix" in out and "self-signed" in out


def test_plain_report_with_markup_like_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "[bold]x[red].pem").write_bytes(b"junk")
    code, out, _ = run(capsys, str(tmp_path), "--plain")
    assert "[bold]x[red].pem" in out


def test_without_a_terminal_it_prints_the_plain_report(
    engine_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(engine_set))
    assert code == 0 and "Files in" in out


def test_config_checks_san_coverage(
    engine_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ClusterSpec.example()
    spec.hosts.vip = ["192.168.214.111"]
    save_spec(spec, tmp_path / "cluster.toml")
    code, out, _ = run(
        capsys, str(engine_set), "--json", "--config", str(tmp_path / "cluster.toml")
    )
    assert code == 2
    assert "missing-san" in {f["check"] for f in json.loads(out)["findings"]}


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path / "missing"), "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "does not exist" in err and "Traceback" not in err
    code, _, err = run(capsys, str(tmp_path), "--warn-days", "-3")
    assert code == 1 and "negative" in err
    code, _, err = run(capsys, str(tmp_path), "--config", str(tmp_path / "nope.toml"))
    assert code == 1 and "Traceback" not in err


def test_print_review_writes_to_a_stream(engine_set: Path) -> None:
    from wizard.review import review_directory

    buffer = io.StringIO()
    cli.print_review(review_directory(engine_set), buffer)
    assert "kubernetes.pem" in buffer.getvalue()


def test_console_script(engine_set: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wizard", "review", str(engine_set), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ("-1", "--warn-days -1 is negative — give a number of days, e.g. 30"),
        ("99999999999", "--warn-days 99999999999 is more than 36500 days (100 years)"),
    ],
)
def test_warn_days_out_of_range_is_refused(
    engine_set: Path, capsys: pytest.CaptureFixture[str], days: str, words: str
) -> None:
    code, out, err = run(capsys, str(engine_set), "--plain", "--warn-days", days)
    assert code == 1 and out == "" and words in err
    assert run(capsys, str(engine_set), "--plain", "--warn-days", "36500")[0] in (0, 1)


def test_json_lines_are_the_same_without_the_c_encoder(
    messy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--json encodes each line with one C encoder made once; where the json module has no C
    accelerator it falls back to JSONEncoder's own, and the text is the same either way."""
    import json.encoder

    from wizard.cli.review import json_text
    from wizard.review import review_directory, review_to_json

    review = review_directory(str(messy_dir))
    with_c = json_text(review_to_json(review))
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert json_text(review_to_json(review)) == with_c
    document = json.loads(with_c)
    assert document["files"] and document["findings"]
    # one line for each file and finding, json.dumps's own text of it
    lines = with_c.splitlines()
    for item in document["files"] + document["findings"]:
        assert "    " + json.dumps(item, ensure_ascii=False) in {line.rstrip(",") for line in lines}
