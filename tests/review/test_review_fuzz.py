"""Issue 11's fuzzer in the suite: mutated PEM/DER/key/kubeconfig/JSON/token files from real sets
of every profile (made by our own generator) and of every other tool's layout (kubeasz,
kubespray, Kubernetes The Hard Way, RKE2, kubeadm, the kubelet's pki) are only ever reported —
no exception escapes the review, and no directory of three files takes a second.

The default run is short and derandomized (FUZZ_EXAMPLES, default 300: enough to find the
issue's BIT STRING and invalid-key crashes again in the old code); set K8S_FUZZ_EXAMPLES
for a longer one. The crashes the outside fuzzer found are kept below as regression cases.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
import warnings
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_pki import ec_key, kubeconfig, make_ca, make_leaf, pem, write

from wizard.generate import generate_files
from wizard.review import review_directory
from wizard.spec import ClusterSpec, Node

FUZZ_EXAMPLES = int(os.environ.get("K8S_FUZZ_EXAMPLES", "300"))
PER_DIRECTORY_SECONDS = 1.0  # the bound; one review here reads three files

# Tags of ASN.1 string types a DN may hold, and odd ones to swap in (BIT STRING made
# cryptography raise TypeError from Name.public_bytes).
STRING_TAGS = (0x0C, 0x13, 0x16, 0x1E)
ODD_TAGS = (0x03, 0x04, 0x14, 0x15, 0x19, 0x1A, 0x1B, 0x1C, 0x1E, 0x12, 0x02, 0x05, 0x30)


# the other tools' layouts (tool_layouts.py, review_pki.py): each set's CA and a leaf of it
LAYOUT_ANCHORS = {
    "kubeasz": ("ssl/ca.pem", "ssl/kubernetes.pem"),
    "kubespray": ("ca.pem", "member-node1.pem"),
    "kthw": ("ca.crt", "kube-api-server.crt"),
    "rke2": ("tls/server-ca.crt", "tls/serving-kube-apiserver.crt"),
    "kubeadm-tree": ("pki/ca.crt", "pki/apiserver.crt"),
    "kubelet-pki": ("ca.crt", "pki/kubelet-client-2026-11-02-10-00-00.pem"),
}


def _read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def layout_sets() -> dict[str, dict[str, bytes]]:
    """kubeasz, kubespray, Kubernetes The Hard Way, RKE2 and kubeadm trees as those tools make
    them, and a year-old kubelet pki (skipped when cfssl, openssl or kubectl are missing)."""
    import shutil

    from review_pki import build_kubeadm_tree
    from test_review_layouts import build_kubelet_pki
    from tool_layouts import (
        build_kthw,
        build_kubeasz,
        build_kubespray_etcd,
        build_rancher_server,
    )

    base = Path(tempfile.mkdtemp(prefix="fuzz-layouts-"))
    try:
        roots = {"rke2": build_rancher_server(base / "rke2", "rke2")}
        roots["kubeadm-tree"] = build_kubeadm_tree(base / "kubeadm")
        build_kubelet_pki(base / "kubelet" / "pki")
        roots["kubelet-pki"] = base / "kubelet"
        if all(shutil.which(tool) for tool in ("cfssl", "cfssljson", "openssl", "kubectl")):
            roots["kubeasz"] = build_kubeasz(base / "kubeasz", base / "kubeasz-work")
            roots["kubespray"] = build_kubespray_etcd(base / "kubespray", base / "kubespray-work")
            roots["kthw"] = build_kthw(base / "kthw")
        return {name: _read_tree(root) for name, root in roots.items()}
    finally:
        shutil.rmtree(base, ignore_errors=True)


@cache
def seed_sets() -> dict[str, dict[str, bytes]]:
    """Every profile's real output (plus classic with RSA and complete with a bootstrap token),
    and the layouts of the other tools."""
    sets: dict[str, dict[str, bytes]] = dict(layout_sets())
    for name, profile, algo, kubelet in (
        ("classic-rsa", "classic", "rsa", "certificates"),
        ("complete", "complete", "ecdsa", "certificates"),
        ("complete-bootstrap", "complete", "ecdsa", "bootstrap"),
        ("kubeadm", "kubeadm", "ecdsa", "certificates"),
    ):
        spec = ClusterSpec.example()
        spec.profile, spec.kubelet = profile, kubelet
        spec.key.algo, spec.key.size = algo, 2048 if algo == "rsa" else 256
        if profile != "classic":
            spec.nodes = [Node("node-1", "192.168.214.101")]
        sets[name] = {item.path: item.content for item in generate_files(spec)}
    return sets


def _anchors(set_name: str, files: dict[str, bytes]) -> tuple[str, str]:
    """The set's CA and one leaf it signed, reviewed beside the mutated file."""
    if set_name in LAYOUT_ANCHORS:
        return LAYOUT_ANCHORS[set_name]
    if "ca.pem" in files:
        return "ca.pem", "admin.pem"
    return "pki/ca.crt", "pki/admin.crt"


