"""From a ClusterSpec to the files of a certificate set: JSON, keys, CSRs, certificates.

The screens and the command line call `plan_json_files` (the `csr` command and the preview) and
`generate_files` (the `generate` command and the generate screen); `store.write_files` then writes
the result in one atomic step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from wizard import pki
from wizard.catalog import CertEntry, Profile, get_profile, subject_of, usages_for
from wizard.cfssl import ca_config, csr_hosts, csr_request, dump_json
from wizard.spec import ClusterSpec, dump_spec
from wizard.store import FILE_MODE, KEY_MODE, OutputFile


class GenerationError(ValueError):
    """Generation refused; the message says what and how to fix it."""


class Cancelled(Exception):
    """The user cancelled the run before anything was written."""


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


def cert_file(name: str) -> str:
    """cfssljson's certificate name."""
    return f"{name}.pem"


def key_file(name: str) -> str:
    """cfssljson's private key name."""
    return f"{name}-key.pem"


def csr_file(name: str) -> str:
    """cfssljson's CSR name."""
    return f"{name}.csr"


def json_file(name: str) -> str:
    """The cfssl CSR JSON name."""
    return f"{name}-csr.json"


CA_CONFIG_FILE = "ca-config.json"
SPEC_FILE = "cluster.toml"


def plan_json_files(spec: ClusterSpec) -> list[OutputFile]:
    """The cfssl JSON files of the spec's profile: ca-config.json and one CSR JSON per entry."""
    profile = get_profile(spec.profile)
    files = [OutputFile(CA_CONFIG_FILE, dump_json(ca_config(profile, spec)).encode())]
    for entry in profile.entries:
        files.append(
            OutputFile(json_file(entry.name), dump_json(csr_request(entry, spec)).encode())
        )
    return files


def planned_file_names(spec: ClusterSpec) -> list[str]:
    """Every file `generate` writes for this spec, in writing order."""
    names = [f.path for f in plan_json_files(spec)]
    for entry in get_profile(spec.profile).entries:
        names += [cert_file(entry.name), key_file(entry.name), csr_file(entry.name)]
    return names + [SPEC_FILE]


def load_existing_ca(directory: Path, name: str = "ca") -> ExistingCA | None:
    """The CA in a directory (`ca.pem` + `ca-key.pem`), or None when neither file is there.

    Raises GenerationError when only one of the two is there, or they do not belong together.
    """
    cert_path, key_path = directory / cert_file(name), directory / key_file(name)
    if not cert_path.exists() and not key_path.exists():
        return None
    if not cert_path.exists() or not key_path.exists():
        present, missing = (cert_path, key_path) if cert_path.exists() else (key_path, cert_path)
        raise GenerationError(
            f"{present} is there but {missing.name} is not — a CA needs both; restore the "
            "missing file, or move the other away to make a new CA"
        )
    try:
        certificate = pki.load_certificate(cert_path.read_bytes(), str(cert_path))
        key = pki.load_private_key(key_path.read_bytes(), str(key_path))
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
    return ExistingCA(name, certificate, key, directory)


def generate_files(
    spec: ClusterSpec,
    existing_ca: ExistingCA | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
    workers: int | None = None,
) -> list[OutputFile]:
    """Every file of the set, in memory: keys are made in parallel, then the CA signs the leaves.

    An existing CA is reused: its certificate and key are written back unchanged, never replaced.
    Raises Cancelled when `cancel` is set between steps; nothing has been written then.
    """
    profile = get_profile(spec.profile)
    now = now or datetime.now(UTC)
    entries = list(profile.entries)
    fresh = [e for e in entries if not (existing_ca and e.is_ca and e.name == existing_ca.name)]
    total = len(fresh) + len(entries) + 1
    done = 0

    def step(message: str) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled before anything was written")
        done += 1
        if progress:
            progress(Progress(done, total, message))

    keys: dict[str, pki.PrivateKey] = {}
    with ThreadPoolExecutor(max_workers=workers or min(8, max(2, len(fresh)))) as pool:
        futures = {
            e.name: pool.submit(pki.new_private_key, spec.key.algo, spec.key.size) for e in fresh
        }
        for name, future in futures.items():
            if cancel is not None and cancel.is_set():
                for other in futures.values():
                    other.cancel()
                raise Cancelled("cancelled before anything was written")
            keys[name] = future.result()
            step(f"{spec.key.algo.upper()} {spec.key.size} key for {name}")

    files = plan_json_files(spec)
    if existing_ca:
        files = _keep_existing_ca_request(files, existing_ca)
    issued: dict[str, tuple[x509.Certificate, pki.PrivateKey]] = {}
    if existing_ca:
        issued[existing_ca.name] = (existing_ca.certificate, existing_ca.key)
    for entry in entries:
        if entry.name in issued:
            files += _reused_ca_files(existing_ca)  # type: ignore[arg-type]
            step(f"reused the existing CA {cert_file(entry.name)}")
            continue
        files += _issue_entry(entry, profile, spec, keys[entry.name], issued, now)
        step(f"signed {cert_file(entry.name)}")
    files.append(OutputFile(SPEC_FILE, dump_spec(spec).encode()))
    step("ready to write")
    return files


