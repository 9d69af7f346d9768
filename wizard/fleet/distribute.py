"""Placing the plan's files on a host: what it has, the diff, and one shell script that applies it.

Each host gets exactly the files its plan gives it (wizard.distribution), with the owner and
group of [deploy] and the plan's modes (keys 0600); a CA key never goes to a host that is not
a master — checked here again, whatever the plan says. Two round trips per host:

1. the one inventory script `check` uses too (wizard.fleet.inventory.INVENTORY_SCRIPT): mode
   and owner of every destination (and of the set's other file names there, which "would be
   removed"), whether its bytes are the plan's — a public file's sha256 comes back, a key's or
   a kubeconfig's never: the host compares it with the planned sha256 and answers same or
   differs — and whether an earlier run was interrupted (its journals' names).
2. ``apply_script``: the changed files arrive on stdin in a length-prefixed stream (sh, head
   and sha256sum only — Python is not assumed on the hosts). For each one: written to
   ``.kcw-new.<name>`` in its own directory, checked against its sha256, chowned, chmodded
   and synced; then the old files are copied into ``backup-<time>/`` beside them; then a
   journal of the renames is written and synced in every directory, and the temporary files
   are renamed into place — a key and its certificate back to back. A run killed between the
   two renames of a pair leaves the journal: the next run (its first step) finishes those
   renames from the synced temporary files before anything else — those its own plan still
   wants; the others are dropped and their files sent again — so a pair never stays
   mismatched. Files already as planned are never touched; directories that exist are never
   chmodded or chowned (a lab host's / is the machine's own); missing ones are made 0755, or
   0700 when they hold only keys.
3. The restarts owed: before the first rename, the apply adds to the host's restart record
   (``.kcw-restart``, beside the journal in the plan's shallowest directory; written to a
   temporary name, synced, renamed) every component reading a file whose content it replaces —
   a new file replaces nothing a process could still serve, a mode or owner change does not
   change what is served. The names accumulate across runs; the restart script removes a name
   only once its unit was restarted and found healthy. So a run killed anywhere, or one without
   ``--restart``, leaves a record that names at least every component still serving an old
   file (at worst one more: killed after the record, before the rename), and the next
   ``distribute --restart`` restarts them even when no file changed.

The transport is a function (script, stdin) → RemoteResult: SSH for real hosts, ``sh`` with
a root prefix for the tests, so the very same script is what the tests run.
"""

from __future__ import annotations

import enum
import hashlib
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard.catalog import RESTARTS, concrete_entries, files_of, get_profile
from wizard.deploy import DeploySettings
from wizard.distribution import HostPlan, content_on_host, plan_distribution
from wizard.fleet.inventory import (
    INVENTORY_SCRIPT,
    RESTART_RECORD,
    HostInventory,
    parse_inventory,
    record_directory,
    request_of,
)
from wizard.fleet.ssh import RemoteResult
from wizard.pki import parse_private_key, public_key_bytes
from wizard.spec import ClusterSpec
from wizard.store import KEY_MODE

RunScript = Callable[[str, bytes], RemoteResult]
"""Runs a POSIX sh script on one host with bytes on its stdin."""

TEMP_PREFIX = ".kcw-new."
JOURNAL = ".kcw-journal"
FAILED = 3  # the scripts' own exit status for a refusal they explain on stderr
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._@:+/-]+")


class DistributeError(Exception):
    """A host's files cannot be placed as asked; the message names the file and the fix."""


# --- the plan, with contents -------------------------------------------------------------------


