"""cfssl's JSON from the catalogue: the guide's files, without the guide's mistake."""

from __future__ import annotations

import json
from pathlib import Path

from wizard.catalog import CLASSIC, COMPLETE, KUBEADM, sans_of, usages_for
from wizard.cfssl import ca_config, csr_request, dump_json, gencert_command
from wizard.generate import plan_json_files, planned_file_names


def test_clients_have_no_sans(example_spec) -> None:
    assert sans_of(CLASSIC.entry("admin"), example_spec) == []
    assert csr_request(CLASSIC.entry("admin"), example_spec)["hosts"] == []


def test_json_equals_the_guides_files(example_spec) -> None:
    seed = Path(__file__).parent / "data" / "seed-cfssl-json"  # copy of ../shared/seed/cfssl-json
    ours = {f.path: f.content.decode() for f in plan_json_files(example_spec)}
    for name in ("ca-config.json", "ca-csr.json", "admin-csr.json", "kube-proxy-csr.json"):
        assert ours[name] == (seed / name).read_text(), name
    guide = json.loads((seed / "kubernetes-csr.json").read_text())
    mine = json.loads(ours["kubernetes-csr.json"])
    assert set(mine) == set(guide)
    guide_hosts = set(guide["hosts"]) - {"192.168.214.1/24"}
    assert set(mine["hosts"]) == guide_hosts | {"192.168.214.100"}
    assert "192.168.214.1/24" not in mine["hosts"]


def test_ecdsa_profile_drops_key_encipherment(example_spec) -> None:
    example_spec.key.algo, example_spec.key.size = "ecdsa", 256
    config = ca_config(CLASSIC, example_spec)
    assert config["signing"]["profiles"]["kubernetes"]["usages"] == [
        "signing",
        "server auth",
        "client auth",
    ]
    assert usages_for(CLASSIC.signing_profile("kubernetes"), "rsa")[1] == "key encipherment"


def test_dump_json_keeps_unicode_and_ends_with_newline() -> None:
    assert dump_json({"ST": "北京"}) == '{\n  "ST": "北京"\n}\n'


def test_gencert_commands() -> None:
    assert gencert_command(CLASSIC.entry("ca"), CLASSIC) == (
        "cfssl gencert -initca ca-csr.json | cfssljson -bare ca"
    )
    assert "-profile=kubernetes admin-csr.json | cfssljson -bare admin" in gencert_command(
        CLASSIC.entry("admin"), CLASSIC
    )


def test_planned_names(example_spec) -> None:
    names = planned_file_names(example_spec)
    for stem in ("ca", "kubernetes", "admin", "kube-proxy"):
        assert {f"{stem}.pem", f"{stem}-key.pem", f"{stem}.csr", f"{stem}-csr.json"} <= set(names)
    assert "ca-config.json" in names and "cluster.toml" in names


def test_gencert_commands_name_each_signer() -> None:
    assert gencert_command(KUBEADM.entry("etcd/healthcheck-client"), KUBEADM) == (
        "cfssl gencert -ca=etcd/ca.pem -ca-key=etcd/ca-key.pem -config=ca-config.json "
        "-profile=client etcd/healthcheck-client-csr.json | cfssljson -bare etcd/healthcheck-client"
    )
    assert "-ca=ca.pem -ca-key=ca-key.pem" in gencert_command(COMPLETE.entry("admin"), COMPLETE)


def test_ca_config_has_every_signing_profile(example_spec) -> None:
    for profile in (CLASSIC, COMPLETE, KUBEADM):
        config = ca_config(profile, example_spec)["signing"]
        assert list(config["profiles"]) == [s.name for s in profile.signing_profiles]
        assert config["default"] == {"expiry": example_spec.expiry.cert}
