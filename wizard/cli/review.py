"""`review`: what each file of a certificate directory is, and what is wrong with it — the TUI
in a terminal, else a table (`--plain`) or one JSON object (`--json`)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wizard.cli.common import load_valid_spec, refuse
from wizard.exit_codes import review_exit_code

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from wizard.review import Review
    from wizard.review.model import Finding, ReviewedFile
    from wizard.spec import ClusterSpec


FORMATS = ("plain", "json", "prometheus", "kubeadm")
FREEZE_ABOVE = 1000  # records: a review this big is kept out of the cyclic collector's passes


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `review` subcommand."""
    from wizard.expiry import WARN_DAYS

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
    review_output.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="plain, json, prometheus (x509-certificate-exporter's metrics, for "
        "node_exporter's textfile collector) or kubeadm (certs check-expiration's JSON)",
    )
    review.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the report to FILE atomically (a temporary file in the same folder, then "
        "renamed) instead of printing it",
    )
    review.add_argument(
        "--fail-within",
        type=int,
        default=None,
        metavar="DAYS",
        help="exit 2 (and say which) when any certificate expires within DAYS days — for CI "
        "and timers",
    )
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


def run(args: argparse.Namespace) -> int:
    """Review the directory; the exit code says how bad the worst finding is."""
    from wizard.expiry import MAX_DAYS

    for option, value in (("--warn-days", args.warn_days), ("--fail-within", args.fail_within)):
        if value is None:
            continue
        if value < 0:
            return refuse(f"{option} {value} is negative — give a number of days, e.g. 30")
        if value > MAX_DAYS:
            return refuse(
                f"{option} {value} is more than {MAX_DAYS} days (100 years) — give a "
                "number of days, e.g. 30"
            )
    output_format = args.format or ("json" if args.json else "plain" if args.plain else None)
    if args.output is not None:
        if output_format is None:
            output_format = "plain"
        problem = _output_problem(args.output)
        if problem:
            return refuse(problem)
    spec = None
    config = getattr(args, "config", None)
    if config:
        spec = load_valid_spec(config)
    collecting = gc.isenabled()
    if output_format is not None:
        # One report, then exit: no cyclic garbage worth collecting, and a collector pass over
        # the hundred thousand objects a big review makes costs more than it frees (once the
        # report is out they go by reference counting).
        gc.disable()
    try:
        return _review_and_report(args, output_format, spec, config)
    finally:
        if collecting:
            gc.enable()


def _review_and_report(
    args: argparse.Namespace,
    output_format: str | None,
    spec: ClusterSpec | None,
    config: str | None,
) -> int:
    from wizard.review import ReviewError, review_directory

    try:
        review = review_directory(args.directory, config=spec, warn_days=args.warn_days)
    except ReviewError as error:
        return refuse(str(error))
    if output_format is None:
        shown = _open_review_screen(review, spec, config)
        if shown is not None:
            return _fail_within(review, args.fail_within, shown)
        output_format = "plain"
    # One report, then exit: the review's records live until then, and the cyclic collector
    # walking thousands of them again while the report is made costs more than making it.
    if len(review.files) > FREEZE_ABOVE:
        gc.freeze()
    if output_format == "plain" and args.output is None:
        print_review(review)  # to the terminal itself: its width and colours
        return _fail_within(review, args.fail_within, review_exit_code(review))
    if args.output is None:
        write_review(review, output_format, sys.stdout)
        return _fail_within(review, args.fail_within, review_exit_code(review))
    text = render_review(review, output_format, to_file=True)
    try:
        write_atomically(args.output, text)
    except OSError as error:
        return refuse(
            f"cannot write {args.output.absolute()}: {error.strerror or error} — check "
            "the folder exists and is writable"
        )
    return _fail_within(review, args.fail_within, review_exit_code(review))


def render_review(
    review: Review, output_format: str, *, to_file: bool = False, files: bool = True
) -> str:
    """The report as text in one of FORMATS (files=False: plain without the files table)."""
    import io
    import json

    from wizard.review import review_to_json
    from wizard.review.kubeadm import review_to_kubeadm
    from wizard.review.prometheus import review_to_prometheus

    if output_format == "json":
        return json_text(review_to_json(review))
    if output_format == "kubeadm":
        return json.dumps(review_to_kubeadm(review), indent=2) + "\n"
    if output_format == "prometheus":
        return review_to_prometheus(review)
    buffer = io.StringIO()
    print_review(review, buffer, width=None if not to_file else 80, files=files)
    return buffer.getvalue()