@dataclass(frozen=True)
class FileToPlace:
    """One file as it goes onto one host."""

    source: str  # the file in the output directory
    destination: str
    content: bytes
    mode: int
    readers: tuple[str, ...] = ()  # the host's components that read it

    @property
    def sha256(self) -> str:
        """The hex sha256 of the content, as sha256sum prints it."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class HostFiles:
    """Everything one host gets, and the set's other file names to look for there."""

    address: str
    name: str
    roles: tuple[str, ...]
    files: tuple[FileToPlace, ...]
    owner: str
    group: str
    pairs: tuple[tuple[str, str], ...] = ()  # (key, certificate) destinations on this host
    foreign: tuple[str, ...] = ()  # destinations other hosts get and this one must not have
    ca_keys: tuple[str, ...] = ()  # destinations of CA keys (of any host)

    @property
    def label(self) -> str:
        """`10.0.0.21 (master-1)`."""
        return f"{self.address} ({self.name})" if self.name else self.address

    @property
    def is_master(self) -> bool:
        """True for a host that runs kube-controller-manager (where the CA key may go)."""
        return "master" in self.roles

    def file(self, destination: str) -> FileToPlace | None:
        """The planned file at a destination, or None."""
        return next((f for f in self.files if f.destination == destination), None)

    @property
    def record(self) -> str:
        """The host's record of owed restarts (wizard.fleet.inventory.RESTART_RECORD)."""
        return f"{record_directory(f.destination for f in self.files)}/{RESTART_RECORD}"

    def records(self) -> list[str]:
        """Every place a record may be (the plan's directories): the inventory reads them all
        and a healthy restart clears its name from each, so a plan that moved keeps its debt."""
        folders = sorted({posixpath.dirname(f.destination) for f in self.files})
        return [f"{folder}/{RESTART_RECORD}" for folder in folders]

    def directories(self) -> list[str]:
        """The directories of the destinations, and every missing one's parents, shallow first."""
        found: set[str] = set()
        for placed in self.files:
            directory = posixpath.dirname(placed.destination)
            while directory not in ("/", ""):
                found.add(directory)
                directory = posixpath.dirname(directory)
        return sorted(found, key=lambda d: (d.count("/"), d))

    def directory_mode(self, directory: str) -> int:
        """0700 for a directory the plan fills with keys only, else 0755."""
        inside = [
            f
            for f in self.files
            if f.destination == directory or f.destination.startswith(directory + "/")
        ]
        if inside and all(f.mode == KEY_MODE for f in inside):
            return 0o700
        return 0o755


def host_files(
    spec: ClusterSpec,
    directory: Path,
    settings: DeploySettings | None = None,
    addresses: Iterable[str] | None = None,
) -> list[HostFiles]:
    """Each host's files read from the output directory (every host, or those addresses).

    Raises DistributeError naming a missing or unreadable file, or a CA key the plan would
    put on a host that is not a master."""
    settings = settings or spec.deploy
    plans = plan_distribution(spec)
    wanted = set(addresses) if addresses is not None else None
    profile = get_profile(spec.profile)
    entries = concrete_entries(profile, spec)
    ca_sources = {files_of(e, profile).key for e in entries if e.is_ca}
    pair_sources = []
    for entry in entries:
        files = files_of(entry, profile)
        partner = files.cert or files.public_key
        if files.key and partner:
            pair_sources.append((files.key, partner))
    every_destination = {f.destination for plan in plans for f in plan.files}
    ca_destinations = tuple(
        sorted({f.destination for p in plans for f in p.files if f.source in ca_sources})
    )
    result = []
    for plan in plans:
        if wanted is not None and plan.address not in wanted:
            continue
        result.append(
            _host_files(
                plan, directory, settings, pair_sources, every_destination, ca_sources,
                ca_destinations,
            )
        )  # fmt: skip
    return result


