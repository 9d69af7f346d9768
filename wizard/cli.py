"""The command line: argparse subcommands over the domain modules.

Imports are lazy so that `certinfo` and the other plain commands never load textual.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wizard.catalog import PROFILE_NAMES

if TYPE_CHECKING:
    from wizard.spec import ClusterSpec

EXIT_OK = 0
EXIT_REFUSED = 1

DEFAULT_OUTPUT = "k8s-certs"
PROFILE_CHOICES = PROFILE_NAMES


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="k8s-cert-wizard",
        description=(
            "Make, explain and review the certificates of a Kubernetes cluster installed from "
            "binaries. With no command, opens the wizard."
        ),
    )
    parser.add_argument("-c", "--config", metavar="FILE", help="cluster.toml to prefill the wizard")
    from wizard import __version__
    from wizard.expiry import WARN_DAYS

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help="write an example cluster.toml (the guide's cluster)")
    init.add_argument(
        "-o",
        "--output",
        default="cluster.toml",
        metavar="FILE",
        help="where to write it (default: cluster.toml); never overwritten",
    )

    csr = commands.add_parser("csr", help="write the cfssl JSON files only")
    _add_spec_arguments(csr)
    csr.add_argument(
        "--force",
        action="store_true",
        help="replace differing files, after moving them into a backup folder",
    )

    generate = commands.add_parser("generate", help="write JSON, keys, CSRs and certificates")
    _add_spec_arguments(generate)
    generate.add_argument(
        "--force",
        action="store_true",
        help="replace existing keys and certificates, after moving them into "
        "a timestamped backup folder",
    )
    generate.add_argument(
        "--ca",
        metavar="CADIR",
        type=Path,
        help="reuse the CA (ca.pem, ca-key.pem) in CADIR instead of making one",
    )
    generate.add_argument(
        "--per-host",
        action="store_true",
        help="also write hosts/<address>/… with each host's files at their destinations",
    )

    layout = commands.add_parser(
        "layout", help="explain the eight certificate sets, who uses which file, and why"
    )
    layout.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="explain this cluster (default: the guide's)",
    )
    layout.add_argument(
        "--profile", choices=PROFILE_CHOICES, help="the profile to explain (default: the file's)"
    )
    layout.add_argument(
        "--lang", choices=("en", "zh"), help="language (default: from LANG; zh = 简体中文)"
    )

    renew = commands.add_parser(
        "renew",
        help="re-issue what changed in cluster.toml, under the existing CA, with a backup",
        description="Compare the certificates in DIR with what cluster.toml asks for now (SANs, "
        "subject, usages, key, validity) and re-issue what differs — always under the existing "
        "CA, which is never touched. Prints a diff first, writes atomically with the old files "
        "moved to DIR/backup-<timestamp>/, then says which hosts get which files and what "
        "restarts. Exit code: 0 done or nothing to do, 1 refused.",
    )
    _add_spec_arguments(renew)
    renew.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="re-issue just these (entry names such as kubernetes, or file names such as "
        "kubernetes.pem), even when they match cluster.toml",
    )
    renew.add_argument(
        "--keep-key",
        action="store_true",
        help="sign the existing private keys again instead of making new ones",
    )
    renew.add_argument(
        "--expiry",
        metavar="DUR",
        help="lifetime of the renewed certificates as a Go duration (e.g. 8760h); refused if "
        "they would outlive their CA (default: expiry.cert, capped at the CA's end)",
    )
    renew.add_argument(
        "--within",
        type=int,
        metavar="DAYS",
        help="re-issue the certificates that expire within DAYS days",
    )
    renew.add_argument(
        "--dry-run", action="store_true", help="print the diff and the plan; write nothing"
    )
    renew.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    renew.add_argument(
        "--undo",
        metavar="BACKUP",
        help="restore DIR/BACKUP (a backup-<timestamp> folder), the current files going to a "
        "new backup first",
    )

    certinfo = commands.add_parser(
        "certinfo", help="print a certificate as cfssl-certinfo does, byte for byte"
    )
    certinfo.add_argument(
        "-cert",
        "--cert",
        dest="cert",
        required=True,
        metavar="FILE",
        help="the certificate (PEM); '-' reads standard input",
    )

    review = commands.add_parser(
        "review",
        help="review a certificate directory (a TUI in a terminal; --plain, --json)",
        description="Review a certificate directory: what each file is, which key belongs to "
        "which certificate, who signed what, what expires when and what is wrong for its "
        "Kubernetes role. Exit code: 0 clean, 1 warnings only, 2 errors.",
    )
    review.add_argument("directory", metavar="DIR", type=Path, help="e.g. /etc/kubernetes/ssl")
    review_output = review.add_mutually_exclusive_group()
    review_output.add_argument("--plain", action="store_true", help="print a table report")
    review_output.add_argument("--json", action="store_true", help="print one JSON object")
    review.add_argument(
        "--warn-days",
        type=int,
        default=WARN_DAYS,
        metavar="N",
        help=f"warn about certificates expiring within N days (default: {WARN_DAYS})",
    )
    review.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="cluster.toml: also check that server certificates cover the cluster's addresses",
    )

    return parser


def _add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,  # a -c before the command counts too (see main)
        metavar="FILE",
        help="the cluster file (default: cluster.toml)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        type=Path,
        help=f"output directory (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--profile", choices=PROFILE_CHOICES, help="override the profile of the cluster file"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show 简体中文 or "—"
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if args.command in ("csr", "generate", "renew") and args.config is None:
        args.config = "cluster.toml"
    handlers = {
        None: run_wizard,
        "init": run_init,
        "csr": run_csr,
        "generate": run_generate,
        "renew": run_renew,
        "certinfo": run_certinfo_command,
        "review": run_review_command,
        "layout": run_layout,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted — nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (`| head`) left: say nothing more, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REFUSED


def refuse(message: str, stream: TextIO | None = None) -> int:
    """Print one refusal to stderr and return the refusal exit code."""
    print(f"k8s-cert-wizard: {message}", file=stream or sys.stderr)
    return EXIT_REFUSED


def run_wizard(args: argparse.Namespace) -> int:
    """Open the Textual wizard."""
    from wizard.spec import ClusterSpec, SpecError, load_spec

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return refuse(
            "the wizard needs a terminal (standard input and output are not one) — run it in "
            "a terminal, or use a command: k8s-cert-wizard --help"
        )
    spec = ClusterSpec.example()
    if args.config:
        try:
            spec = load_spec(args.config)
        except SpecError as error:
            return refuse(str(error))
    try:
        from wizard.tui.app import make_app
    except ImportError as error:
        return refuse(f"the wizard is not available ({error}) — use init, csr and generate")
    make_app(spec=spec, spec_path=Path(args.config) if args.config else None).run()
    return EXIT_OK


def run_init(args: argparse.Namespace) -> int:
    """Write the commented example cluster.toml, refusing to overwrite."""
    from wizard.spec import example_toml

    if not args.output:
        return refuse('-o "" names no file — give a file name, e.g. -o cluster.toml')
    path = Path(args.output)
    if path.is_dir():
        return refuse(f"{path} is a directory — give a file name, e.g. -o {path / 'cluster.toml'}")
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(example_toml())
    except FileExistsError:
        return refuse(f"{path} already exists — nothing was written; edit it, or give -o NEWFILE")
    except OSError as error:
        return refuse(f"cannot write {path}: {error.strerror}")
    print(f"wrote {path} (the guide's cluster) — edit it, then run:")
    print(f"  k8s-cert-wizard csr -c {path} -o {DEFAULT_OUTPUT}       # the cfssl JSON only")
    print(f"  k8s-cert-wizard generate -c {path} -o {DEFAULT_OUTPUT}  # keys and certificates")
    return EXIT_OK


def _load_valid_spec(config: str, profile: str | None = None) -> ClusterSpec | int:
    """The validated spec, or the exit code after printing why it cannot be used."""
    from wizard.spec import SpecError, errors_of, load_spec, validate

    try:
        spec = load_spec(config)
    except SpecError as error:
        return refuse(str(error))
    if profile:
        spec.profile = profile
    problems = validate(spec)
    for problem in problems:
        if problem.severity != "error":
            print(f"{config}: {problem.severity}: {problem}", file=sys.stderr)
    errors = errors_of(problems)
    if errors:
        for problem in errors:
            print(f"{config}: error: {problem}", file=sys.stderr)
        count = f"{len(errors)} error" + ("s" if len(errors) > 1 else "")
        return refuse(f"{config} has {count} — fix them and run again; nothing was written")
    return spec


def _print_set_notes(spec) -> None:
    """What concerns the whole set rather than a field: the notes the preview shows too."""
    from wizard.outputs import shared_subject_warnings

    for problem in shared_subject_warnings(spec):
        print(f"note: {problem.message}", file=sys.stderr)


def run_csr(args: argparse.Namespace) -> int:
    """Write the cfssl JSON files."""
    from wizard.generate import plan_json_files
    from wizard.store import StoreError, write_files

    spec = _load_valid_spec(args.config, args.profile)
    if isinstance(spec, int):
        return spec
    files = plan_json_files(spec)
    if not files:
        return refuse(
            f"the {spec.profile} profile uses kubeadm's names and has no cfssl JSON — "
            "use generate, or the classic or complete profile"
        )
    try:
        result = write_files(args.output, files, force=args.force)
    except StoreError as error:
        return refuse(str(error))
    _print_result(result)
    _print_set_notes(spec)
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    """Write the whole set: JSON, keys, CSRs, certificates and the cluster.toml used."""
    from wizard.catalog import files_of, get_profile
    from wizard.distribution import per_host_files, plan_distribution
    from wizard.generate import (
        SPEC_FILE,
        Cancelled,
        GenerationError,
        capped_lifetime,
        files_to_replace,
        generate_files,
        load_existing_cas,
    )
    from wizard.store import (
        ExistingFilesError,
        StoreError,
        folder_in_the_way,
        target_problem,
        write_files,
    )

    spec = _load_valid_spec(args.config, args.profile)
    if isinstance(spec, int):
        return spec
    output: Path = args.output
    profile = get_profile(spec.profile)
    problem = target_problem(output)  # before any key is made
    if problem:
        return refuse(problem)
    if args.ca and not args.ca.is_dir():
        what = "is a file" if args.ca.exists() else "does not exist"
        return refuse(f"--ca {args.ca} {what} — give the directory that holds the CA's files")
    try:
        existing = load_existing_cas(args.ca if args.ca else output, profile)
        if args.ca and not existing:
            ca = files_of(profile.cas()[0], profile)
            return refuse(f"{args.ca} holds no CA ({ca.cert}, {ca.key}) — give the CA's directory")
        # the -c file may be the output's cluster.toml: keep it, comments and all
        own = [SPEC_FILE] if _same_file(Path(args.config), output / SPEC_FILE) else []
        replaced = [name for name in files_to_replace(spec, output, existing) if name not in own]
        in_the_way = folder_in_the_way(output.absolute(), replaced)
        if in_the_way:
            return refuse(in_the_way)
        if replaced and not args.force:
            raise ExistingFilesError(output.absolute(), replaced)
        files = [f for f in generate_files(spec, existing) if f.path not in own]
        if args.per_host:
            files += per_host_files(plan_distribution(spec), files)
        result = write_files(output, files, force=args.force)
    except (GenerationError, StoreError) as error:
        return refuse(str(error))
    except Cancelled:
        return refuse("cancelled — nothing was written")
    for ca in existing.values():
        print(f"reused the existing CA {ca.source / ca.files.cert}")
        if capped_lifetime(spec, ca.certificate, datetime.now(UTC)) < spec.cert_lifetime():
            print(
                f"note: certificates end with the CA on "
                f"{ca.certificate.not_valid_after_utc:%Y-%m-%d}, sooner than "
                f"expiry.cert = {spec.expiry.cert}: no certificate outlives its CA"
            )
    _print_result(result)
    _print_set_notes(spec)
    return EXIT_OK


def _print_json(document: object) -> None:
    """One JSON document on stdout, for scripts: indented, UTF-8 as is, a final newline."""
    import json

    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _print_result(result) -> None:
    if result.backup:
        print(f"moved {len(result.backed_up)} old files to {result.backup}")
    for name in result.written:
        print(f"wrote {result.directory / name}")
    if result.unchanged:
        print(f"kept {len(result.unchanged)} unchanged files: {', '.join(result.unchanged)}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)


def run_layout(args: argparse.Namespace) -> int:
    """Print the teaching text: the eight sets, components and files, identities, bootstrap."""
    from wizard.layout import layout_text, pick_language
    from wizard.spec import ClusterSpec

    spec = ClusterSpec.example()
    if args.config:
        spec = _load_valid_spec(args.config, args.profile)
        if isinstance(spec, int):
            return spec
    elif args.profile:
        spec.profile = args.profile
    sys.stdout.write(layout_text(spec, pick_language(args.lang)))
    return EXIT_OK


def run_renew(args: argparse.Namespace) -> int:
    """Re-issue what differs from cluster.toml (or --only / --within) under the existing CA,
    or restore a backup folder (--undo); prints the diff, then the redistribution plan."""
    from wizard.renew import (
        RenewError,
        apply_renewal,
        apply_undo,
        plan_lines,
        plan_renewal,
        plan_to_json,
        plan_undo,
        redistribution_lines,
        redistribution_of,
        result_lines,
        undo_lines,
        undo_to_json,
    )

    output: Path = args.output
    if args.undo is not None:
        extra = [
            flag
            for flag, used in (
                ("--only", args.only),
                ("--keep-key", args.keep_key),
                ("--expiry", args.expiry),
                ("--within", args.within is not None),
            )
            if used
        ]
        if extra:
            return refuse(f"--undo restores a backup as it is — drop {', '.join(extra)}")
        try:
            undo = plan_undo(output, args.undo)
            restored = None if args.dry_run else apply_undo(undo)
        except RenewError as error:
            return refuse(str(error))
        if args.json:
            document = undo_to_json(undo, dry_run=args.dry_run, result=restored)
            _print_json(document)
            return EXIT_OK
        print("\n".join(undo_lines(undo, dry_run=args.dry_run)))
        if restored is not None:
            _print_result(restored)
        return EXIT_OK
    spec = _load_valid_spec(args.config, args.profile)
    if isinstance(spec, int):
        return spec
    try:
        plan = plan_renewal(
            spec,
            output,
            only=args.only or (),
            keep_key=args.keep_key,
            expiry=args.expiry,
            within=args.within,
        )
        redistribution = redistribution_of(plan)
        result = None if args.dry_run else apply_renewal(plan)
    except RenewError as error:
        return refuse(str(error))
    if args.json:
        document = plan_to_json(plan, redistribution, dry_run=args.dry_run, result=result)
        _print_json(document)
        return EXIT_OK
    print("\n".join(plan_lines(plan)))
    if not plan.nothing_to_do:
        print()
        print(
            "Redistribution — only the changed files:"
            if result
            else "Redistribution it would need — only the changed files:"
        )
        print("\n".join(redistribution_lines(redistribution)))
        print()
        print("\n".join(result_lines(result)) if result else "Dry run: nothing was written.")
    return EXIT_OK


def run_certinfo_command(args: argparse.Namespace) -> int:
    """cfssl-certinfo -cert FILE, byte for byte."""
    from wizard.certinfo import run_certinfo

    return run_certinfo(args.cert, sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer)


# --- review --------------------------------------------------------------------------------

EXIT_REVIEW_WARNINGS = 1
EXIT_REVIEW_ERRORS = 2


def run_review_command(args: argparse.Namespace) -> int:
    """Review a certificate directory: the TUI in a terminal, else a table (--plain) or JSON."""

    from wizard.expiry import MAX_DAYS
    from wizard.review import ReviewError, review_directory, review_to_json

    if args.warn_days < 0:
        return refuse(f"--warn-days {args.warn_days} is negative — give a number of days, e.g. 30")
    if args.warn_days > MAX_DAYS:
        return refuse(
            f"--warn-days {args.warn_days} is more than {MAX_DAYS} days (100 years) — give a "
            "number of days, e.g. 30"
        )
    spec = None
    config = getattr(args, "config", None)
    if config:
        spec = _load_valid_spec(config)
        if isinstance(spec, int):
            return spec
    try:
        review = review_directory(args.directory, config=spec, warn_days=args.warn_days)
    except ReviewError as error:
        return refuse(str(error))
    if args.json:
        _print_json(review_to_json(review))
    elif args.plain or not _open_review_screen(review, spec, Path(config) if config else None):
        print_review(review)
    if review.worst == "error":
        return EXIT_REVIEW_ERRORS
    if review.worst == "warning":
        return EXIT_REVIEW_WARNINGS
    return EXIT_OK


def _open_review_screen(review, spec=None, config_path: Path | None = None) -> bool:
    """Show the review in the TUI when stdout is a terminal (False: print it instead)."""
    if not sys.stdout.isatty():
        return False
    try:
        from wizard.tui.screens.review import run_review
    except ImportError:
        return False
    run_review(review, config=spec, config_path=config_path)
    return True


_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_STATUS_STYLES = {
    "valid": "green",
    "expiring": "yellow",
    "expired": "bold red",
    "not yet valid": "bold red",
}


def print_review(review, stream: TextIO | None = None) -> None:
    """The --plain report: a table of the files, a table of the findings, then a summary."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    stream = stream or sys.stdout
    console = Console(file=stream, highlight=False)
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, width=160)
    severities_by_path: dict[str, list[str]] = {}
    for finding in review.findings:
        severities_by_path.setdefault(finding.path, []).append(finding.severity)

    files = Table(title=f"Files in {review.root}", title_justify="left")
    for column in ("file", "kind", "role", "subject / key", "issued by", "expires", "status"):
        files.add_column(column, overflow="fold", no_wrap=column in ("kind", "expires"))
    for record in review.files:
        files.add_row(
            Text(record.ref),
            Text(record.kind),
            Text(record.role or "—"),
            Text(record.subject_summary()),
            Text(record.issuer_summary()),
            Text(_review_expires(review, record)),
            _review_status(review, record, severities_by_path.get(record.path, [])),
        )
    console.print(files)
    if review.findings:
        findings = Table(title="Findings", title_justify="left")
        for column in ("severity", "check", "file", "what it means and what to do"):
            findings.add_column(column, overflow="fold")
        for finding in review.findings:
            findings.add_row(
                Text(finding.severity, style=_SEVERITY_STYLES[finding.severity]),
                Text(finding.check),
                Text(finding.path),
                Text(finding.message),
            )
        console.print(findings)
    console.print(_review_summary(review))


