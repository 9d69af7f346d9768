"""From a ClusterSpec to the files of a certificate set: JSON, keys, CSRs, certificates,
kubeconfigs, the bootstrap token and the distribution plan.

The screens and the command line call `plan_json_files` (the `csr` command and the preview) and
`generate_files` (the `generate` command and the generate screen); `store.write_files` then writes
the result in one atomic step.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from wizard import pki, store, trust
from wizard.bootstrap import BOOTSTRAP_USER, new_bootstrap_token, rbac_manifest
from wizard.bounds import InputRefused, read_limited
from wizard.catalog import (
    CLASSIC,
    CertEntry,
    EntryFiles,
    KubeconfigEntry,
    Profile,
    concrete_entries,
    concrete_kubeconfigs,
    files_of,
    get_profile,
    kubeconfig_server,
    subject_of,
    usages_for,
)
from wizard.catalog.naming import (  # re-exported: the output directory's fixed names
    CA_CONFIG_FILE,
    DISTRIBUTION_FILE,
    DISTRIBUTION_JSON,
    RBAC_FILE,
    SPEC_FILE,
    TOKEN_FILE,
)
from wizard.cfssl import ca_config, csr_hosts, csr_request, dump_json
from wizard.distribution import distribution_json, distribution_markdown, plan_distribution
from wizard.expiry import SHORTEST_LIFETIME
from wizard.kubeconfig import Credentials, dump_kubeconfig, kubeconfig_document
from wizard.spec import ClusterSpec, dump_spec
from wizard.store import FILE_MODE, KEY_MODE, OutputFile


class GenerationError(ValueError):
    """Generation refused; the message says what and how to fix it."""


class Cancelled(Exception):
    """The user cancelled the run before anything was written."""


CANCEL_POLL = 0.05
"""Seconds between two looks at the cancel event while keys are being made."""


@dataclass(frozen=True)
class Progress:
    """A step of a generation run, for progress bars and logs."""

    done: int
    total: int
    message: str


@dataclass(frozen=True)
class ExistingCA:
    """A CA loaded from disk, reused instead of generated."""

    name: str
    certificate: x509.Certificate
    key: pki.PrivateKey
    source: Path
    files: EntryFiles


def plan_json_files(spec: ClusterSpec) -> list[OutputFile]:
    """The cfssl JSON files of the spec's profile: ca-config.json and one CSR JSON per entry.

    Profiles with kubeadm's names have no cfssl JSON: the list is empty.
    """
    profile = get_profile(spec.profile)
    if profile.naming != "cfssl":
        return []
    files = [OutputFile(CA_CONFIG_FILE, dump_json(ca_config(profile, spec)).encode())]
    for entry in concrete_entries(profile, spec):
        if entry.key_only:
            continue
        request = csr_request(entry, spec)
        files.append(OutputFile(files_of(entry, profile).request, dump_json(request).encode()))
    return files


def planned_file_names(spec: ClusterSpec) -> list[str]:
    """Every file `generate` writes for this spec, in writing order."""
    profile = get_profile(spec.profile)
    return _planned_file_names(profile, spec, concrete_entries(profile, spec))


def _planned_file_names(profile: Profile, spec: ClusterSpec, entries: list[CertEntry]) -> list[str]:
    names = _json_file_names(profile, entries)
    for entry in entries:
        files = files_of(entry, profile)
        names += [n for n in (files.cert, files.key, files.csr, files.public_key) if n]
    names += [k.name for k in concrete_kubeconfigs(profile, spec)]
    if _uses_bootstrap(profile, spec):
        names += [TOKEN_FILE, RBAC_FILE]
    names += [DISTRIBUTION_FILE, DISTRIBUTION_JSON]
    return names + [SPEC_FILE]


def _json_file_names(profile: Profile, entries: list[CertEntry]) -> list[str]:
    """The names `plan_json_files` gives its files, without rendering them."""
    if profile.naming != "cfssl":
        return []
    return [CA_CONFIG_FILE] + [files_of(e, profile).request for e in entries if not e.key_only]


def _uses_bootstrap(profile: Profile, spec: ClusterSpec) -> bool:
    return spec.kubelet == "bootstrap" and bool(profile.kubeconfigs)


def load_existing_ca(
    directory: Path, name: str = "ca", profile: Profile = CLASSIC
) -> ExistingCA | None:
    """The CA `name` in a directory (ca.pem + ca-key.pem, or pki/ca.crt + pki/ca.key), or None
    when neither file is there.

    A swap a killed run left beside the directory is finished first, so the CA is looked for
    where it belongs. Raises GenerationError when only one of the two is there, they do not
    belong together, or someone other than the running user or root could have planted them
    (see `wizard.trust`).
    """
    try:
        store.recover(directory)
    except store.StoreError as error:
        raise GenerationError(str(error)) from None
    files = files_of(profile.entry(name), profile)
    cert_path, key_path = directory / files.cert, directory / files.key
    try:
        cert_there, key_there = cert_path.exists(), key_path.exists()
    except OSError as error:
        raise GenerationError(store.describe_os_error(error, directory)) from None
    if not cert_there and not key_there:
        return None
    if not cert_there or not key_there:
        present, missing = (cert_path, key_path) if cert_there else (key_path, cert_path)
        raise GenerationError(
            f"{present} is there but {missing.name} is not — a CA needs both; restore the "
            "missing file, or move the other away to make a new CA"
        )
    try:
        certificate_bytes, cert_problem = trust.read_checked(directory, cert_path, key=False)
        key_bytes, key_problem = trust.read_checked(directory, key_path, key=True)
        certificate = pki.load_certificate(certificate_bytes, str(cert_path))
        key = pki.load_private_key(key_bytes, str(key_path))
    except trust.TrustError as error:
        raise GenerationError(f"the CA is not reused: {error}") from None
    except pki.PKIError as error:
        raise GenerationError(str(error)) from None
    except OSError as error:
        raise GenerationError(f"cannot read the CA in {directory}: {error.strerror}") from None
    if not pki.key_matches_certificate(key, certificate):
        raise GenerationError(
            f"{key_path} does not belong to {cert_path} — restore the CA's own key"
        )
    if not pki.is_ca_certificate(certificate):
        raise GenerationError(f"{cert_path} is not a CA certificate (CA:FALSE)")
    problem = _ca_time_problem(certificate, datetime.now(UTC))
    if problem:
        raise GenerationError(f"{cert_path} {problem}")
    if cert_problem or key_problem:
        raise GenerationError(f"the CA is not reused: {cert_problem or key_problem}")
    return ExistingCA(name, certificate, key, directory, files)


def _ca_time_problem(certificate: x509.Certificate, now: datetime) -> str:
    """Why a CA cannot sign certificates now, or "": expired, not yet valid, or ending within
    the shortest lifetime a certificate may have."""
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if end <= now:
        return (
            f"expired on {end:%Y-%m-%d %H:%M} UTC — it cannot sign anything; make a new CA "
            "(move its certificate and key away) and hand the new CA to every component"
        )
    if start > now:
        return (
            f"is not valid until {start:%Y-%m-%d %H:%M} UTC — check this machine's clock "
            "(date -u), or the clock of the machine that made it"
        )
    if end - pki.not_before(now) < SHORTEST_LIFETIME:
        return (
            f"ends at {end:%Y-%m-%d %H:%M} UTC, in under an hour — certificates it signs would "
            "end with it; make a new CA"
        )
    return ""


def load_existing_cas(directory: Path, profile: Profile) -> dict[str, ExistingCA]:
    """Every CA of the profile found in the directory, by entry name."""
    found = {}
    for entry in profile.cas():
        ca = load_existing_ca(directory, entry.name, profile)
        if ca is not None:
            found[entry.name] = ca
    return found


def generate_files(
    spec: ClusterSpec,
    existing_ca: ExistingCA | Mapping[str, ExistingCA] | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
    workers: int | None = None,
    token: str | None = None,
) -> list[OutputFile]:
    """Every file of the set, in memory: keys are made in parallel, then the CAs sign the leaves.

    Existing CAs are reused: their certificates and keys are written back unchanged, never
    replaced. Raises Cancelled when `cancel` is set — within CANCEL_POLL seconds while keys are
    being made (see make_keys), else at the next step; nothing has been written then. Progress
    comes per key, as each is done.
    """
    profile = get_profile(spec.profile)
    now = now or datetime.now(UTC)
    reused = _as_mapping(existing_ca)
    entries = concrete_entries(profile, spec)
    fresh = [e for e in entries if e.name not in reused]
    kubeconfigs = concrete_kubeconfigs(profile, spec)
    total = len(fresh) + len(entries) + len(kubeconfigs) + 1
    done = 0

    def step(message: str) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled before anything was written")
        done += 1
        if progress:
            progress(Progress(done, total, message))

    def key_made(name: str) -> None:
        step(f"{spec.key.algo.upper()} {spec.key.size} key for {name}")

    names = [e.name for e in fresh]
    keys = make_keys(
        names, spec.key.algo, spec.key.size, on_key=key_made, cancel=cancel, workers=workers
    )

    files = plan_json_files(spec)
    issued: dict[str, tuple[x509.Certificate, pki.PrivateKey]] = {}
    for entry in entries:
        if entry.name in reused:
            files = _keep_existing_ca_request(files, reused[entry.name])
            files += _reused_ca_files(reused[entry.name])
            issued[entry.name] = (reused[entry.name].certificate, reused[entry.name].key)
            step(f"reused the existing CA {files_of(entry, profile).cert}")
            continue
        files += _issue_entry(entry, profile, spec, keys[entry.name], issued, now)
        step(f"made {files_of(entry, profile).cert or files_of(entry, profile).key}")

    token_value = None
    if _uses_bootstrap(profile, spec):
        token_value = token or new_bootstrap_token()
        files += [
            OutputFile(TOKEN_FILE, f"{token_value}\n".encode(), KEY_MODE),
            OutputFile(RBAC_FILE, rbac_manifest(token_value).encode(), KEY_MODE),
        ]
    by_name = {e.name: e for e in entries}
    contents = {f.path: f.content for f in files}
    for item in kubeconfigs:
        files.append(kubeconfig_file(item, profile, spec, by_name, contents, token_value))
        step(f"wrote {item.name}")
    files += distribution_files(profile, spec)
    files.append(OutputFile(SPEC_FILE, dump_spec(spec).encode()))
    step("ready to write")
    return files


def key_workers(count: int) -> int:
    """How many keys to make at once: one a core this process may use (more only delays the
    first key, and with it the first step of the progress bar), but two at least, so that one
    slow RSA key does not hold the bar still."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(max(2, cores), count))