def _host_files(
    plan: HostPlan,
    directory: Path,
    settings: DeploySettings,
    pair_sources: list[tuple[str, str]],
    every_destination: set[str],
    ca_sources: set[str],
    ca_destinations: tuple[str, ...],
) -> HostFiles:
    label = f"{plan.address} ({plan.name})" if plan.name else plan.address
    destinations = {f.source: f.destination for f in plan.files}
    placed = []
    for item in plan.files:
        if item.source in ca_sources and "master" not in plan.roles:
            raise DistributeError(
                f"{label}: the plan puts the CA key {item.source} on a {'/'.join(plan.roles)} "
                "host — refused: a CA key goes only to the masters. Report this as a bug; "
                "nothing was copied"
            )
        if not _SAFE_PATH.fullmatch(item.destination) or "/." in item.destination:
            raise DistributeError(
                f"{label}: destination {item.destination!r} has characters the host script "
                "does not take — use letters, digits and . _ - @ : + /"
            )
        path = directory / item.source
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise DistributeError(
                f"{path}: missing — {label} needs it at {item.destination}; run "
                f"`k8s-cert-wizard generate -o {directory}` first (nothing was copied)"
            ) from None
        except OSError as error:
            raise DistributeError(f"{path}: cannot be read ({error.strerror})") from None
        content = content_on_host(plan, item, content, destinations)
        placed.append(
            FileToPlace(
                item.source,
                item.destination,
                content,
                item.mode,
                tuple(plan.readers.get(item.source, ())),
            )
        )
    contents = {f.source: f.content for f in placed}
    pairs = []
    for key, cert in pair_sources:
        if key in destinations and cert in destinations:
            _check_pair(directory, key, cert, contents[key], contents[cert])
            pairs.append((destinations[key], destinations[cert]))
    own = set(destinations.values())
    return HostFiles(
        plan.address,
        plan.name,
        tuple(plan.roles),
        tuple(placed),
        settings.owner,
        settings.group,
        tuple(pairs),
        tuple(sorted(every_destination - own)),
        ca_destinations,
    )


def _check_pair(
    directory: Path, key: str, partner: str, key_pem: bytes, partner_pem: bytes
) -> None:
    """Refuse a set whose key is not its certificate's (or public key's): a host must never
    get a key beside a certificate it does not match, not even from the set itself."""
    try:
        private = parse_private_key(key_pem)
        if b"-----BEGIN CERTIFICATE-----" in partner_pem:
            public: object = x509.load_pem_x509_certificate(partner_pem).public_key()
        else:
            public = serialization.load_pem_public_key(partner_pem)
        same = public_key_bytes(private.public_key()) == public_key_bytes(public)
    except (ValueError, TypeError) as error:
        raise DistributeError(
            f"{directory / key} or {directory / partner} cannot be read ({error}) — "
            "regenerate the set; nothing was copied"
        ) from None
    if not same:
        raise DistributeError(
            f"{directory / key} does not match {directory / partner} — the set is half "
            "renewed; run renew (or generate --force) again; nothing was copied"
        )


# --- what the host has -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    """A file as found on a host: whether its bytes are the plan's (the host said so for a
    secret file; a public file's sha256 was compared here), and its mode and owner."""

    same: bool
    mode: int
    owner: str
    group: str


@dataclass(frozen=True)
class Inventory:
    """What a host has at the destinations (absent ones are not in `files`)."""

    files: dict[str, Deployed] = field(default_factory=dict)
    not_files: tuple[str, ...] = ()  # a directory or other non-file where a file goes
    interrupted: tuple[str, ...] = ()  # journals and temporary files of a run that stopped
    pending: tuple[str, ...] = ()  # components owing a restart (placed earlier, not restarted)


def _prelude(root: str) -> str:
    return f"set -u\nROOT={shlex.quote(root)}\n"


def inventory_request(host: HostFiles, root: str = "") -> bytes:
    """The shared inventory script's stdin for a host: its destinations, each with the sha256
    of the planned bytes (a secret file is compared on the host, never hashed back), the
    set's other destinations (which "would be removed"), and its directories, where an
    interrupted apply's journals and temporary files are looked for."""
    paths: list[tuple[str, str | None]] = [(f.destination, f.sha256) for f in host.files]
    paths += [(d, None) for d in host.foreign]
    return request_of(paths, journals=host.directories(), root=root)


def inventory_of(host: HostFiles, found: HostInventory) -> Inventory:
    """The shared script's answer as distribute's diff needs it."""
    files: dict[str, Deployed] = {}
    not_files = []
    for path, item in found.files.items():
        planned = host.file(path)
        if item.state == "missing":
            continue
        if item.state in ("not-a-file", "broken-link"):
            not_files.append(path)
            continue
        if planned is not None and item.state != "present":
            raise DistributeError(
                f"{host.label}: {path} cannot be read on the host ({item.state}) — log in as "
                "root (deploy.user) and run again"
            )
        same = False
        if planned is not None:
            if item.sha256 is not None:
                same = item.sha256 == planned.sha256
            elif item.matches_plan is not None:
                same = item.matches_plan
            else:
                raise DistributeError(
                    f"{host.label}: {path} cannot be compared — the host has no sha256sum, "
                    "shasum or openssl; install coreutils there and run again"
                )
        files[path] = Deployed(same, item.mode or 0, item.owner, item.group)
    return Inventory(files, tuple(not_files), found.interrupted, found.pending)


