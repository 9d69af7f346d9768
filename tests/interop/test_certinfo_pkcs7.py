"""certinfo on PKCS #7 from `openssl crl2pkcs7`: the same bytes as cfssl-certinfo (issue 12).

cfssl 1.2 prints the one certificate of a SignedData that also holds a CRL, fails on one
without (five elements), and names a second certificate.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need_tool
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

pytestmark = pytest.mark.interop
ROOT = Path(__file__).resolve().parents[2]
CRL_CONFIG = """\
[ca]
default_ca = d
[d]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 30
"""


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    openssl = need_tool("openssl")
    directory = tmp_path_factory.mktemp("pkcs7")
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    write_files(directory, generate_files(spec))
    (directory / "crl.cnf").write_text(CRL_CONFIG)
    (directory / "index.txt").write_text("")
    (directory / "crlnumber").write_text("01\n")
    (directory / "two.pem").write_bytes(
        (directory / "ca.pem").read_bytes() + (directory / "admin.pem").read_bytes()
    )

    def run(*argv: str) -> None:
        subprocess.run([openssl, *argv], cwd=directory, check=True, capture_output=True)

    run("ca", "-config", "crl.cnf", "-gencrl", "-keyfile", "ca-key.pem", "-cert", "ca.pem",
        "-out", "ca.crl")  # fmt: skip
    run("crl2pkcs7", "-nocrl", "-certfile", "ca.pem", "-out", "nocrl.p7")
    run("crl2pkcs7", "-in", "ca.crl", "-certfile", "ca.pem", "-out", "crl.p7")
    run("crl2pkcs7", "-in", "ca.crl", "-certfile", "two.pem", "-out", "crl-two.p7")
    run("crl2pkcs7", "-in", "ca.crl", "-out", "crl-none.p7")
    run("crl2pkcs7", "-nocrl", "-certfile", "two.pem", "-out", "nocrl-two.p7")
    return directory


@pytest.mark.parametrize(
    "name", ["crl.p7", "nocrl.p7", "crl-two.p7", "crl-none.p7", "nocrl-two.p7"]
)
def test_pkcs7_as_cfssl_certinfo_prints_it(bundles: Path, name: str) -> None:
    cfssl = need_tool("cfssl-certinfo")
    theirs = subprocess.run([cfssl, "-cert", name], cwd=bundles, capture_output=True)
    ours = subprocess.run(
        [sys.executable, "-m", "wizard", "certinfo", "-cert", name],
        cwd=bundles, capture_output=True, env={"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
    if name == "crl.p7":  # the certificate itself, not an error
        assert b'"common_name": "kubernetes"' in ours.stdout and ours.returncode == 0
