"""`check`: what is deployed on each host, compared with the plan and the output directory.

Per host (read back by wizard.fleet.inventory's script, over the operator's SSH): missing,
different, stale (an older certificate of the same subject), extra key material (a CA key or
the admin key where the plan puts none), wrong mode or owner, a key beside a certificate it
does not match. The answer is a `Review` with a node on every record and finding, so `check`
prints through review's own table, --json and --format code, with a NODE column.

A host whose restart record (wizard.fleet.inventory.RESTART_RECORD) names components gets an
`info` finding, `restart-owed` — "needs restart (placed earlier, not restarted)". Not a
warning: the files are right, which is what `check` judges; the record is the wizard's memory
of a restart it did not run, and cannot know of one done by hand since (`systemctl restart`
after reading "restarts needed"), so it must not fail a check that is otherwise clean. What a
process really serves is `probe`'s to say (served ≠ file is an error there).
"""

from __future__ import annotations

import hashlib
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from wizard.deploy import DeploySettings
from wizard.expiry import WARN_DAYS, days_until
from wizard.fleet.inventory import (
    OWED,
    RESTART_RECORD,
    DeployedFile,
    ExpectedFile,
    HostExpectation,
    HostInventory,
    certificates_in,
    expected_files,
    read_inventory,
    record_directory,
    scanned_directories,
)
from wizard.fleet.rotation import (
    COVERED,
    RotationPlace,
    RotationView,
    host_rotation,
    rotation_places_beyond_plan,
    rotation_views,
)
from wizard.fleet.ssh import HostOutcome, SshClient, Target, for_each_host, targets_of
from wizard.pki import parse_private_key, public_key_bytes
from wizard.review import Finding, Review, ReviewedFile, review_directory
from wizard.review.model import (
    KIND_CERTIFICATE,
    KIND_KUBECONFIG,
    KIND_PRIVATE_KEY,
    CertFacts,
    Severity,
    worst_severity,
)
from wizard.review.scan import cert_facts
from wizard.spec import ClusterSpec

KIND_MISSING = "missing"
ADMIN_GROUP = "system:masters"

InventoryReader = Callable[[Target, HostExpectation, list[str]], HostInventory]
"""Reads one host's inventory: over SSH in production, a local sh over a folder in tests."""


@dataclass(frozen=True)
class KnownKey:
    """A private key of the output directory, known on a host by its public part's sha256."""

    source: str
    ca: bool  # signs certificates (a CA's key)
    admin: bool  # the key of a system:masters client certificate


@dataclass(frozen=True)
class LocalSet:
    """What the output directory holds beyond the plan: its keys and its CAs."""

    keys: dict[str, KnownKey]  # sha256(SPKI DER) → the key
    cas: tuple[tuple[str, CertFacts], ...]  # (source, facts) of every CA certificate


def local_set(directory: Path) -> LocalSet:
    """The keys and CAs of an output directory (read with review's own scanner)."""
    review = review_directory(directory)
    certificates = [r for r in review.files if r.cert is not None and not r.embedded]
    keys: dict[str, KnownKey] = {}
    # the set's own file before a per-host copy of it (hosts/<address>/…) or a backup
    for record in sorted(review.files, key=lambda r: (r.path.count("/"), r.path)):
        if record.key is None or not record.key.private or record.key.spki is None:
            continue
        matching = [c.cert for c in certificates if c.cert and c.cert.spki == record.key.spki]
        keys.setdefault(
            hashlib.sha256(record.key.spki).hexdigest(),
            KnownKey(
                record.path,
                ca=any(facts.is_ca for facts in matching),
                admin=any(ADMIN_GROUP in facts.organizations for facts in matching),
            ),
        )
    certificates.sort(key=lambda r: (r.path.count("/"), r.path))
    cas = tuple((r.path, r.cert) for r in certificates if r.cert is not None and r.cert.is_ca)
    return LocalSet(keys, cas)


