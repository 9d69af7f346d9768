"""Planning a renewal: what the directory holds, per catalogue entry, against what cluster.toml
asks for now — SANs, subject, usages, key, chain, validity — and what to re-issue.

Nothing here makes a key or writes a file: `--dry-run` and `--json` print this plan as it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wizard import pki
from wizard.bounds import InputRefused, bare, load_yaml, read_limited
from wizard.catalog import (
    CertEntry,
    KubeconfigEntry,
    Part,
    Profile,
    concrete_entries,
    concrete_kubeconfigs,
    file_of_part,
    files_of,
    get_profile,
    subject_of,
    usages_for,
)
from wizard.certdetails import (
    ext_key_usage_words,
    key_description,
    key_usage_words,
    signed_by,
    subject_alternative_names,
)
from wizard.cfssl import ca_config, csr_hosts, dump_json
from wizard.expiry import MAX_DAYS, DurationError, days_until, parse_lifetime, when_text
from wizard.generate import (
    CA_CONFIG_FILE,
    SPEC_FILE,
    TOKEN_FILE,
    capped_lifetime,
    distribution_files,
    kubeconfig_file,
)
from wizard.pki.usages import ISSUED_WORDS, canonical_order, shown_word
from wizard.renew.model import (
    CA_WARN_DAYS,
    KIND_CERTIFICATE,
    KIND_KEY_PAIR,
    KIND_KUBECONFIG,
    CAWarning,
    Change,
    RenewError,
    RenewPlan,
    Selection,
)
from wizard.spec import ClusterSpec, SpecError, dump_spec, load_spec
from wizard.store import OutputFile, remove_stale_staging

# --- reading what is on disk -------------------------------------------------------------------


def _read_bytes(path: Path) -> tuple[bytes | None, str]:
    """A file's bytes, or None and what is wrong ("is missing", "cannot be read (…)", "is a
    named pipe (FIFO), not a regular file — …"); never more than bounds.MAX_FILE_BYTES."""
    try:
        return read_limited(path, what="certificate or key"), ""
    except FileNotFoundError:
        return None, "is missing"
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error})"
    except InputRefused as error:
        return None, str(error)


def _read_or_none(path: Path) -> bytes | None:
    """A file's bytes, or None when it is missing, unreadable, not a regular file or too large."""
    return _read_bytes(path)[0]


def read_certificate(path: Path) -> tuple[x509.Certificate | None, str]:
    """The certificate in a file, or None and what is wrong ("is missing", …)."""
    data, problem = _read_bytes(path)
    if data is None:
        return None, problem
    try:
        return pki.load_certificate(data, str(path)), ""
    except pki.PKIError as error:  # "<path> what is wrong"; the caller names the file
        return None, str(error).removeprefix(f"{path} ")


def read_key(path: Path) -> tuple[pki.PrivateKey | None, str]:
    """The private key in a file, or None and what is wrong."""
    data, problem = _read_bytes(path)
    if data is None:
        return None, problem
    try:
        return pki.load_private_key(data, str(path)), ""
    except pki.PKIError as error:
        text = str(error)
        return None, text.split(": ", 1)[1] if ": " in text else text


def key_algo_size(key: object) -> tuple[str, int]:
    """("rsa", 2048) or ("ecdsa", 256) for a private or public key."""
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    kind, size = key_description(public)
    return kind.lower(), size


def dn_text(name: x509.Name) -> str:
    """A DN in its own order, e.g. `C=CN, ST=BeiJing, L=BeiJing, O=k8s, OU=System, CN=admin`."""
    return ", ".join(x509.Name([attribute]).rfc4514_string() for attribute in name)


