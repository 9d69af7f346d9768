"""Fixtures shared by every test: the shared/ folder, example specs, a generated classic set."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Make `python -m wizard` in a subprocess run this checkout, whatever is installed."""
    inherited = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), inherited]))
    _cache_bytecode_for_subprocesses()


def _cache_bytecode_for_subprocesses() -> None:
    """Let the hundreds of `python -m wizard` processes the tests start load compiled bytecode,
    as a user's install does, instead of recompiling the package each time (these machines set
    PYTHONDONTWRITEBYTECODE=1). The cache lives outside the checkout; this process is unchanged
    (both settings are read at start-up). The benchmarks measure start-up both ways themselves."""
    if os.environ.get("K8S_CERT_WIZARD_TEST_BYTECODE", "1") == "0":
        return
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "k8s-cert-wizard-test-pycache")
    )


ALL_TESTS = "K8S_CERT_WIZARD_ALL_TESTS"  # =1: run the slow and lab tests too (.ci/run sets it)

SLOW_FILES = {
    # end-to-end files that take 10 s or more on two cores: real processes racing or killed,
    # every interruption point, the wizard driven through every step
    "tests/jobs/test_lock.py",
    "tests/store/test_interruptions.py",
    "tests/test_faces.py",
    "tests/tui/test_bad_spec.py",
    "tests/tui/test_flow.py",
    "tests/tui/test_layout_screen.py",
    "tests/tui/test_crashes.py",
}
# Single tests that took 6 s or more on the shared 2-core machine under load (about 3 s idle)
# carry @pytest.mark.slow where they are.


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow end-to-end files `slow`; leave `slow` and `lab` tests out of a bare
    `pytest` (the README's quick command) unless K8S_CERT_WIZARD_ALL_TESTS=1 asks for them.
    Naming tests (`pytest tests/jobs/test_lock.py`) or choosing with `-m` runs what was named."""
    for item in items:
        if item.nodeid.split("::")[0] in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
    if not _quick_run(config):
        return
    kept, left_out = [], []
    for item in items:
        slow = item.get_closest_marker("slow") or item.get_closest_marker("lab")
        (left_out if slow else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
        config.stash[_LEFT_OUT] = len(left_out)


_LEFT_OUT = pytest.StashKey[int]()


def _quick_run(config: pytest.Config) -> bool:
    """A bare `pytest` over the default test paths, with no -m and no K8S_CERT_WIZARD_ALL_TESTS."""
    if os.environ.get(ALL_TESTS, "") == "1" or config.option.markexpr:
        return False
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand the count of tests left out to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["k8s_cert_wizard_left_out"] = session.config.stash.get(_LEFT_OUT, 0)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """In the xdist controller, take the count a worker left out (every worker collects all)."""
    left_out = getattr(node, "workeroutput", {}).get("k8s_cert_wizard_left_out", 0)
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    config.stash[_LEFT_OUT] = max(config.stash.get(_LEFT_OUT, 0), left_out)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many slow tests the quick run left out, and how to run everything."""
    left_out = terminalreporter.config.stash.get(_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"quick run: {left_out} slow end-to-end and lab tests left out; "
            f"{ALL_TESTS}=1 pytest runs everything (.ci/run does)"
        )


def need_tool(name: str) -> str:
    """The path of an external tool, or skip the test saying which package brings it."""
    path = shutil.which(name)
    if path is None:
        packages = {
            "cfssl": "golang-cfssl",
            "cfssljson": "golang-cfssl",
            "cfssl-certinfo": "golang-cfssl",
            "etcd": "etcd-server",
            "etcdctl": "etcd-client",
            "openssl": "openssl",
            "kubectl": "kubectl",
        }
        pytest.skip(f"{name} is not installed (apt-get install {packages.get(name, name)})")
    return path


@pytest.fixture
def example_spec() -> ClusterSpec:
    """The guide's cluster."""
    return ClusterSpec.example()


@pytest.fixture
def fixed_now() -> datetime:
    """A fixed instant, for reproducible dates."""
    return datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC)


@pytest.fixture(scope="session")
def classic_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set (RSA 2048), generated once per session; treat it as read-only."""
    directory = tmp_path_factory.mktemp("classic") / "k8s-certs"
    write_files(directory, generate_files(ClusterSpec.example()))
    return directory


@pytest.fixture(scope="session")
def ecdsa_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set with ECDSA P-256 keys, generated once per session."""
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    directory = tmp_path_factory.mktemp("ecdsa") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return directory
