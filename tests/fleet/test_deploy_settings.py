"""cluster.toml's [deploy] table: read, validated with the field named, written back."""

from __future__ import annotations

import threading

import pytest

from wizard.deploy import DeploySettings, HostAccess
from wizard.fleet.ssh import SshClient, Target, for_each_host, targets_of
from wizard.spec import ClusterSpec, SpecError, dump_spec, errors_of, spec_from_dict, validate

GUIDE_MASTER = "192.168.214.200"


def spec_with(deploy: dict) -> ClusterSpec:
    data = ClusterSpec.example().to_dict()
    data["deploy"] = deploy
    return spec_from_dict(data)


def error_paths(spec: ClusterSpec) -> dict[str, str]:
    return {p.path: p.message for p in errors_of(validate(spec))}


def test_a_full_deploy_table_round_trips_through_cluster_toml() -> None:
    spec = spec_with(
        {
            "user": "root",
            "port": 2222,
            "ssh_config": "~/lab/ssh_config",
            "ssh_options": ["ProxyJump=bastion"],
            "parallel": 5,
            "units": {"kube-apiserver": "apiserver.service"},
            "hosts": [{"address": GUIDE_MASTER, "ssh": "m1.example", "user": "admin"}],
        }
    )
    assert error_paths(spec) == {}
    import tomllib

    again = spec_from_dict(tomllib.loads(dump_spec(spec)))
    assert again.deploy == spec.deploy
    access = spec.deploy.access_of(GUIDE_MASTER)
    assert access == HostAccess(GUIDE_MASTER, "m1.example", "admin", 2222)
    assert spec.deploy.access_of("192.168.214.88") == HostAccess(
        "192.168.214.88", "192.168.214.88", "root", 2222
    )
    assert spec.deploy.unit_of("kube-apiserver") == "apiserver.service"
    assert spec.deploy.unit_of("etcd") == "etcd.service"


def test_no_deploy_table_is_written_when_it_is_all_defaults() -> None:
    assert "deploy" not in dump_spec(ClusterSpec.example())


@pytest.mark.parametrize(
    ("deploy", "path", "words"),
    [
        ({"ssh_options": ["StrictHostKeyChecking=no"]}, "deploy.ssh_options[0]", "always checked"),
        ({"ssh_options": ["PasswordAuthentication=yes"]}, "deploy.ssh_options[0]", "passwords"),
        ({"ssh_options": ["-oProxyJump=x"]}, "deploy.ssh_options[0]", "Name=value"),
        ({"parallel": 0}, "deploy.parallel", "1 to 64"),
        ({"port": 70000}, "deploy.port", "not a port"),
        ({"user": "root; rm -rf /"}, "deploy.user", "not a user"),
        ({"units": {"kube-dns": "x.service"}}, "deploy.units.kube-dns", "unknown component"),
        ({"units": {"etcd": "-x"}}, "deploy.units.etcd", "not a systemd unit"),
        ({"hosts": [{"address": "10.9.9.9"}]}, "deploy.hosts[0].address", "not a host of"),
        (
            {"hosts": [{"address": GUIDE_MASTER, "ssh": "-oProxyCommand=sh"}]},
            "deploy.hosts[0].ssh",
            "not a host name",
        ),  # fmt: skip
    ],
)
def test_bad_deploy_values_name_the_field_and_the_fix(deploy: dict, path: str, words: str) -> None:
    problems = error_paths(spec_with(deploy))
    assert path in problems, problems
    assert words in problems[path]


@pytest.mark.parametrize(
    ("deploy", "words"),
    [
        ({"port": "22"}, "deploy.port: '22' should be a whole number"),
        ({"hosts": {"address": "x"}}, "deploy.hosts: should be a list of tables"),
        ({"hosts": [{"addr": "x"}]}, "deploy.hosts[0].addr: unknown key"),
        ({"colour": "red"}, "deploy.colour: unknown key"),
        ({"units": ["etcd"]}, "deploy.units: should be a table"),
    ],
)
def test_wrong_types_in_deploy_are_refused_naming_the_key(deploy: dict, words: str) -> None:
    with pytest.raises(SpecError) as raised:
        spec_with(deploy)
    assert words in str(raised.value)


def test_ssh_command_keeps_host_key_checking_and_multiplexes() -> None:
    settings = DeploySettings(ssh_config="/tmp/cfg", ssh_options=["ProxyJump=bastion"])
    client = SshClient(settings)
    try:
        argv = client.argv(Target("10.0.0.1", "m1", "m1.example", "admin", 2222), "true")
    finally:
        client.close()
    text = " ".join(argv)
    assert argv[1:3] == ["-F", "/tmp/cfg"]
    assert "BatchMode=yes" in text and "ControlMaster=auto" in text
    assert f"ControlPath={client.control_dir}/%C" in text
    assert "StrictHostKeyChecking" not in text and "UserKnownHostsFile" not in text
    assert argv[-5:] == ["-l", "admin", "--", "m1.example", "true"]
    assert argv[argv.index("-p") + 1] == "2222"


def test_targets_take_the_per_host_override() -> None:
    settings = DeploySettings(user="root", hosts=[HostAccess("10.0.0.2", ssh="two", port=2)])
    targets = targets_of([("10.0.0.1", "a"), ("10.0.0.2", "b")], settings)
    assert targets == [
        Target("10.0.0.1", "a", "10.0.0.1", "root", 0),
        Target("10.0.0.2", "b", "two", "root", 2),
    ]


def test_for_each_host_bounds_parallelism_and_keeps_one_failure_to_its_host() -> None:
    targets = [Target(f"10.0.0.{i}", "", f"10.0.0.{i}") for i in range(12)]
    running, peak, lock = 0, 0, threading.Lock()
    # the first three hosts wait for each other: three at once is seen however slowly the
    # threads start (a 20 ms sleep let one end before the third began on a loaded machine)
    first_three = threading.Barrier(3, timeout=60)

    def work(target: Target) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if targets.index(target) < 3:
            first_three.wait()
        with lock:
            running -= 1
        if target.address.endswith(".5"):
            raise OSError("no route to host")
        return target.address

    outcomes = for_each_host(targets, work, parallel=3)
    assert peak == 3
    assert [o.target for o in outcomes] == targets
    assert [o.error for o in outcomes if o.error] == ["no route to host"]
    assert outcomes[4].result == "10.0.0.4"


def test_a_cancel_starts_no_new_host() -> None:
    cancel = threading.Event()
    started: list[str] = []

    def work(target: Target) -> None:
        started.append(target.address)
        cancel.set()

    targets = [Target(f"10.0.0.{i}", "", f"10.0.0.{i}") for i in range(5)]
    outcomes = for_each_host(targets, work, parallel=1, cancel=cancel)
    assert started == ["10.0.0.0"]
    assert [o.error for o in outcomes] == ["", "cancelled", "cancelled", "cancelled", "cancelled"]
