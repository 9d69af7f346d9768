"""The classic catalogue and its cfssl JSON: the guide's files, without the guide's mistake."""

from __future__ import annotations

import json
from pathlib import Path

from wizard.catalog import CLASSIC, SanSource, get_profile, sans_of, usages_for
from wizard.cfssl import ca_config, csr_request, dump_json, gencert_command
from wizard.generate import plan_json_files, planned_file_names
from wizard.hosts import HostKind
from wizard.spec import ClusterSpec


def test_classic_has_the_guides_four_key_pairs() -> None:
    assert [e.name for e in CLASSIC.entries] == ["ca", "kubernetes", "admin", "kube-proxy"]
    assert [e.name for e in CLASSIC.cas()] == ["ca"]
    assert CLASSIC.entry("admin").organization == "system:masters"
    assert CLASSIC.entry("kube-proxy").cn == "system:kube-proxy"
    assert CLASSIC.signing_profile("kubernetes").usages == (
        "signing",
        "key encipherment",
        "server auth",
        "client auth",
    )


def test_every_entry_explains_itself() -> None:
    for entry in CLASSIC.entries:
        assert entry.purpose and entry.identity and entry.used_by
        assert entry.sets and all(1 <= s <= 8 for s in entry.sets)
        if not entry.is_ca:
            assert get_profile("classic").entry(entry.signer or "").is_ca


def test_apiserver_sans_with_reasons(example_spec: ClusterSpec) -> None:
    sans = sans_of(CLASSIC.entry("kubernetes"), example_spec)
    by_value = {s.value: s for s in sans}
    assert by_value["127.0.0.1"].source is SanSource.LOOPBACK
    assert by_value["192.168.214.88"].source is SanSource.ETCD
    assert by_value["192.168.214.200"].source is SanSource.MASTERS
    assert by_value["10.254.0.1"].source is SanSource.SERVICE_IP
    assert by_value["192.168.214.210"].source is SanSource.REGISTRY
    assert by_value["192.168.214.100"].source is SanSource.VIP
    assert by_value["kube-api.wangdong.com"].source is SanSource.EXTRA
    assert by_value["kubernetes.default.svc.cluster.local"].source is SanSource.CLUSTER_DNS
    assert "first service IP" in by_value["10.254.0.1"].reason
    assert len(by_value) == len(sans)  # each value once
    assert all(s.kind is HostKind.DNS for s in sans if s.source is SanSource.CLUSTER_DNS)


def test_a_host_in_two_groups_is_listed_once_with_its_first_reason(example_spec) -> None:
    example_spec.hosts.masters.append("192.168.214.88")  # a master that is also an etcd member
    sans = sans_of(CLASSIC.entry("kubernetes"), example_spec)
    assert [s.value for s in sans].count("192.168.214.88") == 1


def test_cluster_domain_drives_the_last_dns_name(example_spec) -> None:
    example_spec.network.cluster_domain = "k8s.example.org"
    names = [s.value for s in sans_of(CLASSIC.entry("kubernetes"), example_spec)]
    assert "kubernetes.default.svc.k8s.example.org" in names
    assert "kubernetes.default.svc.cluster.local" not in names


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
