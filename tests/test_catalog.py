"""The catalogue: the profiles check themselves, names go both ways, every text has Chinese."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from wizard.catalog import (
    CLASSIC,
    EIGHT_SETS,
    PROFILE_NAMES,
    CatalogError,
    ComponentUse,
    Eku,
    FlagKind,
    KubeconfigEntry,
    Part,
    Per,
    Profile,
    SanSource,
    all_profiles,
    certificate_names_for_key,
    concrete_entries,
    entry_for_file,
    file_of_part,
    files_of,
    flag_kind,
    get_profile,
    key_names_for_certificate,
    sans_of,
    subject_of,
)
from wizard.catalog.text import (
    IDENTITY_TEXT,
    PURPOSE_ZH,
    WHY_ZH,
    identity_text,
    missing_chinese,
    purpose_text,
    why_text,
)
from wizard.hosts import HostKind
from wizard.review.roles import role_of
from wizard.spec import PROFILES as SPEC_PROFILES
from wizard.spec import ClusterSpec, Node

ALL = [pytest.param(p, id=p.name) for p in all_profiles().values()]


def test_classic_has_the_guides_four_key_pairs() -> None:
    assert [e.name for e in CLASSIC.entries] == ["ca", "kubernetes", "admin", "kube-proxy"]
    assert [e.name for e in CLASSIC.cas()] == ["ca"]
    assert CLASSIC.entry("admin").organization == "system:masters"
    assert CLASSIC.entry("kube-proxy").cn == "system:kube-proxy"
    assert CLASSIC.signing_profile("kubernetes").usages == (
        "signing",
        "key encipherment",
        "server auth",
        "client auth",
    )


@pytest.mark.parametrize("profile", ALL)
def test_every_entry_explains_itself(profile: Profile) -> None:
    for entry in profile.entries:
        assert entry.purpose and entry.identity, entry.name
        assert all(1 <= s <= 8 for s in entry.sets), entry.name
        assert entry.used_by or not entry.sets, entry.name  # front-proxy-ca: read by no flag here


# --- the self-check (kubeadm's CertTree) -------------------------------------------------------


@pytest.mark.parametrize("profile", ALL)
def test_every_profile_passes_its_self_check(profile: Profile) -> None:
    assert profile.problems() == []
    profile.validate()
    names = {e.name for e in profile.entries}
    signing = {s.name for s in profile.signing_profiles}
    for entry in profile.entries:
        if entry.is_ca or entry.key_only:
            continue
        signer = profile.signer_of(entry)
        assert signer.is_ca and signer in profile.entries, entry.name
        assert entry.signing_profile in signing, entry.name
    for kubeconfig in profile.kubeconfigs:
        assert kubeconfig.user == "" or kubeconfig.user in names, kubeconfig.name
    assert profile.cluster_ca.is_ca


def _broken(profile: Profile) -> Profile:
    admin = profile.entry("admin")
    return replace(
        profile,
        name="broken",
        entries=(
            *profile.entries,
            replace(admin, name="stray", signer="no-such-ca"),
            replace(admin, name="unsigned", signing_profile="no-such-profile"),
            replace(admin, name="leaf-signer", signer="admin"),  # a leaf is no CA
        ),
        signing_profiles=(
            *profile.signing_profiles,
            replace(profile.signing_profiles[0], name="x", usages=("sigining",)),
        ),
        kubeconfigs=(KubeconfigEntry("ghost.kubeconfig", "ghost", False, "kubectl"),),
    )


@pytest.mark.parametrize("profile", ALL)
def test_the_self_check_names_every_break(profile: Profile) -> None:
    broken = _broken(profile)
    problems = broken.problems()
    assert "broken: stray references unknown CA no-such-ca" in problems
    assert "broken: leaf-signer references unknown CA admin" in problems
    assert "broken: unsigned uses unknown signing profile no-such-profile" in problems
    assert "broken: ghost.kubeconfig names the user ghost, which is no client certificate" in (
        problems
    )
    assert "broken: signing profile x has the unknown usage 'sigining'" in problems
    assert len(problems) == 5
    with pytest.raises(CatalogError, match="references unknown CA no-such-ca"):
        broken.validate()


def test_the_self_check_finds_a_twice_listed_entry_and_a_missing_cluster_ca() -> None:
    doubled = replace(CLASSIC, entries=(*CLASSIC.entries, CLASSIC.entry("admin")))
    assert doubled.problems() == ["classic: the entry admin is listed twice"]
    headless = replace(CLASSIC, cluster_ca_name="kubernetes")
    assert headless.problems() == ["classic: the cluster CA kubernetes is no CA"]


@pytest.mark.parametrize("profile", ALL)
def test_every_profile_lists_the_client_ca_of_clients_only(profile: Profile) -> None:
    """The separate client CA of `rotate-ca --clients-only` is a catalogue entry: a CA no
    generated entry shares a name or a file with, read only by flags that verify clients or
    sign client certificates, its files found back by name; generate does not make it."""
    from wizard.catalog import CLIENT_SIGNING_FLAGS, CLIENT_TRUST_FLAGS

    client_ca = profile.client_ca
    assert client_ca is not None and client_ca.is_ca and client_ca not in profile.entries
    files = files_of(client_ca, profile)
    generated = {n for e in profile.entries for n in files_of(e, profile).names()}
    assert not set(files.names()) & generated
    assert files.cert == {"kubeadm": "pki/client-ca.crt"}.get(profile.name, "client-ca.pem")
    for field in ("cert", "key"):
        found = entry_for_file(getattr(files, field), profile)
        assert found is not None and found.entry is client_ca and found.field == field
    flags = {flag for use in client_ca.used_by for flag, _part in use.flags}
    assert flags <= {*CLIENT_TRUST_FLAGS, *CLIENT_SIGNING_FLAGS}
    assert {"--client-ca-file", "clientCAFile:", *CLIENT_SIGNING_FLAGS} <= flags
    # classic, complete: kubernetes.pem is etcd's client too and keeps the cluster CA, so etcd
    # keeps trusting it; kubeadm: etcd has a CA of its own
    assert "--trusted-ca-file" not in flags
    assert role_of(client_ca, profile) is not None
    generated_names = {e.name for e in concrete_entries(profile, ClusterSpec.example())}
    assert client_ca.name not in generated_names


def test_the_self_check_names_a_broken_client_ca() -> None:
    client_ca = CLASSIC.client_ca
    assert client_ca is not None
    bad_use = ComponentUse("kube-apiserver", (("--tls-cert-file", Part.CERT),), "serves")
    wrong_part = ComponentUse("kubelet", (("clientCAFile:", Part.CA_CERT),), "verifies")
    broken = replace(
        CLASSIC,
        rotation_entries=(
            replace(client_ca, used_by=(*client_ca.used_by, bad_use, wrong_part)),
            replace(CLASSIC.entry("admin"), name="client-ca", used_by=()),
            replace(client_ca, name="admin"),
        ),
    )
    assert broken.problems() == [
        "classic: kube-apiserver --tls-cert-file reads the client CA, but it neither verifies "
        "clients nor signs client certificates",
        "classic: kubelet clientCAFile: reads the ca-cert of the client CA, which has only a "
        "certificate and a key",
        "classic: the rotation entry client-ca is no CA",
        "classic: the rotation entry admin has the name of an entry generate makes",
        "classic: the rotation entry client-ca is listed twice",
    ]


def test_signer_of_refuses_cas_and_key_pairs() -> None:
    complete = get_profile("complete")
    assert complete.signer_of(complete.entry("admin")).name == "ca"
    with pytest.raises(CatalogError, match="ca is a self-signed CA"):
        complete.signer_of(complete.entry("ca"))
    with pytest.raises(CatalogError, match="sa is a plain key pair"):
        complete.signer_of(complete.entry("sa"))
    kubeadm = get_profile("kubeadm")
    assert kubeadm.signer_of(kubeadm.entry("etcd/{name}/peer")).name == "etcd/ca"
    assert kubeadm.signer_of(kubeadm.entry("front-proxy-client")).name == "front-proxy-ca"


# --- profile facts -----------------------------------------------------------------------------


def test_profile_names_are_one_list() -> None:
    assert PROFILE_NAMES == ("classic", "complete", "kubeadm") == SPEC_PROFILES
    from wizard.cli.common import PROFILE_CHOICES

    assert PROFILE_CHOICES == PROFILE_NAMES


def test_each_profile_is_loaded_from_the_module_of_its_name() -> None:
    import importlib

    for name in PROFILE_NAMES:
        module = importlib.import_module(f"wizard.catalog.profiles.{name}")
        assert get_profile(name) is getattr(module, name.upper())
        assert get_profile(name).name == name
    assert list(all_profiles()) == list(PROFILE_NAMES)
    with pytest.raises(KeyError):
        get_profile("kubespray")


def test_the_packages_names_are_its_modules_names() -> None:
    """`wizard.catalog` loads each name from its module on first use: the table of homes, the
    names the type checker is shown and __all__ are the same list, and every name is the
    object its module holds."""
    import ast
    import importlib
    from pathlib import Path

    import wizard.catalog as catalog

    homes = catalog._HOMES
    assert sorted(catalog.__all__) == sorted(homes)
    tree = ast.parse(Path(catalog.__file__).read_text())
    shown = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("wizard.catalog.")
        for alias in node.names
    }
    assert shown == {(f"wizard.catalog.{module}", name) for name, module in homes.items()}
    for name, module in homes.items():
        home = importlib.import_module(f"wizard.catalog.{module}")
        assert getattr(catalog, name) is getattr(home, name), name
    with pytest.raises(AttributeError, match="no attribute 'PROFILES'"):
        catalog.PROFILES  # noqa: B018 - the old name is gone, not silently None


def test_checking_a_spec_loads_only_its_profile() -> None:
    """What step 1 and every command do first (validate the answers) builds one profile, not
    all three, nor the teaching text or the names of other tools' files."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from wizard.spec import ClusterSpec, validate\n"
        "validate(ClusterSpec())\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('wizard.catalog'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "wizard.catalog.profiles.classic" in loaded, loaded
    assert not loaded & {
        "wizard.catalog.profiles.complete",
        "wizard.catalog.profiles.kubeadm",
        "wizard.catalog.text",
        "wizard.catalog.aliases",
    }, loaded


