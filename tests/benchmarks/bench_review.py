"""Benchmark: `review_directory` on 10,000 certificates with their keys, against the parse floor.

The floor is the least any review must do: read every file, load every certificate and key with
cryptography and hash each public key (SHA-256 of the SubjectPublicKeyInfo DER). Both run in
fresh subprocesses so that peak RSS (getrusage) is theirs alone, after one warm-up pass that
fills the page cache; each is timed RUNS times and the median wall time is kept (the machine is
shared: medians and ratios, not single best runs).

End to end, `k8s-cert-wizard review DIR --json`, `--plain` and `--format prometheus` run as the
user runs them, in a fresh `python -m wizard` process writing to a pipe this script drains;
their peak RSS is the child's (wait4). As an installed package has it, the package's bytecode
is there: these machines set PYTHONDONTWRITEBYTECODE=1, so the children write and read it under
a PYTHONPYCACHEPREFIX beside the certificate directory (written by a warm-up run, not timed);
--no-bytecode measures them compiling every module at each start instead.

    python tests/benchmarks/bench_review.py                 # 10,000 ECDSA P-256 leaves, RSA CA
    python tests/benchmarks/bench_review.py --ca ecdsa      # … signed by an ECDSA P-256 CA
    python tests/benchmarks/bench_review.py --count 100000  # the linear-scaling check
    python tests/benchmarks/bench_review.py --count 2000 --rebuild

Targets: every end-to-end run within 2× the floor measured in the same run, < 300 MB peak RSS.
The certificate directory is built once (in parallel) and cached in the temp directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Benchmark the checkout this script lives in, whatever copy of the package is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TARGET_RSS_MB = 300.0
TARGET_RATIO = 2.0
RUNS = 5
CLI_FORMATS = {"json": ["--json"], "plain": ["--plain"], "prometheus": ["--format", "prometheus"]}


def _make_leaves(ca_cert_pem: bytes, ca_key_pem: bytes, directory: str, numbers: range) -> int:
    """Issue ECDSA P-256 leaves numbered `numbers` with the CA; write NAME.pem and NAME-key.pem."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from wizard import pki

    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    usages = ("signing", "server auth", "client auth")
    now = datetime.now(UTC)
    for number in numbers:
        name = f"leaf-{number:05d}"
        key = pki.new_private_key("ecdsa", 256)
        subject = pki.build_name({"O": "bench"}, name)
        hosts = [
            f"{name}.bench.local",
            f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
        ]
        csr = pki.build_csr(key, subject, hosts)
        cert = pki.issue_leaf(csr, usages, timedelta(days=365), ca_cert, ca_key, now)  # type: ignore[arg-type]
        base = os.path.join(directory, name)
        with open(f"{base}.pem", "wb") as handle:
            handle.write(pki.certificate_pem(cert))
        descriptor = os.open(f"{base}-key.pem", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pki.private_key_pem(key))
    return len(numbers)


def build(directory: Path, count: int, ca_algo: str) -> None:
    """Make the CA and `count` leaves in `directory` (reused when complete)."""
    marker = directory / ".complete"
    if marker.exists() and marker.read_text() == f"{count} {ca_algo}":
        print(f"reusing {directory} ({count} certificates + keys, {ca_algo} CA)")
        return
    from wizard import pki

    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    started = time.perf_counter()
    ca_key = pki.new_private_key(ca_algo, 2048 if ca_algo == "rsa" else 256)
    ca_cert = pki.issue_ca(ca_key, pki.build_name({"O": "bench"}, "bench-ca"), timedelta(days=3650))
    (directory / "ca.pem").write_bytes(pki.certificate_pem(ca_cert))
    (directory / "ca-key.pem").write_bytes(pki.private_key_pem(ca_key))
    os.chmod(directory / "ca-key.pem", 0o600)
    workers = os.cpu_count() or 2
    chunk = -(-count // (workers * 4))
    chunks = [range(start, min(start + chunk, count)) for start in range(0, count, chunk)]
    with ProcessPoolExecutor(workers) as pool:
        futures = [
            pool.submit(
                _make_leaves,
                pki.certificate_pem(ca_cert),
                pki.private_key_pem(ca_key),
                str(directory),
                numbers,
            )
            for numbers in chunks
        ]
        made = sum(f.result() for f in futures)
    marker.write_text(f"{count} {ca_algo}")
    print(f"built {made} certificates + keys in {time.perf_counter() - started:.1f} s: {directory}")


def floor(directory: str) -> int:
    """Read, load and hash every certificate and key: the least a review must do."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    done = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.endswith(".pem"):
                continue
            with open(entry.path, "rb") as handle:
                data = handle.read()
            if entry.name.endswith("-key.pem"):
                public = serialization.load_pem_private_key(data, password=None).public_key()
            else:
                public = x509.load_pem_x509_certificate(data).public_key()
            hashlib.sha256(public.public_bytes(der, spki)).digest()
            done += 1
    return done


def review(directory: str) -> int:
    """The real thing."""
    from wizard.review import review_directory

    result = review_directory(directory)
    problems = [f for f in result.findings if f.severity != "info"]
    if problems:
        raise SystemExit(f"the benchmark set should be clean, got {problems[:3]}")
    return len(result.files)


def measure(which: str, directory: str) -> None:
    """Run one measurement in this (fresh) process; print wall seconds and peak RSS as JSON."""
    function = {"floor": floor, "review": review, "review-serial": review}[which]
    if which == "review-serial":
        from wizard.review import parallel

        parallel.MIN_ITEMS = sys.maxsize  # everything in this one process
    if which.startswith("review"):
        import wizard.review  # noqa: F401 - imports are not what is measured
    else:
        import cryptography.x509  # noqa: F401
    started, cpu_started = time.perf_counter(), _cpu()
    items = function(directory)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu_started
    # review_directory may fork helpers on big trees: count the largest one on top
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"which": which, "wall": wall, "cpu": cpu, "peak_mb": own + children, "items": items}
        )
    )


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the forked helpers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(which: str, directory: Path) -> dict:
    """One measurement in a fresh process; `process` is that process's whole wall time (its
    start-up and imports too)."""
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, __file__, "--measure", which, str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1]) | {"process": time.perf_counter() - started}


def cli(fmt: str, directory: Path, bytecode: bool = True) -> dict:
    """`python -m wizard review DIR <format>` to a pipe, drained here: wall, CPU, peak RSS."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root), COLUMNS="120")
    env.pop("PYTHONPYCACHEPREFIX", None)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(directory.parent / f"{directory.name}.pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "wizard", "review", str(directory), *CLI_FORMATS[fmt]],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=root,
    )
    assert child.stdout is not None
    size = 0
    while chunk := child.stdout.read(1 << 16):
        size += len(chunk)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):  # the set is clean; infos only
        raise SystemExit(f"review {fmt} exited {child.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "items": size,
    }


