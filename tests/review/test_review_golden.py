"""What `review` prints, frozen byte for byte (json, plain at 80 and 120 columns, prometheus,
kubeadm) on a fixed tree of every layout the tests know: speed work must not change a byte.

A deliberate change of the output re-freezes it: python tests/review/make_golden.py expected
--work DIR (see golden.py), and the commit says why."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import golden
import pytest

# k3s's CAs have serial 0 (client-go's certutil), which cryptography warns about
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golden.extract(tmp_path_factory.mktemp("golden") / "tree")


@pytest.fixture(scope="module")
def frozen() -> dict[str, dict[str, Any]]:
    return golden.expected()


def test_every_output_is_frozen(frozen: dict[str, dict[str, Any]]) -> None:
    wanted = {f"{root} {run}" for root in golden.ROOTS for run in golden.RUNS}
    assert set(frozen) == wanted


@pytest.mark.parametrize("root", golden.ROOTS)
@pytest.mark.parametrize("run", list(golden.RUNS))
def test_output_unchanged(
    tree: Path, frozen: dict[str, dict[str, Any]], root: str, run: str
) -> None:
    want = frozen[f"{root} {run}"]
    got = golden.run_cli(tree, root, run)
    if got["stdout"] != want["stdout"]:
        diff = difflib.unified_diff(
            want["stdout"].splitlines(keepends=True),
            got["stdout"].splitlines(keepends=True),
            "frozen",
            "now",
            n=2,
        )
        pytest.fail(f"review {root} {run} prints something else:\n" + "".join(list(diff)[:80]))
    assert got["exit"] == want["exit"]


@pytest.mark.parametrize("run", ["json", "prometheus", "kubeadm"])
def test_a_file_gets_what_stdout_gets(
    tree: Path, frozen: dict[str, dict[str, Any]], run: str, tmp_path: Path
) -> None:
    """-o FILE is written from the whole text, stdout in streamed pieces: the same bytes."""
    got = golden.run_cli(tree, ".", run, output=tmp_path / "report")
    assert got == frozen[f". {run}"]


def test_the_tree_has_what_the_review_must_see(frozen: dict[str, dict[str, Any]]) -> None:
    """The frozen outputs are worth freezing: errors, warnings, more than --plain lists."""
    everything = frozen[". plain-120"]["stdout"]
    for check in ("expired", "key-mismatch", "bad-signature", "encrypted-key", "key-permissions"):
        assert f"\n{check} — " in everything, check
    assert "more certificates" in frozen["bulk plain-80"]["stdout"]
    assert {frozen[f"{root} json"]["exit"] for root in golden.ROOTS} == {0, 2}
