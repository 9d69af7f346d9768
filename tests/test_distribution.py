"""wizard.distribution: each host gets the files its components read, where their flags say."""

from __future__ import annotations

import json
import posixpath
import re

import pytest
import yaml

from wizard.catalog import KUBELET_KUBECONFIG, PROFILE_NAMES, TOKEN_FILE, get_profile
from wizard.distribution import (
    component_flags,
    destination_of,
    distribution_json,
    distribution_markdown,
    per_host_files,
    plan_distribution,
)
from wizard.generate import generate_files, planned_file_names
from wizard.spec import ClusterSpec, Node
from wizard.store import FILE_MODE, KEY_MODE

PATH = re.compile(r"(/etc/kubernetes/\S+)")


def spec_for(profile: str, kubelet: str = "certificates", embed: bool = True) -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.profile, spec.kubelet = profile, kubelet
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.kubeconfig.embed = embed
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("master-1", "192.168.214.200")]
    return spec


CASES = [
    pytest.param(profile, kubelet, embed, id=f"{profile}-{kubelet}-{'embed' if embed else 'refs'}")
    for profile in PROFILE_NAMES
    for kubelet in ("certificates", "bootstrap")
    for embed in (True, False)
    if not (profile == "classic" and (kubelet, embed) != ("certificates", True))
]


@pytest.mark.parametrize(("profile", "kubelet", "embed"), CASES)
def test_every_path_a_hosts_flags_name_is_placed_on_it(profile, kubelet, embed) -> None:
    spec = spec_for(profile, kubelet, embed)
    flags = component_flags(spec)
    for plan in plan_distribution(spec):
        placed = {f.destination for f in plan.files}
        for component in plan.components:
            for text in flags.get(component, []):
                for path in PATH.findall(text):
                    if path == KUBELET_KUBECONFIG:  # the kubelet writes it after bootstrapping
                        continue
                    assert path in placed, (plan.address, component, text)


@pytest.mark.parametrize(("profile", "kubelet", "embed"), CASES)
def test_placed_files_are_generated_and_copied_with_their_modes(profile, kubelet, embed) -> None:
    spec = spec_for(profile, kubelet, embed)
    files = generate_files(spec)
    contents = {f.path: f for f in files}
    plans = plan_distribution(spec)
    for plan in plans:
        for placed in plan.files:
            assert placed.source in contents, (plan.address, placed.source)
            private = placed.source.endswith(("-key.pem", ".key", ".kubeconfig", ".conf"))
            assert placed.mode == (KEY_MODE if private else FILE_MODE), placed
    copies = per_host_files(plans, files)
    assert len(copies) == sum(len(p.files) for p in plans)
    for copy in copies:
        address, destination = re.fullmatch(r"hosts/([^/]+)(/.*)", copy.path).groups()
        plan = next(p for p in plans if p.address == address)
        placed = next(f for f in plan.files if f.destination == destination)
        assert copy.mode == placed.mode
        if embed or not placed.source.endswith((".kubeconfig", ".conf")):
            assert copy.content == contents[placed.source].content
            continue
        # a kubeconfig naming its files names them from its own place on the host
        document = yaml.safe_load(copy.content)
        named = [document["clusters"][0]["cluster"]["certificate-authority"]]
        named += [v for k, v in document["users"][0]["user"].items() if k.startswith("client-")]
        on_host = {f.destination for f in plan.files}
        for name in named:
            assert (
                posixpath.normpath(posixpath.join(posixpath.dirname(destination), name)) in on_host
            )


def test_a_kubeconfig_that_names_its_files_brings_them_along() -> None:
    spec = spec_for("complete", embed=False)
    plans = {p.address: p for p in plan_distribution(spec)}
    node = {f.source: f for f in plans["192.168.214.101"].files}
    assert node["kube-proxy-key.pem"].why == "referenced by kube-proxy.kubeconfig"
    assert node["kube-proxy-key.pem"].mode == KEY_MODE
    assert node["ca.pem"].mode == FILE_MODE
    embedded = {f.source for f in plan_distribution(spec_for("complete"))[0].files}
    assert "kube-proxy-key.pem" not in embedded


def test_bootstrap_uses_the_token_secret_not_a_static_token_file() -> None:
    """The token reaches kube-apiserver as a bootstrap-token Secret: a --token-auth-file with
    the same token would authenticate first, as a plain user (the lab's finding 2)."""
    spec = spec_for("complete", "bootstrap")
    for plan in plan_distribution(spec):
        assert not any(f.source in (TOKEN_FILE, "token.csv") for f in plan.files), plan.address
    flags = component_flags(spec)
    assert "--enable-bootstrap-token-auth=true" in flags["kube-apiserver"]
    assert not [f for f in flags["kube-apiserver"] if f.startswith("--token-auth-file")]
    bootstrap = "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap.kubeconfig"
    assert flags["kubelet"][0] == f"{bootstrap} --kubeconfig={KUBELET_KUBECONFIG}"


def test_a_registry_only_host_gets_the_cluster_ca() -> None:
    spec = spec_for("kubeadm")
    spec.hosts.registry = ["192.168.214.250"]
    registry = next(p for p in plan_distribution(spec) if p.address == "192.168.214.250")
    assert [(f.source, f.destination, f.mode) for f in registry.files] == [
        ("pki/ca.crt", "/etc/kubernetes/pki/ca.crt", FILE_MODE)
    ]


