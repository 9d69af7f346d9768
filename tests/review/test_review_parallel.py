"""Forking the work out gives the same review as doing it all in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.review import Review, parallel, review_directory, review_to_json
from wizard.review.model import SignatureChecked


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


def _chain_facts(review: Review) -> dict[str, tuple[str | None, bool, list[str]]]:
    """Each certificate's issuer, whether self-signed, and its chain findings, by path."""
    chain_checks = {"bad-signature", "unknown-issuer", "same-subject-no-aki"}
    return {
        record.ref: (
            record.issued_by,
            record.self_signed,
            sorted(f.check for f in review.findings if f.path == record.path)
            if any(f.check in chain_checks for f in review.findings if f.path == record.path)
            else [],
        )
        for record in review.files
        if record.cert is not None
    }


def _signatures_kept(review: Review) -> list[str]:
    """The certificates (neither CA nor self-issued) whose signature the review still holds."""
    return [
        record.ref
        for record in review.files
        if record.cert is not None
        and not record.cert.is_ca
        and not record.cert.self_issued
        and not isinstance(record.cert.signed, SignatureChecked)
    ]


@pytest.mark.skipif(
    not parallel.can_fork(), reason="forking is only used on Linux, single-threaded"
)
def test_signatures_checked_in_the_children_find_the_same_chains(
    messy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in one process (small trees), in forked children that check what they read, and with
    # children whose answers are lost (killed): the parent reads those signatures again
    serial = review_directory(messy_dir)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    forked = review_directory(messy_dir)
    monkeypatch.setattr(parallel.Work, "answers", lambda self: [])
    lost = review_directory(messy_dir)
    expected = _chain_facts(serial)
    assert expected["regenerated.pem"][2] == ["bad-signature"]
    assert expected["foreign.pem"][2] == ["unknown-issuer"]
    assert expected["expired.pem"][0] == "ca.pem"
    assert _chain_facts(forked) == expected
    assert _chain_facts(lost) == expected
    for review in (serial, forked, lost):
        assert _signatures_kept(review) == []


@pytest.mark.skipif(
    not parallel.can_fork(), reason="forking is only used on Linux, single-threaded"
)
def test_certificates_of_one_issuer_and_purpose_share_one_profile(
    messy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read here, or sent back by a child in whatever slice: one CertProfile object
    serial = review_directory(messy_dir)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    for review in (serial, review_directory(messy_dir)):
        by_path = {r.path: r.cert for r in review.files if r.cert is not None}
        alike = [by_path[path] for path in ("expired.pem", "expiring.pem", "future.pem")]
        assert all(facts is not None for facts in alike)
        assert len({id(facts.profile) for facts in alike if facts is not None}) == 1
        assert by_path["ca.pem"].profile is not alike[0].profile  # type: ignore[union-attr]
    monkeypatch.undo()