def make_keys(
    names: list[str],
    algo: str,
    size: int,
    *,
    on_key: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
) -> dict[str, pki.PrivateKey]:
    """A fresh key for each name, made in parallel (OpenSSL lets go of the GIL).

    `on_key(name)` is called in the caller's thread as each key is done, in the order they
    finish, so a progress bar moves per key. When `cancel` is set the call raises Cancelled
    within CANCEL_POLL seconds, without waiting for the keys still being made: they run on in
    daemon threads, are thrown away, and never hold up the exit of the process (a
    ThreadPoolExecutor is joined at exit). Exceptions from on_key or key making propagate.
    """
    jobs: queue.SimpleQueue[str] = queue.SimpleQueue()
    for name in names:
        jobs.put(name)
    done: queue.SimpleQueue[tuple[str, pki.PrivateKey | None, BaseException | None]]
    done = queue.SimpleQueue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                name = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((name, pki.new_private_key(algo, size), None))
            except BaseException as error:  # handed to the caller's thread
                done.put((name, None, error))

    count = key_workers(len(names)) if workers is None else max(1, workers)
    for number in range(count):
        threading.Thread(target=worker, name=f"key-{number}", daemon=True).start()
    keys: dict[str, pki.PrivateKey] = {}
    try:
        while len(keys) < len(names):
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled before anything was written")
            try:
                name, key, error = done.get(timeout=CANCEL_POLL)
            except queue.Empty:
                continue
            if error is not None:
                raise error
            assert key is not None
            keys[name] = key
            if on_key is not None:
                on_key(name)
    finally:
        stop.set()  # the workers take no new key; those being made are dropped
    return keys