def read_inventory(run: RunScript, host: HostFiles, root: str = "") -> Inventory:
    """One round trip of the shared inventory script (wizard.fleet.inventory): what the host
    has at every path that matters to its plan. No key's bytes or hash leave the host."""
    result = run(INVENTORY_SCRIPT, inventory_request(host, root))
    _raise_for(result, host, "reading what it has")
    if not result.stdout.startswith(b"T\t"):
        raise DistributeError(f"reading what it has failed: {result.reason()}")
    planned = {f.destination for f in host.files}
    return inventory_of(host, parse_inventory(host.address, result.stdout, planned))


class HostUnreachable(DistributeError):
    """ssh could not reach or log in to the host."""


def _raise_for(result: RemoteResult, host: HostFiles, doing: str) -> None:
    if result.unreachable:
        raise HostUnreachable(
            f"unreachable ({result.reason()}) — check that `ssh {host.address} true` works "
            "from this jump host (its key in ssh-agent, known_hosts, deploy.user and "
            "deploy.port), then run again: the hosts done are not redone"
        )
    if result.returncode != 0:
        raise DistributeError(f"{doing} failed: {result.reason()}")


# --- the diff ------------------------------------------------------------------------------------


class Status(enum.StrEnum):
    """What distribute does with one path on one host."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "would be removed"


@dataclass(frozen=True)
class FileChange:
    """One path's status on one host, and why."""

    destination: str
    status: Status
    reason: str = ""
    planned: FileToPlace | None = None
    replaces: bool = False  # the host has other bytes there (not just another mode or owner)


@dataclass(frozen=True)
class HostDiff:
    """A host's plan against what it has."""

    host: HostFiles
    changes: tuple[FileChange, ...]
    interrupted: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # owed by earlier runs: placed earlier, not restarted

    def with_status(self, *statuses: Status) -> list[FileChange]:
        """The changes of these statuses, in destination order."""
        return [c for c in self.changes if c.status in statuses]

    @property
    def to_write(self) -> list[FileToPlace]:
        """The files the apply sends: new and changed ones, pairs adjacent (key first)."""
        files = [c.planned for c in self.with_status(Status.NEW, Status.CHANGED) if c.planned]
        order = {d: i for i, d in enumerate(f.destination for f in files)}
        for key, cert in self.host.pairs:  # the certificate right after its key
            if key in order and cert in order:
                order[cert] = order[key]
        return sorted(files, key=lambda f: (order[f.destination], f.mode != KEY_MODE))

    @property
    def counts(self) -> dict[str, int]:
        """How many paths have each status."""
        return {s.value: len(self.with_status(s)) for s in Status}

    @property
    def clean(self) -> bool:
        """True when the host already has exactly its files (nothing to write or remove)."""
        return not self.with_status(Status.NEW, Status.CHANGED, Status.REMOVED) and not (
            self.interrupted
        )

    @property
    def replaced(self) -> tuple[str, ...]:
        """The components reading a file whose content this run replaces: what the apply
        adds to the host's restart record, in start order."""
        readers = {
            c for change in self.changes if change.replaces and change.planned
            for c in change.planned.readers
        }  # fmt: skip
        return tuple(c for c in RESTARTS if c in readers)

    def restart_plan(self, settings: DeploySettings) -> dict[str, list[str]]:
        """unit → the components it runs, for the new and changed files and the restarts
        owed by earlier runs, in start order (two components may share a unit)."""
        components = set(self.pending)
        for placed in self.to_write:
            components.update(c for c in placed.readers if c in RESTARTS)
        plan: dict[str, list[str]] = {}
        for component in (c for c in RESTARTS if c in components):
            plan.setdefault(settings.unit_of(component), []).append(component)
        return plan

    def units(self, settings: DeploySettings) -> list[str]:
        """The systemd units to restart for the new and changed files and the restarts owed
        by earlier runs, in start order."""
        return list(self.restart_plan(settings))