def _pem_der(data: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(head, DER, tail) of the first PEM block, to mutate the DER and wrap it again."""
    match = re.search(
        rb"(-----BEGIN [A-Z ]+-----\n)([A-Za-z0-9+/=\n]+)(-----END [A-Z ]+-----)", data
    )
    if not match:
        return None
    return data[: match.end(1)], base64.b64decode(match.group(2)), data[match.start(3) :]


def _wrap(head: bytes, der: bytes, tail: bytes) -> bytes:
    text = base64.b64encode(der)
    return head + b"".join(text[i : i + 64] + b"\n" for i in range(0, len(text), 64)) + tail


def _spki_span(der: bytes) -> tuple[int, int] | None:
    """Where the public key of a DER certificate or CSR lies, to damage the key itself."""
    for load in (x509.load_der_x509_certificate, x509.load_der_x509_csr):
        try:
            spki = (
                load(der)
                .public_key()
                .public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        except Exception:  # noqa: BLE001 - not this kind, or already damaged
            continue
        start = der.find(spki)
        if start >= 0:
            return start, start + len(spki)
    return None


KINDS = ("flip", "cut", "insert", "nul", "tag", "tag", "tag", "key", "key", "key", "yaml", "byte")
KINDS += ("repeat",)
PATH_TEXT = st.text(st.sampled_from("ab/.\0\n~*&: ") | st.characters(), max_size=40)


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """Some bytes changed as a fuzzer changes them: flips, cuts, insertions, NUL bytes, ASN.1
    string types swapped and public keys damaged (in the DER under the PEM, so the parsers see
    it), YAML junk, and kubeconfig fields set to odd text."""
    if b"kind: Config" in data and draw(st.booleans()):
        return draw(kubeconfig_fields(data))
    inner = _pem_der(data)
    target = inner[1] if inner is not None and draw(st.integers(0, 3)) else data
    for _ in range(draw(st.integers(1, 3))):
        if not target:
            break
        at = draw(st.integers(0, len(target) - 1))
        kind = draw(st.sampled_from(KINDS))
        if kind == "key":
            span = _spki_span(target)
            if span is not None:
                at = draw(st.integers(*span)) if span[1] > span[0] else at
            kind = "flip"
        if kind == "flip":
            at = min(at, len(target) - 1)
            bit = 1 << draw(st.integers(0, 7))
            target = target[:at] + bytes([target[at] ^ bit]) + target[at + 1 :]
        elif kind == "cut":
            target = target[:at]
        elif kind == "insert":
            target = target[:at] + draw(st.binary(min_size=1, max_size=16)) + target[at:]
        elif kind == "nul":
            target = target[:at] + b"\0" + target[at:]
        elif kind == "byte":
            target = target[:at] + bytes([draw(st.integers(0, 255))]) + target[at + 1 :]
        elif kind == "repeat":
            target = target[:at] + target[at : at + 64] * draw(st.integers(2, 200)) + target[at:]
        elif kind == "tag":
            places = [m.start() for m in re.finditer(rb"[\x0c\x13\x16\x1e][\x01-\x7f]", target)]
            if places:
                place = draw(st.sampled_from(places))
                odd = draw(st.sampled_from(ODD_TAGS))
                target = target[:place] + bytes([odd]) + target[place + 1 :]
        else:
            junk = draw(st.sampled_from((b"&a ", b"*a", b"[", b"{", b": ", b"\n- ", b"!!binary ")))
            target = target[:at] + junk + target[at:]
    if inner is not None and target is not data:
        return _wrap(inner[0], target, inner[2])
    return target


@st.composite
def kubeconfig_fields(draw: st.DrawFn, data: bytes) -> bytes:
    """A real kubeconfig with one of its fields set to odd text (a path with a NUL byte, …)."""
    document = yaml.safe_load(data)
    section, inner = draw(st.sampled_from((("users", "user"), ("clusters", "cluster"))))
    body = document[section][0][inner]
    key = draw(
        st.sampled_from(
            (
                "client-certificate",
                "client-key",
                "certificate-authority",
                "server",
                "token",
                "client-certificate-data",
                "certificate-authority-data",
            )
        )
    )
    body[key] = draw(PATH_TEXT | st.integers() | st.lists(PATH_TEXT, max_size=3) | st.none())
    if draw(st.booleans()):
        document[section][0]["name"] = draw(PATH_TEXT | st.integers() | st.none())
    return yaml.safe_dump(document).encode("utf-8", "surrogateescape")


SEED_GROUPS = {
    "certificate": (".pem", ".crt"),
    "key": ("-key.pem", ".key", ".pub"),
    "kubeconfig": (".kubeconfig", ".conf"),
    "other": (".json", ".csv", ".csr", ".toml", ".md"),
}


def _group_of(path: str) -> str:
    for group in ("key", "kubeconfig", "other", "certificate"):
        if path.endswith(SEED_GROUPS[group]):
            return group
    return "other"


@cache
def seeds_by_group() -> dict[str, list[tuple[str, str]]]:
    """(set, path) of every seed file by group; built on first draw, not at collection (the
    tool layouts take seconds of cfssl and openssl, in every xdist worker that collects)."""
    seeds = sorted((name, path) for name, files in seed_sets().items() for path in files)
    return {group: [seed for seed in seeds if _group_of(seed[1]) == group] for group in SEED_GROUPS}


@st.composite
def fuzzed_directories(draw: st.DrawFn) -> dict[str, bytes]:
    """A mutated file of a real set, with that set's CA and a leaf beside it (for the chains)."""
    group = draw(st.sampled_from(sorted(seeds_by_group())))
    set_name, path = draw(st.sampled_from(seeds_by_group()[group]))
    files = seed_sets()[set_name]
    mutated = draw(mutations(files[path]))
    ca, leaf = _anchors(set_name, files)
    return {ca: files[ca], leaf: files[leaf], "fuzzed-" + path.replace("/", "-"): mutated}


def review_quietly(directory: Path) -> float:
    """Review a directory; return the CPU seconds it took, failing on any internal error or warning.

    CPU time of this process (a directory this small is never split across forked children):
    a bound on the work done, which the machine's load does not inflate."""
    start = time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a warning escaping the review would reach stderr
        review = review_directory(directory)
    elapsed = time.process_time() - start
    assert [str(w.message) for w in caught] == []
    internal = [f.message for f in review.findings if f.check == "internal-error"]
    assert internal == []
    return elapsed


@pytest.mark.slow
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=timedelta(seconds=5),  # generous for a loaded CI machine; the bound is asserted
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(fuzzed_directories())
def test_mutated_files_of_every_profile_are_only_reported(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as root:
        for name, content in files.items():
            write(Path(root) / name, content)
        elapsed = review_quietly(Path(root))
    assert elapsed < PER_DIRECTORY_SECONDS, elapsed


# --- the outside fuzzer's crashes, kept ----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["ca\0.pem", "/etc/kubernetes/pki/\0", "\0", "a" * 5000, "x/" * 3000],
    ids=["nul-in-name", "nul-at-end", "only-nul", "long-name", "deep-path"],
)
def test_a_kubeconfig_naming_a_path_with_a_nul_byte_is_reported(tmp_path: Path, path: str) -> None:
    ca = make_ca("ca")
    write(tmp_path / "ca.pem", pem(ca.cert))
    text = kubeconfig(ca.cert, "admin", cert_path="x", key_path="y").decode()
    document = yaml.safe_load(text)
    document["users"][0]["user"]["client-certificate"] = path
    write(
        tmp_path / "admin.kubeconfig",
        yaml.safe_dump(document, allow_unicode=True).encode("utf-8", "surrogateescape"),
    )
    review_quietly(tmp_path)
    findings = review_directory(tmp_path).findings
    missing = [f.message for f in findings if f.check == "missing-file"]
    assert any("names client-certificate" in m for m in missing), missing
    assert all(len(m) < 600 for m in missing)


def _with_issuer_cn_tag(certificate: x509.Certificate, tag: int, value: bytes) -> bytes:
    """The certificate's DER with the issuer's CN re-encoded under another ASN.1 tag."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    cn = certificate.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.encode()
    old = bytes([0x0C, len(cn)]) + cn
    assert der.count(old) >= 1 and len(value) == len(cn)
    return der.replace(old, bytes([tag, len(value)]) + value, 1)  # the issuer comes first


def test_an_issuer_name_of_an_odd_string_type_is_reported(tmp_path: Path) -> None:
    ca = make_ca("fuzz-ca")
    leaf = make_leaf(ca, "admin")
    write(tmp_path / "ca.pem", pem(ca.cert))
    bit_string = _with_issuer_cn_tag(leaf.cert, 0x03, b"\x00" + b"z" * 6)  # TypeError before
    write(tmp_path / "leaf.der", bit_string)
    certificate = x509.load_der_x509_certificate(bit_string)
    with pytest.raises(TypeError):
        certificate.issuer.public_bytes()  # what the scanner must survive
    review_quietly(tmp_path)
    records = {r.ref: r.kind for r in review_directory(tmp_path).files}
    assert records["leaf.der"] == "certificate"


def test_an_issuer_with_an_invalid_public_key_is_reported(tmp_path: Path) -> None:
    key = ec_key()
    ca = make_ca("fuzz-ca", key)
    leaf = make_leaf(ca, "admin")
    der = ca.cert.public_bytes(serialization.Encoding.DER)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    bad = der.replace(point, point[:-1] + bytes([point[-1] ^ 1]))  # off the curve
    assert bad != der
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(bad).public_key()
    write(tmp_path / "ca.der", bad)
    write(tmp_path / "admin.pem", pem(leaf.cert))
    review_quietly(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        b"kind: Config\nclusters: " + b"[" * 500_000,
        b"kind: Config\nusers: " + b"{a: " * 200_000,
        b"kind: Config\nclusters:\n" + b"- name: &a x\n" + b"- name: *a\n" * 50_000,
        b"clusters: " + b"- " * 300_000 + b"x",
    ],
    ids=["deep-lists", "deep-maps", "many-aliases", "deep-block-lists"],
)
def test_mutated_kubeconfigs_are_reported_within_a_second(tmp_path: Path, content: bytes) -> None:
    write(tmp_path / "admin.kubeconfig", content)
    assert review_quietly(tmp_path) < PER_DIRECTORY_SECONDS


def test_a_csr_with_a_three_letter_country_warns_nobody(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns while building it, too
        country = x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "CNX", _validate=False)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([country]))
        .sign(ec_key(), hashes.SHA256())
    )
    write(tmp_path / "admin.csr", csr.public_bytes(serialization.Encoding.PEM))
    review_quietly(tmp_path)  # the fuzzer's runs printed "UserWarning: Attribute's length …"
    assert [r.kind for r in review_directory(tmp_path).files] == ["csr"]
