"""Damaged files in an existing set, under `generate` (reusing its CA) and `renew` (issue 12).

Hypothesis damages one file of a generated set — cut, a flipped byte in the PEM text or in the
DER under it, an impossible X.509 version, an unknown key or signature algorithm, a key of
another kind, the wrong kind of file — and runs the command on it. Every run either refuses in
one line naming the damaged file, with the directory exactly as it was, or goes ahead: then a
damaged CA file was still a usable CA and is kept byte for byte, and a damaged leaf file is in
the backup folder. Never a traceback.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard import pki
from wizard.cli import main

pytestmark = pytest.mark.slow  # ~25 s on two cores: a generate or renew run per example

CA_FILES = ("ca.pem", "ca-key.pem")
LEAF_FILES = ("admin.pem", "admin-key.pem", "kubernetes.pem", "kubernetes-key.pem")
EXAMPLES = int(os.environ.get("K8S_FUZZ_EXAMPLES", "60"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classic ECDSA set and its cluster.toml (no warnings, so a refusal is one line)."""
    base = tmp_path_factory.mktemp("damaged")
    config = base / "cluster.toml"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["init", "-o", str(config)]) == 0
        text = config.read_text().replace('algo = "rsa"', 'algo = "ecdsa"')
        config.write_text(text.replace("size = 2048", "size = 256"))
        assert main(["generate", "-c", str(config), "-o", str(base / "set")]) == 0
    return base


def _der(pem: bytes) -> tuple[bytes, bytes]:
    """(PEM type, DER) of a one-block PEM file."""
    lines = pem.strip().splitlines()
    kind = lines[0].removeprefix(b"-----BEGIN ").removesuffix(b"-----")
    return kind, base64.b64decode(b"".join(lines[1:-1]))


def _pem(kind: bytes, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([b"-----BEGIN " + kind + b"-----", *lines, b"-----END " + kind + b"-----"])


def _other_key(kind: str) -> bytes:
    key = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "dsa": lambda: dsa.generate_private_key(1024),
        "p192": lambda: ec.generate_private_key(ec.SECP192R1()),
    }[kind]()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@st.composite
def damages(draw: st.DrawFn, files: dict[str, bytes], names: tuple[str, ...]) -> tuple[str, bytes]:
    """(file name, new content) for one damaged file."""
    name = draw(st.sampled_from(names))
    data = files[name]
    kind, der = _der(data)
    how = draw(
        st.sampled_from(
            ["cut", "flip-text", "flip-der", "cut-der", "version", "oid", "other-key",
             "encrypted", "swap", "bytes", "two"]
        )
    )  # fmt: skip
    if how == "cut":
        return name, data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip-text":
        at = draw(st.integers(0, len(data) - 1))
        return name, data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "flip-der":
        at = draw(st.integers(0, len(der) - 1))
        flipped = der[:at] + bytes([der[at] ^ draw(st.integers(1, 255))]) + der[at + 1 :]
        return name, _pem(kind, flipped)
    if how == "cut-der":
        return name, _pem(kind, der[: draw(st.integers(0, len(der) - 1))])
    if how == "version" and b"\xa0\x03\x02\x01\x02" in der:  # v3 → a version that is none
        version = bytes([draw(st.integers(3, 127))])
        return name, _pem(kind, der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01" + version))
    if how == "oid":  # ecPublicKey or ecdsa-with-SHA256 → a sibling nobody knows
        target = draw(
            st.sampled_from([b"\x2a\x86\x48\xce\x3d\x02\x01", b"\x2a\x86\x48\xce\x3d\x04\x03\x02"])
        )
        if target in der:
            changed = target[:-1] + bytes([draw(st.integers(20, 127))])
            return name, _pem(kind, der.replace(target, changed))
    if how == "other-key":
        return name, _other_key(draw(st.sampled_from(["ed25519", "dsa", "p192"])))
    if how == "encrypted":
        key = serialization.load_pem_private_key(files["ca-key.pem"], None)
        return name, key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    if how == "swap":  # the wrong file: another certificate or key of the set
        return name, files[draw(st.sampled_from(sorted(set(files) - {name})))]
    if how == "two":
        return name, data + files["admin.pem"]
    return name, draw(st.binary(max_size=400))


def _snapshot(directory: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(directory)): p.read_bytes() if p.is_file() else None
        for p in sorted(directory.rglob("*"))
    }


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def _ca_still_usable(directory: Path) -> None:
    certificate = pki.load_certificate((directory / "ca.pem").read_bytes(), "ca.pem")
    key = pki.load_private_key((directory / "ca-key.pem").read_bytes(), "ca-key.pem")
    assert pki.key_matches_certificate(key, certificate) and pki.is_ca_certificate(certificate)