def diff(host: HostFiles, inventory: Inventory) -> HostDiff:
    """Compare the plan with what the host has: new, changed (and why), unchanged, removed."""
    changes = []
    for placed in host.files:
        found = inventory.files.get(placed.destination)
        if placed.destination in inventory.not_files:
            raise DistributeError(
                f"{host.label}: {placed.destination} is not a regular file (a folder?) — move "
                "it away on the host and run again"
            )
        if found is None:
            changes.append(FileChange(placed.destination, Status.NEW, "", placed))
            continue
        reasons = []
        if not found.same:
            reasons.append("content differs")
        if found.mode != placed.mode:
            reasons.append(f"mode {found.mode:04o} → {placed.mode:04o}")
        if (found.owner, found.group) != (host.owner, host.group):
            reasons.append(f"owner {found.owner}:{found.group} → {host.owner}:{host.group}")
        status = Status.CHANGED if reasons else Status.UNCHANGED
        changes.append(
            FileChange(placed.destination, status, ", ".join(reasons), placed, not found.same)
        )
    for destination in host.foreign:
        if destination in inventory.files:
            reason = "not in this host's plan"
            if destination in host.ca_keys and not host.is_master:
                reason = "a CA key does not belong on a host that is not a master"
            changes.append(FileChange(destination, Status.REMOVED, reason))
    return HostDiff(host, tuple(changes), inventory.interrupted, inventory.pending)


# --- the apply -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    """What the apply did on one host."""

    written: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # sent, but already as planned (a rerun after an interruption)
    removed: tuple[str, ...] = ()
    backups: tuple[str, ...] = ()  # backup-<time>/ folders made
    repaired: tuple[str, ...] = ()  # renames an interrupted run left, finished first
    created: tuple[str, ...] = ()  # directories made
    steps: int = 0  # the points where a power cut could stop it (the kill tests' range)
    owed: tuple[str, ...] = ()  # components added to the host's restart record


