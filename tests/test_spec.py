"""cluster.toml: validation messages with field paths, load/save, the commented example."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from wizard import pki
from wizard.spec import (
    ClusterSpec,
    Node,
    SpecError,
    dump_spec,
    errors_of,
    example_toml,
    load_spec,
    save_spec,
    spec_from_dict,
    validate,
    validate_nodes,
)


def messages(spec: ClusterSpec) -> list[str]:
    return [str(p) for p in validate(spec)]


def test_the_guides_cluster_is_valid(example_spec: ClusterSpec) -> None:
    assert validate(example_spec) == []
    assert str(example_spec.service_ip()) == "10.254.0.1"


def test_the_example_file_is_the_guides_cluster() -> None:
    data = tomllib.loads(example_toml())
    assert spec_from_dict(data) == ClusterSpec.example()
    assert "# " in example_toml()


def test_cidr_in_vip_names_field_value_and_fix(example_spec: ClusterSpec) -> None:
    example_spec.hosts.vip = ["192.168.214.1/24"]
    assert messages(example_spec) == [
        'hosts.vip[0]: "192.168.214.1/24" is a network, not an address — write 192.168.214.1'
    ]


def test_duplicates_are_warnings(example_spec: ClusterSpec) -> None:
    example_spec.hosts.masters.append("192.168.214.200")
    problems = validate(example_spec)
    assert [(p.path, p.severity) for p in problems] == [("hosts.masters[3]", "warning")]
    assert "repeats hosts.masters[0]" in problems[0].message
    assert example_spec.host_entries("masters").count  # kept once:
    assert [h.value for h in example_spec.host_entries("masters")].count("192.168.214.200") == 1


def test_no_masters_is_an_error(example_spec: ClusterSpec) -> None:
    example_spec.hosts.masters = []
    assert "hosts.masters: is empty" in messages(example_spec)[0]


def test_vip_inside_service_cidr_is_an_error(example_spec: ClusterSpec) -> None:
    example_spec.hosts.vip = ["10.254.0.10"]
    (problem,) = validate(example_spec)
    assert problem.severity == "error"
    assert problem.path == "hosts.vip[0]"
    assert "inside the service CIDR 10.254.0.0/16" in problem.message


@pytest.mark.parametrize(
    ("cidr", "words"),
    [("10.254.0.1/16", "host bits set"), ("10.254.0.0/31", "too small")],
)
def test_service_cidr_problems(example_spec: ClusterSpec, cidr: str, words: str) -> None:
    example_spec.network.service_cidr = cidr
    (problem,) = validate(example_spec)
    assert problem.path == "network.service_cidr"
    assert words in problem.message and cidr in problem.message


def test_ipv6_service_cidr(example_spec: ClusterSpec) -> None:
    example_spec.network.service_cidr = "fd00:10:96::/112"
    example_spec.hosts.masters.append("fd00::200")
    assert errors_of(validate(example_spec)) == []
    assert str(example_spec.service_ip()) == "fd00:10:96::1"


def test_expiry_in_years_is_refused_with_hours(example_spec: ClusterSpec) -> None:
    example_spec.expiry.ca = "10y"
    (problem,) = validate(example_spec)
    assert problem.path == "expiry.ca"
    assert '"10y"' in problem.message and '"87600h"' in problem.message


def test_leaf_longer_than_ca_is_refused(example_spec: ClusterSpec) -> None:
    example_spec.expiry.ca = "43800h"
    (problem,) = validate(example_spec)
    assert problem.path == "expiry.cert"
    assert "outlive" in problem.message


@pytest.mark.parametrize(
    ("algo", "size", "path"),
    [("rsa", 1024, "key.size"), ("ecdsa", 2048, "key.size"), ("dsa", 2048, "key.algo")],
)
def test_key_problems(example_spec: ClusterSpec, algo: str, size: int, path: str) -> None:
    example_spec.key.algo, example_spec.key.size = algo, size
    (problem,) = validate(example_spec)
    assert problem.path == path


def test_country_must_be_two_letters(example_spec: ClusterSpec) -> None:
    example_spec.subject.C = "China"
    (problem,) = validate(example_spec)
    assert problem.path == "subject.C" and '"China"' in problem.message


def test_bad_cluster_domain(example_spec: ClusterSpec) -> None:
    example_spec.network.cluster_domain = "cluster_local"
    (problem,) = validate(example_spec)
    assert problem.path == "network.cluster_domain"


def test_save_and_load_round_trip(tmp_path: Path, example_spec: ClusterSpec) -> None:
    example_spec.hosts.extra.append("api.example.com")
    path = tmp_path / "cluster.toml"
    save_spec(example_spec, path)
    assert load_spec(path) == example_spec
    assert dump_spec(load_spec(path)) == path.read_text()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('profile = "classic"\n[hosts]\netc = ["1.2.3.4"]\n', "hosts.etc: unknown key"),
        ('[hosts]\nmasters = "10.0.0.1"\n', "hosts.masters: should be a list of strings"),
        ('[key]\nsize = "2048"\n', "key.size: '2048' should be a whole number"),
        ("[hosts\n", "not valid TOML"),
        ('[nework]\nservice_cidr = "10.0.0.0/16"\n', "nework: unknown key"),
        ("hosts = 3\n", "hosts: should be a table"),
    ],
)
def test_load_refuses_bad_files_naming_the_key(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "cluster.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_load_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="k8s-cert-wizard init"):
        load_spec(tmp_path / "nope.toml")


def test_load_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cluster.toml"
    path.write_bytes(b'profile = "\xff"\n')
    with pytest.raises(SpecError, match="UTF-8"):
        load_spec(path)


def test_node_lines_round_trip() -> None:
    from wizard.spec import Node, format_node_lines, parse_node_lines

    nodes = parse_node_lines("node-1 10.0.0.1\n\n  node-2=10.0.0.2 \nnode-3,10.0.0.3\nlonely")
    assert nodes == [
        Node("node-1", "10.0.0.1"),
        Node("node-2", "10.0.0.2"),
        Node("node-3", "10.0.0.3"),
        Node("lonely", ""),
    ]
    assert parse_node_lines(format_node_lines(nodes)) == nodes


def test_node_problems_name_the_node_and_the_fix() -> None:
    nodes = [
        Node("n" * 53, "10.0.0.1"),
        Node("node-1", "10.0.0.2"),
        Node("node-1", "10.0.0.3"),
        Node("node-3", "10.0.0.2"),
        Node("Node_4", "10.0.0.4"),
        Node("node-5", "node-5.example.com"),
        Node("n" * 52, "10.0.0.6"),
    ]
    assert [(p.path, p.message) for p in validate_nodes(nodes)] == [
        (
            "nodes[0].name",
            f'"{"n" * 53}" is 53 characters — the kubelet\'s certificate names it '
            "system:node:<name>, and a CN holds at most 64, so at most 52",
        ),
        ("nodes[2].name", '"node-1" repeats nodes[1] — node names are unique'),
        (
            "nodes[3].address",
            '"10.0.0.2" repeats nodes[1] — each node has its own address (its files go to that '
            "host)",
        ),
        (
            "nodes[4].name",
            '"Node_4" is not a node name — lower-case letters, digits, "-" and ".", exactly as '
            "the kubelet registers (hostname or --hostname-override)",
        ),
        (
            "nodes[5].address",
            '"node-5.example.com" is a name — write the node\'s IP address; its name is already '
            "in the certificate",
        ),
    ]


def test_a_name_too_long_for_a_certificate_is_refused_in_words() -> None:
    with pytest.raises(pki.PKIError) as raised:
        pki.build_name({}, "x" * 65)
    assert str(raised.value) == f'"{"x" * 65}" is 65 characters — a name in a certificate holds 64'


def test_a_system_group_as_subject_o_is_refused() -> None:
    spec = ClusterSpec.example()
    spec.subject.O = "system:masters"
    (problem,) = [p for p in validate(spec) if p.path == "subject.O"]
    assert problem.severity == "error"
    assert "cluster-admin" in problem.message and 'e.g. "k8s"' in problem.message


def test_nodes_the_profile_ignores_or_misses_are_pointed_out() -> None:
    spec = ClusterSpec.example()
    spec.nodes = [Node("node-1", "192.168.214.101")]
    (ignored,) = [p for p in validate(spec) if p.path == "nodes"]
    assert ignored.severity == "warning" and "classic profile makes no per-node files" in str(
        ignored
    )
    spec.profile, spec.nodes = "complete", []
    (missing,) = [p for p in validate(spec) if p.path == "nodes"]
    assert missing.severity == "note" and "no kubelet certificate or kubeconfig" in str(missing)
    spec.kubelet = "bootstrap"
    assert not [p for p in validate(spec) if p.path == "nodes"]


def test_a_byte_order_mark_is_fine_and_a_repeated_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cluster.toml"
    path.write_bytes(b"\xef\xbb\xbf" + example_toml().encode())
    assert load_spec(path) == ClusterSpec.example()
    path.write_text('profile = "classic"\nprofile = "complete"\n')
    with pytest.raises(SpecError, match="a key or \\[section\\] is given twice — keep one"):
        load_spec(path)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("L", "Bei\nJing", "holds a control character"),
        ("O", "k8s\t", "holds a control character"),
        ("C", "cn", "is not a two-letter country code in capitals"),
    ],
)
def test_subject_values_certificates_should_not_carry(field: str, value: str, words: str) -> None:
    spec = ClusterSpec.example()
    setattr(spec.subject, field, value)
    assert any(words in m and m.startswith(f"subject.{field}") for m in messages(spec))
