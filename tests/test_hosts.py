"""Host parsing: the mistakes the guide's readers make, and never an exception but HostError."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.hosts import (
    Host,
    HostError,
    HostKind,
    first_service_ip,
    parse_host,
    parse_service_cidr,
    split_host_list,
)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("192.168.214.88", "192.168.214.88", HostKind.IPV4),
        (" 10.0.0.1 ", "10.0.0.1", HostKind.IPV4),
        ("fd00::1", "fd00::1", HostKind.IPV6),
        ("FD00:0:0::1", "fd00::1", HostKind.IPV6),
        ("kube-api.wangdong.com", "kube-api.wangdong.com", HostKind.DNS),
        ("kubernetes", "kubernetes", HostKind.DNS),
        ("api.example.com.", "api.example.com", HostKind.DNS),
        ("*.apps.example.com", "*.apps.example.com", HostKind.DNS),
    ],
)
def test_valid_hosts_are_classified(text: str, value: str, kind: HostKind) -> None:
    host = parse_host(text)
    assert (host.value, host.kind) == (value, kind)


def test_uppercase_is_folded_with_a_note() -> None:
    host = parse_host("Kube-API.Example.COM")
    assert host.value == "kube-api.example.com"
    assert "folded to lower case" in host.note


def test_the_guides_cidr_mistake_says_the_fix() -> None:
    with pytest.raises(HostError) as caught:
        parse_host("192.168.214.1/24")
    assert str(caught.value) == (
        '"192.168.214.1/24" is a network, not an address — write 192.168.214.1'
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("192.168.214.0/24", "is a network"),
        ("10.0.0.1/32", "write 10.0.0.1"),
        ("fe80::1%eth0", "zone index"),
        ("10.0.0.1:6443", "has a port"),
        ("[fd00::1]:6443", "has a port"),
        ("https://10.0.0.1:6443", "is a URL"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("a b", "contains spaces"),
        ("under_score.example.com", "not a valid DNS name"),
        ("-bad.example.com", "starts or ends"),
        ("bad..example.com", "empty label"),
        ("admin@example.com", "e-mail"),
        ("300.1.1.1", "not a valid IPv4"),
        ("x" * 64 + ".com", "longer than 63"),
        ("kube.例子.com", "not a valid DNS name"),
    ],
)
def test_bad_hosts_are_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(HostError) as caught:
        parse_host(text)
    assert words in str(caught.value)


def test_suggested_fixes_are_themselves_valid() -> None:
    for text in ("192.168.214.1/24", "10.0.0.1:6443", "fe80::1%eth0", "https://api.example.com/x"):
        message = str(pytest.raises(HostError, parse_host, text).value)
        suggestion = message.rsplit("write ", 1)[1]
        assert parse_host(suggestion).value == suggestion


@pytest.mark.parametrize(
    ("cidr", "first"),
    [
        ("10.254.0.0/16", "10.254.0.1"),
        ("10.96.0.0/12", "10.96.0.1"),
        ("fd00:10:96::/112", "fd00:10:96::1"),
        ("192.168.0.0/30", "192.168.0.1"),
    ],
)
def test_first_service_ip(cidr: str, first: str) -> None:
    assert str(first_service_ip(cidr)) == first


@pytest.mark.parametrize(
    ("cidr", "words"),
    [
        ("10.254.0.1/16", "host bits set — write 10.254.0.0/16"),
        ("10.254.0.0/31", "too small"),
        ("10.254.0.0", "no prefix length"),
        ("banana", "no prefix length"),
        ("10.254.0.0/33", "the prefix length /33 is longer than 32"),
        ("", "empty"),
    ],
)
def test_bad_service_cidrs(cidr: str, words: str) -> None:
    with pytest.raises(HostError) as caught:
        parse_service_cidr(cidr)
    assert words in str(caught.value)


def test_split_host_list_accepts_spaces_commas_and_newlines() -> None:
    assert split_host_list("10.0.0.1, 10.0.0.2\n10.0.0.3 ;10.0.0.4") == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
        "10.0.0.4",
    ]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_string_is_classified_or_refused_in_words(text: str) -> None:
    try:
        host = parse_host(text)
    except HostError as error:
        assert str(error)
        assert "\n" not in str(error).strip() or "\n" in text
        return
    assert isinstance(host, Host)
    if host.is_ip:
        assert str(ipaddress.ip_address(host.value)) == host.value
    else:
        assert host.value == host.value.lower()
        assert all(0 < len(label) <= 63 for label in host.value.split("."))


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses().filter(lambda address: not address.is_unspecified))
def test_every_ip_address_but_the_unspecified_is_accepted(address) -> None:
    host = parse_host(str(address))
    assert host.ip() == address


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.0.0.0", '"0.0.0.0" is the unspecified address (every interface), which no client '),
        ("::", '"::" is the unspecified address'),
        ("192.168.1", '"192.168.1" has 3 parts — an IPv4 address has four'),
        ("1.2.3.4.5", '"1.2.3.4.5" has 5 parts'),
        (
            "01.02.03.04",
            '"01.02.03.04" has a leading zero, which IP addresses do not allow — write 1.2.3.4',
        ),
        ("10.0.0.1.", '"10.0.0.1." ends in a dot — write 10.0.0.1'),
        ("host.123", '"host.123" ends in a number, which no DNS name does'),
    ],
)
def test_mistyped_addresses_never_become_dns_names(text: str, message: str) -> None:
    with pytest.raises(HostError) as caught:
        parse_host(text)
    assert str(caught.value).startswith(message)


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(v=4), st.integers(min_value=1, max_value=31))
def test_every_ipv4_interface_is_refused_with_its_address(address, prefix) -> None:
    text = f"{address}/{prefix}"
    with pytest.raises(HostError) as caught:
        parse_host(text)
    network = ipaddress.ip_interface(text).network
    if address != network.network_address:
        assert f"write {address}" in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789abcdef.:/% []", max_size=40))
def test_service_cidr_parser_never_raises_anything_else(text: str) -> None:
    try:
        network = parse_service_cidr(text)
    except HostError:
        return
    assert network.num_addresses >= 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.0/8", '"10.0.0.0/8" is too large — kube-apiserver refuses a service range'),
        ("10.254.0.0/0", "use a prefix of at least /12, e.g. 10.254.0.0/16"),
        ("fd00::/64", "use a prefix of at least /108, e.g. fd00:10:96::/112"),
        ("abc", '"abc" has no prefix length — write a network such as 10.254.0.0/16 '),
        ("10.254.0.0", "write a network such as 10.254.0.0/16 "),
    ],
)
def test_service_ranges_kube_apiserver_refuses_are_refused(text: str, message: str) -> None:
    with pytest.raises(HostError) as caught:
        parse_service_cidr(text)
    assert message in str(caught.value)
    assert str(parse_service_cidr("10.96.0.0/12")) == "10.96.0.0/12"
