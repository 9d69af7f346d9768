"""The README's bare `pytest` is the quick loop: slow and lab tests are left out and counted,
K8S_CERT_WIZARD_ALL_TESTS=1 (as .ci/run sets it) runs everything, naming tests runs them."""

from __future__ import annotations

import pytest

from tests.conftest import ALL_TESTS

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_quick():
    pass

@pytest.mark.slow
def test_slow():
    pass

@pytest.mark.lab
def test_lab():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A small project with our conftest's selection hooks, a quick, a slow and a lab test."""
    monkeypatch.delenv(ALL_TESTS, raising=False)
    pytester.makeini("[pytest]\ntestpaths = t\nmarkers =\n  slow: slow\n  lab: lab\n")
    pytester.makeconftest(
        "from tests.conftest import (pytest_collection_modifyitems, pytest_sessionfinish,\n"
        "    pytest_terminal_summary, pytest_testnodedown)\n"
    )
    pytester.mkdir("t")
    (pytester.path / "t" / "test_three.py").write_text(TESTS)
    return pytester


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_a_bare_run_leaves_out_slow_and_lab_and_says_so(
    project: pytest.Pytester, workers: list[str]
) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", *workers)
    result.assert_outcomes(passed=1, deselected=None if workers else 2)
    result.stdout.fnmatch_lines(
        [f"quick run: 2 slow end-to-end and lab tests left out; {ALL_TESTS}=1*"]
    )


def test_all_tests_runs_everything(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALL_TESTS, "1")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("quick run:*")


@pytest.mark.parametrize(
    ("args", "passed"),
    [(["t/test_three.py"], 3), (["t/test_three.py::test_slow"], 1), (["-m", "slow or lab"], 2)],
)
def test_naming_tests_or_a_marker_runs_what_was_named(
    project: pytest.Pytester, args: list[str], passed: int
) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=passed)
