"""ca.csr asks for what `cfssl gencert -initca` asks for: CA:TRUE, critical (issue 12)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.conftest import need_tool
from wizard.catalog import concrete_entries, get_profile
from wizard.cfssl import csr_request, dump_json
from wizard.generate import generate_files
from wizard.spec import ClusterSpec

pytestmark = pytest.mark.interop


def requested_extensions(pem: bytes) -> list[tuple[str, bool, x509.ExtensionType]]:
    request = x509.load_pem_x509_csr(pem)
    return [(e.oid.dotted_string, e.critical, e.value) for e in request.extensions]


@pytest.mark.parametrize("command", ["gencert", "genkey"])
def test_ca_csr_requests_the_extensions_cfssl_requests(tmp_path: Path, command: str) -> None:
    cfssl = need_tool("cfssl")
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    ours = {f.path: f.content for f in generate_files(spec)}["ca.csr"]
    ca = next(e for e in concrete_entries(get_profile(spec.profile), spec) if e.name == "ca")
    (tmp_path / "ca-csr.json").write_text(dump_json(csr_request(ca, spec)))
    made = subprocess.run(
        [cfssl, command, "-initca", "ca-csr.json"],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    theirs = json.loads(made.stdout)["csr"].encode()
    assert requested_extensions(ours) == requested_extensions(theirs)
    assert requested_extensions(ours) == [
        ("2.5.29.19", True, x509.BasicConstraints(ca=True, path_length=None))
    ]
    text = subprocess.run(
        ["openssl", "req", "-noout", "-text"], input=ours, capture_output=True, check=True
    ).stdout.decode()
    assert "X509v3 Basic Constraints: critical" in text and "CA:TRUE" in text
