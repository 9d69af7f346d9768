"""The review's golden outputs: a small fixed tree (tests/data/golden/review-tree.tar.gz) and
what `k8s-cert-wizard review` prints for it in every format, frozen in review-expected.json.gz.

The tree was made once by make_golden.py (fixed keys, fixed times) and is only ever extracted,
so the outputs are byte-for-byte reproducible: the review runs with a fixed `now`, the extracted
root is shown as ROOT_SHOWN (in the report and in every finding, before anything is laid out, so
that --plain wraps alike wherever the tree was extracted), and files are read as owned by
root:root (as on a node; the group check otherwise depends on who runs the tests).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import os
import sys
import tarfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "golden"
TREE = DATA / "review-tree.tar.gz"
EXPECTED = DATA / "review-expected.json.gz"
NOW_FILE = DATA / "review-now.txt"
ROOT_SHOWN = "/golden/review"

# The reviewed roots inside the tree ("." is all of them at once) and the command lines.
ROOTS = (".", "messy", "kubeadm", "k3s", "kubeasz", "kthw", "bulk")
RUNS: dict[str, tuple[list[str], str]] = {
    "json": (["--json"], "80"),
    "plain-80": (["--plain"], "80"),
    "plain-120": (["--plain"], "120"),
    "prometheus": (["--format", "prometheus"], "80"),
    "kubeadm": (["--format", "kubeadm"], "80"),
}


def extract(target: Path) -> Path:
    """The tree, extracted into `target` with its modes and symlinks; returns `target`."""
    with tarfile.open(TREE) as archive:
        archive.extractall(target, filter="tar")  # keeps modes (the permission checks)
    return target


def fixed_now() -> datetime:
    return datetime.fromisoformat(NOW_FILE.read_text().strip())


@contextlib.contextmanager
def _patched(root: Path, columns: str) -> Iterator[dict[str, int]]:
    """review_directory with a fixed now and root shown as ROOT_SHOWN; files read as root's."""
    import wizard.review
    import wizard.review.scan as scan

    real_review, real_read = wizard.review.review_directory, scan.read_file
    reads = {"files": 0}
    real_root = str(root.resolve())

    def review_directory(path: Any, **options: Any) -> Any:
        options["now"] = fixed_now()
        review = real_review(path, **options)
        shown = review.root.replace(real_root, ROOT_SHOWN, 1)
        review.findings = [
            dataclasses.replace(f, message=f.message.replace(real_root, ROOT_SHOWN))
            for f in review.findings
        ]
        review.root = shown
        return review

    def read_file(path: str, *args: Any, **kwargs: Any) -> Any:
        data, status = real_read(path, *args, **kwargs)
        fields = list(status[:10])
        fields[4] = fields[5] = 0  # st_uid, st_gid
        reads["files"] += 1
        return data, os.stat_result(fields)

    old_columns = os.environ.get("COLUMNS")
    wizard.review.review_directory = review_directory
    scan.read_file = read_file
    os.environ["COLUMNS"] = columns
    try:
        yield reads
    finally:
        wizard.review.review_directory = real_review
        scan.read_file = real_read
        if old_columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old_columns


def run_cli(tree: Path, root: str, run: str, output: Path | None = None) -> dict[str, Any]:
    """`k8s-cert-wizard review TREE/ROOT …` in this process: its exit code and stdout (with
    `output`, `-o OUTPUT` and what it wrote there)."""
    from wizard.cli import main

    arguments, columns = RUNS[run]
    if output is not None:
        arguments = [*arguments, "-o", str(output)]
    directory = tree / root if root != "." else tree
    captured = io.BytesIO()
    stream = io.TextIOWrapper(captured, encoding="utf-8", newline="")
    old_stdout = sys.stdout
    with _patched(tree, columns) as reads:
        sys.stdout = stream
        try:
            code = main(["review", str(directory), *arguments])
            stream.flush()
        finally:
            sys.stdout = old_stdout
    if not reads["files"]:
        raise AssertionError("the scan no longer reads through scan.read_file: fix _patched")
    text = captured.getvalue().decode("utf-8")
    if output is not None:
        text = output.read_text(encoding="utf-8")
    return {"exit": code, "stdout": text.replace(str(tree.resolve()), ROOT_SHOWN)}


def outputs(tree: Path) -> dict[str, dict[str, Any]]:
    """Every root in every run: {"ROOT RUN": {"exit": …, "stdout": …}}."""
    return {f"{root} {run}": run_cli(tree, root, run) for root in ROOTS for run in RUNS}


def expected() -> dict[str, dict[str, Any]]:
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def write_expected(results: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False)
    with gzip.GzipFile(EXPECTED, "wb", mtime=0) as handle:
        handle.write(text.encode("utf-8"))