def distribution_files(profile: Profile, spec: ClusterSpec) -> list[OutputFile]:
    """DISTRIBUTION.md and distribution.json: which file goes to which host (every profile;
    classic's kube-proxy and kubectl get their files to build a kubeconfig from, as the guide
    does)."""
    plan = plan_distribution(spec)
    return [
        OutputFile(DISTRIBUTION_FILE, distribution_markdown(plan, spec).encode()),
        OutputFile(DISTRIBUTION_JSON, dump_json(distribution_json(plan)).encode()),
    ]


def _as_mapping(
    existing: ExistingCA | Mapping[str, ExistingCA] | None,
) -> dict[str, ExistingCA]:
    if existing is None:
        return {}
    if isinstance(existing, ExistingCA):
        return {existing.name: existing}
    return dict(existing)


def _issue_entry(
    entry: CertEntry,
    profile: Profile,
    spec: ClusterSpec,
    key: pki.PrivateKey,
    issued: dict[str, tuple[x509.Certificate, pki.PrivateKey]],
    now: datetime,
) -> list[OutputFile]:
    if entry.key_only:
        return key_pair_files(entry, profile, key)
    if entry.is_ca:
        subject = pki.build_name(subject_of(entry, spec), entry.cn)
        csr = pki.build_csr(key, subject, [], is_ca=True)
        certificate = pki.issue_ca(key, subject, spec.ca_lifetime(), now)
        written = certificate_files(files_of(entry, profile), certificate, key, csr)
    else:
        ca_certificate, ca_key = issued[profile.signer_of(entry).name]
        lifetime = capped_lifetime(spec, ca_certificate, now)
        certificate, written = issue_leaf_files(
            entry, profile, spec, key, spec.key.algo, (ca_certificate, ca_key), lifetime, now
        )
    issued[entry.name] = (certificate, key)
    return written


