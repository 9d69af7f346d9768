"""What each host should have (the plan) and what it has (read back by one sh script per host).

The script needs only a POSIX sh and coreutils on the host (no Python); openssl is used when
present. What comes back, and what never does:

- every file: its state (present, missing, not a regular file, unreadable), mode, owner,
  group and size (``stat -L``);
- a file without a private key in it: its sha256 and its CERTIFICATE blocks (public), so
  expiry, subject and issuer are read on the jump host with cryptography whether or not the
  host has openssl; and its PUBLIC KEY blocks (a service-account key's public half and the
  bundle of old + new a rotation places), so the keys it holds are known;
- a file holding a private key, and every kubeconfig (it may embed a client key or a token):
  never its bytes and never a hash of them. Instead the jump host sends the sha256 of the bytes
  the plan gives that path, the host compares and answers ``same`` or ``differs``; with
  openssl, the host also sends the sha256 of the key's *public* part (DER SubjectPublicKeyInfo),
  so a key can be named (the CA's, the admin's) and matched with its certificate; without
  openssl only the PEM label (``EC PRIVATE KEY``) comes back. A kubeconfig's
  ``client-certificate-data`` and ``certificate-authority-data`` lines (public) come back, its
  ``client-key-data`` and ``token`` never.

The paths read are the plan's for that host plus every ``*.pem *.key *.crt *.kubeconfig
*.conf`` directly in any directory the plan uses on any host (one level: backup folders
beside them are not read).

It is the one inventory script: `check` reads with it, and so does `distribute` (its diff is
made from these answers: a public file's sha256, a secret one's ``same``/``differs``), which
also asks with ``J`` lines for the marks an interrupted run of its apply left (a journal or a
temporary file: their names only) and for the restarts the host owes: the component names in a
``.kcw-restart`` record there (see RESTART_RECORD), which `check` asks for too.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard.catalog import RESTARTS
from wizard.distribution import HostPlan, per_host_files, plan_distribution
from wizard.fleet.ssh import RemoteResult, SshClient, Target
from wizard.spec import ClusterSpec
from wizard.store import KEY_MODE, OutputFile

KUBECONFIG_SUFFIXES = (".kubeconfig", ".conf")
MAX_CERT_BYTES = 262144  # certificate blocks read back from one file
RESTART_RECORD = ".kcw-restart"
"""The record of owed restarts a host keeps beside distribute's journal: one component name a
line (kube-apiserver, etcd, …), each one whose file distribute replaced and which has not been
restarted and found healthy since. Written by the apply (wizard.fleet.distribute), emptied
name by name by the restart script, read back by the inventory script."""
OWED = "needs restart (placed earlier, not restarted)"
"""What every face says of a host whose record names components."""


def record_directory(destinations: Iterable[str]) -> str:
    """Where a host's restart record lives: the shallowest directory its plan puts a file in
    (then the first by name), so every run and `check` find it in the same place."""
    folders = {posixpath.dirname(d) for d in destinations}
    return min(folders, key=lambda d: (d.count("/"), d), default="")


def owed_components(names: Iterable[str]) -> tuple[str, ...]:
    """The known component names of a record, once each, in start order (anything else in
    the file is not a component and is left out)."""
    seen = {n.strip() for n in names}
    return tuple(c for c in RESTARTS if c in seen)


INVENTORY_SCRIPT = r"""
set -u
set -f
ROOT=''
tab=$(printf '\t')
nl='
'
say() { printf '%s\t%s\n' "$1" "$2"; }
if command -v openssl >/dev/null 2>&1; then ossl=yes; else ossl=no; fi
if command -v sha256sum >/dev/null 2>&1; then hashing=sha256sum
elif command -v shasum >/dev/null 2>&1; then hashing="shasum -a 256"
elif [ "$ossl" = yes ]; then hashing="openssl dgst -sha256 -r"
else hashing=""; fi
digest() { if [ -n "$hashing" ]; then $hashing | cut -c1-64; fi; }
printf 'T\topenssl=%s\thash=%s\n' "$ossl" "${hashing:-none}"
planned=""; expected=""; dirs=""; journals=""; root=$ROOT
while IFS="$tab" read -r kind a b; do
  case "$kind" in
    F) planned="$planned$a$nl" ;;
    S) expected="$expected$a$tab$b$nl"; planned="$planned$a$nl" ;;
    D) dirs="$dirs$a$nl" ;;
    J) journals="$journals$a$nl" ;;
    R) root=$a ;;
  esac