def test_destinations() -> None:
    classic, kubeadm = get_profile("classic"), get_profile("kubeadm")
    assert destination_of("ca.pem", classic) == "/etc/kubernetes/ssl/ca.pem"
    assert destination_of("admin.kubeconfig", classic) == "/etc/kubernetes/admin.kubeconfig"
    assert destination_of("pki/ca.crt", kubeadm) == "/etc/kubernetes/pki/ca.crt"
    assert destination_of("admin.conf", kubeadm) == "/etc/kubernetes/admin.conf"


def test_json_and_markdown_say_the_same() -> None:
    spec = spec_for("complete")
    plans = plan_distribution(spec)
    document = distribution_json(plans)
    assert [h["address"] for h in document["hosts"]] == [p.address for p in plans]
    modes = {f["mode"] for h in document["hosts"] for f in h["files"]}
    assert modes == {"0600", "0644"}
    markdown = distribution_markdown(plans, spec)
    for plan in plans:
        for placed in plan.files:
            assert f"| `{placed.source}` | `{placed.destination}` | {placed.mode:04o} |" in markdown


# The guide's own list of which component reads which of its files (使用证书的组件如下).
GUIDE_READERS = {
    "etcd": {"ca.pem", "kubernetes-key.pem", "kubernetes.pem"},
    "kube-apiserver": {"ca.pem", "kubernetes-key.pem", "kubernetes.pem"},
    "kubelet": {"ca.pem"},
    "kube-proxy": {"ca.pem", "kube-proxy-key.pem", "kube-proxy.pem"},
    "kubectl": {"ca.pem", "admin-key.pem", "admin.pem"},
    "kube-controller-manager": {"ca-key.pem", "ca.pem"},
}


def test_classic_writes_the_plan_as_the_other_profiles_do() -> None:
    """`generate` on the guide's set writes DISTRIBUTION.md and distribution.json too (the
    lab's finding 5), so distribute and check have a plan a person can read beside them."""
    spec = spec_for("classic")
    files = {f.path: f.content for f in generate_files(spec)}
    assert {"DISTRIBUTION.md", "distribution.json"} <= set(files)
    assert {"DISTRIBUTION.md", "distribution.json"} <= set(planned_file_names(spec))
    plans = plan_distribution(spec)
    assert json.loads(files["distribution.json"]) == distribution_json(plans)
    markdown = files["DISTRIBUTION.md"].decode()
    assert "Profile `classic`" in markdown
    for plan in plans:
        for placed in plan.files:
            assert f"| `{placed.source}` | `{placed.destination}` | {placed.mode:04o} |" in markdown


def test_classic_gives_each_component_the_guides_files_in_its_ssl_folder() -> None:
    spec = spec_for("classic")
    spec.hosts.registry = ["192.168.214.210"]
    plans = plan_distribution(spec)
    for plan in plans:
        read: dict[str, set[str]] = {}
        for source, components in plan.readers.items():
            for component in components:
                read.setdefault(component, set()).add(source)
        expected = {c: GUIDE_READERS[c] for c in plan.components if c in GUIDE_READERS}
        assert read == expected, plan.address
        if plan.roles != ["registry"]:  # the registry reads nothing: it gets ca.pem (below)
            assert {f.source for f in plan.files} == set().union(*expected.values()), plan.address
        for placed in plan.files:
            assert placed.destination == f"/etc/kubernetes/ssl/{placed.source}", placed
    roles = {p.address: p.roles for p in plans}
    with_ca_key = {p.address for p in plans if any(f.source == "ca-key.pem" for f in p.files)}
    assert with_ca_key == {a for a, r in roles.items() if "master" in r}
    with_admin = {p.address for p in plans if any(f.source == "admin-key.pem" for f in p.files)}
    assert with_admin == with_ca_key  # kubectl's cluster-admin key stays off workers and etcd
    registry = next(p for p in plans if p.roles == ["registry"])
    assert [f.source for f in registry.files] == ["ca.pem"]


def test_classic_prints_the_guides_tls_flags() -> None:
    """The flags DISTRIBUTION.md prints for classic are the ones the guide's components run
    with (tests/lab/test_classic.py starts etcd and kube-apiserver with them)."""
    flags = component_flags(spec_for("classic"))
    ssl = "/etc/kubernetes/ssl"
    assert sorted(flags["etcd"]) == sorted(
        [
            f"--cert-file={ssl}/kubernetes.pem",
            f"--key-file={ssl}/kubernetes-key.pem",
            f"--peer-cert-file={ssl}/kubernetes.pem",
            f"--peer-key-file={ssl}/kubernetes-key.pem",
            f"--trusted-ca-file={ssl}/ca.pem",
            f"--peer-trusted-ca-file={ssl}/ca.pem",
        ]
    )
    assert sorted(flags["kube-apiserver"]) == sorted(
        [
            f"--tls-cert-file={ssl}/kubernetes.pem",
            f"--tls-private-key-file={ssl}/kubernetes-key.pem",
            f"--client-ca-file={ssl}/ca.pem",
            f"--etcd-cafile={ssl}/ca.pem",
            f"--etcd-certfile={ssl}/kubernetes.pem",
            f"--etcd-keyfile={ssl}/kubernetes-key.pem",
        ]
    )
    # no kubeconfig in the guide's set: kube-proxy and kubectl get the three fields to build one
    assert flags["kube-proxy"] == [
        f"certificate-authority: {ssl}/ca.pem",
        f"client-certificate: {ssl}/kube-proxy.pem",
        f"client-key: {ssl}/kube-proxy-key.pem",
    ]