def apply_script(root: str = "", *, kill_at: int | None = None) -> str:
    """The script that applies a payload from stdin (see the module's description).

    kill_at: a test hook — the script SIGKILLs itself at that step, so the tests can stop it
    at every point a power cut could."""
    hook = f'[ "$n" -ne {int(kill_at)} ] || kill -KILL $$' if kill_at is not None else ":"
    return (
        _prelude(root)
        + f"n=0\nstep() {{ n=$((n+1)); {hook}; }}\n"
        + r"""
umask 077
journaled=0
temps=""
fail() {  # before the journal, the temporary files are of no use: they go
  echo "kcw: $*" >&2
  if [ "$journaled" = 0 ]; then for t in $temps; do rm -f -- "$t"; done; fi
  exit 3
}
sum() { s=$(sha256sum < "$1") || fail "cannot read $1"; echo "${s%% *}"; }
flush() { sync -- "$@" 2>/dev/null || sync; }
renames=""
removes=""
wants=""
record=""
owed=""
read -r tag OWNER STAMP || fail "no payload"
[ "$tag" = "H" ] || fail "bad payload header"
while read -r tag a b c d; do
  case $tag in
  W)  # sha path: what this run's plan has at a path (an interrupted rename must agree)
    wants="$wants|$ROOT$b $a"
    ;;
  J)  # finish the renames of an interrupted run, then drop its half-written files
    dir="$ROOT$a"
    if [ -f "$dir/.kcw-journal" ]; then
      while read -r t dest sha; do
        case "$wants|" in *"|$dest $sha|"*) ;; *) continue ;; esac  # the plan changed since
        if [ -f "$t" ] && [ "$(sum "$t")" = "$sha" ]; then
          step; mv -f -- "$t" "$dest" || fail "cannot rename $t"; echo "P ${dest#"$ROOT"}"
        fi
      done < "$dir/.kcw-journal"
      flush "$dir"; step
      rm -f -- "$dir/.kcw-journal"
    fi
    for t in "$dir"/.kcw-new.* "$dir/.kcw-restart.part"; do [ ! -e "$t" ] || rm -f -- "$t"; done
    ;;
  O)  # record component: a component owed a restart once this run replaces its file
    record="$ROOT$a"; owed="$owed $b"
    ;;
  D)  # a directory: made when missing, never changed when there
    p="$ROOT$b"
    if [ ! -d "$p" ]; then
      step; mkdir -m "$a" -- "$p" || fail "cannot make $b"
      chown "$OWNER" -- "$p" || fail "chown $OWNER $b failed"
      echo "C $b"
    fi
    ;;
  F)  # size sha mode path: the content follows
    dest="$ROOT$d"
    t="$(dirname -- "$dest")/.kcw-new.$(basename -- "$dest")"
    temps="$temps $t"
    step; head -c "$a" > "$t" || fail "cannot write $t"
    [ "$(sum "$t")" = "$b" ] || { rm -f -- "$t"; fail "$d: the content arrived damaged"; }
    chown "$OWNER" -- "$t" ||
      { rm -f -- "$t"; fail "chown $OWNER $d failed (log in as root, or set deploy.owner)"; }
    chmod "$c" -- "$t" || fail "chmod $c $d failed"
    renames="$renames $t|$dest|$b"
    ;;
  R)
    removes="$removes $ROOT$a|$b"
    ;;
  E) break ;;
  *) fail "bad payload line: $tag" ;;
  esac
done
[ "$tag" = "E" ] || fail "the payload was cut short"
if [ -n "$temps" ]; then step; flush $temps; fi
# the old files into backup-<time>/ beside them (copies: the live file stays until the rename)
# A folder of that name this run did not make is an earlier run's (one second, one process id:
# the stamp): its copies are kept, and this run's go to `<stamp>-2`, `-3`… as the store does.
made="|"
backup() {
  bdir="$(dirname -- "$1")/$STAMP"
  number=1
  while [ -e "$bdir" ] && case "$made" in *"|$bdir|"*) false ;; *) true ;; esac; do
    number=$((number+1)); bdir="$(dirname -- "$1")/$STAMP-$number"
  done
  if [ ! -d "$bdir" ]; then
    mkdir -m 700 -- "$bdir" || fail "cannot make $bdir"
    made="$made$bdir|"
    echo "B ${bdir#"$ROOT"}"
  fi
  step; cp -p -- "$1" "$bdir/" || fail "cannot back up $1"
  backed="$backed $bdir/$(basename -- "$1")"
}
backed=""
todo=""
for r in $renames; do
  t=${r%%|*}; rest=${r#*|}; dest=${rest%%|*}; sha=${rest#*|}
  if [ -f "$dest" ] && [ "$(sum "$dest")" = "$sha" ] &&
     [ "$(stat -L -c '%a %U:%G' "$dest")" = "$(stat -L -c '%a %U:%G' "$t")" ]; then
    rm -f -- "$t"; echo "K ${dest#"$ROOT"}"; continue
  fi
  [ ! -e "$dest" ] || backup "$dest"
  todo="$todo $r"
done
for r in $removes; do
  p=${r%%|*}; how=${r#*|}
  if [ -e "$p" ] && [ "$how" = "backup" ]; then backup "$p"; fi
done
if [ -n "$backed" ]; then step; flush $backed; fi
# the restarts owed, added to the record (atomically) before anything is renamed
if [ -n "$owed" ] && [ -n "$todo" ]; then
  { if [ -f "$record" ]; then cat -- "$record"; fi; for o in $owed; do echo "$o"; done; } |
    sort -u > "$record.part" || fail "cannot write $record.part"
  step; flush "$record.part"
  mv -f -- "$record.part" "$record" || fail "cannot write $record"
  flush "$(dirname -- "$record")"
  echo "O $owed"
fi
# the journal of the renames, in every directory, before the first rename
dirs=""
for r in $todo; do
  dest=${r#*|}; dest=${dest%%|*}; dir=$(dirname -- "$dest")
  case " $dirs " in *" $dir "*) ;; *) dirs="$dirs $dir"; : > "$dir/.kcw-journal.part" ;; esac
  t=${r%%|*}; sha=${r##*|}
  echo "$t $dest $sha" >> "$dir/.kcw-journal.part"
done
journaled=1
for dir in $dirs; do
  step; flush "$dir/.kcw-journal.part"; mv -f -- "$dir/.kcw-journal.part" "$dir/.kcw-journal"
done
if [ -n "$dirs" ]; then flush $dirs; fi
for r in $todo; do
  t=${r%%|*}; dest=${r#*|}; dest=${dest%%|*}
  step; mv -f -- "$t" "$dest" || fail "cannot rename into $dest"
  echo "W ${dest#"$ROOT"}"
done
if [ -n "$dirs" ]; then step; flush $dirs; fi
for dir in $dirs; do rm -f -- "$dir/.kcw-journal"; done
for r in $removes; do
  p=${r%%|*}
  if [ -e "$p" ]; then step; rm -f -- "$p" || fail "cannot remove $p"; echo "X ${p#"$ROOT"}"; fi
done
echo "steps $n"
echo "done"
"""
    )


