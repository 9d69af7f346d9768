"""Whatever a directory holds, the review reports it and never crashes."""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_pki import key_pem, kubeconfig, make_ca, make_leaf, pem, write, write_pair

from wizard.review import ReviewError, review_directory, scan
from wizard.review.scan import MAX_BYTES


def kinds(directory: Path) -> dict[str, str]:
    return {r.ref: r.kind for r in review_directory(directory).files}


def no_internal_errors(directory: Path) -> None:
    review = review_directory(directory)
    assert [f for f in review.findings if f.check == "internal-error"] == []


def test_junk_of_every_kind(tmp_path: Path) -> None:
    ca = make_ca("ca")
    whole = pem(ca.cert)
    write(tmp_path / "empty.pem", b"")
    write(tmp_path / "spaces.pem", b"  \n\n")
    write(tmp_path / "junk.bin", os.urandom(4096))
    write(tmp_path / "truncated.pem", whole[: len(whole) // 2])
    write(tmp_path / "no-end.pem", whole.replace(b"-----END CERTIFICATE-----", b""))
    write(tmp_path / "bad-base64.pem", whole.replace(b"M", b"!", 3))
    write(tmp_path / "two-begins.pem", whole[:80] + whole)
    write(tmp_path / "crl.pem", b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
    write(tmp_path / "der-junk.der", b"\x30\x03\x02\x01\x00")
    write(tmp_path / "readme.txt", "ünïcödé text\n".encode())
    write(tmp_path / "latin1.txt", "caf\xe9".encode("latin-1"))
    write(tmp_path / "bad.json", b"{not json")
    write(tmp_path / "list.json", b"[1, 2]")
    write(tmp_path / "config", b"clusters: [1, 2, {cluster: 3}]\nusers: oops\n")
    write(tmp_path / "x.yaml", b"a: [unclosed\n")
    found = kinds(tmp_path)
    assert found["empty.pem"] == found["spaces.pem"] == "empty"
    assert found["junk.bin"] == "not-a-certificate"
    assert found["truncated.pem"] == found["no-end.pem"] == "damaged"
    assert found["bad-base64.pem"] == "damaged"
    assert found["two-begins.pem (#1)"] == "damaged"
    assert found["two-begins.pem (#2)"] == "certificate"
    assert found["crl.pem"] == "not-a-certificate"
    assert found["der-junk.der"] == "not-a-certificate"
    assert found["readme.txt"] == found["latin1.txt"] == "not-a-certificate"
    assert found["config"] == "kubeconfig"
    no_internal_errors(tmp_path)


def test_der_certificate_and_key(tmp_path: Path) -> None:
    ca = make_ca("ca")
    leaf = make_leaf(ca, "leaf")
    write(tmp_path / "ca.der", ca.cert.public_bytes(serialization.Encoding.DER))
    write(tmp_path / "leaf.cer", leaf.cert.public_bytes(serialization.Encoding.DER))
    der_key = leaf.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write(tmp_path / "leaf.key.der", der_key, 0o600)
    review = review_directory(tmp_path)
    by_path = {r.path: r for r in review.files}
    assert by_path["leaf.cer"].kind == "certificate"
    assert by_path["leaf.cer"].issued_by == "ca.der"
    assert by_path["leaf.key.der"].kind == "private-key"
    assert by_path["leaf.key.der"].paired == ["leaf.cer"]


def test_bundle_of_certificates(tmp_path: Path) -> None:
    ca = make_ca("ca")
    leaf = make_leaf(ca, "leaf")
    write(tmp_path / "chain.pem", pem(leaf.cert) + b"\n" + pem(ca.cert))
    found = kinds(tmp_path)
    assert found == {"chain.pem (#1)": "certificate", "chain.pem (#2)": "certificate"}


def test_huge_file_is_not_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    review = review_directory(tmp_path)
    [record] = review.files
    assert record.kind == "too-large" and record.size == 50 * 1024 * 1024
    assert "not read" in record.note


def test_file_just_under_the_cap_is_read(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write(tmp_path / "padded.pem", pem(ca.cert) + b"\n" * (MAX_BYTES - len(pem(ca.cert))))
    assert kinds(tmp_path) == {"padded.pem": "certificate"}


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, who reads everything: simulate a permission error."""
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write(tmp_path / "secret-key.pem", key_pem(ca.key), 0o000)
    real = scan.read_file

    def denied(path: str, limit: int = MAX_BYTES):  # type: ignore[no-untyped-def]
        if path.endswith("secret-key.pem"):
            raise PermissionError(13, "Permission denied", path)
        return real(path, limit)

    monkeypatch.setattr(scan, "read_file", denied)
    review = review_directory(tmp_path)
    [finding] = [f for f in review.findings if f.check == "unreadable"]
    assert (finding.path, finding.severity) == ("secret-key.pem", "warning")
    assert "Permission denied" in finding.message


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to be denied nothing")
def test_chmod_000_is_readable_by_root(tmp_path: Path) -> None:
    write(tmp_path / "locked.pem", pem(make_ca("ca").cert), 0o000)
    assert kinds(tmp_path) == {"locked.pem": "certificate"}


def test_unreadable_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    real = os.scandir

    def denied(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(scan.os, "scandir", denied)
    review = review_directory(tmp_path)
    assert [(f.path, f.check) for f in review.findings] == [
        (".", "no-certificates"),
        ("sub", "unreadable"),
    ]


def test_symlinks_loops_and_broken(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")  # a directory loop
    (tmp_path / "self").symlink_to("self")  # a symlink loop
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "dangling.pem").symlink_to("nowhere.pem")
    (tmp_path / "current.pem").symlink_to("ca.pem")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    write(outside / "kube-proxy.pem", pem(make_leaf(ca, "system:kube-proxy").cert))
    (tmp_path / "linked-dir").symlink_to(outside)
    review = review_directory(tmp_path)
    by_path = {r.path: r for r in review.files}
    assert by_path["sub/up"].kind == "symlink" and "loop" in by_path["sub/up"].note
    assert by_path["self"].kind == "broken-symlink" and "loop" in by_path["self"].note
    assert by_path["a"].kind == by_path["b"].kind == "broken-symlink"
    assert by_path["dangling.pem"].kind == "broken-symlink"
    assert by_path["current.pem"].kind == "symlink" and "ca.pem" in by_path["current.pem"].note
    assert by_path["linked-dir/kube-proxy.pem"].issued_by == "ca.pem"
    assert ("dangling.pem", "broken-symlink") in {(f.path, f.check) for f in review.findings}
    # the certificate reached through current.pem is not counted twice
    assert len([r for r in review.files if r.cert is not None]) == 2


def test_symlink_to_a_file_outside_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    inside = tmp_path / "inside"
    write(outside / "ca.pem", pem(make_ca("ca").cert))
    inside.mkdir()
    (inside / "ca.pem").symlink_to(outside / "ca.pem")
    [record] = review_directory(inside).files
    assert record.kind == "certificate" and "symlink to" in record.note


def test_non_utf8_file_names(tmp_path: Path) -> None:
    ca = make_ca("ca")
    raw = os.fsencode(tmp_path) + b"/ca-\xff\xfe.pem"
    with open(raw, "wb") as handle:
        handle.write(pem(ca.cert))
    os.mkdir(os.fsencode(tmp_path) + b"/dir-\xe9")
    with open(os.fsencode(tmp_path) + b"/dir-\xe9/x.pem", "wb") as handle:
        handle.write(b"junk")
    review = review_directory(tmp_path)
    paths = {r.path: r for r in review.files}
    assert paths["ca-\\xff\\xfe.pem"].kind == "certificate"
    assert "not valid UTF-8" in paths["ca-\\xff\\xfe.pem"].note
    assert "dir-\\xe9/x.pem" in paths
    for finding in review.findings:
        finding.message.encode("utf-8")  # printable, no lone surrogates


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.pem")
    assert kinds(tmp_path) == {"pipe.pem": "special-file"}


def test_missing_or_non_directory_root(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="does not exist"):
        review_directory(tmp_path / "nope")
    write(tmp_path / "file.pem", b"x")
    with pytest.raises(ReviewError, match="not a directory"):
        review_directory(tmp_path / "file.pem")


def test_empty_directory_is_probably_the_wrong_one(tmp_path: Path) -> None:
    review = review_directory(tmp_path)
    assert review.files == []
    assert [(f.path, f.severity, f.check) for f in review.findings] == [
        (".", "warning", "no-certificates")
    ]
    assert "(it is empty) — is this the certificate directory?" in review.findings[0].message
    (tmp_path / "notes.txt").write_text("hello")
    (message,) = [f.message for f in review_directory(tmp_path).findings]
    assert "(1 file looked at)" in message


# --- mutations of real files ----------------------------------------------------------------

_CA = make_ca("mutation-ca")
_LEAF = make_leaf(_CA, "leaf", dns=("a.example",), ips=("10.0.0.1",))
_SEEDS = {
    "cert.pem": pem(_LEAF.cert),
    "cert.der": _LEAF.cert.public_bytes(serialization.Encoding.DER),
    "key.pem": key_pem(_LEAF.key),
    "pkcs8-key.pem": key_pem(_LEAF.key, pkcs8=True),
    "bundle.pem": pem(_LEAF.cert) + key_pem(_LEAF.key) + pem(_CA.cert),
    "admin.conf": kubeconfig(_CA.cert, "admin", _LEAF),
    "kubernetes-csr.json": b'{"CN": "kubernetes", "hosts": ["10.0.0.1", "x"], "key": {}}',
    "token.csv": b'abc,kubelet-bootstrap,10001,"system:bootstrappers"\n',
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(_SEEDS)))
    data = bytearray(_SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            data += data[position : position + draw(st.integers(1, 200))]
    return name, bytes(data)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_files_never_break_the_review(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, name).write_bytes(data)
        review = review_directory(directory)
        assert [f for f in review.findings if f.check == "internal-error"] == []
        for record in review.files:
            assert record.kind


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_break_the_parser(data: bytes) -> None:
    scan.parse_objects(data)
    scan.parse_objects(b"-----BEGIN CERTIFICATE-----\n" + data)


def test_parser_warnings_stay_out_of_the_output(tmp_path: Path) -> None:
    from tests.der import pem, raw_cert

    (tmp_path / "negative-serial.pem").write_bytes(pem(raw_cert(serial=-5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning that escapes the review fails the test
        review = review_directory(tmp_path)
    assert [r.kind for r in review.files] == ["certificate"]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("/dev/zero", "is a character device — not read"),
        ("pipe", "is a named pipe (FIFO) — not read"),
        ("huge.pem", "is larger than 1 MiB — not read"),
    ],
)
def test_a_kubeconfig_naming_a_device_fifo_or_huge_file(
    tmp_path: Path, target: str, words: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")
    write(outside / "huge.pem", b"\n" * (MAX_BYTES + 1))
    ssl = tmp_path / "ssl"
    ca = make_ca("ca")
    path = target if target.startswith("/") else str(outside / target)
    write(ssl / "admin.kubeconfig", kubeconfig(ca.cert, "admin", cert_path=path, key_path=path))
    start = time.process_time()  # CPU seconds: a bound on the work, not on the machine's load
    review = review_directory(ssl)
    assert time.process_time() - start < 1
    notes = [r.note for r in review.files if r.embedded and r.kind == "damaged"]
    assert notes and all(note == words for note in notes), notes
    assert [f for f in review.findings if f.check == "internal-error"] == []


def test_a_leaf_let_go_of_its_der_is_read_again_from_its_file(tmp_path: Path) -> None:
    """The scan keeps no DER for a plain leaf (memory: a review may hold 100,000): its signature
    is checked from the digest the scan made, and its certificate is read again on demand."""
    ca = make_ca("ca")
    leaf = make_leaf(ca, "leaf")
    stranger = make_leaf(make_ca("ca"), "leaf")  # same names, another CA's key: bad signature
    write_pair(tmp_path, "ca", ca)
    write(tmp_path / "bundle.pem", pem(stranger.cert) + pem(leaf.cert))
    review = review_directory(tmp_path)
    records = {r.ref: r for r in review.files}
    ca_facts, facts = records["ca.pem"].cert, records["bundle.pem (#2)"].cert
    assert ca_facts is not None and ca_facts.der is not None  # CAs keep theirs
    assert facts is not None and facts.der is None
    assert records["bundle.pem (#2)"].issued_by == "ca.pem"
    assert [f.path for f in review.findings if f.check == "bad-signature"] == ["bundle.pem"]
    assert facts.certificate == leaf.cert
    assert facts.serial == str(leaf.cert.serial_number)
    write(tmp_path / "bundle.pem", pem(stranger.cert))  # changed since the review
    with pytest.raises(ValueError, match="no longer holds"):
        _ = facts.certificate