done
paths=$planned
oldifs=$IFS
IFS=$nl
for d in $dirs; do
  IFS=$oldifs
  [ -d "$root$d" ] || continue
  set +f
  for f in "$root$d"/*.pem "$root$d"/*.key "$root$d"/*.crt "$root$d"/*.kubeconfig \
      "$root$d"/*.conf; do
    case "$f" in *"$nl"*|*"$tab"*) continue ;; esac
    [ -e "$f" ] || [ -L "$f" ] || continue
    paths="$paths${f#"$root"}$nl"
  done
  set -f
done
IFS=$nl
for q in $paths; do
  IFS=$oldifs
  say F "$q"
  p=$root$q
  if [ ! -e "$p" ]; then
    if [ -L "$p" ]; then say S broken-link; else say S missing; fi
    echo E; continue
  fi
  say M "$(stat -L -c '%a %U %G %s' "$p" 2>/dev/null)"
  if [ ! -f "$p" ]; then say S not-a-file; echo E; continue; fi
  if [ ! -r "$p" ]; then say S unreadable; echo E; continue; fi
  say S present
  secret=no
  case "$p" in *.kubeconfig|*.conf) secret=kubeconfig ;; esac
  if grep -q -e 'PRIVATE KEY-----' "$p" 2>/dev/null; then
    [ "$secret" = no ] && secret=key
    grep -o -e '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----' "$p" \
      | sed -e 's/^-----BEGIN //' -e 's/-----$//' -e "s/^/K$tab/"
    if [ "$ossl" = yes ] && [ "$secret" = key ] && [ -n "$hashing" ]; then
      pub=$(openssl pkey -in "$p" -passin pass: -pubout -outform DER 2>/dev/null \
        </dev/null | digest)
      [ -n "$pub" ] && say P "$pub"
    fi
  fi
  if [ "$secret" = no ]; then
    h=$(digest < "$p")
    [ -n "$h" ] && say H "$h"
  else
    want=$(printf '%s' "$expected" | while IFS="$tab" read -r e w; do
      if [ "$e" = "$q" ]; then echo "$w"; fi; done)
    if [ -n "$want" ] && [ -n "$hashing" ]; then
      if [ "$(digest < "$p")" = "$want" ]; then say X same; else say X differs; fi
    fi
  fi
  if [ "$secret" = kubeconfig ]; then
    grep -E '^[[:space:]]*(client-certificate-data|certificate-authority-data):' "$p" \
      | sed -e 's/^[[:space:]]*\([a-z-]*\):[[:space:]]*/\1 /' -e "s/^\([a-z-]*\) /B$tab\1$tab/" \
      | head -n 64
  else
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$p" \
      | head -c MAX_CERT_BYTES | sed -e "s/^/C$tab/"
    if [ "$secret" = no ]; then
      sed -n '/-----BEGIN PUBLIC KEY-----/,/-----END PUBLIC KEY-----/p' "$p" \
        | head -c MAX_CERT_BYTES | sed -e "s/^/U$tab/"
    fi
  fi
  echo E
done
IFS=$nl
for d in $journals; do
  IFS=$oldifs
  set +f
  for f in "$root$d/.kcw-journal" "$root$d"/.kcw-new.*; do
    if [ -e "$f" ] || [ -L "$f" ]; then say I "${f#"$root"}"; fi
  done
  set -f
  if [ -f "$root$d/.kcw-restart" ]; then
    head -n 64 "$root$d/.kcw-restart" | while IFS= read -r c || [ -n "$c" ]; do say O "$c"; done
  fi
done
""".replace("MAX_CERT_BYTES", str(MAX_CERT_BYTES))


# --- what each host should have ---------------------------------------------------------------


def is_secret(destination: str, mode: int) -> bool:
    """True for a private key (mode 0600) or a kubeconfig: its bytes and their hash never
    travel back from a host; the host compares with the plan's sha256 instead."""
    return mode == KEY_MODE or destination.endswith(KUBECONFIG_SUFFIXES)


@dataclass(frozen=True)
class ExpectedFile:
    """One file of a host's plan, with what the output directory gives it."""

    destination: str
    source: str
    mode: int
    why: str
    content: bytes | None = field(repr=False)  # None: the output directory has no such file

    @property
    def secret(self) -> bool:
        """True for a private key or a kubeconfig: its bytes never travel back."""
        return is_secret(self.destination, self.mode)

    @property
    def sha256(self) -> str | None:
        """The sha256 of the bytes the plan puts there (None when DIR lacks the file)."""
        return None if self.content is None else hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class HostExpectation:
    """One host's plan: its address, name, roles, components and files."""

    address: str
    name: str
    roles: tuple[str, ...]
    components: tuple[str, ...]
    files: tuple[ExpectedFile, ...]

    def file_at(self, destination: str) -> ExpectedFile | None:
        """The plan's file at an absolute path on this host, or None."""
        return next((f for f in self.files if f.destination == destination), None)