def median_of(results: list[dict]) -> dict:
    """The median wall and CPU of several runs, and the highest peak."""
    import statistics

    return {
        "wall": statistics.median(r["wall"] for r in results),
        "cpu": statistics.median(r["cpu"] for r in results),
        "peak_mb": max(r["peak_mb"] for r in results),
        "items": results[0]["items"],
        **(
            {"process": statistics.median(r["process"] for r in results)}
            if "process" in results[0]
            else {}
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--ca", choices=("rsa", "ecdsa"), default="rsa", help="the CA's key")
    parser.add_argument("--dir", type=Path, help="where to build (default: a cached temp dir)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each (median)")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="the CLI compiles every module at each start"
    )
    parser.add_argument("--measure", nargs=2, metavar=("WHICH", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return 0
    directory = args.dir or Path(tempfile.gettempdir()) / (
        f"k8s-cert-wizard-bench-review-{args.count}-{args.ca}"
    )
    if args.rebuild and (directory / ".complete").exists():
        (directory / ".complete").unlink()
    build(directory, args.count, args.ca)
    run("floor", directory)  # warm the page cache
    bytecode = not args.no_bytecode
    cli("json", directory, bytecode)  # and write the bytecode
    measured: dict[str, list[dict]] = {"floor": [], "review_directory": []}
    measured |= {
        f"review --{fmt}" if fmt != "prometheus" else "review --format prometheus": []
        for fmt in CLI_FORMATS
    }
    # interleaved, so that a burst of load on the shared machine hits every row alike
    for _ in range(args.runs):
        measured["floor"].append(run("floor", directory))
        measured["review_directory"].append(run("review", directory))
        for fmt in CLI_FORMATS:
            label = f"review --{fmt}" if fmt != "prometheus" else "review --format prometheus"
            measured[label].append(cli(fmt, directory, bytecode))
    results = {label: median_of(runs) for label, runs in measured.items()}
    base = results["floor"]
    print(
        f"{args.count} ECDSA P-256 certificates + keys, one {args.ca.upper()} CA, "
        f"median of {args.runs} (interleaved), the CLI "
        + ("with its bytecode:" if bytecode else "compiling its modules at each start:")
    )
    checks: dict[str, bool] = {}
    for label, result in results.items():
        ratio = result["wall"] / base["wall"]
        print(
            f"  {label:27s} {result['wall']:6.2f} s wall  {result['cpu']:6.2f} s CPU  "
            f"{result['peak_mb']:6.1f} MB peak  {ratio:5.2f}× floor"
        )
        if label.startswith("review --"):
            checks[f"{label} < {TARGET_RATIO:g}× floor"] = ratio < TARGET_RATIO
            checks[f"{label} < {TARGET_RSS_MB:g} MB"] = result["peak_mb"] < TARGET_RSS_MB
    print(
        f"  (the floor as a whole process, interpreter start-up and imports included: "
        f"{base['process']:.2f} s; each review --… against it: "
        + ", ".join(
            f"{result['wall'] / base['process']:.2f}×"
            for label, result in results.items()
            if label.startswith("review --")
        )
        + " — for reference, not a target)"
    )
    print(f"  (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    print("  targets: " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in checks.items()))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
