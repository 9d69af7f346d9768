"""Real cfssl accepts our JSON and makes certificates like ours: subject, SANs, usages, life."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.conftest import need_tool
from wizard.certdetails import ext_key_usage_words, key_usage_words, subject_alternative_names
from wizard.generate import generate_files, plan_json_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

pytestmark = pytest.mark.interop


def cfssl_make(directory: Path, stem: str, initca: bool) -> None:
    cfssl, cfssljson = need_tool("cfssl"), need_tool("cfssljson")
    if initca:
        command = [cfssl, "gencert", "-initca", f"{stem}-csr.json"]
    else:
        command = [
            cfssl,
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=kubernetes",
            f"{stem}-csr.json",
        ]
    made = subprocess.run(command, cwd=directory, capture_output=True, check=True)
    subprocess.run([cfssljson, "-bare", stem], cwd=directory, input=made.stdout, check=True)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.mark.parametrize(("algo", "size"), [("rsa", 2048), ("ecdsa", 256)])
def test_cfssl_makes_the_same_certificates_from_our_json(tmp_path: Path, algo: str, size: int):
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = algo, size
    spec.hosts.extra.append("fd00::10")
    theirs, ours = tmp_path / "cfssl", tmp_path / "ours"
    write_files(theirs, plan_json_files(spec))
    write_files(ours, generate_files(spec))
    cfssl_make(theirs, "ca", initca=True)
    for stem in ("kubernetes", "admin", "kube-proxy"):
        cfssl_make(theirs, stem, initca=False)
    for stem in ("ca", "kubernetes", "admin", "kube-proxy"):
        a, b = load(theirs / f"{stem}.pem"), load(ours / f"{stem}.pem")
        assert a.subject.rfc4514_string() == b.subject.rfc4514_string(), stem
        assert [x._type for x in a.subject] == [x._type for x in b.subject], stem
        assert subject_alternative_names(a) == subject_alternative_names(b), stem
        assert key_usage_words(a) == key_usage_words(b), stem
        assert ext_key_usage_words(a) == ext_key_usage_words(b), stem
        assert a.not_valid_after_utc - a.not_valid_before_utc == (
            b.not_valid_after_utc - b.not_valid_before_utc
        ), stem
        assert a.signature_hash_algorithm.name == b.signature_hash_algorithm.name
        assert type(a.public_key()) is type(b.public_key())


def test_cfssl_reads_our_csr_files(classic_set: Path) -> None:
    """`cfssl certinfo -csr` parses the PKCS#10 requests we write beside the keys."""
    cfssl = need_tool("cfssl")
    result = subprocess.run(
        [cfssl, "certinfo", "-csr", str(classic_set / "kubernetes.csr")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Subject"]["CommonName"] == "kubernetes"
    assert "kubernetes.default.svc.cluster.local" in document["DNSNames"]


def test_cfssl_gives_every_usage_word_the_meaning_of_our_table(tmp_path: Path) -> None:
    """One signing profile per word of wizard.pki.usages: cfssl's certificate shows exactly
    the bit or EKU our table maps the word to."""
    from wizard.pki.usages import CFSSL_WORDS, usage_of

    cfssl, cfssljson = need_tool("cfssl"), need_tool("cfssljson")
    words = list(CFSSL_WORDS)
    profiles = {f"p{i}": {"usages": [word], "expiry": "24h"} for i, word in enumerate(words)}
    (tmp_path / "config.json").write_text(json.dumps({"signing": {"profiles": profiles}}))
    request = {"CN": "usage-test", "key": {"algo": "ecdsa", "size": 256}}
    (tmp_path / "csr.json").write_text(json.dumps(request))
    ca = subprocess.run(
        [cfssl, "gencert", "-initca", "csr.json"], cwd=tmp_path, capture_output=True, check=True
    )
    subprocess.run([cfssljson, "-bare", "ca"], cwd=tmp_path, input=ca.stdout, check=True)
    for index, word in enumerate(words):
        made = subprocess.run(
            [
                cfssl,
                "gencert",
                "-ca=ca.pem",
                "-ca-key=ca-key.pem",
                "-config=config.json",
                f"-profile=p{index}",
                "csr.json",
            ],
            cwd=tmp_path,
            capture_output=True,
            check=True,
        )
        subprocess.run(
            [cfssljson, "-bare", f"leaf{index}"], cwd=tmp_path, input=made.stdout, check=True
        )
        usage = usage_of(word)
        assert usage is not None, word
        if usage.word in ("encipher only", "decipher only"):
            # defined only with key agreement, so cryptography refuses the bit alone: ask openssl
            shown = subprocess.run(
                [
                    need_tool("openssl"),
                    "x509",
                    "-noout",
                    "-ext",
                    "keyUsage",
                    "-in",
                    f"leaf{index}.pem",
                ],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert usage.word.title() in shown, (word, shown)
            continue
        certificate = load(tmp_path / f"leaf{index}.pem")
        shown_words = key_usage_words(certificate) + ext_key_usage_words(certificate)
        assert shown_words == [usage.word], (word, shown_words)
