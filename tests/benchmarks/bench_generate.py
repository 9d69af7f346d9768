"""Benchmark: `k8s-cert-wizard generate` (classic, RSA 2048) against the cfssl pipeline.

Both make the same four key pairs from the same JSON. Runs alternate, in one process, and the
script prints each median and the ratio ours / cfssl's. Target: ≤ 0.75 on a 2-core machine.

    python tests/benchmarks/bench_generate.py [--rounds 15]
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

from wizard.generate import plan_json_files
from wizard.spec import ClusterSpec, save_spec
from wizard.store import write_files

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
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
