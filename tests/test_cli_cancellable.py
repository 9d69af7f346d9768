"""run_cancellable: the CLI's long jobs run in a thread, and Ctrl-C asks them to stop."""

from __future__ import annotations

import _thread
import threading

import pytest

from wizard.cli.common import run_cancellable


def test_ctrl_c_sets_the_jobs_cancel_and_the_job_ends_on_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    waiting = threading.Event()

    def job(cancel: threading.Event) -> str:
        waiting.set()
        return "stopped" if cancel.wait(60) else "ran to its end"

    # Ctrl-C, as the terminal sends it, once the job waits: a 0.3 s timer fired before
    # run_cancellable was entered when the main thread was late, a KeyboardInterrupt here
    threading.Thread(target=lambda: waiting.wait(60) and _thread.interrupt_main()).start()
    result, error, interrupted = run_cancellable(job, (ValueError,), "the step stops now", "t")
    assert (result, error, interrupted) == ("stopped", "", True)
    assert capsys.readouterr().err == "interrupting — the step stops now\n"


def test_a_named_error_is_its_text_and_any_other_escapes_the_thread() -> None:
    def refused(cancel: threading.Event) -> None:
        raise ValueError("no such host: 10.0.0.9")

    assert run_cancellable(refused, (ValueError,), "", "t") == (
        None,
        "no such host: 10.0.0.9",
        False,
    )
    assert run_cancellable(lambda cancel: 42, (ValueError,), "", "t") == (42, "", False)


def test_ctrl_c_as_the_job_starts_still_cancels_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C before the main thread is back from starting the job (here sent by the job's
    first line) asks the job to stop like any other: nothing escapes, nothing is left waiting."""

    def job(cancel: threading.Event) -> str:
        _thread.interrupt_main()
        return "stopped" if cancel.wait(10) else "ran to its end"

    for _ in range(20):
        result, error, interrupted = run_cancellable(job, (ValueError,), "stops now", "t")
        assert (result, error, interrupted) == ("stopped", "", True)
    assert capsys.readouterr().err == "interrupting — stops now\n" * 20
