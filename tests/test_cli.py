"""The command line: init, csr, generate — messages, exit codes, no tracebacks, atomicity."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from wizard import pki
from wizard.cli import main
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, dump_spec
from wizard.store import write_files


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_init_writes_the_example_and_never_overwrites(tmp_path: Path, capsys) -> None:
    target = tmp_path / "cluster.toml"
    assert main(["init", "-o", str(target)]) == 0
    assert "192.168.214.88" in target.read_text()
    target.write_text("# mine\n")
    assert main(["init", "-o", str(target)]) == 1
    assert target.read_text() == "# mine\n"
    assert "already exists" in capsys.readouterr().err


def test_csr_writes_only_json(tmp_path: Path) -> None:
    assert main(["init", "-o", str(tmp_path / "c.toml")]) == 0
    assert main(["csr", "-c", str(tmp_path / "c.toml"), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "admin-csr.json",
        "ca-config.json",
        "ca-csr.json",
        "kube-proxy-csr.json",
        "kubernetes-csr.json",
    ]


def test_generate_refuses_bad_input_in_words(tmp_path: Path) -> None:
    (tmp_path / "cluster.toml").write_text(
        '[hosts]\nmasters = ["192.168.214.200"]\nvip = ["192.168.214.1/24"]\n'
    )
    result = run("generate", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        'hosts.vip[0]: "192.168.214.1/24" is a network, not an address — write 192.168.214.1'
        in (result.stderr)
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "k8s-certs").exists()


def test_generate_missing_config_is_one_sentence(tmp_path: Path) -> None:
    result = run("generate", "-c", "nope.toml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "k8s-cert-wizard init" in result.stderr


def test_second_generate_changes_nothing_and_force_backs_up(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    assert run("generate", cwd=tmp_path).returncode == 0
    out = tmp_path / "k8s-certs"
    before = snapshot(out)
    again = run("generate", cwd=tmp_path)
    assert again.returncode == 1 and "--force" in again.stderr
    assert snapshot(out) == before
    forced = run("generate", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "reused the existing CA" in forced.stdout
    backups = [p for p in out.iterdir() if p.name.startswith("backup-")]
    assert len(backups) == 1
    assert (backups[0] / "kubernetes.pem").read_bytes() == before["kubernetes.pem"][0]
    assert (out / "ca.pem").read_bytes() == before["ca.pem"][0]
    assert (out / "kubernetes.pem").read_bytes() != before["kubernetes.pem"][0]


def test_generate_with_ca_from_another_directory(tmp_path: Path, classic_set: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    result = run("generate", "--ca", str(classic_set), "-o", "second", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "second" / "ca.pem").read_bytes() == (classic_set / "ca.pem").read_bytes()
    missing = run("generate", "--ca", str(tmp_path / "none"), "-o", "third", cwd=tmp_path)
    assert missing.returncode == 1
    assert f"--ca {tmp_path / 'none'} does not exist — give the directory" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = run("generate", "--ca", "empty", "-o", "third", cwd=tmp_path)
    assert "k8s-cert-wizard: empty holds no CA (ca.pem, ca-key.pem)" in empty.stderr
    a_file = run("generate", "--ca", "cluster.toml", "-o", "third", cwd=tmp_path)
    assert "--ca cluster.toml is a file — give the directory" in a_file.stderr
    assert not (tmp_path / "third").exists()


def test_generate_with_a_ca_ending_sooner_caps_the_leaves_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cluster.toml"
    config.write_text(dump_spec(ClusterSpec.example()))  # expiry.cert = 87600h
    for name, ca_hours in (("short", "8760h"), ("long", "175200h")):
        ca_spec = ClusterSpec.example()
        ca_spec.expiry.ca = ca_spec.expiry.cert = ca_hours
        write_files(tmp_path / f"{name}-ca", generate_files(ca_spec))
        ca, out = tmp_path / f"{name}-ca", tmp_path / f"{name}-out"
        capsys.readouterr()
        assert main(["generate", "-c", str(config), "--ca", str(ca), "-o", str(out)]) == 0
        printed = capsys.readouterr().out
        ca_end = x509.load_pem_x509_certificate((ca / "ca.pem").read_bytes()).not_valid_after_utc
        leaf = x509.load_pem_x509_certificate((out / "kubernetes.pem").read_bytes())
        if name == "short":
            assert leaf.not_valid_after_utc == ca_end
            assert (
                f"note: certificates end with the CA on {ca_end:%Y-%m-%d}, "
                "sooner than expiry.cert = 87600h" in printed
            )
        else:
            assert leaf.not_valid_after_utc < ca_end
            assert "note: certificates end with the CA" not in printed


def check_complete_or_absent(out: Path) -> str:
    """The directory is absent, or holds a complete set whose keys fit and chains verify."""
    if not out.exists():
        return "absent"
    names = {p.name for p in out.iterdir()}
    stems = ("ca", "kubernetes", "admin", "kube-proxy")
    expected = {
        f"{s}{suffix}" for s in stems for suffix in (".pem", "-key.pem", ".csr", "-csr.json")
    }
    assert expected | {"ca-config.json", "cluster.toml"} <= names, names
    ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    for stem in stems:
        certificate = x509.load_pem_x509_certificate((out / f"{stem}.pem").read_bytes())
        key = pki.load_private_key((out / f"{stem}-key.pem").read_bytes(), stem)
        assert pki.key_matches_certificate(key, certificate)
        assert certificate.issuer == ca.subject
    return "complete"


@pytest.mark.parametrize("delay", [0.05, 0.25, 0.5, 0.8, 1.2, 1.8])
def test_sigkill_leaves_nothing_or_a_complete_set(tmp_path: Path, delay: float) -> None:
    (tmp_path / "cluster.toml").write_text(
        Path(__file__).parent.joinpath("data", "rsa4096.toml").read_text()
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "generate"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    state = check_complete_or_absent(tmp_path / "k8s-certs")
    assert state in ("absent", "complete")


@pytest.mark.parametrize("delay", [0.1, 0.6, 1.5])
def test_sigkill_during_forced_regeneration_keeps_a_consistent_set(
    tmp_path: Path, delay: float
) -> None:
    (tmp_path / "cluster.toml").write_text(
        Path(__file__).parent.joinpath("data", "rsa4096.toml").read_text()
    )
    assert run("generate", cwd=tmp_path).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "generate", "--force"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert check_complete_or_absent(tmp_path / "k8s-certs") == "complete"


def test_generate_complete_profile_with_per_host_folders(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    with (tmp_path / "cluster.toml").open("a") as handle:
        handle.write('\n[[nodes]]\nname = "node-1"\naddress = "192.168.214.101"\n')
    result = run("generate", "--profile", "complete", "--per-host", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "k8s-certs"
    node = out / "hosts" / "192.168.214.101"
    assert (node / "etc/kubernetes/ssl/kubelet.pem").read_bytes() == (
        out / "kubelet-node-1.pem"
    ).read_bytes()
    assert not (node / "etc/kubernetes/ssl/ca-key.pem").exists()
    assert (out / "hosts/192.168.214.200/etc/kubernetes/ssl/ca-key.pem").stat().st_mode & 0o777 == (
        0o600
    )
    assert (
        "--kubeconfig=/etc/kubernetes/kubelet.kubeconfig" in (out / "DISTRIBUTION.md").read_text()
    )


def test_csr_refuses_the_kubeadm_profile(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    result = run("csr", "--profile", "kubeadm", cwd=tmp_path)
    assert result.returncode == 1 and "no cfssl JSON" in result.stderr


def test_a_config_before_the_command_counts(tmp_path: Path) -> None:
    spec = ClusterSpec.example()
    spec.hosts.masters = ["10.9.9.9"]
    (tmp_path / "mine.toml").write_text(dump_spec(spec))
    for argv in (["-c", "mine.toml", "csr"], ["csr", "-c", "mine.toml"]):
        result = run(*argv, "-o", "out", "--force", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "10.9.9.9" in (tmp_path / "out" / "kubernetes-csr.json").read_text()
    no_file = run("csr", "-o", "other", cwd=tmp_path)
    assert "cluster.toml" in no_file.stderr and no_file.returncode == 1


def test_the_wizard_without_a_terminal_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wizard"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "k8s-cert-wizard: the wizard needs a terminal (standard input and output are not one) "
        "— run it in a terminal, or use a command: k8s-cert-wizard --help\n"
    )


def test_a_reader_that_leaves_early_gets_no_traceback(classic_set: Path, tmp_path: Path) -> None:
    for number in range(40):  # far more JSON than a pipe holds, so the writer meets the closed end
        shutil.copytree(classic_set, tmp_path / f"copy-{number}")
    command = f'"{sys.executable}" -m wizard review "{tmp_path}" --json | head -1'
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout == "{\n" and result.stderr == ""


def test_layout_checks_the_cluster_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.toml").write_text('profile = "Classic"\n')
    assert main(["layout", "-c", str(tmp_path / "bad.toml")]) == 1
    err = capsys.readouterr().err
    assert 'profile: "Classic"' in err and "nothing was written" in err


def test_a_terminal_without_unicode_gets_escapes_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wizard", "layout", "--lang", "zh"],
        cwd=tmp_path,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
        timeout=60,
    )
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    assert result.stderr.startswith(b"\\u5f53")  # the note on stderr (no ./cluster.toml), escaped
    assert b"\\u" in result.stdout  # the Chinese text, escaped


def test_the_config_inside_the_output_keeps_its_comments(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert run("init", "-o", "out/cluster.toml", cwd=tmp_path).returncode == 0
    commented = (tmp_path / "out" / "cluster.toml").read_bytes()
    assert b"#" in commented
    for extra in ([], ["--force"]):
        result = run("generate", "-c", "out/cluster.toml", "-o", "out", *extra, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "out" / "cluster.toml").read_bytes() == commented
    assert "cluster.toml" not in result.stdout


def test_init_refuses_a_directory_or_no_name(tmp_path: Path, capsys) -> None:
    assert main(["init", "-o", str(tmp_path)]) == 1
    assert f"{tmp_path} is a directory — give a file name, e.g. -o {tmp_path / 'cluster.toml'}" in (
        capsys.readouterr().err
    )
    assert main(["init", "-o", ""]) == 1
    assert '-o "" names no file' in capsys.readouterr().err


def test_a_wrong_type_gets_an_example_of_its_own_field(tmp_path: Path) -> None:
    (tmp_path / "cluster.toml").write_text("[network]\napiserver_port = true\n")
    result = run("csr", cwd=tmp_path)
    assert "network.apiserver_port: True should be a whole number, e.g. 6443" in result.stderr


def test_csr_note_tells_what_cfssl_will_do_with_the_shared_subject(tmp_path: Path) -> None:
    """csr's note matches what cfssl and openssl do with its files (issue 12)."""
    if not (shutil.which("cfssl") and shutil.which("cfssljson") and shutil.which("openssl")):
        pytest.skip("cfssl, cfssljson and openssl are needed")
    assert main(["init", "-o", str(tmp_path / "c.toml")]) == 0
    result = run("csr", "-c", "c.toml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0
    assert "carries an Authority Key Identifier" not in result.stderr
    assert "will fail (error 18)" in result.stderr
    out = tmp_path / "out"

    def cfssl(*argv: str, bare: str) -> None:
        made = subprocess.run(["cfssl", *argv], cwd=out, capture_output=True, check=True)
        subprocess.run(["cfssljson", "-bare", bare], cwd=out, input=made.stdout, check=True)

    cfssl("gencert", "-initca", "ca-csr.json", bare="ca")
    cfssl(
        "gencert", "-ca", "ca.pem", "-ca-key", "ca-key.pem", "-config", "ca-config.json",
        "-profile", "kubernetes", "kubernetes-csr.json", bare="kubernetes",
    )  # fmt: skip
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", "ca.pem", "kubernetes.pem"],
        cwd=out, capture_output=True, text=True,
    )  # fmt: skip
    assert verify.returncode != 0
    assert "error 18" in verify.stdout + verify.stderr