def test_profile_facts() -> None:
    facts = {
        p.name: (p.makes_per_node_files, p.uses_cfssl_subject) for p in all_profiles().values()
    }
    assert facts == {"classic": (False, True), "complete": (True, True), "kubeadm": (True, False)}


@pytest.mark.parametrize("profile", ALL)
def test_uses_cfssl_subject_says_whether_the_subject_fields_reach_a_certificate(
    profile: Profile, example_spec: ClusterSpec
) -> None:
    example_spec.nodes = [Node("node-1", "192.168.214.101")]
    entries = [e for e in concrete_entries(profile, example_spec) if not e.key_only]
    used = {field for e in entries for field, value in subject_of(e, example_spec).items() if value}
    assert ({"C", "ST", "L", "OU"} <= used) is profile.uses_cfssl_subject


def test_the_spec_asks_the_profile_about_nodes(example_spec: ClusterSpec) -> None:
    from wizard.spec import validate

    example_spec.nodes = [Node("node-1", "192.168.214.101")]
    warned = [p for p in validate(example_spec) if p.path == "nodes"]
    assert warned and "classic profile makes no per-node files" in warned[0].message
    example_spec.profile = "kubeadm"
    assert [p for p in validate(example_spec) if p.path == "nodes"] == []


def test_the_catalogue_does_not_load_the_spec_or_cryptography() -> None:
    code = (
        "import sys, wizard.catalog; "
        "print(sorted(m for m in sys.modules if m in ('wizard.spec', 'tomli_w', 'cryptography')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


# --- typed EKUs and flags ----------------------------------------------------------------------


def test_sets_state_their_ekus() -> None:
    assert EIGHT_SETS[0].ekus == (Eku.SERVER_AUTH, Eku.CLIENT_AUTH)
    assert EIGHT_SETS[0].eku == "server auth and client auth"
    assert EIGHT_SETS[5].key_pair and EIGHT_SETS[5].eku == "a plain key pair, no certificate"


@pytest.mark.parametrize("profile", ALL)
def test_a_role_needs_the_ekus_of_its_sets_or_signing_profile(profile: Profile) -> None:
    for entry in profile.entries:
        if entry.is_ca or entry.key_only:
            continue
        ekus = profile.ekus_of(entry)
        assert ekus, entry.name
        role = role_of(entry, profile)
        assert (role.server_auth, role.client_auth) == (
            Eku.SERVER_AUTH in ekus,
            Eku.CLIENT_AUTH in ekus,
        )
        # what the signing profile issues covers what the sets need
        assert set(ekus) <= set(profile.signing_profile(entry.signing_profile).ekus), entry.name
    front_proxy = (
        profile.entry("front-proxy-client")
        if "front-proxy-client" in {e.name for e in profile.entries}
        else None
    )
    if front_proxy is not None:  # in no set: its signing profile decides
        assert profile.ekus_of(front_proxy) == (Eku.CLIENT_AUTH,)


def test_flag_kinds() -> None:
    assert flag_kind("--tls-cert-file") is FlagKind.FLAG
    assert flag_kind("certificate-authority:") is FlagKind.KUBECONFIG_FIELD
    assert flag_kind("client-key:") is FlagKind.KUBECONFIG_FIELD
    assert flag_kind("clientCAFile:") is FlagKind.CONFIG_FIELD
    assert flag_kind("tlsCertFile:") is FlagKind.CONFIG_FIELD


@pytest.mark.parametrize("profile", ALL)
def test_parts_and_templates_are_typed(profile: Profile) -> None:
    for entry in profile.entries:
        assert entry.per is None or isinstance(entry.per, Per)
        assert ("{name}" in entry.name) is (entry.per is not None), entry.name
        for use in entry.used_by:
            assert all(isinstance(part, Part) for _flag, part in use.flags), entry.name


# --- names both ways ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ALL)
def test_every_file_name_leads_back_to_its_entry(profile: Profile) -> None:
    for entry in profile.entries:
        files = files_of(entry, profile)
        assert files.names(), entry.name
        for field in ("cert", "key", "csr", "request", "public_key"):
            name = getattr(files, field)
            if not name:
                continue
            if entry.per is None:
                match = entry_for_file(name, profile)
                assert match is not None and (match.entry, match.field) == (entry, field), name
                assert match.instance is None


@pytest.mark.parametrize("profile", ALL)
def test_every_concrete_file_leads_back_to_its_template_and_host(
    profile: Profile, example_spec: ClusterSpec
) -> None:
    example_spec.nodes = [Node("node-1", "192.168.214.101"), Node("w-2", "192.168.214.102")]
    for entry in concrete_entries(profile, example_spec):
        for name in files_of(entry, profile).names():
            match = entry_for_file(name, profile)
            assert match is not None, name
            assert match.entry.text_key == entry.text_key, name
            assert match.instance == (entry.instance.name if entry.instance else None), name
            assert getattr(files_of(entry, profile), match.field) == name


def test_names_that_are_no_file_of_the_profile() -> None:
    assert entry_for_file("kube-proxy.pem", get_profile("kubeadm")) is None
    assert entry_for_file("pki/ca.crt", CLASSIC) is None
    assert entry_for_file("notes.txt", CLASSIC) is None
    longest = entry_for_file("kubelet-n1-client-key.pem", get_profile("complete"))
    assert longest is not None and (longest.entry.name, longest.field, longest.instance) == (
        "kubelet-{name}-client",
        "key",
        "n1",
    )


@pytest.mark.parametrize("profile", ALL)
def test_key_and_certificate_names_promise_each_other(profile: Profile) -> None:
    for entry in profile.entries:
        files = files_of(entry, profile)
        if not files.cert:
            continue
        assert key_names_for_certificate(files.cert)[0] == files.key
        assert files.cert in certificate_names_for_key(files.key)


@pytest.mark.parametrize("profile", ALL)
def test_file_of_part_names_the_entrys_or_its_signers_file(
    profile: Profile, example_spec: ClusterSpec
) -> None:
    example_spec.nodes = [Node("node-1", "192.168.214.101")]
    for entry in concrete_entries(profile, example_spec):
        own = files_of(entry, profile)
        for use in entry.used_by:
            for flag, part in use.flags:
                name = file_of_part(entry, part, profile)
                if part is Part.CA_CERT:
                    assert name == files_of(profile.signer_of(entry), profile).cert, flag
                else:
                    assert name and name in own.names(), (entry.name, flag)
    assert file_of_part(CLASSIC.entry("admin"), "ca-key", CLASSIC) == "ca-key.pem"
    with pytest.raises(CatalogError):
        file_of_part(CLASSIC.entry("ca"), Part.CA_CERT, CLASSIC)


# --- SANs --------------------------------------------------------------------------------------


def test_apiserver_sans_with_reasons(example_spec: ClusterSpec) -> None:
    sans = sans_of(CLASSIC.entry("kubernetes"), example_spec)
    by_value = {s.value: s for s in sans}
    assert by_value["127.0.0.1"].source is SanSource.LOOPBACK
    assert by_value["192.168.214.88"].source is SanSource.ETCD
    assert by_value["192.168.214.200"].source is SanSource.MASTERS
    assert by_value["10.254.0.1"].source is SanSource.SERVICE_IP
    assert by_value["192.168.214.210"].source is SanSource.REGISTRY
    assert by_value["192.168.214.100"].source is SanSource.VIP
    assert by_value["kube-api.wangdong.com"].source is SanSource.EXTRA
    assert by_value["kubernetes.default.svc.cluster.local"].source is SanSource.CLUSTER_DNS
    assert "first service IP" in by_value["10.254.0.1"].reason
    assert len(by_value) == len(sans)  # each value once
    assert all(s.kind is HostKind.DNS for s in sans if s.source is SanSource.CLUSTER_DNS)


def test_a_host_in_two_groups_is_listed_once_with_its_first_reason(example_spec) -> None:
    example_spec.hosts.masters.append("192.168.214.88")  # a master that is also an etcd member
    sans = sans_of(CLASSIC.entry("kubernetes"), example_spec)
    assert [s.value for s in sans].count("192.168.214.88") == 1


def test_cluster_domain_drives_the_last_dns_name(example_spec) -> None:
    example_spec.network.cluster_domain = "k8s.example.org"
    names = [s.value for s in sans_of(CLASSIC.entry("kubernetes"), example_spec)]
    assert "kubernetes.default.svc.k8s.example.org" in names
    assert "kubernetes.default.svc.cluster.local" not in names


# --- the Chinese beside every teaching text ----------------------------------------------------


def test_every_teaching_text_of_every_profile_has_chinese() -> None:
    assert missing_chinese(list(all_profiles().values()), EIGHT_SETS) == []


def test_a_text_without_chinese_is_named() -> None:
    admin = CLASSIC.entry("admin")
    new = replace(
        admin,
        name="auditor",
        used_by=(*admin.used_by, ComponentUse("kube-auditor", (("--cert", Part.CERT),), "reads")),
    )
    profile = replace(CLASSIC, name="extra", entries=(*CLASSIC.entries, new))
    assert missing_chinese([profile], EIGHT_SETS[:1]) == [
        "extra: description",
        "extra auditor (auditor): purpose",
        "extra auditor (auditor): why of kubectl",
        "extra auditor (auditor): why of kube-auditor",
        "extra auditor (auditor): identity",
    ]


@pytest.mark.parametrize("profile", ALL)
def test_chinese_texts_are_chinese_and_english_is_the_catalogues(
    profile: Profile, example_spec: ClusterSpec
) -> None:
    example_spec.nodes = [Node("node-1", "192.168.214.101")]
    example_spec.profile = profile.name
    for entry in concrete_entries(profile, example_spec):
        assert purpose_text(entry, "en") == entry.purpose
        assert purpose_text(entry, "zh") == PURPOSE_ZH[entry.text_key]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in purpose_text(entry, "zh")), entry.name
        for use in entry.used_by:
            assert why_text(entry, use, "en") == use.why
            assert why_text(entry, use, "zh") == WHY_ZH[(entry.text_key, use.component)]
        if entry.is_client_identity:
            assert identity_text(entry, "zh") == IDENTITY_TEXT[entry.text_key].zh


def test_the_kubeadm_why_that_had_no_chinese() -> None:
    from wizard.layout import why_of

    kubeadm_ca = get_profile("kubeadm").entry("ca")
    use = kubeadm_ca.used_by[0]
    assert use.why == "verifies client certificates (etcd has its own CA here)"
    assert why_text(kubeadm_ca, use, "zh") == "验证客户端证书（这里 etcd 有自己的 CA）"
    assert why_of(use.why, "zh") == "验证客户端证书（这里 etcd 有自己的 CA）"


def test_per_host_entries_keep_their_text_key(example_spec: ClusterSpec) -> None:
    example_spec.profile = "kubeadm"
    entries = {e.name: e for e in concrete_entries(get_profile("kubeadm"), example_spec)}
    assert entries["etcd/etcd-1/server"].text_key == "etcd-server"
    assert entries["etcd/etcd-1/peer"].instance is not None
