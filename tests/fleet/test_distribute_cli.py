"""`k8s-cert-wizard distribute` from the command line: refusals in words, unreachable hosts by
name with exit 2, --json, and the Ansible export (checked by ansible-playbook when installed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wizard.cli import main
from wizard.exit_codes import HOSTS_FAILED, OK, REFUSED
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, Node, dump_spec
from wizard.store import write_files


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cluster.toml whose hosts all dial a closed port on 127.0.0.1, and its generated set."""
    work = tmp_path_factory.mktemp("cli")
    config = work / "ssh_config"
    config.write_text("Host *\n  Hostname 127.0.0.1\n  Port 1\n")
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101")]
    spec.deploy.ssh_config = str(config)
    spec.deploy.parallel = 4
    (work / "cluster.toml").write_text(dump_spec(spec))
    out = work / "k8s-certs"
    write_files(out, generate_files(spec))
    return work / "cluster.toml", out


def test_unreachable_hosts_are_named_with_the_fix_and_exit_2(cluster, capsys) -> None:
    if shutil.which("ssh") is None:
        pytest.skip("the OpenSSH client is not installed (apt-get install openssh-client)")
    toml, out = cluster
    code = main(["distribute", "-c", str(toml), "-o", str(out), "--hosts", "node-1,192.168.214.88"])
    captured = capsys.readouterr()
    assert code == HOSTS_FAILED
    assert "0 of 2 hosts done" in captured.out
    for label in ("192.168.214.101 (node-1): unreachable", "192.168.214.88 (etcd-1): unreachable"):
        assert label in captured.err
    assert "check that `ssh 192.168.214.101 true` works from this jump host" in captured.err
    again = f"run again for those: k8s-cert-wizard distribute -c {toml} -o {out} --hosts 192.168"
    assert again in captured.err
    assert "Traceback" not in captured.err


def test_json_names_each_host_and_its_phase(cluster, capsys) -> None:
    if shutil.which("ssh") is None:
        pytest.skip("the OpenSSH client is not installed (apt-get install openssh-client)")
    toml, out = cluster
    code = main(["distribute", "-c", str(toml), "-o", str(out), "--hosts", "node-1", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == HOSTS_FAILED
    [host] = document["hosts"]
    assert (host["address"], host["name"], host["phase"], host["ok"]) == (
        "192.168.214.101",
        "node-1",
        "unreachable",
        False,
    )
    assert document["parallel"] == 1 and document["dry_run"] is False


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--hosts", "nope"], "--hosts nope: not a host of this cluster — use addresses or names"),
        (["--export", "puppet", "x"], "--export puppet: unknown format — the one there is:"),
        (["--export", "ansible", "x", "--restart"], "--export writes files and connects to "),
    ],
)
def test_refusals_name_the_flag_and_the_fix(cluster, capsys, tmp_path, argv, words) -> None:
    toml, out = cluster
    assert main(["distribute", "-c", str(toml), "-o", str(out), *argv]) == REFUSED
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_an_empty_directory_is_refused_naming_the_missing_file(cluster, capsys, tmp_path) -> None:
    toml, _ = cluster
    assert main(["distribute", "-c", str(toml), "-o", str(tmp_path)]) == REFUSED
    err = capsys.readouterr().err
    assert f"{tmp_path}/" in err and ": missing — " in err and "k8s-cert-wizard generate" in err


def ansible_env(tmp_path: Path) -> dict[str, str]:
    """Ansible's own state under tmp_path, never in the machine's ~/.ansible."""
    home = tmp_path / "ansible-home"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
    }


def test_the_ansible_export_holds_each_hosts_files_and_a_playbook(cluster, capsys, tmp_path):
    toml, out = cluster
    target = tmp_path / "ansible"
    assert main(["distribute", "-c", str(toml), "-o", str(out), "--export", "ansible",
                 str(target)]) == OK  # fmt: skip
    assert "ansible-playbook -i" in capsys.readouterr().out
    inventory = (target / "inventory.ini").read_text()
    assert "[masters]\n192.168.214.200 ansible_host=192.168.214.200" in inventory
    assert "ansible_ssh_common_args='-F " in inventory
    node = yaml.safe_load((target / "host_vars/192.168.214.101.yml").read_text())
    kubelet = next(f for f in node["kcw_files"] if f["destination"].endswith("/kubelet-key.pem"))
    assert kubelet == {
        "destination": "/etc/kubernetes/ssl/kubelet-key.pem",
        "mode": "0600",
        "units": ["kubelet.service"],
    }
    assert node["kcw_ca_keys"] == []
    master = yaml.safe_load((target / "host_vars/192.168.214.200.yml").read_text())
    assert master["kcw_ca_keys"] == ["/etc/kubernetes/ssl/ca-key.pem"]
    copied = target / "files/192.168.214.101/etc/kubernetes/ssl/kubelet-key.pem"
    assert copied.read_bytes() == (out / "kubelet-node-1-key.pem").read_bytes()
    plays = yaml.safe_load((target / "playbook.yml").read_text())
    assert [p.get("serial") for p in plays] == [1, None]
    copy = next(t for t in plays[0]["tasks"] if "ansible.builtin.copy" in t)
    assert copy["ansible.builtin.copy"]["backup"] is True
    if shutil.which("ansible-playbook") is None:
        pytest.skip("ansible-playbook is not installed (apt-get install ansible)")
    checked = subprocess.run(
        ["ansible-playbook", "-i", str(target / "inventory.ini"), "--syntax-check",
         str(target / "playbook.yml")],
        capture_output=True, text=True, timeout=120, env=ansible_env(tmp_path),
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