def expected_files(spec: ClusterSpec, directory: Path) -> list[HostExpectation]:
    """What each host should have: the distribution plan (as DISTRIBUTION.md and
    distribution.json say) with the bytes the output directory holds for each file — a
    kubeconfig repointed for its place on the host, as `--per-host` and distribute write it."""
    plans = plan_distribution(spec)
    return expectations_of(plans, directory)


def expectations_of(plans: list[HostPlan], directory: Path) -> list[HostExpectation]:
    """The expectations for given plans, reading each source from `directory`."""
    sources = {f.source for plan in plans for f in plan.files}
    outputs = []
    for source in sorted(sources):
        try:
            outputs.append(OutputFile(source, (directory / source).read_bytes()))
        except OSError:
            continue
    placed = {copy.path: copy.content for copy in per_host_files(plans, outputs)}
    hosts = []
    for plan in plans:
        files = tuple(
            ExpectedFile(
                f.destination,
                f.source,
                f.mode,
                f.why,
                placed.get(f"hosts/{plan.address}{f.destination}"),
            )
            for f in plan.files
        )
        hosts.append(
            HostExpectation(plan.address, plan.name, tuple(plan.roles), tuple(plan.components),
                            files)
        )  # fmt: skip
    return hosts


def scanned_directories(hosts: list[HostExpectation]) -> list[str]:
    """Every directory the plan puts a file in, on any host (each host's is scanned for all)."""
    return sorted({posixpath.dirname(f.destination) for h in hosts for f in h.files})


# --- what a host has ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedFile:
    """One path as read back from a host. Private bytes are never among these fields."""

    path: str
    state: str  # present, missing, broken-link, not-a-file, unreadable
    planned: bool = False
    mode: int | None = None
    owner: str = ""
    group: str = ""
    size: int | None = None
    sha256: str | None = None  # of the file; only for files without a private key
    certificates: tuple[bytes, ...] = field(default=(), repr=False)  # DER, in file order
    key_labels: tuple[str, ...] = ()  # PEM labels of the private keys in it
    public_key_sha256: str | None = None  # sha256 of the key's SPKI DER (host had openssl)
    matches_plan: bool | None = None  # a secret file's bytes == the plan's (None: not asked)
    kubeconfig_certificates: tuple[bytes, ...] = field(default=(), repr=False)
    public_keys: tuple[bytes, ...] = field(default=(), repr=False)  # PUBLIC KEY blocks, SPKI DER

    @property
    def has_private_key(self) -> bool:
        """True when the host said the file holds a PEM private key."""
        return bool(self.key_labels)


@dataclass(frozen=True)
class HostInventory:
    """Everything one host said: its tools and its files by path."""

    address: str
    files: dict[str, DeployedFile]
    openssl: bool = False
    hashing: str = ""
    interrupted: tuple[str, ...] = ()  # an interrupted distribute's journals, temporary files
    pending: tuple[str, ...] = ()  # components the host's restart record says are owed

    def get(self, path: str) -> DeployedFile | None:
        """The file read back at a path, or None when it was not asked about."""
        return self.files.get(path)


class InventoryError(Exception):
    """A host answered, but not with an inventory (no sh, a refused command); says which."""


def inventory_request(host: HostExpectation, directories: list[str], root: str = "") -> bytes:
    """The script's stdin for a host: its planned paths (with the expected sha256 of each
    secret one, for the host to compare), then the directories to scan, then the plan's own
    directories (where its restart record is looked for). `root` is a folder the host's paths
    are read under (tests: a fake host's tree); paths are reported without it."""
    own = sorted({posixpath.dirname(f.destination) for f in host.files})
    return request_of(
        [(f.destination, f.sha256 if f.secret else None) for f in host.files], directories,
        journals=own, root=root,
    )  # fmt: skip


def request_of(
    paths: Iterable[tuple[str, str | None]],
    directories: Iterable[str] = (),
    *,
    journals: Iterable[str] = (),
    root: str = "",
) -> bytes:
    """The script's stdin: each path with the sha256 the host compares a secret file with
    (None: nothing to compare), the directories to scan, the directories whose interrupted
    runs' marks to list (`J`), and the root the paths are read under (tests)."""
    lines = [f"R\t{root}\t"] if root else []
    for destination, sha256 in paths:
        if sha256 is not None:
            lines.append(f"S\t{destination}\t{sha256}")
        else:
            lines.append(f"F\t{destination}\t")
    lines += [f"D\t{directory}\t" for directory in directories]
    lines += [f"J\t{directory}\t" for directory in journals]
    return ("\n".join(lines) + "\n").encode()


def read_inventory(
    client: SshClient,
    target: Target,
    host: HostExpectation,
    directories: list[str],
    *,
    timeout: float = 60,
    cancel: threading.Event | None = None,
    root: str = "",
) -> HostInventory:
    """Run the inventory script on one host over SSH; raises InventoryError (with ssh's or the
    script's own words) when it could not run."""
    result = client.run(
        target,
        INVENTORY_SCRIPT,
        stdin=inventory_request(host, directories, root),
        timeout=timeout,
        cancel=cancel,
    )
    return inventory_from_result(host, result)