def _normal_san(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value.lower().rstrip(".")


def certificate_sans(certificate: x509.Certificate) -> list[str]:
    """DNS names then IP addresses, as written in the certificate."""
    dns, ips, _other = subject_alternative_names(certificate) or ([], [], [])
    return dns + ips


def certificate_usages(certificate: x509.Certificate) -> list[str]:
    """Key usage and EKU of a certificate, in one canonical order of cfssl-style words."""
    return canonical_order(key_usage_words(certificate) + ext_key_usage_words(certificate))


def expected_usages(words: Iterable[str]) -> list[str]:
    """A signing profile's cfssl usage words as the certificate will show them."""
    return canonical_order([shown_word(word) for word in words if word in ISSUED_WORDS])


# --- the CAs -----------------------------------------------------------------------------------


def rotation_plan(ca: CertEntry, profile: Profile, spec: ClusterSpec) -> tuple[str, ...]:
    """How to replace a CA on a running cluster, which re-signing leaves cannot do."""
    ca_file = files_of(ca, profile).cert
    uses = [(use, "cert") for use in ca.used_by]
    for entry in concrete_entries(profile, spec):
        if entry.signer == ca.name:
            uses += [(use, "ca-cert") for use in entry.used_by]
    trust: list[str] = []
    for use, wanted in uses:
        for flag, part in use.flags:
            if part == wanted and not flag.startswith("certificate-authority"):
                trust.append(f"{use.component} {flag.rstrip(':')}")
    trust = list(dict.fromkeys(trust)) or ["every component that verifies against it"]
    return (
        f"A new CA cannot be rolled in by re-signing leaves: everything that trusts {ca_file} "
        "checks signatures against its key, so a certificate from a new CA is refused until "
        "that CA is trusted everywhere.",
        "1. Make a new set, with a new CA, in another directory (k8s-cert-wizard generate -c "
        "cluster.toml -o NEWDIR) and build a bundle of both CAs: cat "
        f"{ca_file} NEWDIR/{ca_file} > ca-bundle.pem.",
        f"2. Trust the bundle everywhere first — {', '.join(trust)}, and the "
        "certificate-authority data of every kubeconfig — restarting one host at a time.",
        "3. Then hand out the leaves of NEWDIR (signed by the new CA) and restart the "
        "components; hand out every kubeconfig again and refresh what carries the CA inside "
        "the cluster: the service-account token secrets (their ca.crt) and the kube-root-ca.crt "
        "ConfigMaps (from kube-controller-manager --root-ca-file), then restart the pods that "
        "use them.",
        "4. Only when nothing presents a certificate of the old CA any more, remove it from the "
        "bundles and restart once more.",
    )


def _ca_state(
    directory: Path, profile: Profile, spec: ClusterSpec, entries: list[CertEntry]
) -> dict[str, x509.Certificate]:
    found: dict[str, x509.Certificate] = {}
    for entry in entries:
        if not entry.is_ca:
            continue
        path = directory / files_of(entry, profile).cert
        certificate, problem = read_certificate(path)
        if certificate is None:
            if problem != "is missing":
                raise RenewError(
                    f"{path} {problem} — restore the CA certificate from a backup; renew never "
                    "makes a new CA"
                )
            continue
        if not pki.is_ca_certificate(certificate):
            raise RenewError(
                f"{path} is not a CA certificate (CA:FALSE) — put the CA that signed this "
                "directory's certificates there"
            )
        found[entry.name] = certificate
    return found


def _ca_warnings(
    cas: dict[str, x509.Certificate],
    entries: list[CertEntry],
    profile: Profile,
    spec: ClusterSpec,
    now: datetime,
    within: int | None,
) -> list[CAWarning]:
    threshold = max(CA_WARN_DAYS, within or 0)
    warnings = []
    for entry in entries:
        if entry.name not in cas:
            continue
        certificate = cas[entry.name]
        ca_file = files_of(entry, profile).cert
        end = certificate.not_valid_after_utc
        days = days_until(end, now)
        if end <= now:
            message = (
                f"{ca_file} expired on {end:%Y-%m-%d} — every certificate it signed is refused "
                "now, and renew cannot help: it never replaces a CA; roll in a new one as below"
            )
        elif days <= threshold:
            message = (
                f"{ca_file} ends on {end:%Y-%m-%d} (in {days} days) — renew never replaces a CA, "
                "and leaves renewed now end with it; plan the rotation below"
            )
        else:
            continue
        warnings.append(
            CAWarning(entry.name, ca_file, end, days, message, rotation_plan(entry, profile, spec))
        )
    return warnings


# --- comparing one entry -----------------------------------------------------------------------


def _lifetime(
    change: Change,
    entry: CertEntry,
    profile: Profile,
    spec: ClusterSpec,
    cas: dict[str, x509.Certificate],
    entries: dict[str, CertEntry],
    now: datetime,
    override: tuple[str, timedelta] | None,
) -> None:
    signer = profile.signer_of(entry)
    ca_file = files_of(signer, profile).cert
    cert_file = files_of(entry, profile).cert
    ca_certificate = cas.get(signer.name)
    if ca_certificate is None:
        change.problem = (
            f"{ca_file} is missing — renew re-issues {cert_file} under the existing CA and never "
            "makes one; restore the CA (certificate and key), or make a new set with "
            "`k8s-cert-wizard generate`"
        )
        return
    ca_end = ca_certificate.not_valid_after_utc
    start = pki.not_before(now)
    if ca_end <= now:
        change.problem = (
            f"{ca_file} expired on {ca_end:%Y-%m-%d} — {cert_file} signed by it cannot be "
            "valid, and renew never replaces a CA: trust a bundle of the old and a new CA "
            "everywhere first, then re-issue the leaves under the new one, then remove the old "
            "one; kubeconfigs and service-account tokens must be handed out again"
        )
        return
    if override is not None:
        text, lifetime = override
        end = start + lifetime
        if end > ca_end:
            hours = int((ca_end - start).total_seconds() // 3600)
            change.problem = (
                f"--expiry {text}: {cert_file} would end on {end:%Y-%m-%d} but its CA {ca_file} "
                f"ends on {ca_end:%Y-%m-%d} — give at most {hours}h, or rotate the CA first"
            )
            return
    else:
        lifetime = capped_lifetime(spec, ca_certificate, now)
        if lifetime < spec.cert_lifetime():
            change.notes.append(
                f"capped at the end of {ca_file} ({ca_end:%Y-%m-%d}): cluster.toml asks "
                f"expiry.cert = {spec.expiry.cert}, and no certificate outlives its CA"
            )
    change.lifetime = lifetime
    change.not_after_new = start + lifetime


def _compare_certificate(
    entry: CertEntry,
    profile: Profile,
    spec: ClusterSpec,
    directory: Path,
    cas: dict[str, x509.Certificate],
    entries: dict[str, CertEntry],
    keep_key: bool,
    now: datetime,
    override: tuple[str, timedelta] | None,
) -> Change:
    files = files_of(entry, profile)
    certificate, cert_problem = read_certificate(directory / files.cert)
    key, key_problem = read_key(directory / files.key)
    change = Change(entry.name, KIND_CERTIFICATE, [], [], entry=entry)
    reasons = change.reasons
    keep = keep_key and key is not None
    if keep:
        change.key = "kept"
        change.key_algo, change.key_size = key_algo_size(key)
    else:
        change.key_algo, change.key_size = spec.key.algo, spec.key.size
        if keep_key and certificate is not None:
            change.problem = (
                f"--keep-key: {directory / files.key} {key_problem} — there is no key to keep; "
                "run without --keep-key to make a new key"
            )
        elif keep_key:
            change.notes.append(f"{files.key} {key_problem}: a new key is made")
    change.key_text = f"{change.key_algo.upper()} {change.key_size}"
    signing = profile.signing_profile(entry.signing_profile or "")
    expected_subject = pki.build_name(subject_of(entry, spec), entry.cn)
    expected_hosts = csr_hosts(entry, spec)
    change.subject_new = dn_text(expected_subject)
    change.usages_new = expected_usages(usages_for(signing, change.key_algo))
    change.sans_added = list(expected_hosts)
    if certificate is None:
        reasons.append(
            "missing" if cert_problem == "is missing" else f"{files.cert} {cert_problem}"
        )
    else:
        change.not_after_old = certificate.not_valid_after_utc
        if change.not_after_old <= now:
            reasons.append(f"expired {when_text(change.not_after_old, now)}")
        old_sans = certificate_sans(certificate)
        old_normal = {_normal_san(s) for s in old_sans}
        new_normal = {_normal_san(s) for s in expected_hosts}
        change.sans_added = [s for s in expected_hosts if _normal_san(s) not in old_normal]
        change.sans_removed = [s for s in old_sans if _normal_san(s) not in new_normal]
        if change.sans_added or change.sans_removed:
            reasons.append("SANs differ from cluster.toml")
        change.subject_old = dn_text(certificate.subject)
        if change.subject_changed:
            reasons.append("subject differs from cluster.toml")
        change.usages_old = certificate_usages(certificate)
        if change.usages_changed:
            reasons.append(f"usages differ from signing profile {signing.name!r}")
        ca_certificate = cas.get(profile.signer_of(entry).name)
        if ca_certificate is not None and not (
            certificate.issuer == ca_certificate.subject and signed_by(certificate, ca_certificate)
        ):
            signer_file = file_of_part(entry, Part.CA_CERT, profile)
            reasons.append(f"not signed by {signer_file}")
        if key is None:
            reasons.append(f"{files.key} {key_problem}")
        elif not pki.key_matches_certificate(key, certificate):
            reasons.append(f"{files.key} does not belong to {files.cert}")
            if keep:  # it may be another identity's key: signing it would hand that identity over
                change.problem = (
                    f"--keep-key: {directory / files.key} does not belong to {files.cert} — it "
                    "may be another certificate's key, and keeping it would give that key this "
                    "identity; restore the right key, or run without --keep-key to make a new one"
                )
        if not keep:
            on_disk = key_algo_size(certificate.public_key())
            if on_disk != (spec.key.algo, spec.key.size):
                reasons.append(
                    f"key is {on_disk[0].upper()} {on_disk[1]}, cluster.toml asks "
                    f"{spec.key.algo.upper()} {spec.key.size}"
                )
    change.files = [files.cert]
    if change.key == "new":
        change.files.append(files.key)
    change.files += [name for name in (files.csr, files.request) if name]
    _lifetime(change, entry, profile, spec, cas, entries, now, override)
    return change


def _compare_key_pair(entry: CertEntry, profile: Profile, directory: Path) -> Change | None:
    files = files_of(entry, profile)
    key, key_problem = read_key(directory / files.key)
    public = directory / files.public_key
    change = Change(entry.name, KIND_KEY_PAIR, [], [], entry=entry)
    if key is None:
        if key_problem == "is missing" and not public.exists():
            change.reasons.append("missing")
        else:
            change.reasons.append(f"{files.key} {key_problem}")
            change.problem = (
                f"{directory / files.key} {key_problem} but {files.public_key} is there — a new "
                "service-account key pair would invalidate every service-account token; restore "
                f"{files.key} from a backup, or move {files.public_key} away to make a new pair"
            )
        change.files = [files.key, files.public_key]
        return change
    current = _read_or_none(public)
    if current is not None and _same_public_key(current, key):
        return None
    change.key = "kept"
    change.reasons.append(
        f"{files.public_key} is missing"
        if current is None
        else f"{files.public_key} does not belong to {files.key}"
    )
    change.notes.append(f"{files.public_key} is derived again from the kept {files.key}")
    change.files = [files.public_key]
    return change


def _same_public_key(data: bytes, key: pki.PrivateKey) -> bool:
    try:
        public = serialization.load_pem_public_key(data)
    except ValueError:
        return False
    return pki.public_key_bytes(public) == pki.public_key_bytes(key.public_key())


# --- --only ------------------------------------------------------------------------------------


def _resolve_only(names: Iterable[str], entries: list[CertEntry], profile: Profile) -> list[str]:
    index: dict[str, CertEntry] = {}
    without_pki: dict[str, list[CertEntry]] = {}
    for entry in entries:
        index[entry.name] = entry
        files = files_of(entry, profile)
        for name in (files.cert, files.key, files.csr, files.request, files.public_key):
            if name:
                index[name] = entry
                short = name.removeprefix("pki/")
                without_pki.setdefault(short, []).append(entry)
    for short, found in without_pki.items():
        if len(found) == 1:
            index.setdefault(short, found[0])
    chosen = []
    leaves = [e.name for e in entries if not e.is_ca and not e.key_only]
    for raw in names:
        name = raw.strip().removeprefix("./")
        wanted = index.get(name)
        if wanted is None:
            example = files_of(entries[-1], profile).cert if entries else ""
            raise RenewError(
                f"--only {bare(raw)}: no certificate of that name in the {profile.name} profile "
                f"— use one of: {', '.join(leaves)} (or a file name such as {example})"
            )
        if wanted.is_ca:
            raise RenewError(
                f"--only {raw}: {files_of(wanted, profile).cert} is a CA, and renew never "
                "replaces a CA — rotating it needs a bundle of the old and the new CA trusted "
                "everywhere first, then leaves re-issued under the new one, then the old one "
                "removed; kubeconfigs and service-account tokens must be handed out again"
            )
        if wanted.key_only:
            raise RenewError(
                f"--only {raw}: {files_of(wanted, profile).key} is the service-account key pair, "
                "not a certificate — renew does not rotate it (every service-account token "
                "signed with it would stop working); it only adds a missing pair"
            )
        chosen.append(wanted.name)
    return list(dict.fromkeys(chosen))


# --- kubeconfigs -------------------------------------------------------------------------------


def render_kubeconfig(
    item: KubeconfigEntry,
    profile: Profile,
    spec: ClusterSpec,
    directory: Path,
    new_files: dict[str, bytes],
    entries: dict[str, CertEntry] | None = None,
) -> bytes | None:
    """A kubeconfig as generate writes it, from the new files or those in the directory;
    None when a file it needs is not there (or, for the bootstrap kubeconfig, the token)."""
    if entries is None:
        entries = {e.name: e for e in concrete_entries(profile, spec)}
    needed = [files_of(profile.cluster_ca, profile).cert]
    token = None
    if item.user:
        user = entries.get(item.user)
        if user is None:
            return None
        user_files = files_of(user, profile)
        needed += [user_files.cert, user_files.key]
    else:
        data = _read_or_none(directory / TOKEN_FILE)
        try:
            token = data.decode("utf-8").strip() if data is not None else None
        except UnicodeDecodeError:
            return None
        if token is None:
            return None
    contents: dict[str, bytes] = {}
    for name in needed:
        if name in new_files:
            contents[name] = new_files[name]
            continue
        data = _read_or_none(directory / name)
        if data is None:
            return None
        contents[name] = data
    return kubeconfig_file(item, profile, spec, entries, contents, token).content


def _kubeconfig_reason(old: bytes, new: bytes) -> str:
    def server(data: bytes) -> str | None:
        try:
            value = load_yaml(data, "kubeconfig")["clusters"][0]["cluster"]["server"]
        except Exception:  # noqa: BLE001 - any unreadable kubeconfig (or a YAML bomb) just differs
            return None
        return value if isinstance(value, str) else None

    before, after = server(old), server(new)
    if before and after and before != after:
        return f"server {bare(before)} → {bare(after)}"
    return "its certificates or settings differ from the files and cluster.toml"


# --- the plan ----------------------------------------------------------------------------------


def plan_renewal(
    spec: ClusterSpec,
    directory: str | Path,
    *,
    only: Iterable[str] = (),
    keep_key: bool = False,
    expiry: str | None = None,
    within: int | None = None,
    now: datetime | None = None,
) -> RenewPlan:
    """Compare the directory with the spec and decide what to re-issue (see the module doc).

    Raises RenewError, in one sentence, when the renewal cannot be done as asked.
    """
    directory = Path(directory).absolute()
    now = now or datetime.now(UTC)
    remove_stale_staging(directory.parent)  # finish a swap a killed run left
    if not directory.is_dir():
        raise RenewError(
            f"{directory} is not a certificate directory — give the -o DIR that generate wrote "
            "(renew works on an existing set)"
        )
    if within is not None and within < 0:
        raise RenewError(f"--within {within} is negative — give a number of days, e.g. 30")
    if within is not None and within > MAX_DAYS:
        raise RenewError(
            f"--within {within} is more than {MAX_DAYS} days (100 years) — give a number of "
            "days, e.g. 30"
        )
    override = None
    if expiry is not None:
        try:
            override = (expiry, parse_lifetime(expiry))
        except DurationError as error:
            raise RenewError(f"--expiry {error}") from None
    profile = get_profile(spec.profile)
    _check_profile(directory, spec)
    entries = concrete_entries(profile, spec)
    by_name = {e.name: e for e in entries}
    cas = _ca_state(directory, profile, spec, entries)
    if not cas:
        ca_file = files_of(profile.cas()[0], profile).cert
        raise RenewError(
            f"{directory / ca_file} is missing — renew re-issues certificates under the existing "
            "CA and never makes one; give the directory that holds the set, or make a new set "
            "with `k8s-cert-wizard generate`"
        )
    named = _resolve_only(only, entries, profile) if only else []
    candidates: list[Change] = []
    for entry in entries:
        if entry.is_ca:
            continue
        if entry.key_only:
            change = _compare_key_pair(entry, profile, directory)
            if change is not None:
                candidates.append(change)
            continue
        candidates.append(
            _compare_certificate(
                entry, profile, spec, directory, cas, by_name, keep_key, now, override
            )
        )
    selected, not_selected = _select(candidates, named, within, now)
    kubeconfig_changes = _kubeconfigs(profile, spec, directory, selected, by_name)
    if not named and within is None:
        selected += kubeconfig_changes
    else:
        not_selected += kubeconfig_changes
    for change in selected:
        if change.problem:
            raise RenewError(change.problem)
    support, notes = _support_files(profile, spec, directory, selected, not_selected)
    notes += _stale_instance_notes(profile, entries, spec, directory)
    notes += _missing_ca_key_notes(directory, profile, selected)
    selection = "+".join(
        word for word, used in (("only", bool(named)), ("within", within is not None)) if used
    )
    return RenewPlan(
        directory=directory,
        spec=spec,
        profile=profile,
        now=now,
        keep_key=keep_key,
        changes=selected,
        not_selected=not_selected,
        ca_warnings=_ca_warnings(cas, entries, profile, spec, now, within),
        support_files=support,
        support_notes=notes,
        ca_certificates=cas,
        selection=selection or "differs",
    )


def _missing_ca_key_notes(directory: Path, profile: Profile, selected: list[Change]) -> list[str]:
    """The diff needs only the CA certificates, the renewal their keys: say so up front (a
    dry run on a machine without the CA key must not look like a run that would work)."""
    signers = {
        profile.signer_of(c.entry).name for c in selected if c.kind == KIND_CERTIFICATE and c.entry
    }
    notes = []
    for name in sorted(signers):
        key_path = directory / files_of(profile.entry(name), profile).key
        if not key_path.exists():
            refusal = missing_ca_key_message(key_path, directory)
            notes.append(f"The renewal will be refused: {refusal}")
    return notes


def missing_ca_key_message(key_path: Path, directory: Path) -> str:
    """The refusal for a CA key that is not in the directory."""
    return (
        f"{key_path} is missing — renew signs with the CA's key; copy it into {directory} for "
        "the renewal (the CA itself stays byte-identical)"
    )


def _stale_instance_notes(
    profile: Profile, entries: list[CertEntry], spec: ClusterSpec, directory: Path
) -> list[str]:
    """Per-node or per-member files on disk for hosts cluster.toml no longer names."""
    current: set[str] = set()
    for entry in entries:
        files = files_of(entry, profile)
        current |= {files.cert, files.key, files.csr, files.request, files.public_key}
    current |= {item.name for item in concrete_kubeconfigs(profile, spec)}
    patterns = set()
    for template in profile.entries:
        if template.per is not None:
            files = files_of(template, profile)
            patterns |= {n for n in (files.cert, files.key, files.csr, files.request) if n}
    patterns |= {k.name for k in profile.kubeconfigs if k.per is not None}
    stale = sorted(
        {
            str(path.relative_to(directory))
            for pattern in patterns
            for path in directory.glob(pattern.replace("{name}", "*"))
            if str(path.relative_to(directory)) not in current and path.is_file()
        }
    )
    if not stale:
        return []
    return [
        f"{', '.join(stale)}: for a node or etcd member cluster.toml no longer names — renew "
        "leaves them alone; delete them by hand once that host is gone, or add it back"
    ]


def _check_profile(directory: Path, spec: ClusterSpec) -> None:
    copy = directory / SPEC_FILE
    if not copy.is_file():
        return
    try:
        written = load_spec(copy)
    except SpecError:
        return
    if written.profile != spec.profile:
        raise RenewError(
            f'{copy} says profile "{written.profile}" but the cluster file asks '
            f'"{spec.profile}" — renew keeps a set\'s profile; set profile = '
            f'"{written.profile}" (or --profile {written.profile}), or generate a new set'
        )


def _select(
    candidates: list[Change], named: list[str], within: int | None, now: datetime
) -> tuple[list[Change], list[Change]]:
    selected, not_selected = [], []
    for change in candidates:
        chosen = True
        selected_by: Selection = "differs"
        expiring_within: tuple[int, datetime] | None = None
        if named:
            chosen = change.name in named
            selected_by = "only"
        if within is not None:
            ending = change.not_after_old
            expiring = ending is not None and ending - now <= timedelta(days=within)
            chosen = chosen and expiring
            if not named:
                selected_by = "within"
            if chosen and ending is not None and ending > now:
                expiring_within = (within, now)
        if not named and within is None:
            chosen = change.differs
        if chosen:
            change.selected_by, change.expiring_within = selected_by, expiring_within
            selected.append(change)
        elif change.differs:
            not_selected.append(change)
    order = {name: index for index, name in enumerate(named)}
    if named:
        selected.sort(key=lambda c: order.get(c.name, len(order)))
    return selected, not_selected


def _kubeconfigs(
    profile: Profile,
    spec: ClusterSpec,
    directory: Path,
    selected: list[Change],
    entries: dict[str, CertEntry],
) -> list[Change]:
    """Attach dependent kubeconfigs to the renewed certificates; return the other kubeconfigs
    that differ from what the files and cluster.toml give (a new VIP, a missing file)."""
    renewed = {c.name: c for c in selected if c.kind == KIND_CERTIFICATE}
    others = []
    for item in concrete_kubeconfigs(profile, spec):
        path = directory / item.name
        current = _read_or_none(path)
        rendered = render_kubeconfig(item, profile, spec, directory, {}, entries)
        if item.user in renewed:
            if spec.kubeconfig.embed or rendered is None or rendered != current:
                renewed[item.user].files.append(item.name)
            continue
        if rendered is None or rendered == current:
            continue
        reason = "missing" if current is None else _kubeconfig_reason(current, rendered)
        others.append(
            Change(
                item.name,
                KIND_KUBECONFIG,
                [item.name],
                [reason],
                key="kept",
                kubeconfig=item,
            )
        )
    return others


def _support_files(
    profile: Profile,
    spec: ClusterSpec,
    directory: Path,
    selected: list[Change],
    not_selected: list[Change],
) -> tuple[list[OutputFile], list[str]]:
    """The cluster.toml copy, ca-config.json and the distribution plan, when they change."""
    if not selected:
        return [], []
    wanted = [OutputFile(SPEC_FILE, dump_spec(spec).encode())]
    if profile.naming == "cfssl":
        wanted.append(OutputFile(CA_CONFIG_FILE, dump_json(ca_config(profile, spec)).encode()))
    wanted += distribution_files(profile, spec)
    differing = []
    for item in wanted:
        if _read_or_none(directory / item.path) == item.content:
            continue
        differing.append(item)
    if not differing:
        return [], []
    if not_selected:
        names = ", ".join(c.name for c in not_selected[:4])
        return [], [
            f"kept the old {', '.join(f.path for f in differing)}: {names} still differ"
            f"{'s' if len(not_selected) == 1 else ''} from cluster.toml — renew "
            f"{'it' if len(not_selected) == 1 else 'them'} too to bring the copy up to date"
        ]
    return differing, []