def json_text(document: dict[str, Any]) -> str:
    """The --json document indented by two, each item of a list on one line."""
    return "".join(json_chunks(document))


def json_chunks(document: dict[str, Any], batch: int = 512) -> Iterator[str]:
    """json_text in pieces of about `batch` items: a list (or an iterator, read as it goes)
    gives one line per item.

    json.dumps with `indent` runs the pure-Python encoder (ten times slower than the C one
    for a big review); one C-encoded line per file or finding keeps it fast and still reads
    (and greps) line by line."""
    import json

    encode = _line_encoder()
    dumps = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(v, ensure_ascii=False)
    yield "{\n"
    separator = ""
    for key, value in document.items():
        head = f"{separator}  {dumps(key)}: "
        separator = ",\n"
        if isinstance(value, list | Iterator):
            items = iter(value)
            first = next(items, _END)
            if first is not _END:
                # the encoder's pieces of each line go straight into the batch: one join
                pieces = [head, "[\n    ", *encode(first)]
                count = 1
                for item in items:
                    pieces.append(",\n    ")
                    pieces += encode(item)
                    count += 1
                    if count >= batch:
                        yield "".join(pieces)
                        pieces, count = [], 0
                pieces.append("\n  ]")
                yield "".join(pieces)
                continue
            value = []
        nested = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        yield head + nested
    yield "\n}\n"


def _line_encoder() -> Callable[[Any], Iterable[str]]:
    """The pieces of json.dumps(value, ensure_ascii=False), from one C encoder made here:
    json.dumps makes a new one (through two Python calls) for each value, a third of the
    encoding time of a --json of 10,000 certificates, 30,000 lines. Without the C
    accelerator, JSONEncoder's own iterencode."""
    from json import encoder

    standard = encoder.JSONEncoder(ensure_ascii=False)
    make_encoder = getattr(encoder, "c_make_encoder", None)  # not in the type stubs
    if make_encoder is None:
        return standard.iterencode
    make = make_encoder(
        None,  # no circular-reference check: the document is fresh dicts and lists
        standard.default,
        encoder.encode_basestring,
        None,
        standard.key_separator,
        standard.item_separator,
        False,
        False,
        True,
    )
    return lambda value: make(value, 0)


_END = object()


def write_review(review: Review, output_format: str, stream: TextIO) -> None:
    """The report in one of FORMATS written to `stream` — json and prometheus as they are
    made, in pieces."""
    from wizard.review import review_to_json

    if output_format == "json":
        chunks = json_chunks(review_to_json(review, lazy=True))
    elif output_format == "prometheus":
        from wizard.review.prometheus import prometheus_chunks

        chunks = prometheus_chunks(review)
    else:
        chunks = iter([render_review(review, output_format)])
    for chunk in chunks:
        stream.write(chunk)


def _output_problem(target: Path) -> str | None:
    where = target.absolute()
    if target.is_dir():
        return f"-o {where} is a directory — give a file name, e.g. {where / 'certs.prom'}"
    if not where.parent.is_dir():
        return f"-o {where}: the folder {where.parent} does not exist — create it first"
    return None


def write_atomically(target: Path, text: str) -> None:
    """Write a temporary file next to `target`, then rename it over `target`: a reader (the
    textfile collector) sees the old file or the new one, never half of one."""
    import contextlib
    import os
    import tempfile

    folder = target.absolute().parent
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _fail_within(review: Review, days: int | None, code: int) -> int:
    """With --fail-within: name every certificate that expires within `days` and exit 2."""
    from wizard.exit_codes import REVIEW_ERRORS

    if days is None:
        return code
    soon = expiring_within(review, days)
    if not soon:
        return code
    print(
        f"{len(soon)} certificate{'s' if len(soon) != 1 else ''} expire within {days} days "
        f"(--fail-within {days}):",
        file=sys.stderr,
    )
    for record in soon:
        left = review.days_left(record)
        when = f"expired {-left} days ago" if left is not None and left < 0 else f"in {left} days"
        print(
            f"  {Path(review.root) / record.path}{f' ({record.part})' if record.part else ''}: "
            f"{record.cert.not_after:%Y-%m-%d %H:%M} UTC, {when}",  # type: ignore[union-attr]
            file=sys.stderr,
        )
    return max(code, REVIEW_ERRORS)