def inventory_from_result(host: HostExpectation, result: RemoteResult) -> HostInventory:
    """The inventory of a finished run of INVENTORY_SCRIPT (over ssh or a local sh)."""
    if result.unreachable:
        raise InventoryError(f"unreachable: {result.reason()}")
    if result.returncode != 0 or not result.stdout.startswith(b"T\t"):
        raise InventoryError(f"the inventory script failed on the host: {result.reason()}")
    planned = {f.destination for f in host.files}
    return parse_inventory(host.address, result.stdout, planned)


def parse_inventory(address: str, output: bytes, planned: set[str]) -> HostInventory:
    """Read the script's output: `T` tools line, then per path F/M/S/H/P/K/X/B/C lines and E."""
    files: dict[str, DeployedFile] = {}
    tools: dict[str, str] = {}
    current: dict[str, object] | None = None
    pem: list[str] = []
    public: list[str] = []
    kube: list[bytes] = []
    labels: list[str] = []
    interrupted: list[str] = []
    owed: list[str] = []

    def finish() -> None:
        if current is None:
            return
        path = str(current["path"])
        if path in files:
            return  # a planned path found again by a directory scan
        files[path] = DeployedFile(
            path=path,
            state=str(current.get("state", "unreadable")),
            planned=path in planned,
            mode=current.get("mode"),  # type: ignore[arg-type]
            owner=str(current.get("owner", "")),
            group=str(current.get("group", "")),
            size=current.get("size"),  # type: ignore[arg-type]
            sha256=current.get("sha256"),  # type: ignore[arg-type]
            certificates=tuple(certificates_in("\n".join(pem))),
            key_labels=tuple(labels),
            public_key_sha256=current.get("public"),  # type: ignore[arg-type]
            matches_plan=current.get("matches"),  # type: ignore[arg-type]
            kubeconfig_certificates=tuple(kube),
            public_keys=tuple(public_keys_in("\n".join(public))),
        )

    for raw in output.decode(errors="replace").splitlines():
        kind, _, rest = raw.partition("\t")
        if kind == "T":
            tools = {k: v for k, _, v in (part.partition("=") for part in rest.split("\t"))}
        elif kind == "F":
            current, pem, public, kube, labels = {"path": rest}, [], [], [], []
        elif kind == "I":
            interrupted.append(rest)
        elif kind == "O":
            owed.append(rest)
        elif current is None:
            continue
        elif kind == "M":
            words = rest.split()
            if len(words) == 4:
                current["mode"] = int(words[0], 8)
                current["owner"], current["group"] = words[1], words[2]
                current["size"] = int(words[3])
        elif kind == "S":
            current["state"] = rest
        elif kind == "H":
            current["sha256"] = rest.strip()
        elif kind == "P":
            current["public"] = rest.strip()
        elif kind == "K":
            labels.append(rest.strip())
        elif kind == "X":
            current["matches"] = rest.strip() == "same"
        elif kind == "B":
            _, _, value = rest.partition("\t")
            kube.extend(certificates_in(_b64(value.strip())))
        elif kind == "C":
            pem.append(rest)
        elif kind == "U":
            public.append(rest)
        elif kind == "E":
            finish()
            current = None
    finish()
    return HostInventory(
        address,
        files,
        openssl=tools.get("openssl") == "yes",
        hashing="" if tools.get("hash", "none") == "none" else tools.get("hash", ""),
        interrupted=tuple(interrupted),
        pending=owed_components(owed),
    )


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode(errors="replace")
    except ValueError:
        return ""


def public_keys_in(text: str) -> list[bytes]:
    """The SPKI DER of each PUBLIC KEY block in PEM text (damaged blocks are left out)."""
    ders = []
    for block in text.split("-----END PUBLIC KEY-----"):
        if "-----BEGIN PUBLIC KEY-----" not in block:
            continue
        pem = block[block.index("-----BEGIN PUBLIC KEY-----") :] + "-----END PUBLIC KEY-----\n"
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError):
            continue
        ders.append(
            key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return ders


def certificates_in(text: str) -> list[bytes]:
    """The DER of each CERTIFICATE block in PEM text (damaged blocks are left out)."""
    ders = []
    for block in text.split("-----END CERTIFICATE-----"):
        if "-----BEGIN CERTIFICATE-----" not in block:
            continue
        pem = block[block.index("-----BEGIN CERTIFICATE-----") :] + "-----END CERTIFICATE-----\n"
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            continue
        ders.append(certificate.public_bytes(serialization.Encoding.DER))
    return ders
