"""What every command shares: refusals and their exit code, JSON and write-result printing,
the -c/-o/--profile arguments, and the CLI's words for the jobs' refusals."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from wizard.catalog import PROFILE_NAMES
from wizard.exit_codes import REFUSED

if TYPE_CHECKING:
    from wizard.generate import Progress
    from wizard.jobs.generation import Refusal
    from wizard.spec import ClusterSpec
    from wizard.store import WriteResult
    from wizard.store.lock import DirectoryBusy, DirectoryLock, LockHolder

PROG = "k8s-cert-wizard"
DEFAULT_OUTPUT = "k8s-certs"
PROFILE_CHOICES = PROFILE_NAMES


class ExamplesHelpFormatter(argparse.HelpFormatter):
    """--help with the description wrapped to the terminal and the epilog's examples kept as
    written (argparse's Raw formatters would not wrap the description)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Refused(Exception):
    """A command stops with this exit code; what went wrong was already printed."""

    def __init__(self, code: int = REFUSED) -> None:
        self.code = code
        super().__init__(code)


def refuse(message: str, stream: TextIO | None = None) -> int:
    """Print one refusal to stderr and return the refusal exit code."""
    print(f"{PROG}: {message}", file=stream or sys.stderr)
    return REFUSED


def stop(message: str) -> NoReturn:
    """Print one refusal and end the command with the refusal exit code."""
    refuse(message)
    raise Refused(REFUSED)


def print_json(document: object) -> None:
    """One JSON document on stdout, for scripts: indented, UTF-8 as is, a final newline."""
    import json

    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_result(result: WriteResult) -> None:
    """What a write did: the backup, each file written, the files kept."""
    if result.backup:
        print(f"moved {len(result.backed_up)} old files to {result.backup}")
    for name in result.written:
        print(f"wrote {result.directory / name}")
    if result.unchanged:
        print(f"kept {len(result.unchanged)} unchanged files: {', '.join(result.unchanged)}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)


def print_set_notes(spec: ClusterSpec) -> None:
    """What concerns the whole set rather than a field: the notes the preview shows too."""
    from wizard.outputs import shared_subject_warnings

    for problem in shared_subject_warnings(spec):
        print(f"note: {problem.message}", file=sys.stderr)


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """-c FILE, -o DIR and --profile, as csr, generate and renew take them."""
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


def add_wait_argument(parser: argparse.ArgumentParser) -> None:
    """--wait: queue behind another run writing the same directory instead of refusing."""
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another run is writing DIR, wait for it to finish (default: refuse at once)",
    )


def load_valid_spec(config: str, profile: str | None = None) -> ClusterSpec:
    """The validated spec; its warnings and notes go to stderr. Raises Refused after printing
    why the file cannot be used."""
    from wizard.jobs.cluster_file import load_valid

    loaded = load_valid(config, profile)
    if loaded.unreadable:
        stop(loaded.unreadable)
    for problem in loaded.problems:
        if problem.severity != "error":
            print(f"{config}: {problem.severity}: {problem}", file=sys.stderr)
    errors = loaded.errors
    if errors:
        for problem in errors:
            print(f"{config}: error: {problem}", file=sys.stderr)
        count = f"{len(errors)} error" + ("s" if len(errors) > 1 else "")
        stop(f"{config} has {count} — fix them and run again; nothing was written")
    assert loaded.spec is not None
    return loaded.spec


def shorten(names: tuple[str, ...] | list[str], count: int = 6) -> str:
    """`a, b, c and 4 more`."""
    shown = ", ".join(names[:count])
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")


def refusal_words(refusal: Refusal, profile: str) -> str:
    """A generation refusal in the command line's words (its flags)."""
    from wizard.jobs.generation import RefusalKind

    directory, names = refusal.directory, refusal.names
    kind = refusal.kind
    if kind is RefusalKind.TARGET:
        return refusal.detail
    if kind is RefusalKind.CA_DIRECTORY:
        if refusal.detail == "missing":
            return f"--ca {directory} does not exist — give the directory that holds the CA's files"
        if refusal.detail == "file":
            return f"--ca {directory} is a file — give the directory that holds the CA's files"
        return f"{directory} holds no CA ({', '.join(names[:2])}) — give the CA's directory"
    if kind is RefusalKind.CA_UNUSABLE:
        return (
            f"{refusal.detail} — nothing was made; or give --new-ca to make a new CA "
            "(the old files move into a backup folder; everything the old CA signed stops "
            "being trusted)"
        )
    if kind is RefusalKind.OTHER_PROFILE:
        return (
            f"{directory} holds a {refusal.held_profile} set ({shorten(names, 4)}), and this "
            f"is the {profile} profile — nothing was made: its files would stay beside the new "
            f"set. Write elsewhere (-o NEWDIR), generate that profile (--profile "
            f"{refusal.held_profile}), or move the old set away"
        )
    if kind is RefusalKind.FOLDER_IN_THE_WAY:
        return (
            f"{directory / names[0]} is a folder where the set puts a file — move it away and "
            "run again (--force replaces files, never folders)"
        )
    return (
        f"{directory} already holds {shorten(names)} — nothing was written; use --force to move "
        "the old files into a backup folder first (a CA there is kept and reused), --new-ca to "
        "make a new CA as well, or choose another directory"
    )


def busy_words(busy: DirectoryBusy) -> str:
    """Another run is writing the directory, in the command line's words."""
    who = busy.holder.describe() if busy.holder else "a process that left no record"
    return (
        f"{busy.directory} is being written by another run — {who}; nothing was done. Let it "
        f"finish and run again, or add --wait to start when it is done (lock: {busy.lock_file})"
    )


def say_waiting(holder: LockHolder | None, seconds: float) -> None:
    """The --wait progress line on stderr."""
    who = holder.describe() if holder else "another run"
    print(f"waiting for {who} to finish writing… {seconds:.0f} s", file=sys.stderr)


class ProgressLine:
    """A run's progress on one line of stderr, rewritten in place — only when stderr is a
    terminal (a log or a pipe gets nothing). Call `done()` before printing anything else."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.shown = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, step: Progress) -> None:
        """Show `[done/total] message`, cut to the terminal's width."""
        if not self.shown:
            return
        import shutil

        width = shutil.get_terminal_size((80, 24)).columns - 1
        text = f"[{step.done}/{step.total}] {step.message}"[:width]
        self.stream.write(f"\r\x1b[K{text}")
        self.stream.flush()

    def done(self) -> None:
        """Clear the line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def say_takeover(lock: DirectoryLock) -> None:
    """A lock record left by a run that died, taken over."""
    if lock.took_over is not None:
        print(
            f"note: the last run writing {lock.directory} ({lock.took_over.describe()}) ended "
            "without finishing; its lock was taken over (its half-made files were never "
            "swapped in)",
            file=sys.stderr,
        )


def run_cancellable(
    job: Callable[[threading.Event], object],
    errors: tuple[type[BaseException], ...],
    interrupted_words: str,
    name: str,
) -> tuple[object, str, bool]:
    """Run `job(cancel)` in a thread so Ctrl-C sets `cancel` (the job stops at its next safe
    point and says so) instead of killing a write midway. Returns (the job's result or None,
    the text of one of `errors` it raised or "", whether Ctrl-C was pressed)."""
    cancel = threading.Event()
    box: dict[str, object] = {}
    pressed: list[bool] = []

    def work() -> None:
        try:
            box["result"] = job(cancel)
        except errors as error:
            box["error"] = str(error)
        finally:
            finished.set()

    def on_ctrl_c(signum: int, frame: object) -> None:
        pressed.append(True)
        cancel.set()
        print(f"interrupting — {interrupted_words}", file=sys.stderr)

    # A handler, not `except KeyboardInterrupt`: the exception can arrive between any two
    # statements — in Thread.start() or the loop's test — and escape, leaving the job's
    # thread waiting with no one to cancel it (a CI run hung so, Ctrl-C sent from inside the
    # job's first wait). An Event, not Thread.is_alive(), says the job is done.
    finished = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if in_main else None
    try:
        worker = threading.Thread(target=work, name=name)
        worker.start()
        while not finished.wait(0.2):
            pass
        worker.join()
    finally:
        if in_main:  # None: the one before was not set from Python
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    return box.get("result"), str(box.get("error", "")), bool(pressed)
