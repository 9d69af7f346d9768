"""`review --format prometheus|kubeadm`, `-o FILE` and `--fail-within`: read back with
prometheus_client's own parser and checked against kubeadm's output types."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from review_pki import make_ca, make_leaf, write_pair

from wizard import cli

prometheus_parser = pytest.importorskip("prometheus_client.parser")

# kubeadm's output.kubeadm.k8s.io/v1alpha3 Certificate: JSON name → Go type as JSON
KUBEADM_CERTIFICATE_FIELDS = {
    "name": str,
    "expirationDate": str,  # metav1.Time: RFC 3339 in UTC
    "residualTime": int,  # ResidualTimeSeconds int64
    "externallyManaged": bool,
    "missing": bool,
}
KUBEADM_OPTIONAL = {"caName": str}  # omitempty: absent for self-signed roots


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["review", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def families(text: str) -> dict[str, list[prometheus_parser.Sample]]:  # type: ignore[name-defined]
    found = {}
    for family in prometheus_parser.text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        found[family.name] = family.samples
    return found


def test_prometheus_of_the_kubeadm_tree(
    kubeadm_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, str(kubeadm_tree), "--format", "prometheus")
    assert err == ""
    metrics = families(out)
    assert {
        "x509_cert_not_before",
        "x509_cert_not_after",
        "x509_cert_expired",
        "x509_cert_expires_in_seconds",
        "x509_read_errors",
        "k8s_cert_wizard_findings",
    } <= set(metrics)
    document = json.loads(_json(kubeadm_tree, capsys))
    certificates = [f for f in document["files"] if f["kind"] == "certificate"]
    not_after = metrics["x509_cert_not_after"]
    assert len(not_after) == len(certificates)
    apiserver_path = str(kubeadm_tree / "pki" / "apiserver.crt")
    sample = next(s for s in not_after if s.labels["filepath"] == apiserver_path)
    real = x509.load_pem_x509_certificate((kubeadm_tree / "pki/apiserver.crt").read_bytes())
    assert sample.value == real.not_valid_after_utc.timestamp()
    assert sample.labels["subject_CN"] == "kube-apiserver"
    assert sample.labels["issuer_CN"] == "kubernetes"
    assert sample.labels["serial_number"] == str(real.serial_number)
    assert sample.labels["filename"] == "apiserver.crt"
    for s in metrics["x509_cert_expired"]:
        assert s.value == 0.0
    for s in not_after + metrics["x509_cert_not_before"]:
        assert s.timestamp is None  # textfile collector: no timestamps
        assert os.path.isabs(s.labels["filepath"])
    # the findings gauge adds up to the JSON's findings, per check and severity
    counted: dict[tuple[str, str], int] = {}
    for finding in document["findings"]:
        key = (finding["check"], finding["severity"])
        counted[key] = counted.get(key, 0) + 1
    gauge = {
        (s.labels["check"], s.labels["severity"]): int(s.value)
        for s in metrics["k8s_cert_wizard_findings"]
    }
    assert gauge == counted
    assert code in (0, 1, 2)


def _json(directory: Path, capsys: pytest.CaptureFixture[str]) -> str:
    cli.main(["review", str(directory), "--json"])
    return capsys.readouterr().out


def test_prometheus_counts_findings_and_expired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(
        tmp_path,
        "old",
        make_leaf(ca, 'we"ird\\cn', start=datetime.now(UTC) - timedelta(days=20), days=10),
    )
    (tmp_path / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    code, out, _ = run(capsys, str(tmp_path), "--format", "prometheus")
    assert code == 2
    metrics = families(out)
    expired = {s.labels["subject_CN"]: s.value for s in metrics["x509_cert_expired"]}
    assert expired == {"ca": 0.0, 'we"ird\\cn': 1.0}
    left = next(
        s for s in metrics["x509_cert_expires_in_seconds"] if s.labels["subject_CN"] != "ca"
    )
    assert -11 * 86400 < left.value < -9 * 86400
    gauge = {
        (s.labels["check"], s.labels["severity"]): s.value
        for s in metrics["k8s_cert_wizard_findings"]
    }
    assert gauge[("expired", "error")] == 1
    assert metrics["x509_read_errors"][0].value >= 1


def test_kubeadm_json_round_trip(kubeadm_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(kubeadm_tree), "--format", "kubeadm")
    assert err == ""
    document = json.loads(out)
    assert list(document) == ["kind", "apiVersion", "certificates", "certificateAuthorities"]
    assert document["kind"] == "CertificateExpirationInfo"
    assert document["apiVersion"] == "output.kubeadm.k8s.io/v1alpha3"
    for entry in document["certificates"] + document["certificateAuthorities"]:
        extra = set(entry) - set(KUBEADM_CERTIFICATE_FIELDS) - set(KUBEADM_OPTIONAL)
        assert not extra, extra
        for key, kind in {**KUBEADM_CERTIFICATE_FIELDS, **KUBEADM_OPTIONAL}.items():
            if key in entry:
                assert type(entry[key]) is kind, (key, entry)
            else:
                assert key in KUBEADM_OPTIONAL
        end = datetime.strptime(entry["expirationDate"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((end - datetime.now(UTC)).total_seconds() - entry["residualTime"]) < 120
    names = {e["name"]: e for e in document["certificates"]}
    authorities = {e["name"]: e for e in document["certificateAuthorities"]}
    assert set(authorities) == {"pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt"}
    assert all("caName" not in e and e["externallyManaged"] is False for e in authorities.values())
    assert names["pki/apiserver.crt"]["caName"] == "pki/ca.crt"
    assert names["pki/apiserver-etcd-client.crt"]["caName"] == "pki/etcd/ca.crt"
    assert names["pki/apiserver.crt"]["externallyManaged"] is False
    real = x509.load_pem_x509_certificate((kubeadm_tree / "pki/apiserver.crt").read_bytes())
    assert names["pki/apiserver.crt"]["expirationDate"] == real.not_valid_after_utc.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_kubeadm_external_ca_without_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = make_ca("ca")
    (tmp_path / "ca.crt").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    write_pair(tmp_path, "leaf", make_leaf(ca, "leaf"), kubeadm=True)
    _, out, _ = run(capsys, str(tmp_path), "--format", "kubeadm")
    document = json.loads(out)
    assert document["certificateAuthorities"][0]["externallyManaged"] is True
    assert document["certificates"][0]["externallyManaged"] is True


def test_output_file_is_written_atomically(
    kubeadm_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "textfile" / "k8s-certs.prom"
    target.parent.mkdir()
    target.write_text("old content\n")
    before = target.stat().st_ino
    code, out, err = run(capsys, str(kubeadm_tree), "--format", "prometheus", "-o", str(target))
    assert out == "" and err == ""
    assert target.stat().st_ino != before  # renamed over, not rewritten in place
    assert sorted(p.name for p in target.parent.iterdir()) == ["k8s-certs.prom"]  # no temp left
    assert "x509_cert_not_after" in families(target.read_text())
    assert target.stat().st_mode & 0o777 == 0o644


def test_output_file_refusals(
    kubeadm_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, str(kubeadm_tree), "--format", "kubeadm", "-o", str(tmp_path / "no" / "x.json")
    )
    assert code == 1 and "does not exist" in err and str(tmp_path / "no") in err
    code, _, err = run(capsys, str(kubeadm_tree), "--format", "kubeadm", "-o", str(tmp_path))
    assert code == 1 and "is a directory" in err


def test_fail_within(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "month", make_leaf(ca, "month", days=45))
    code, _, err = run(capsys, str(tmp_path), "--json", "--fail-within", "30")
    assert code == 0 and err == ""
    code, out, err = run(capsys, str(tmp_path), "--json", "--fail-within", "60")
    assert code == 2
    assert json.loads(out)["findings"] == []  # the report itself is unchanged
    assert str(tmp_path / "month.pem") in err and "1 certificate expire" in err
    assert "in 44 days" in err or "in 45 days" in err
    assert str(tmp_path / "ca.pem") not in err
    code, _, err = run(capsys, str(tmp_path), "--json", "--fail-within", "-1")
    assert code == 1 and "--fail-within -1 is negative" in err