def _review_summary(review):
    from rich.text import Text

    summary = Text(f"{len({r.path for r in review.files})} files: ")
    parts = []
    for severity in ("error", "warning", "info"):
        count = review.count(severity)
        word = severity if severity == "info" or count == 1 else f"{severity}s"
        parts.append((f"{count} {word}", _SEVERITY_STYLES[severity] if count else ""))
    for index, (words, style) in enumerate(parts):
        summary.append(words, style=style)
        summary.append(", " if index < len(parts) - 1 else "")
    if review.worst in (None, "info"):
        summary.append(" — nothing to fix", style="green")
    return summary


def _review_expires(review, record) -> str:
    if record.cert is None:
        return ""
    days = review.days_left(record)
    when = f"{-days} d ago" if days < 0 else f"{days} d"
    return f"{record.cert.not_after:%Y-%m-%d} ({when})"


def _review_status(review, record, severities: list[str]):
    from rich.text import Text

    text = Text()
    if record.cert is not None:
        status = review.status(record)
        text.append(status, style=_STATUS_STYLES.get(status, ""))
    for severity in ("error", "warning"):
        count = severities.count(severity)
        if count:
            word = severity if count == 1 else f"{severity}s"
            text.append(f"{', ' if text else ''}{count} {word}", style=_SEVERITY_STYLES[severity])
    if not text:
        text.append("ok", style="green")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