def issue_leaf_files(
    entry: CertEntry,
    profile: Profile,
    spec: ClusterSpec,
    key: pki.PrivateKey,
    key_algo: str,
    ca: tuple[x509.Certificate, pki.PrivateKey],
    lifetime: timedelta,
    now: datetime,
) -> tuple[x509.Certificate, list[OutputFile]]:
    """Sign a leaf of the catalogue for this key: the certificate, and its files (certificate,
    key, CSR) as `certificate_files` names them. Raises GenerationError naming the file."""
    files = files_of(entry, profile)
    signing = profile.signing_profile(entry.signing_profile or "")
    ca_certificate, ca_key = ca
    try:
        subject = pki.build_name(subject_of(entry, spec), entry.cn)
        csr = pki.build_csr(key, subject, csr_hosts(entry, spec))
        certificate = pki.issue_leaf(
            csr, usages_for(signing, key_algo), lifetime, ca_certificate, ca_key, now
        )
    except pki.PKIError as error:
        raise GenerationError(f"{files.cert}: {error}") from None
    return certificate, certificate_files(files, certificate, key, csr)


def certificate_files(
    files: EntryFiles,
    certificate: x509.Certificate,
    key: pki.PrivateKey,
    csr: x509.CertificateSigningRequest,
) -> list[OutputFile]:
    """The certificate, its private key (mode 0600) and, where the naming has one, its CSR."""
    written = [
        OutputFile(files.cert, pki.certificate_pem(certificate), FILE_MODE),
        OutputFile(files.key, pki.private_key_pem(key), KEY_MODE),
    ]
    if files.csr:
        written.append(OutputFile(files.csr, pki.csr_pem(csr), FILE_MODE))
    return written


def key_pair_files(entry: CertEntry, profile: Profile, key: pki.PrivateKey) -> list[OutputFile]:
    """A key-only entry (the service-account key pair): the private and the public key."""
    files = files_of(entry, profile)
    return [
        OutputFile(files.key, pki.private_key_pem(key), KEY_MODE),
        OutputFile(files.public_key, pki.public_key_pem(key.public_key()), FILE_MODE),
    ]