@dataclass
class HostCheck:
    """One host's answer: its records and findings (each naming the host), or why none."""

    target: Target
    expectation: HostExpectation
    inventory: HostInventory | None = None
    records: list[ReviewedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def worst(self) -> Severity | None:
        """The most severe finding on this host, or None when it is clean."""
        return worst_severity(self.findings)


@dataclass
class FleetCheck:
    """Every host's check, and the same as one Review for review's outputs."""

    hosts: list[HostCheck]
    review: Review
    parallel: int
    seconds: float


def compare_host(
    target: Target,
    expectation: HostExpectation,
    inventory: HostInventory,
    known: LocalSet,
    settings: DeploySettings,
    now: datetime,
    warn_days: int = WARN_DAYS,
    rotations: Sequence[RotationView] = (),
    rotation_places: dict[str, RotationPlace] | None = None,
) -> HostCheck:
    """Compare what one host has with its plan; every finding and record names the host.
    `rotations`: the set's CA rotations, to say where this host is in each;
    `rotation_places`: this host's places rotations put files the plan has not (by path)."""
    node = target.label
    check = HostCheck(target, expectation, inventory)
    findings = check.findings

    def say(path: str, severity: Severity, slug: str, message: str) -> None:
        findings.append(Finding(path, severity, slug, message, node))

    for planned in expectation.files:
        deployed = inventory.get(planned.destination)
        if deployed is None or deployed.state in ("missing", "broken-link"):
            link = " (a link to nothing)" if deployed and deployed.state == "broken-link" else ""
            say(
                planned.destination,
                "error",
                "missing",
                f"missing{link}: the plan puts {planned.source} here for {planned.why} — "
                "run distribute",
            )
            check.records.append(
                ReviewedFile(planned.destination, KIND_MISSING, node=node, note="missing")
            )
            continue
        if deployed.state != "present":
            say(
                planned.destination,
                "error",
                "unreadable",
                f"{deployed.state.replace('-', ' ')}: {planned.source} cannot be read here "
                "(is the SSH user root?)",
            )
            continue
        _compare_content(planned, deployed, say)
        _compare_access(planned, deployed, settings, say)
    _check_pairs(expectation, inventory, say)
    planned_paths = {f.destination for f in expectation.files}
    for deployed in inventory.files.values():
        if deployed.path in planned_paths or deployed.state != "present":
            continue
        place = (rotation_places or {}).get(deployed.path)
        if place is None or not _rotation_place(deployed, place, known, say):
            _extra(deployed, known, expectation, say)
    for deployed in inventory.files.values():
        if deployed.state == "present":
            check.records += _records_of(deployed, node, known, expectation)
    for record in check.records:
        if record.cert is None or record.embedded:
            continue
        left = days_until(record.cert.not_after, now)
        if record.cert.not_after < now:
            say(record.path, "error", "expired", f"expired {-left} days ago on this host")
        elif left <= warn_days:
            say(record.path, "warning", "expiring", f"expires in {left} days on this host")
    if inventory.pending:
        _restart_owed(expectation, inventory.pending, settings, say)
    for view in rotations:
        _rotation(check, view, inventory, node)
    return check


def _rotation(check: HostCheck, view: RotationView, inventory: HostInventory, node: str) -> None:
    """Where this host is in a rotation. In step: the set's bundle at its trust file is what
    the phase placed, not a difference (nor is the CA key, whose certificate is now the
    bundle's second, a mismatch). Behind or ahead: one finding naming both steps and the
    fix, standing for the differences at the places a phase changes (counted in it)."""
    found = host_rotation(view, inventory, check.expectation.name)
    if found is None:
        return
    places = view.places[inventory.address]
    if found.in_step:
        quiet = set(places.trust) if view.position.rank in (1, 2, 3) else set()
    elif found.behind or found.ahead:
        quiet = set(places.touched)
    else:
        return
    covered = [f for f in check.findings if f.check in COVERED and f.path in quiet]
    if found.held.low <= 3 and found.held.high >= 1:  # the host's trust file is the bundle,
        # whose first certificate is the old CA: the new CA key's is its second
        key = view.target.files.key
        covered += [
            f
            for f in check.findings
            if f.check == "key-mismatch"
            and (planned := check.expectation.file_at(f.path)) is not None
            and planned.source == key
        ]
    check.findings[:] = [f for f in check.findings if f not in covered]
    if found.in_step:
        return
    slug = "rotation-behind" if found.behind else "rotation-ahead"
    why = "" if found.behind else " (an --undo not placed yet?)"
    more = f"; {len(covered)} of its files differ from the set for that reason" if covered else ""
    check.findings.append(
        Finding(
            found.trust_place,
            "warning",
            slug,
            f"{found.words()}{why}{more} — run {found.fix()}",
            node,
        )
    )


def _restart_owed(
    expectation: HostExpectation, pending: Sequence[str], settings: DeploySettings, say: Say
) -> None:
    record = f"{record_directory(f.destination for f in expectation.files)}/{RESTART_RECORD}"
    units = ", ".join(dict.fromkeys(settings.unit_of(c) for c in pending))
    say(
        record,
        "info",
        "restart-owed",
        f"{OWED}: {', '.join(pending)} — distribute "
        "replaced files they read and has not restarted them since; probe shows what they "
        f"serve, distribute --restart restarts {units}",
    )


Say = Callable[[str, Severity, str, str], None]


def _compare_content(planned: ExpectedFile, deployed: DeployedFile, say: Say) -> None:
    path = planned.destination
    if planned.content is None:
        say(
            path,
            "info",
            "not-in-directory",
            f"the output directory has no {planned.source} to compare with",
        )
        return
    if planned.secret:
        if deployed.matches_plan is None:
            say(path, "info", "not-compared", "the host has no sha256sum: the key was not compared")
        elif not deployed.matches_plan:
            what = "kubeconfig" if planned.destination.endswith((".kubeconfig", ".conf")) else "key"
            say(
                path,
                "error",
                "different",
                f"a different {what} from {planned.source} in the set — run distribute",
            )
        return
    if deployed.sha256 is not None:
        if deployed.sha256 == planned.sha256:
            return
    elif _ders_of(planned.content) == list(deployed.certificates):
        return  # no sha256sum on the host: the certificates themselves are the same
    _different_certificate(planned, deployed, say)


def _different_certificate(planned: ExpectedFile, deployed: DeployedFile, say: Say) -> None:
    path = planned.destination
    wanted = _ders_of(planned.content or b"")
    if not wanted or not deployed.certificates:
        say(
            path, "error", "different", f"differs from {planned.source} in the set — run distribute"
        )
        return
    mine = x509.load_der_x509_certificate(wanted[0])
    theirs = x509.load_der_x509_certificate(deployed.certificates[0])
    if mine.subject == theirs.subject and theirs.not_valid_before_utc < mine.not_valid_before_utc:
        say(
            path,
            "error",
            "stale",
            f"an older certificate of the same subject ({theirs.subject.rfc4514_string()}): "
            f"from {theirs.not_valid_before_utc:%Y-%m-%d %H:%M}, the set's {planned.source} is "
            f"from {mine.not_valid_before_utc:%Y-%m-%d %H:%M} — run distribute",
        )
    elif mine.subject == theirs.subject:
        say(
            path,
            "warning",
            "different",
            f"a newer certificate of the same subject than the set's {planned.source} (from "
            f"{theirs.not_valid_before_utc:%Y-%m-%d %H:%M}): renewed somewhere else?",
        )
    else:
        say(
            path,
            "error",
            "different",
            f"another certificate ({theirs.subject.rfc4514_string()}) where the plan puts "
            f"{planned.source} ({mine.subject.rfc4514_string()}) — run distribute",
        )


def _compare_access(
    planned: ExpectedFile, deployed: DeployedFile, settings: DeploySettings, say: Say
) -> None:
    path = planned.destination
    if deployed.mode is not None and deployed.mode != planned.mode:
        exposed = planned.secret and deployed.mode & (stat.S_IRWXG | stat.S_IRWXO)
        say(
            path,
            "error" if exposed else "warning",
            "wrong-mode",
            f"mode {deployed.mode:04o}, the plan says {planned.mode:04o}"
            + (" — a secret readable by others than its owner" if exposed else "")
            + f" (chmod {planned.mode:04o} {path})",
        )
    owner, group = settings.owner, settings.group
    if deployed.owner and (deployed.owner, deployed.group) != (owner, group):
        say(
            path,
            "warning",
            "wrong-owner",
            f"owned by {deployed.owner}:{deployed.group}, [deploy] says {owner}:{group} "
            f"(chown {owner}:{group} {path})",
        )


def _check_pairs(expectation: HostExpectation, inventory: HostInventory, say: Say) -> None:
    """A key whose public part (the host's openssl said) is not its certificate's."""
    by_spki: dict[bytes, str] = {}
    for planned in expectation.files:
        for der in _ders_of(planned.content or b""):
            by_spki.setdefault(_spki(der), planned.destination)
    for planned in expectation.files:
        if not planned.secret or planned.content is None:
            continue
        key_spki = _key_spki(planned.content)
        certificate_path = by_spki.get(key_spki) if key_spki else None
        key = inventory.get(planned.destination)
        cert = inventory.get(certificate_path) if certificate_path else None
        if key is None or cert is None or key.public_key_sha256 is None or not cert.certificates:
            continue
        if hashlib.sha256(_spki(cert.certificates[0])).hexdigest() != key.public_key_sha256:
            say(
                planned.destination,
                "error",
                "key-mismatch",
                f"this key does not match the certificate beside it ({certificate_path}): the "
                "component will not start — run distribute",
            )


def _rotation_place(
    deployed: DeployedFile, place: RotationPlace, known: LocalSet, say: Say
) -> bool:
    """A file at a place a rotation puts one (the plan has not): nothing to say when it holds
    what the set has for it, a finding naming the rotation when not. False when it is not the
    rotation's kind of file at all (a key where a certificate goes…): `_extra` judges it."""
    placed, path = place.placed, deployed.path
    rerun = f"distribute --rotation {place.kind}"
    if deployed.has_private_key:
        if not place.key:
            return False
        if deployed.public_key_sha256 is None:
            say(
                path,
                "info",
                "not-compared",
                f"rotate-ca --ca {place.kind} puts {placed.source} here ({placed.why}); the "
                "host has no openssl to say which key this is",
            )
            return True
        if deployed.public_key_sha256 in place.key_hashes:
            return True
        key = known.keys.get(deployed.public_key_sha256)
        if key is None or not key.ca:
            return False
        say(
            path,
            "warning",
            "different",
            f"rotate-ca --ca {place.kind} puts {placed.source} here ({placed.why}), but this is "
            f"the key of a CA the set no longer trusts ({key.source}) — run {rerun}",
        )
        return True
    if place.key or not deployed.certificates:
        return False
    if not set(deployed.certificates) <= place.certificates:
        say(
            path,
            "warning",
            "different",
            f"rotate-ca --ca {place.kind} puts {placed.source} here ({placed.why}), but this "
            f"holds a certificate the set's {placed.source} does not — run {rerun}",
        )
    return True


def _extra(deployed: DeployedFile, known: LocalSet, host: HostExpectation, say: Say) -> None:
    path = deployed.path
    if not deployed.has_private_key:
        if deployed.certificates or path.endswith((".kubeconfig", ".conf")):
            say(path, "info", "not-in-plan", "not in this host's plan (left over?)")
        return
    key = known.keys.get(deployed.public_key_sha256 or "")
    roles = ", ".join(host.roles)
    if key is not None and key.ca:
        same = [f.destination for f in host.files if f.source == key.source]
        ca_sources = {k.source for k in known.keys.values() if k.ca}
        if same:
            where = f"a copy of the CA key {key.source}, which this host's plan puts at {same[0]}"
        elif any(f.source in ca_sources for f in host.files):
            where = f"the CA key ({key.source}) on a host whose plan gives it another CA's key"
        else:
            where = f"the CA key ({key.source}) on a host whose plan has no CA key"
        say(
            path,
            "error",
            "extra-key",
            f"{where} ({roles}): whoever reads it can sign any certificate for the cluster — "
            f"remove it (shred -u {path})",
        )
    elif key is not None and key.admin:
        say(
            path,
            "error",
            "extra-key",
            f"the admin key ({key.source}, system:masters) on a host whose plan has none "
            f"({roles}) — remove it (shred -u {path})",
        )
    elif key is not None:
        say(
            path,
            "warning",
            "extra-key",
            f"the key of {key.source}, which this host's plan does not give it — remove it",
        )
    else:
        which = "" if deployed.public_key_sha256 else " (no openssl on the host to say which)"
        say(
            path,
            "warning",
            "extra-key",
            f"a private key ({', '.join(deployed.key_labels)}) not in this host's plan{which} — "
            "remove it if nothing here reads it",
        )


def _records_of(
    deployed: DeployedFile, node: str, known: LocalSet, host: HostExpectation
) -> list[ReviewedFile]:
    """Records for review's tables: one per certificate in the file, or one for the file."""
    planned = host.file_at(deployed.path)
    role = planned.why if planned else None

    def record(kind: str, cert: CertFacts | None = None, note: str = "") -> ReviewedFile:
        return ReviewedFile(deployed.path, kind, role=role, note=note, size=deployed.size,
                            mode=deployed.mode, cert=cert, node=node)  # fmt: skip

    if deployed.path.endswith((".kubeconfig", ".conf")):
        embedded = [_facts(der) for der in deployed.kubeconfig_certificates]
        leaf = next((f for f in embedded if f is not None and not f.is_ca), None)
        kubeconfig = record(KIND_KUBECONFIG, leaf)
        if leaf is not None:
            kubeconfig.part = "user"
            kubeconfig.issued_by = _issuer(leaf, known)
        return [kubeconfig]
    if deployed.has_private_key and not deployed.certificates:
        key = known.keys.get(deployed.public_key_sha256 or "")
        note = ", ".join(deployed.key_labels) + (f" → the set's {key.source}" if key else "")
        return [record(KIND_PRIVATE_KEY, note=note)]
    records = []
    for index, der in enumerate(deployed.certificates):
        facts = _facts(der)
        if facts is None:
            continue
        certificate = record(KIND_CERTIFICATE, facts)
        if len(deployed.certificates) > 1:
            certificate.part = f"certificate {index + 1}"
        certificate.issued_by = _issuer(facts, known)
        certificate.self_signed = facts.self_issued and certificate.issued_by is None
        records.append(certificate)
    return records or [record("file")]


def _issuer(facts: CertFacts, known: LocalSet) -> str | None:
    for source, ca in known.cas:
        if ca.subject_der == facts.issuer_der and (facts.aki is None or facts.aki == ca.ski):
            return source
    return None


def _facts(der: bytes) -> CertFacts | None:
    try:
        return cert_facts(x509.load_der_x509_certificate(der), der)
    except ValueError:
        return None


def _ders_of(content: bytes) -> list[bytes]:
    return certificates_in(content.decode(errors="replace"))


def _spki(der: bytes) -> bytes:
    return public_key_bytes(x509.load_der_x509_certificate(der).public_key())


def _key_spki(content: bytes) -> bytes | None:
    try:
        return public_key_bytes(parse_private_key(content, pem=True).public_key())
    except (TypeError, ValueError):
        return None


# --- the whole fleet --------------------------------------------------------------------------


def ssh_reader(client: SshClient, cancel: threading.Event | None = None) -> InventoryReader:
    """The production reader: the inventory script over the client's SSH connection."""

    def read(target: Target, host: HostExpectation, directories: list[str]) -> HostInventory:
        return read_inventory(client, target, host, directories, cancel=cancel)

    return read


def select_hosts(
    expectations: list[HostExpectation], only: Sequence[str] = ()
) -> list[HostExpectation]:
    """The hosts named by --hosts (address or name), all when none; raises ValueError naming
    an unknown one and the hosts there are."""
    if not only:
        return expectations
    chosen = []
    for wanted in only:
        match = [h for h in expectations if wanted in (h.address, h.name)]
        if not match:
            known = ", ".join(h.address + (f" ({h.name})" if h.name else "") for h in expectations)
            raise ValueError(f"--hosts {wanted}: not a host of this cluster — hosts: {known}")
        chosen += [h for h in match if h not in chosen]
    return chosen


def check_fleet(
    spec: ClusterSpec,
    directory: Path,
    reader: InventoryReader,
    *,
    only: Sequence[str] = (),
    parallel: int | None = None,
    on_done: Callable[[HostCheck], None] | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
    warn_days: int = WARN_DAYS,
) -> FleetCheck:
    """Read back every (selected) host at most `parallel` at once ([deploy].parallel by
    default) and compare each with its plan. An unreachable host is an error finding naming
    it, never an exception; raises ValueError for an unknown --hosts name."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    expectations = expected_files(spec, directory)
    directories = scanned_directories(expectations)
    chosen = select_hosts(expectations, only)
    known = local_set(directory)
    rotations = rotation_views(spec, directory)
    beyond_plan = rotation_places_beyond_plan(spec, directory)
    settings = spec.deploy
    targets = targets_of([(h.address, h.name) for h in chosen], settings)
    by_target = dict(zip(targets, chosen, strict=True))
    width = parallel or settings.parallel

    def work(target: Target) -> HostCheck:
        inventory = reader(target, by_target[target], directories)
        return compare_host(
            target, by_target[target], inventory, known, settings, now, warn_days, rotations,
            beyond_plan.get(target.address, {}),
        )  # fmt: skip

    def done(outcome: HostOutcome[HostCheck]) -> None:
        if on_done is not None:
            on_done(_host_check(outcome, by_target))

    outcomes = for_each_host(targets, work, parallel=width, on_done=done, cancel=cancel)
    hosts = [_host_check(outcome, by_target) for outcome in outcomes]
    records = [r for h in hosts for r in h.records]
    findings = [f for h in hosts for f in h.findings]
    rank = {"error": 0, "warning": 1, "info": 2}
    order = {t.label: i for i, t in enumerate(targets)}
    findings.sort(key=lambda f: (rank[f.severity], order.get(f.node, 0), f.path, f.check))
    count = len(hosts)
    review = Review(f"{count} host{'s' if count != 1 else ''}", records, findings, now, warn_days)
    return FleetCheck(hosts, review, width, time.monotonic() - started)


def _host_check(
    outcome: HostOutcome[HostCheck], by_target: dict[Target, HostExpectation]
) -> HostCheck:
    if outcome.result is not None:
        result = outcome.result
        result.seconds = outcome.seconds
        return result
    target = outcome.target
    error = outcome.error or "no answer"
    return HostCheck(
        target,
        by_target[target],
        error=error,
        seconds=outcome.seconds,
        findings=[Finding("", "error", "unreachable", _unreachable_words(error), target.label)],
    )


def _unreachable_words(error: str) -> str:
    if error == "cancelled":
        return "not checked: cancelled"
    return f"not checked — {error}"
