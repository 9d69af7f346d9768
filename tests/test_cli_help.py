"""--help of init, csr, generate, certinfo and layout: a description, examples that parse,
nothing wider than 80 columns (issue 12)."""

from __future__ import annotations

import shlex

import pytest

from wizard.cli import build_parser
from wizard.cli.common import PROG

COMMANDS = ["init", "csr", "generate", "certinfo", "layout"]


def help_text(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_a_description_and_examples_that_parse(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = help_text(command, capsys)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    _usage, description, *_ = text.split("\n\n")
    assert len(description.split()) >= 15, description  # a sentence or two, not a title
    examples = text.split("\nexamples:\n", 1)[1].splitlines()
    commented = [line for line in examples if line.strip().startswith("# ")]
    assert len(commented) >= 2, examples  # each example says what it does
    ours = [line for line in examples if f"{PROG} {command}" in line]
    assert len(ours) >= 2, examples
    for line in ours:
        invocation = line[line.rindex(f"{PROG} {command}") :].split("|")[0].split("&&")[0]
        args = build_parser().parse_args(shlex.split(invocation)[1:])
        assert args.command == command, invocation