def _check(command: list[str], pristine: Path, damage: tuple[str, bytes]) -> None:
    name, content = damage
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "set"
        shutil.copytree(pristine / "set", directory)
        (directory / name).write_bytes(content)
        before = _snapshot(directory)
        code, err = _run([*command, "-c", str(pristine / "cluster.toml"), "-o", str(directory)])
        assert "Traceback" not in err
        if code != 0:
            assert code == 1
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("k8s-cert-wizard: "), err
            assert re.search(rf"\b{re.escape(name)}\b", lines[0]), (name, lines[0])
            assert _snapshot(directory) == before  # nothing written on refusal
            return
        if name in CA_FILES:  # reused as it is, never replaced
            assert (directory / name).read_bytes() == content
            if _snapshot(directory) != before:  # it signed something: it was a usable CA
                _ca_still_usable(directory)
        elif (directory / name).read_bytes() != content:  # replaced: the old one is kept
            backups = [p / name for p in directory.glob("backup-*")]
            assert any(p.is_file() and p.read_bytes() == content for p in backups), name


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=20),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(data=st.data())
def test_generate_over_a_damaged_ca_refuses_in_words_or_reuses_it(
    pristine: Path, data: st.DataObject
) -> None:
    files = {n: (pristine / "set" / n).read_bytes() for n in CA_FILES + LEAF_FILES}
    damage = data.draw(damages(files, CA_FILES + LEAF_FILES))
    _check(["generate", "--force"], pristine, damage)


@FUZZ
@given(data=st.data())
def test_renew_over_a_damaged_set_refuses_in_words_or_renews(
    pristine: Path, data: st.DataObject
) -> None:
    files = {n: (pristine / "set" / n).read_bytes() for n in CA_FILES + LEAF_FILES}
    damage = data.draw(damages(files, CA_FILES + LEAF_FILES))
    _check(["renew"], pristine, damage)


@pytest.mark.parametrize(
    ("name", "how", "words"),
    [
        ("ca.pem", "version", "holds a damaged certificate: its version field is 9"),
        ("ca.pem", "cut-der", "holds a damaged certificate: its DER is cut short"),
        ("ca.pem", "key", "is not a PEM certificate"),
        ("ca-key.pem", "ed25519", "only RSA and ECDSA keys are supported"),
    ],
)
@pytest.mark.parametrize("command", [["generate", "--force"], ["renew"]])
def test_the_words_for_a_damaged_ca(
    pristine: Path, tmp_path: Path, name: str, how: str, words: str, command: list[str]
) -> None:
    directory = tmp_path / "set"
    shutil.copytree(pristine / "set", directory)
    kind, der = _der((directory / name).read_bytes())
    content = {
        "version": lambda: _pem(
            kind, der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x09")
        ),
        "cut-der": lambda: _pem(kind, der[:-30]),
        "key": lambda: (directory / "ca-key.pem").read_bytes(),
        "ed25519": lambda: _other_key("ed25519"),
    }[how]()
    (directory / name).write_bytes(content)
    if command == ["renew"]:  # something to renew, so that the CA's key is needed
        (directory / "admin.pem").write_bytes(b"")
    before = _snapshot(directory)
    code, err = _run([*command, "-c", str(pristine / "cluster.toml"), "-o", str(directory)])
    assert code == 1 and f"{directory / name}" in err and words in err, err
    assert _snapshot(directory) == before
