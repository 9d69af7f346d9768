"""cluster.toml: validation messages with field paths, load/save, the commented example."""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import time
import tomllib
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- hostile cluster files (issue 12) ----------------------------------------------------------

LONG_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 48])  # 240 characters, labels valid
HOSTILE_CHARACTERS = (
    "0123456789abcxyzABC.-/:*@_ h"
    "\u0661\u0662\u0663\uff18\uff17\u096e"  # Arabic-Indic, fullwidth and Devanagari digits
    "\t\n\r\x00\x1b\x7f\x85\x9b\u2028\u2029\u202e\ufeff"  # C0, C1, separators, bidi, BOM
    "é中"
)
hostile_text = st.text(st.sampled_from(HOSTILE_CHARACTERS), max_size=30)
sized_text = st.builds(lambda n, c: c * n, st.integers(0, 600), st.sampled_from("a1.-"))
hostile_values = st.one_of(
    hostile_text,
    sized_text,
    st.sampled_from(
        [
            "87600h",
            " 87600h",
            "87600h\n",
            "\u0668\u0667\u0666\u0660\u0660h",
            "８７６００h",
            "10.96.0.0/33",
            "10.96.0.0/12",
            "node..1",
            "node-.a",
            "-node",
            "node-1\n",
            LONG_DOMAIN,
            "a" * 240,
            "192.168.1.1",
            "::1",
            "x.example.com",
        ]
    ),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.lists(hostile_text, max_size=4),
    st.dictionaries(hostile_text, hostile_text, max_size=2),
)
FIELDS = [
    ("profile",),
    ("kubelet",),
    *[("hosts", group) for group in ("etcd", "masters", "registry", "vip", "extra")],
    ("network", "service_cidr"),
    ("network", "cluster_domain"),
    ("network", "apiserver_port"),
    *[("subject", name) for name in ("C", "ST", "L", "O", "OU")],
    ("key", "algo"),
    ("key", "size"),
    ("expiry", "ca"),
    ("expiry", "cert"),
    ("kubeconfig", "embed"),
    ("nodes", 0, "name"),
    ("nodes", 0, "address"),
    ("nodes", 1, "name"),
    ("nodes", 1, "address"),
    *[("deploy", name) for name in ("user", "port", "ssh_config", "ssh_options", "parallel")],
    *[("deploy", name) for name in ("owner", "group", "units", "hosts")],
    ("deploy", "units", "kube-apiserver"),
]
GO_DURATION = re.compile(r"(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+")
DNS_1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
POSIX_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?")
DNS_LABEL = re.compile(r"\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _hostile_document(data: st.DataObject) -> dict:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    document = spec.to_dict()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(FIELDS))
        value = data.draw(hostile_values)
        if path[0] == "hosts" and data.draw(st.booleans()):
            value = data.draw(st.lists(hostile_text | st.sampled_from(["10.0.0.1"]), max_size=5))
        if path[0] == "hosts" and data.draw(st.integers(0, 9)) == 0:
            value = [f"10.0.{i // 256}.{i % 256}" for i in range(data.draw(st.integers(0, 1500)))]
        target = document
        for step in path[:-1]:
            if isinstance(step, str):
                if not isinstance(target.get(step), dict | list):  # a value drawn: a table now
                    target[step] = {}
                target = target[step]
            else:
                target = target[step]
        target[path[-1]] = value
    return document


def _is_control(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Zl", "Zp", "Cf")


def _cfssl_and_kubernetes_accept(spec: ClusterSpec) -> None:
    """What Go, cfssl and Kubernetes require of the values, written from their rules."""
    for name in ("ca", "cert"):
        assert GO_DURATION.fullmatch(getattr(spec.expiry, name)), name  # time.ParseDuration
    for name in ("C", "ST", "L", "O", "OU"):
        value = getattr(spec.subject, name)
        assert len(value) <= 64 and not any(_is_control(c) for c in value), name
    for node in spec.nodes:  # the API server's Node name validation, and a CN of 64
        assert DNS_1123_SUBDOMAIN.fullmatch(node.name) and len(node.name) <= 52, node.name
        ipaddress.ip_address(node.address.strip())
    for group in ("etcd", "masters", "registry", "vip", "extra"):
        entries = getattr(spec.hosts, group)
        assert len(entries) <= 1000
        for entry in entries:  # an IP SAN, or a DNS SAN Go's verifier can match
            entry = entry.strip()  # written canonical, as host_entries() gives them
            try:
                ipaddress.ip_address(entry)
                continue
            except ValueError:
                pass
            name = entry.removesuffix(".").lower()
            assert name.isascii() and len(name) <= 253, entry
            assert all(DNS_LABEL.fullmatch(label) for label in name.split(".")), entry
    domain = spec.network.cluster_domain.strip().removesuffix(".").lower()
    assert len(f"kubernetes.default.svc.{domain}") <= 253 and domain.isascii()
    assert all(DNS_LABEL.fullmatch(label) for label in domain.lower().split("."))
    network = ipaddress.ip_network(spec.network.service_cidr.strip())  # strict: no host bits
    assert network.prefixlen <= network.max_prefixlen
    assert 1 <= spec.network.apiserver_port <= 65535
    deploy = spec.deploy  # what OpenSSH (ssh -l/-p/-o) and chown would take
    assert deploy.port == 0 or 1 <= deploy.port <= 65535
    for name in ("user", "owner", "group"):
        value = getattr(deploy, name)
        assert value == "" or (POSIX_NAME.fullmatch(value) and len(value) <= 32), name
    for option in deploy.ssh_options:
        assert "=" in option and not any(_is_control(c) for c in option), option
        assert option.split("=")[0].lower() not in ("stricthostkeychecking", "batchmode")
    for unit in deploy.units.values():
        assert not unit.startswith("-") and not any(c.isspace() or _is_control(c) for c in unit)


@settings(
    max_examples=int(os.environ.get("K8S_FUZZ_EXAMPLES", "300")),
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_hostile_cluster_files_are_refused_in_words_or_valid(data: st.DataObject) -> None:
    document = _hostile_document(data)
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):
        return  # not expressible in TOML (e.g. a NUL in a key)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cluster.toml"
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        try:
            spec = load_spec(path)
        except SpecError as error:
            assert str(error).startswith(f"{path}: ") and len(str(error)) < 4000
            return
        problems = validate(spec)
        assert time.perf_counter() - start < 2
    for problem in problems:
        assert problem.path and 20 < len(problem.message) < 1000, problem
        assert "\n" not in problem.message and "\u2028" not in problem.message, problem
    if not errors_of(problems):
        _cfssl_and_kubernetes_accept(spec)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a = " + "[" * 50_000 + "]" * 50_000, "nested hundreds deep"),
        ("a = " + "{b = " * 50_000 + "}" * 50_000, "nested hundreds deep"),
        ("[hosts]\nextra = [" + "[" * 200 + "]" * 200 + "]", "should be a list of strings"),
    ],
    ids=["arrays", "inline-tables", "nested-in-a-list"],
)
def test_deep_nesting_is_refused_without_a_recursion_error(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "cluster.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert words in str(caught.value) and len(str(caught.value)) < 1000


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("expiry.cert", "\u0668\u0667\u0666\u0660\u0660h", "non-ASCII digits"),
        ("expiry.cert", "８７６００h", "non-ASCII digits"),
        ("expiry.cert", "\u096e\u096d\u096c\u0966\u0966h", "non-ASCII digits"),
        (
            "expiry.cert",
            " 87600h",
            'spaces or a line break at its ends, which cfssl refuses — write "87600h"',
        ),
        (
            "expiry.ca",
            "87600h\n",
            'spaces or a line break at its ends, which cfssl refuses — write "87600h"',
        ),
        ("subject.O", "k8s\x85", "control character"),
        ("subject.OU", "Sys\x9b31m", "control character"),
        ("subject.L", "Bei\u2028Jing", "control character"),
        ("network.cluster_domain", LONG_DOMAIN, "so at most 230"),
        ("network.service_cidr", "10.96.0.0/33", "the prefix length /33 is longer than 32"),
        ("nodes[0].name", "node..1", "has an empty part"),
        ("nodes[0].name", "node-.one", 'starts or ends with "-"'),
        ("nodes[0].name", "node-1\n", "is not a node name"),
        ("nodes[0].address", "", 'node "node-1" has no address'),
    ],
)
def test_values_go_cfssl_or_kubernetes_refuse_are_refused(
    field: str, value: str, words: str
) -> None:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.nodes = [Node("node-1", "192.168.214.101")]
    section, name = field.split(".")
    if section == "nodes[0]":
        setattr(spec.nodes[0], name, value)
    else:
        setattr(getattr(spec, section), name, value)
    errors = [str(p) for p in errors_of(validate(spec)) if p.path == field]
    assert any(words in error for error in errors), errors


def test_a_hundred_thousand_hosts_are_refused_quickly() -> None:
    spec = ClusterSpec.example()
    spec.hosts.extra = [f"h{i}.example.com" for i in range(100_000)]
    spec.nodes = [Node(f"n{i}", "10.0.0.1") for i in range(6000)]
    start = time.perf_counter()
    errors = [str(p) for p in errors_of(validate(spec))]
    assert time.perf_counter() - start < 0.5
    assert "hosts.extra: lists 100,000 entries — at most 1,000" in errors[0]
    assert any(e.startswith("nodes: lists 6,000 nodes") for e in errors)
