"""Benchmark: the complete profile for 1,000 nodes against the floor of making its keys.

For RSA 2048 and ECDSA P-256: time `generate_files` + `write_files` for a cluster with 1,000
nodes (2 certificates and a kubeconfig per node), and, in the same run, the floor: generating
the same number of private keys with `cryptography` on a thread pool as wide as the machine
(a second floor also signs one certificate per key, the least any certificate tool must do; a
third adds plainly writing files of the same names and sizes as ours, without syncing them).
Prints each and the ratio; target ≤ 1.3× the key floor.

    python tests/benchmarks/bench_profiles.py [--nodes 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from wizard.catalog import concrete_entries, get_profile
from wizard.generate import generate_files
from wizard.pki import new_private_key
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


def cluster(nodes: int, algo: str, size: int) -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = algo, size
    spec.nodes = [Node(f"node-{i}", f"10.1.{i // 250}.{i % 250 + 1}") for i in range(nodes)]
    return spec


def time_ours(spec: ClusterSpec) -> float:
    with tempfile.TemporaryDirectory() as temporary:
        start = time.perf_counter()
        write_files(Path(temporary) / "out", generate_files(spec))
        return time.perf_counter() - start


def time_key_floor(count: int, algo: str, size: int, sign: bool) -> float:
    workers = os.cpu_count() or 2
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        keys = list(pool.map(lambda _: new_private_key(algo, size), range(count)))
    if sign:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "floor")])
        now = datetime.now(UTC)
        signer = keys[0]
        for key in keys:
            (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now)
                .not_valid_after(now + timedelta(days=1))
                .sign(signer, hashes.SHA256())
            )
    return time.perf_counter() - start


def time_write_floor(sizes: dict[str, int]) -> float:
    """Create files of these relative names and sizes in a fresh folder: open, write, close."""
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        for folder in sorted({str(Path(name).parent) for name in sizes}):
            (root / folder).mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        for name, size in sizes.items():
            descriptor = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(descriptor, b"x" * size)
            os.close(descriptor)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for algo, size in (("rsa", 2048), ("ecdsa", 256)):
        spec = cluster(args.nodes, algo, size)
        keys = len(concrete_entries(get_profile("complete"), spec))
        sizes = {file.path: len(file.content) for file in generate_files(spec)}
        ours, floor, signed_floor, write_floor = [], [], [], []
        for _ in range(args.rounds):
            floor.append(time_key_floor(keys, algo, size, sign=False))
            ours.append(time_ours(spec))
            signed_floor.append(time_key_floor(keys, algo, size, sign=True))
            write_floor.append(time_write_floor(sizes))
        ours_s, floor_s, signed_s, write_s = (
            statistics.median(v) for v in (ours, floor, signed_floor, write_floor)
        )
        print(f"{algo.upper()} {size}, {args.nodes} nodes, {keys} keys, {args.rounds} rounds:")
        print(f"  ours (generate + write):          {ours_s:7.2f} s")
        print(
            f"  floor: keys only, {os.cpu_count()} threads:     {floor_s:7.2f} s"
            f"  → ratio {ours_s / floor_s:.2f} (target ≤ 1.3)"
        )
        print(
            f"  floor: keys + one signature each: {signed_s:7.2f} s"
            f"  → ratio {ours_s / signed_s:.2f}"
        )
        print(
            f"  floor: that + writing {len(sizes):,} files:  {signed_s + write_s:7.2f} s"
            f"  → ratio {ours_s / (signed_s + write_s):.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
