"""What renew tells the user (wizard/renew/report.py): the redistribution plan, the --json
object, and the line when there is nothing to renew."""

from __future__ import annotations

import json
from pathlib import Path

from tests.renew.renew_sets import (
    APISERVER_FILES,
    NEW_MASTER,
    renew,
    with_new_master,
    write_spec,
)
from wizard.renew import (
    plan_lines,
    plan_renewal,
)
from wizard.spec import ClusterSpec


def test_the_redistribution_plan_names_hosts_files_and_restarts(
    workdir: Path, tmp_path: Path
) -> None:
    spec = with_new_master()
    from wizard.renew import redistribution_of

    plan = plan_renewal(spec, workdir)
    redistribution = redistribution_of(plan)
    by_address = {h.address: h for h in redistribution.hosts}
    assert by_address["192.168.214.88"].restart == ("etcd",)
    assert by_address[NEW_MASTER].restart == ("kube-apiserver",)
    assert by_address[NEW_MASTER].commands == ("systemctl restart kube-apiserver",)
    sources = {source for source, _dest, _mode in by_address[NEW_MASTER].files}
    assert sources == {"kubernetes.pem", "kubernetes-key.pem"}
    assert "192.168.214.210" not in by_address  # the registry gets no new file
    assert "etcdctl endpoint health" in redistribution.note


def test_json_shape(workdir: Path, tmp_path: Path, capsys) -> None:
    config = write_spec(tmp_path, with_new_master())
    assert renew("-c", str(config), "-o", str(workdir), "--json", "--dry-run") == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == [
        "directory",
        "profile",
        "dry_run",
        "changes",
        "not_selected",
        "ca_warnings",
        "redistribution",
        "unplaced",
        "notes",
        "written",
        "backup",
    ]
    assert document["directory"] == str(workdir.absolute())
    (change,) = document["changes"]
    assert list(change) == [
        "name",
        "kind",
        "files",
        "reason",
        "sans_added",
        "sans_removed",
        "subject",
        "usages",
        "not_after_old",
        "not_after_new",
        "key",
        "notes",
    ]
    assert change["name"] == "kubernetes" and change["kind"] == "certificate"
    assert set(change["files"]) == APISERVER_FILES
    assert change["reason"] == "SANs differ from cluster.toml"
    assert change["sans_added"] == [NEW_MASTER] and change["sans_removed"] == []
    assert change["subject"]["changed"] is False and change["subject"]["new"].endswith(
        "CN=kubernetes"
    )
    assert change["usages"]["new"] == [
        "digital signature",
        "key encipherment",
        "server auth",
        "client auth",
    ]
    assert change["not_after_old"].endswith("Z") and change["not_after_new"].endswith("Z")
    assert change["key"] == "new"
    assert document["ca_warnings"] == [] and document["backup"] is None
    host = next(h for h in document["redistribution"] if h["address"] == NEW_MASTER)
    assert host["restart"] == ["kube-apiserver"]
    assert {f["source"]: f["mode"] for f in host["files"]} == {
        "kubernetes.pem": "0644",
        "kubernetes-key.pem": "0600",
    }
    # a real run reports what it wrote and where the backup is
    assert renew("-c", str(config), "-o", str(workdir), "--json") == 0
    written = json.loads(capsys.readouterr().out)
    assert written["dry_run"] is False and written["backup"].startswith(str(workdir))
    assert set(APISERVER_FILES) <= set(written["written"])


def test_nothing_to_renew_says_what_keep_key_left_uncompared(workdir: Path) -> None:
    spec = ClusterSpec.example()
    assert plan_lines(plan_renewal(spec, workdir))[-1] == (
        "Nothing to renew: every certificate matches cluster.toml. Nothing was written."
    )
    spec.key.algo, spec.key.size = "ecdsa", 256
    assert plan_lines(plan_renewal(spec, workdir, keep_key=True))[-1] == (
        "Nothing to renew: every certificate matches cluster.toml (key types not compared: "
        "--keep-key keeps each key). Nothing was written."
    )
