"""The README's rotation diagrams are `rotate-ca --explain` output, byte for byte: run it and
compare, so the README cannot drift from the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wizard.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- rotate-ca (?P<args>[^>]*) -->\n```\n(?P<text>.*?)\n```", re.S)


def test_the_readme_has_the_rotation_diagrams() -> None:
    assert len(BLOCK.findall(README.read_text())) >= 2


@pytest.mark.parametrize("found", list(BLOCK.finditer(README.read_text())), ids=lambda m: m["args"])
def test_each_diagram_is_what_explain_prints(found, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no cluster.toml here: the guide's cluster with one node
    assert main(["rotate-ca", *found["args"].split()]) == 0
    assert capsys.readouterr().out.rstrip("\n") == found["text"]