def capped_lifetime(
    spec: ClusterSpec, ca_certificate: x509.Certificate, now: datetime
) -> timedelta:
    """expiry.cert, shortened to end with the CA when a reused CA ends sooner than that."""
    lifetime = spec.cert_lifetime()
    room = ca_certificate.not_valid_after_utc - pki.not_before(now)
    return min(lifetime, room) if room > timedelta(0) else lifetime


def kubeconfig_file(
    item: KubeconfigEntry,
    profile: Profile,
    spec: ClusterSpec,
    entries: dict[str, CertEntry],
    contents: dict[str, bytes],
    token: str | None,
) -> OutputFile:
    """One kubeconfig, embedding (or naming) the CA and the user's certificate and key."""
    server = kubeconfig_server(item, spec)
    ca_files = files_of(profile.cluster_ca, profile)
    if item.user:
        user_entry = entries[item.user]
        user_files = files_of(user_entry, profile)
        if spec.kubeconfig.embed:
            credentials = Credentials(
                user_entry.cn, contents[user_files.cert], contents[user_files.key]
            )
        else:
            credentials = Credentials(user_entry.cn, user_files.cert, user_files.key)
    else:
        credentials = Credentials(BOOTSTRAP_USER, token=token)
    ca: bytes | str = contents[ca_files.cert] if spec.kubeconfig.embed else ca_files.cert
    document = kubeconfig_document(server, ca, credentials)
    return OutputFile(item.name, dump_kubeconfig(document).encode(), KEY_MODE)


def _reused_ca_files(ca: ExistingCA) -> list[OutputFile]:
    files = [
        OutputFile(ca.files.cert, (ca.source / ca.files.cert).read_bytes(), FILE_MODE),
        OutputFile(ca.files.key, (ca.source / ca.files.key).read_bytes(), KEY_MODE),
    ]
    if ca.files.csr and (ca.source / ca.files.csr).is_file():  # a FIFO would block the read
        files.append(OutputFile(ca.files.csr, (ca.source / ca.files.csr).read_bytes(), FILE_MODE))
    return files


def _keep_existing_ca_request(files: list[OutputFile], ca: ExistingCA) -> list[OutputFile]:
    """A reused CA keeps the CSR JSON it was made from, not one describing a CA we did not make."""
    request = ca.source / ca.files.request
    if not ca.files.request or not request.is_file():
        return files
    kept = OutputFile(ca.files.request, request.read_bytes(), FILE_MODE)
    return [kept if f.path == kept.path else f for f in files]


def files_to_replace(
    spec: ClusterSpec,
    directory: Path,
    existing_ca: ExistingCA | Mapping[str, ExistingCA] | None = None,
) -> list[str]:
    """The files a `generate` into this directory would replace (before any key is made).

    Keys, CSRs, certificates, kubeconfigs and tokens always count (each run makes new ones),
    except a reused CA's; JSON files and cluster.toml count when their content would change.
    """
    if not directory.is_dir():
        return []
    profile = get_profile(spec.profile)
    reused: set[str] = set()
    for ca in _as_mapping(existing_ca).values():
        reused |= {ca.files.cert, ca.files.key, ca.files.csr, ca.files.request} - {""}
    entries = concrete_entries(profile, spec)
    present = [
        name
        for name in _planned_file_names(profile, spec, entries)
        if name not in reused and os.path.lexists(os.path.join(directory, name))
    ]
    planned_text: dict[str, bytes] = {}
    comparable = {SPEC_FILE, *_json_file_names(profile, entries)}
    if comparable.intersection(present):  # render the JSON only when there is some to compare
        planned_text = {f.path: f.content for f in plan_json_files(spec)}
        planned_text[SPEC_FILE] = dump_spec(spec).encode()
    replaced = []
    for name in present:
        path = directory / name
        if name in planned_text:
            try:
                if read_limited(path) == planned_text[name]:
                    continue
            except (OSError, InputRefused):
                pass
        replaced.append(name)
    return replaced