def apply_payload(
    change: HostDiff, stamp: str, *, prune: bool = False, files: Sequence[FileToPlace] | None = None
) -> bytes:
    """The stream the apply script reads: header, the plan's sha256 per path, journals to
    finish, directories, files, removals."""
    host = change.host
    out = [f"H {host.owner}:{host.group} {stamp}\n".encode()]
    for placed in host.files:
        out.append(f"W {placed.sha256} {placed.destination}\n".encode())
    for component in change.replaced:
        out.append(f"O {host.record} {component}\n".encode())
    for directory in host.directories():
        out.append(f"J {directory}\n".encode())
    for directory in host.directories():
        out.append(f"D {host.directory_mode(directory):o} {directory}\n".encode())
    for placed in change.to_write if files is None else files:
        out.append(
            f"F {len(placed.content)} {placed.sha256} {placed.mode:o} {placed.destination}\n"
            .encode()
        )  # fmt: skip
        out.append(placed.content)
    if prune:
        for removed in change.with_status(Status.REMOVED):
            # A CA key where it does not belong is not kept there, not even in a backup.
            how = "drop" if removed.destination in host.ca_keys else "backup"
            out.append(f"R {removed.destination} {how}\n".encode())
    out.append(b"E\n")
    return b"".join(out)


def parse_apply(stdout: bytes) -> ApplyResult:
    """The apply script's report as data."""
    seen: dict[str, list[str]] = {k: [] for k in "WKXBPC"}
    finished = False
    steps = 0
    owed: list[str] = []
    for line in stdout.decode(errors="replace").splitlines():
        if line == "done":
            finished = True
        elif line.startswith("O "):
            owed += line[2:].split()
        elif line.startswith("steps ") and line[6:].isdigit():
            steps = int(line[6:])
        elif line[:2] in {f"{k} " for k in seen}:
            seen[line[0]].append(line[2:])
    if not finished:
        raise DistributeError("the host's script stopped before it finished — run again")
    return ApplyResult(
        tuple(seen["W"]),
        tuple(seen["K"]),
        tuple(seen["X"]),
        tuple(seen["B"]),
        tuple(seen["P"]),
        tuple(seen["C"]),
        steps,
        tuple(owed),
    )


def apply(
    run: RunScript,
    change: HostDiff,
    stamp: str,
    *,
    prune: bool = False,
    root: str = "",
    kill_at: int | None = None,
) -> ApplyResult:
    """One round trip: place the diff's new and changed files (and with prune remove extras)."""
    if change.clean:
        return ApplyResult()
    result = run(apply_script(root, kill_at=kill_at), apply_payload(change, stamp, prune=prune))
    _raise_for(result, change.host, "placing the files")
    return parse_apply(result.stdout)


# --- restarts ------------------------------------------------------------------------------------

DEFAULT_RESTART = "systemctl restart {unit}"
DEFAULT_HEALTH = "systemctl is-active --quiet {unit}"
APISERVER_READY = "curl -ksf --max-time 5 https://127.0.0.1:6443/readyz"


