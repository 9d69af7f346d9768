"""Forking the work out gives the same review as doing it all in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.review import parallel, review_directory, review_to_json


def test_run_split_keeps_order() -> None:
    items = list(range(101))
    parts = parallel.run_split(lambda chunk: [i * 2 for i in chunk], items, min_items=1, workers=3)
    assert [x for part in parts for x in part] == [i * 2 for i in items]


def test_run_split_runs_here_when_small() -> None:
    assert parallel.run_split(len, [1, 2, 3]) == [3]


@pytest.mark.skipif(
    not parallel.can_fork(), reason="forking is only used on Linux, single-threaded"
)
def test_forked_review_equals_serial_review(
    messy_dir: Path, kubeadm_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for directory in (messy_dir, kubeadm_tree):
        serial = review_to_json(review_directory(directory))
        monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
        forked = review_to_json(review_directory(directory))
        monkeypatch.undo()
        serial.pop("now"), forked.pop("now")
        assert forked == serial
