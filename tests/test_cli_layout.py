"""`layout` on the command line: wrapped to the width, every word of the teaching text kept,
in Chinese with --lang zh, ./cluster.toml by default (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wizard.cli import main
from wizard.cli.layout import display_width, wrap
from wizard.layout import TEXT, layout_sections
from wizard.spec import ClusterSpec, load_spec, save_spec


def layout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int, *argv: str
) -> tuple[str, str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["layout", *argv]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("columns", [40, 80, 120])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_line_wider_than_the_terminal_and_every_word_kept(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    elsewhere: Path,
    columns: int,
    language: str,
) -> None:
    out, _ = layout(capsys, monkeypatch, columns, "--profile", "complete", "--lang", language)
    widths = [display_width(line) for line in out.splitlines()]
    assert max(widths) <= min(columns, 100)
    assert " | " not in out  # no raw table rows
    spec = ClusterSpec.example()
    spec.profile = "complete"
    body = squeezed(out)
    for section in layout_sections(spec, language):
        assert squeezed(section.intro) in body
        for row in section.rows[1:]:
            for cell in row:
                for item in cell.split("; "):
                    assert squeezed(item) in body, item


def test_chinese_with_lang_zh(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, elsewhere: Path
) -> None:
    out, err = layout(capsys, monkeypatch, 80, "--lang", "zh")
    assert out.startswith(TEXT["zh"]["title"] + "\n")
    assert "出示方" in out and "八套证书" in out and "presented by" not in out
    assert err.startswith("当前目录没有 cluster.toml：讲解指南中的集群")
    assert not re.search(r"^\s*[，。；：、）]", out, re.MULTILINE)  # never a line starting ，


def test_reads_cluster_toml_in_the_working_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, elsewhere: Path
) -> None:
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"
    save_spec(spec, elsewhere / "cluster.toml")
    assert load_spec(elsewhere / "cluster.toml").profile == "kubeadm"
    out, err = layout(capsys, monkeypatch, 80, "--lang", "en")
    assert "explaining ./cluster.toml" in err
    assert "apiserver.crt" in out and "kubernetes.pem" not in out


def test_the_guides_cluster_when_there_is_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, elsewhere: Path
) -> None:
    out, err = layout(capsys, monkeypatch, 80, "--lang", "en")
    assert err.startswith("no ./cluster.toml here: explaining the guide's cluster")
    assert "kubernetes.pem" in out


def test_wrap_hangs_and_cuts() -> None:
    assert wrap("one two three", 8, first="> ", hang=2) == ["> one", "  two", "  three"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("中文，没有空格", 6) == ["中文，", "没有空", "格"]
    assert all(display_width(line) <= 6 for line in wrap("中文，没有空格。好", 6))