@dataclass(frozen=True)
class RestartCommands:
    """How units restart and how their health is told: shell templates with {unit}."""

    restart: str = DEFAULT_RESTART
    health: str = DEFAULT_HEALTH
    wait_seconds: int = 120

    @classmethod
    def of(cls, settings: DeploySettings) -> RestartCommands:
        """[deploy]'s restart_command and health_command, or systemd's."""
        return cls(
            settings.restart_command or DEFAULT_RESTART,
            settings.health_command or DEFAULT_HEALTH,
        )


_CLEAR = r"""
cleared() {  # component…: out of every restart record (atomically) once its unit is healthy
  pats=""; for c in "$@"; do pats="$pats -e $c"; done
  for rec in $records; do
    r="$ROOT$rec"
    [ -f "$r" ] || continue
    (umask 077; grep -v -x $pats -- "$r" > "$r.part")
    if [ -s "$r.part" ]; then
      sync -- "$r.part" 2>/dev/null || sync; mv -f -- "$r.part" "$r"
    else
      rm -f -- "$r.part" "$r"
    fi
    sync -- "$(dirname -- "$r")" 2>/dev/null || sync
  done
}
"""


def restart_script(
    units: Sequence[str],
    commands: RestartCommands,
    *,
    clears: Mapping[str, Sequence[str]] | None = None,
    records: Sequence[str] = (),
    root: str = "",
) -> str:
    """Restart each unit in turn and wait until it is healthy (the apiserver: /readyz too);
    then take the unit's components (`clears`) out of the host's restart `records`."""
    lines = [_prelude(root).rstrip("\n")]
    if clears and records:
        lines += [f"records={shlex.quote(' '.join(records))}", _CLEAR.strip("\n")]
    tries = max(1, commands.wait_seconds // 2)
    for unit in units:
        quoted = shlex.quote(unit)
        restart = commands.restart.replace("{unit}", quoted)
        health = commands.health.replace("{unit}", quoted)
        if unit.startswith("kube-apiserver") and commands.health == DEFAULT_HEALTH:
            health = f"{health} && {APISERVER_READY}"
        # the commands' own output goes to stderr: stdout carries only our lines, and /readyz
        # answers "ok" with no newline, which would run into "healthy …"
        lines += [
            f"echo 'restarting {unit}'",
            f"{{ {restart}; }} 1>&2 || {{ echo 'kcw: {unit}: the restart command failed' >&2; "
            "exit 3; }",
            "i=0",
            f"until {{ {health}; }} 1>&2; do",
            f"  i=$((i+1)); if [ $i -ge {tries} ]; then echo 'kcw: {unit}: not healthy after "
            f"{commands.wait_seconds} s' >&2; exit 3; fi",
            "  sleep 2",
            "done",
        ]
        owed = (clears or {}).get(unit, ()) if records else ()
        if owed:
            lines.append("cleared " + " ".join(shlex.quote(c) for c in owed))
        lines.append(f"echo 'healthy {unit}'")
    return "\n".join(lines) + "\n"


def restart(
    run: RunScript,
    host: HostFiles,
    units: Sequence[str],
    commands: RestartCommands,
    *,
    clears: Mapping[str, Sequence[str]] | None = None,
    root: str = "",
    records: Sequence[str] | None = None,
) -> list[str]:
    """Restart the units on one host, each waited for; returns the units found healthy. With
    `clears` (unit → components, HostDiff.restart_plan), each healthy unit's components are
    taken out of the host's restart records (`records`, default the host's plan's)."""
    if not units:
        return []
    where = host.records() if records is None else records
    script = restart_script(units, commands, clears=clears, records=where, root=root)
    result = run(script, b"")
    healthy = [
        line[len("healthy ") :]
        for line in result.stdout.decode(errors="replace").splitlines()
        if line.startswith("healthy ")
    ]
    try:
        _raise_for(result, host, f"restarting {', '.join(u for u in units if u not in healthy)}")
    except DistributeError as error:
        raise RestartFailed(str(error), healthy) from None
    return healthy


class RestartFailed(DistributeError):
    """A unit did not restart or come back healthy; `healthy` are those before it that did
    (their names are off the host's restart record, the others' stay)."""

    def __init__(self, message: str, healthy: Sequence[str]) -> None:
        super().__init__(message)
        self.healthy = list(healthy)