def expiring_within(review: Review, days: int) -> list[ReviewedFile]:
    """The certificate records whose end falls before now + `days`, soonest first."""
    from datetime import timedelta

    horizon = review.now + timedelta(days=days)
    return [r for r in review.certificates_by_expiry() if r.cert.not_after < horizon]  # type: ignore[union-attr]


def _open_review_screen(
    review: Review, spec: ClusterSpec | None = None, config: str | None = None
) -> int | None:
    """Show the review in the TUI when stdout is a terminal and return its exit code (None:
    print it instead)."""
    if not sys.stdout.isatty():
        return None
    try:
        from wizard.tui import run_review
    except ImportError:
        return None
    return run_review(review, config=spec, config_path=Path(config) if config else None)


_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_STATUS_STYLES = {
    "valid": "green",
    "expiring": "yellow",
    "expired": "bold red",
    "not yet valid": "bold red",
}


def plain_width(stream: TextIO) -> int | None:
    """The --plain width: None on a terminal (Rich measures it), else COLUMNS when it is a
    number, else 80."""
    import os

    if stream.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else 80


def print_review(
    review: Review, stream: TextIO | None = None, width: int | None = None, files: bool = True
) -> None:
    """The --plain report: the certificates by urgency (as `kubeadm certs check-expiration`),
    the findings grouped by check, the files (who signed each is in the first table; left out
    with files=False), then a one-line summary."""
    from rich.console import Console

    stream = stream or sys.stdout
    if width is None:
        width = plain_width(stream)
    console = Console(file=stream, highlight=False, width=width)
    urgent = review.certificates_by_urgency()
    console.print(_urgency_table(review, urgent[:PLAIN_ROWS]))
    if len(urgent) > PLAIN_ROWS:
        console.print(_rest_line(review, urgent[PLAIN_ROWS:]))
    if review.findings:
        console.print(_findings_text(review))
    if files:
        if len(review.files) <= PLAIN_ROWS:
            console.print(_files_table(review))
        else:
            console.print(
                f"Files in {review.root}: {len(review.files)} objects in "
                f"{len({r.path for r in review.files})} files — too many to list here; "
                "review --json lists each with its kind, role and convention"
            )
    console.print(_review_summary(review))


PLAIN_ROWS = 100
"""--plain lists at most this many certificates (the most urgent) and lists the files only
when there are no more: a report of 10,000 rows is not read, and Rich takes seconds to lay it
out. --json has everything."""


def _rest_line(review: Review, rest: list[ReviewedFile]) -> Text:
    """One line for the certificates past PLAIN_ROWS: how many, in which states, the soonest."""
    from collections import Counter

    from rich.text import Text

    states = Counter(review.status(record) for record in rest)
    soonest = min(rest, key=lambda r: r.cert.not_after)  # type: ignore[union-attr]
    counts = ", ".join(f"{count} {state}" for state, count in states.most_common())
    return Text(
        f"… and {len(rest)} more certificates ({counts}), none more urgent than those above; "
        f"the soonest ends {soonest.cert.not_after:%Y-%m-%d} "  # type: ignore[union-attr]
        f"({residual_text(_days_left(review, soonest))}): {soonest.ref} — review --json "
        "lists them all"
    )


