"""The classified plan of files, and the set-level warning the CLI and the preview share."""

from __future__ import annotations

from wizard.generate import planned_file_names
from wizard.outputs import describe, plan_files, shared_subject_warnings
from wizard.spec import ClusterSpec, Node


def test_every_planned_file_is_classified_and_described() -> None:
    spec = ClusterSpec.example()
    spec.profile, spec.kubelet = "complete", "bootstrap"
    spec.nodes = [Node("node-1", "192.168.214.101")]
    planned = plan_files(spec)
    assert [p.name for p in planned] == planned_file_names(spec)
    kinds = {p.name: p.kind for p in planned}
    assert kinds["ca-key.pem"] == "key" and kinds["admin.kubeconfig"] == "kubeconfig"
    assert kinds["bootstrap-token"] == "token" and kinds["sa.pub"] == "pub"
    assert "token.csv" not in kinds
    for item in planned:
        assert describe(item, spec)
    assert "600" in describe(next(p for p in planned if p.name == "ca-key.pem"), spec)


def test_the_guides_ca_and_apiserver_share_a_subject() -> None:
    (warning,) = shared_subject_warnings(ClusterSpec.example())
    assert warning.severity == "warning"
    assert "kubernetes.pem has the same subject as its CA ca.pem" in warning.message
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"  # apiserver's CN is kube-apiserver
    assert shared_subject_warnings(spec) == []
