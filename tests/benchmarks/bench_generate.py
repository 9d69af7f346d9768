"""Benchmark: `k8s-cert-wizard generate` (classic, RSA 2048) against the cfssl pipeline.

Both make the same four key pairs from the same JSON. Runs alternate, in one process, and the
script prints each median and the ratio ours / cfssl's. Target: ≤ 0.75 on a 2-core machine.

With --cancel: the generation job (complete profile, RSA 4096, two nodes) cancelled once its
first key is done, in this process: from cancel.set() to run() raising Cancelled, with nothing
written. Reference: one RSA 4096 key, timed in the same run. Target: ≤ 0.5 s.

    python tests/benchmarks/bench_generate.py [--rounds 15] [--cancel]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's wizard

from wizard.generate import plan_json_files  # noqa: E402
from wizard.spec import ClusterSpec, save_spec  # noqa: E402
from wizard.store import write_files  # noqa: E402

CFSSL_SCRIPT = """set -e
cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca
for name in kubernetes admin kube-proxy; do
  cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=kubernetes \
    "$name-csr.json" 2>/dev/null | cfssljson -bare "$name"
done
"""


def time_ours(work: Path, config: Path, round_number: int) -> float:
    out = work / f"ours-{round_number}"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wizard", "generate", "-c", str(config), "-o", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return elapsed


def time_cfssl(work: Path, spec: ClusterSpec, round_number: int) -> float:
    out = work / f"cfssl-{round_number}"
    write_files(out, plan_json_files(spec))
    start = time.perf_counter()
    subprocess.run(["bash", "-c", CFSSL_SCRIPT], cwd=out, check=True)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return elapsed


def time_cancel(directory: Path) -> float:
    """Seconds from cancel.set() (after the first key) to run() raising Cancelled."""
    import threading

    from wizard.generate import Cancelled, Progress
    from wizard.jobs.generation import GenerationRequest, run
    from wizard.spec import Node

    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    spec.key.size = 4096
    cancel, first_key = threading.Event(), threading.Event()
    ended: list[float] = []

    def progress(_step: Progress) -> None:
        first_key.set()

    def generate() -> None:
        try:
            run(GenerationRequest(spec, directory), progress=progress, cancel=cancel)
        except Cancelled:
            ended.append(time.perf_counter())

    thread = threading.Thread(target=generate)
    thread.start()
    first_key.wait(120)
    start = time.perf_counter()
    cancel.set()
    thread.join(120)
    if not ended or (directory.exists() and any(directory.iterdir())):
        raise SystemExit("the run was not cancelled cleanly")
    return ended[0] - start


def cancel_main(rounds: int) -> int:
    from wizard import pki

    times, keys = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as temporary:
            times.append(time_cancel(Path(temporary) / "k8s-certs"))
        start = time.perf_counter()
        pki.new_private_key("rsa", 4096)
        keys.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"cancel of an RSA 4096 run after its first key, median of {rounds}:")
    worst = max(times) * 1000
    print(f"    run() raised Cancelled {median * 1000:.0f} ms after cancel (max {worst:.0f})")
    print(f"    one RSA 4096 key: median {statistics.median(keys) * 1000:.0f} ms")
    print(f"    target ≤ 500 ms — {'met' if median <= 0.5 else 'NOT met'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cancel", action="store_true", help="time cancelling a run instead")
    args = parser.parse_args()
    if args.cancel:
        return cancel_main(args.rounds)
    if not (shutil.which("cfssl") and shutil.which("cfssljson")):
        print("cfssl and cfssljson are needed (apt-get install golang-cfssl)", file=sys.stderr)
        return 1
    spec = ClusterSpec.example()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        config = work / "cluster.toml"
        save_spec(spec, config)
        time_ours(work, config, -1)  # warm the page cache for both
        time_cfssl(work, spec, -1)
        ours, theirs = [], []
        for round_number in range(args.rounds):
            if round_number % 2:
                theirs.append(time_cfssl(work, spec, round_number))
                ours.append(time_ours(work, config, round_number))
            else:
                ours.append(time_ours(work, config, round_number))
                theirs.append(time_cfssl(work, spec, round_number))
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    print(f"rounds: {args.rounds} (alternating)")
    print(f"k8s-cert-wizard generate: median {ours_median * 1000:.0f} ms")
    print(f"cfssl gencert | cfssljson ×4: median {theirs_median * 1000:.0f} ms")
    ratio = ours_median / theirs_median
    verdict = "met" if ratio <= 0.75 else "NOT met"
    print(f"ratio ours/cfssl: {ratio:.2f} (target ≤ 0.75) — {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