def _urgency_table(review: Review, records: list[ReviewedFile]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Certificates in {review.root}, most urgent first", title_justify="left")
    nodes = any(record.node for record in review.files)
    if nodes:
        table.add_column("node", overflow="fold")
    table.add_column("certificate", overflow="fold")
    table.add_column("expires", no_wrap=True)
    table.add_column("residual", overflow="fold", justify="right")
    table.add_column("CA", overflow="fold")
    table.add_column("status", overflow="fold", min_width=8)
    severities_by_path = _severities_by_file(review)
    for record in records:
        facts = record.cert
        assert facts is not None
        table.add_row(
            *([Text(record.node)] if nodes else []),
            Text(record.ref),
            Text(f"{facts.not_after:%Y-%m-%d}"),
            Text(residual_text(_days_left(review, record))),
            Text(record.issuer_summary()),
            _review_status(
                review, record, severities_by_path.get((record.node, record.path), []), "\n"
            ),
        )
    return table


def _days_left(review: Review, record: ReviewedFile) -> int | None:
    """Days left, counted for an expired certificate as its `expired` finding counts them."""
    from wizard.expiry import days_until

    days = review.days_left(record)
    if days is None or days >= 0 or record.cert is None:
        return days
    return -days_until(review.now, record.cert.not_after)


def residual_text(days: int | None) -> str:
    """Days left in one wording everywhere: `365 days`, `1 day`, `3 days ago`."""
    if days is None:
        return ""
    count = abs(days)
    words = f"{count} day{'s' if count != 1 else ''}"
    return f"{words} ago" if days < 0 else words


def _findings_text(review: Review) -> Group:
    """One block per check, worst first: the check, its severity and count, then the message
    once when every file gets the same one, else one line per file — paths absolute."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    order = {"error": 0, "warning": 1, "info": 2}
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in review.findings:
        groups.setdefault((finding.severity, finding.check), []).append(finding)
    parts: list[Text | Padding] = [Text("Findings", style="italic")]
    root = Path(review.root)

    def where(finding: Finding) -> str:
        if finding.node:  # read from a host: its name and the absolute path there
            return f"{finding.node}: {finding.path}" if finding.path else finding.node
        return str(root / finding.path)

    for (severity, check), findings in sorted(
        groups.items(), key=lambda g: (order[g[0][0]], g[0][1])
    ):
        word = severity if len(findings) == 1 or severity == "info" else f"{severity}s"
        head = Text(f"\n{check}", style="bold")
        head.append(f" — {len(findings)} {word}", style=_SEVERITY_STYLES[severity])
        parts.append(head)
        shared = {f.message.replace(f.path, "{file}") for f in findings}
        if len(shared) == 1 and len(findings) > 1:
            parts += [Padding(Text(where(f)), (0, 0, 0, 2), expand=False) for f in findings]
            message = shared.pop().replace("{file}", "each file")
            parts.append(Padding(Text(message), (0, 0, 0, 4), expand=False))
            continue
        for finding in findings:
            parts.append(Padding(Text(where(finding), style="bold"), (0, 0, 0, 2), expand=False))
            parts.append(Padding(Text(finding.message), (0, 0, 0, 4), expand=False))
    return Group(*parts)


def _files_table(review: Review) -> Table:
    from rich.table import Table
    from rich.text import Text

    severities_by_path = _severities_by_file(review)
    files = Table(title=f"Files in {review.root}", title_justify="left")
    nodes = any(record.node for record in review.files)
    if nodes:
        files.add_column("node", overflow="fold", ratio=2)
    files.add_column("file", overflow="fold", ratio=4)
    files.add_column("kind / role", overflow="fold", ratio=2)
    files.add_column("subject / key", overflow="fold", ratio=3)
    files.add_column("status", overflow="fold", ratio=2)
    for record in review.files:
        kind = record.kind + (f"\n{record.role}" if record.role else "")
        if record.role and record.convention:
            kind += f"\n({record.convention})"
        files.add_row(
            *([Text(record.node)] if nodes else []),
            Text(record.ref),
            Text(kind),
            Text(record.subject_summary()),
            _review_status(review, record, severities_by_path.get((record.node, record.path), [])),
        )
    return files


def _review_summary(review: Review) -> Text:
    from rich.text import Text

    nodes = {r.node for r in review.files if r.node}
    on = f" on {len(nodes)} host{'s' if len(nodes) != 1 else ''}" if nodes else ""
    summary = Text(f"{len({(r.node, r.path) for r in review.files})} files{on}: ")
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


def _severities_by_file(review: Review) -> dict[tuple[str, str], list[str]]:
    """The severities of each file's findings, by (node, path)."""
    severities: dict[tuple[str, str], list[str]] = {}
    for finding in review.findings:
        severities.setdefault((finding.node, finding.path), []).append(finding.severity)
    return severities


def _review_status(
    review: Review, record: ReviewedFile, severities: list[str], between: str = ", "
) -> Text:
    from rich.text import Text

    text = Text()
    if record.cert is not None:
        status = review.status(record)
        text.append(status, style=_STATUS_STYLES.get(status, ""))
    for severity in ("error", "warning"):
        count = severities.count(severity)
        if count:
            word = severity if count == 1 else f"{severity}s"
            text.append(
                f"{between if text else ''}{count} {word}", style=_SEVERITY_STYLES[severity]
            )
    if not text:
        text.append("ok", style="green")
    return text
