"""wizard.distribution: each host gets the files its components read, where their flags say."""

from __future__ import annotations

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
from wizard.generate import generate_files
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