def _issue_entry(
    entry: CertEntry,
    profile: Profile,
    spec: ClusterSpec,
    key: pki.PrivateKey,
    issued: dict[str, tuple[x509.Certificate, pki.PrivateKey]],
    now: datetime,
) -> list[OutputFile]:
    subject = pki.build_name(subject_of(entry, spec), entry.cn)
    hosts = [] if entry.is_ca else csr_hosts(entry, spec)
    csr = pki.build_csr(key, subject, hosts)
    if entry.is_ca:
        certificate = pki.issue_ca(key, subject, spec.ca_lifetime(), now)
    else:
        ca_certificate, ca_key = issued[entry.signer or "ca"]
        signing = profile.signing_profile(entry.signing_profile or "")
        try:
            certificate = pki.issue_leaf(
                csr,
                usages_for(signing, spec.key.algo),
                spec.cert_lifetime(),
                ca_certificate,
                ca_key,
                now,
            )
        except pki.PKIError as error:
            raise GenerationError(f"{cert_file(entry.name)}: {error}") from None
    issued[entry.name] = (certificate, key)
    return [
        OutputFile(cert_file(entry.name), pki.certificate_pem(certificate), FILE_MODE),
        OutputFile(key_file(entry.name), pki.private_key_pem(key), KEY_MODE),
        OutputFile(csr_file(entry.name), pki.csr_pem(csr), FILE_MODE),
    ]


def _reused_ca_files(ca: ExistingCA) -> list[OutputFile]:
    files = [
        OutputFile(cert_file(ca.name), (ca.source / cert_file(ca.name)).read_bytes(), FILE_MODE),
        OutputFile(key_file(ca.name), (ca.source / key_file(ca.name)).read_bytes(), KEY_MODE),
    ]
    csr_path = ca.source / csr_file(ca.name)
    if csr_path.exists():
        files.append(OutputFile(csr_file(ca.name), csr_path.read_bytes(), FILE_MODE))
    return files


def _keep_existing_ca_request(files: list[OutputFile], ca: ExistingCA) -> list[OutputFile]:
    """A reused CA keeps the CSR JSON it was made from, not one describing a CA we did not make."""
    request = ca.source / json_file(ca.name)
    if not request.is_file():
        return files
    kept = OutputFile(json_file(ca.name), request.read_bytes(), FILE_MODE)
    return [kept if f.path == kept.path else f for f in files]


def files_to_replace(
    spec: ClusterSpec, directory: Path, existing_ca: ExistingCA | None = None
) -> list[str]:
    """The files a `generate` into this directory would replace (before any key is made).

    Keys, CSRs and certificates always count (each run makes new ones), except a reused CA's;
    JSON files and cluster.toml count when their content would change.
    """
    if not directory.is_dir():
        return []
    reused = set()
    if existing_ca is not None:
        reused = {
            cert_file(existing_ca.name),
            key_file(existing_ca.name),
            csr_file(existing_ca.name),
            json_file(existing_ca.name),
        }
    planned_text = {f.path: f.content for f in plan_json_files(spec)}
    planned_text[SPEC_FILE] = dump_spec(spec).encode()
    replaced = []
    for name in planned_file_names(spec):
        path = directory / name
        if name in reused or not (path.exists() or path.is_symlink()):
            continue
        if name in planned_text:
            try:
                if path.read_bytes() == planned_text[name]:
                    continue
            except OSError:
                pass
        replaced.append(name)
    return replaced
