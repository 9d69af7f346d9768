"""wizard.review.tree: who signed what, as plain data."""

from __future__ import annotations

from pathlib import Path

from tests.tui.wizard_pilot import FIXED_NOW, INSPECT_SET
from wizard.review import review_directory
from wizard.review.tree import ca_tree


def test_the_cluster_ca_holds_what_it_signed_and_nothing_is_orphaned() -> None:
    review = review_directory(INSPECT_SET, now=FIXED_NOW)
    roots, orphans = ca_tree(review)
    assert [node.record.path for node in roots] == ["ca.pem"]
    signed = sorted(child.record.path for child in roots[0].children)
    assert signed == ["admin.pem", "kube-proxy.pem", "kubernetes.pem"]
    assert orphans == []


def test_a_certificate_without_its_ca_is_an_orphan(tmp_path: Path) -> None:
    for name in ("admin.pem", "admin-key.pem"):
        (tmp_path / name).write_bytes((INSPECT_SET / name).read_bytes())
    roots, orphans = ca_tree(review_directory(tmp_path, now=FIXED_NOW))
    assert roots == [] and [node.record.path for node in orphans] == ["admin.pem"]
