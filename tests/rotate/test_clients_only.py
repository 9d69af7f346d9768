"""--clients-only (leaked credentials): a separate client CA takes over client trust; client
certificates are re-issued under it, servers keep theirs; after finalize an old client
certificate fails against what --client-ca-file reads, and a cross-signed root is refused."""

from __future__ import annotations

import shutil

import pytest

from tests.rotate.rotate_sets import copy_set, make_spec, top_level, verify
from wizard.catalog import concrete_entries, files_of
from wizard.rotate import (
    Phase,
    RotateError,
    Stage,
    apply_phase,
    apply_undo,
    detect,
    plan_phase,
    plan_undo,
    target_for,
)


@pytest.mark.parametrize("profile", ["complete", "kubeadm"])
def test_a_leaked_admin_certificate_stops_verifying_servers_untouched(
    profile: str, profile_sets, tmp_path
) -> None:
    spec = make_spec(profile)
    out = copy_set(profile_sets[profile], tmp_path / "certs")
    target = target_for("cluster", spec, out, clients_only=True)
    ca = files_of(target.entry, target.profile).cert
    admin = files_of(target.profile.entry("admin"), target.profile).cert
    leaked = tmp_path / "leaked-admin.pem"
    shutil.copy(out / admin, leaked)
    servers = [
        files_of(e, target.profile).cert
        for e in concrete_entries(target.profile, spec)
        if e.is_server and e.signer == target.entry.name
    ]
    assert servers
    server_bytes = {name: (out / name).read_bytes() for name in servers}
    ca_bytes = (out / ca).read_bytes()
    assert {use.flag for use in target.trust} >= {"--client-ca-file", "clientCAFile:"}
    assert all(not leaf.is_server for leaf in target.leaves)

    plan = plan_phase(out, target)
    assert any("cross-signed root keeps old certificates valid" in w for w in plan.warnings)
    assert any("--client-ca-file" in w and "client-ca" in w for w in plan.warnings)
    apply_phase(plan)
    assert detect(out, target).stage is Stage.PREPARED
    bundle = out / target.files.bundle
    assert verify(bundle, leaked)
    apply_phase(plan_phase(out, target))
    assert detect(out, target).stage is Stage.REISSUED
    client_ca = out / target.files.cert
    assert verify(client_ca, out / admin) and not verify(out / ca, out / admin)
    assert verify(bundle, leaked)  # still in, until finalize
    apply_phase(plan_phase(out, target))
    assert detect(out, target).stage is Stage.IDLE
    assert not verify(client_ca, leaked), "the leaked certificate must stop working"
    for leaf in target.leaves:
        assert verify(client_ca, out / files_of(leaf, target.profile).cert), leaf.name
    for name in servers:  # no server was re-issued, the cluster CA never changed
        assert (out / name).read_bytes() == server_bytes[name], name
    assert (out / ca).read_bytes() == ca_bytes
    # the host plan never writes the client CA alone over the client bundle mid-rotation
    if profile == "complete":
        assert any("etcd --trusted-ca-file keeps the cluster CA" in n for n in target.notes)


def test_clients_only_refuses_cross_signing_and_other_kinds(profile_sets, tmp_path) -> None:
    spec = make_spec("kubeadm")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    with pytest.raises(RotateError, match="keeps old certificates valid"):
        plan_phase(out, target_for("cluster", spec, out, clients_only=True), cross_sign=True)
    with pytest.raises(RotateError, match="--ca cluster --clients-only"):
        target_for("etcd", spec, out, clients_only=True)


def test_clients_only_phases_undo_and_keep_the_bundle_on_the_hosts(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out, clients_only=True)
    trust_place = "/etc/kubernetes/ssl/client-ca.pem"
    for phase in Phase:
        before = top_level(out)
        plan = plan_phase(out, target)
        assert plan.phase is phase
        placed = [f for s in plan.steps for f in s.files if f.destination == trust_place]
        if phase is Phase.REISSUE:
            assert not placed  # the bundle stays; the client CA alone goes elsewhere
        else:
            expected = target.files.bundle if phase is Phase.PREPARE else target.files.cert
            assert placed and all(f.source == expected for f in placed)
        apply_phase(plan)
        apply_undo(plan_undo(out, target))
        assert top_level(out) == before
        apply_phase(plan_phase(out, target))
    # a full rotation of the cluster CA is a different rotation: its backups are apart
    full = target_for("cluster", spec, out)
    with pytest.raises(RotateError, match="signed by the client CA client-ca.pem"):
        plan_undo(out, full)


@pytest.mark.parametrize("profile", ["classic", "complete", "kubeadm"])
def test_the_client_ca_is_the_catalogues_entry(profile: str, tmp_path) -> None:
    """rotate reads the client CA from the catalogue: its files, and the flags it takes over
    (those of the cluster CA the catalogue lists for it); review finds its files by role."""
    from wizard.review.roles import role_of

    spec = make_spec(profile)
    target = target_for("cluster", spec, clients_only=True)
    client_ca = target.profile.client_ca
    assert client_ca is not None
    names = files_of(client_ca, target.profile)
    assert (target.files.cert, target.files.key) == (names.cert, names.key)
    takes = {(use.component, flag) for use in client_ca.used_by for flag, _part in use.flags}
    assert target.trust and {(use.component, use.flag) for use in target.trust} <= takes
    full = target_for("cluster", spec)
    assert [u for u in full.trust if (u.component, u.flag) in takes] == list(target.trust)
    assert role_of(client_ca, target.profile) is not None
