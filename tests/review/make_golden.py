"""Make the review's golden tree, or re-freeze its expected outputs (see golden.py).

    python tests/review/make_golden.py tree --work DIR   # a new tree (new keys): rarely
    python tests/review/make_golden.py expected          # outputs of the current code

Re-freezing the outputs is a deliberate change of what review prints: say so in the commit.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import golden  # noqa: E402


def build_tree(work: Path) -> None:
    """Every layout the tests know, plus `bulk/` (more certificates than --plain lists)."""
    from review_pki import (
        BOTH,
        NOW,
        build_kubeadm_tree,
        build_messy_dir,
        kubeconfig,
        make_ca,
        make_leaf,
        name,
        write,
        write_pair,
    )
    from tool_layouts import build_kthw, build_kubeasz, build_rancher_server

    if work.exists():
        shutil.rmtree(work)
    tree = work / "tree"
    build_messy_dir(tree / "messy")
    build_kubeadm_tree(tree / "kubeadm")
    server = build_rancher_server(tree / "k3s", "k3s")
    for config in (server / "cred").iterdir():  # k3s writes absolute paths: make them relative
        config.chmod(0o600)
        text = config.read_text().replace(f"{server / 'tls'}/", "../tls/")
        config.write_text(text)
    build_kubeasz(tree / "kubeasz", work / "kubeasz-work")
    build_kthw(tree / "kthw")
    bulk = tree / "bulk"
    ca = make_ca(name("bulk-ca", "bench"))
    write_pair(bulk, "ca", ca)
    for number in range(110):
        days = 10 + number if number % 7 == 0 else 365
        start = NOW - timedelta(days=400) if number == 3 else None
        leaf = make_leaf(
            ca,
            name(f"leaf-{number:03d}", "bench"),
            eku=BOTH,
            dns=(f"leaf-{number:03d}.bench.local",),
            ips=(f"10.0.{number // 256}.{number % 256}",),
            days=days,
            start=start,
        )
        write_pair(bulk / f"group-{number % 4}", f"leaf-{number:03d}", leaf)
    admin = make_leaf(ca, name("admin", "system:masters"))
    write(bulk / "admin.conf", kubeconfig(ca.cert, "admin", admin), 0o600)
    write(
        bulk / "leaf.conf",
        kubeconfig(
            ca.cert,
            "leaf-001",
            cert_path="group-1/leaf-001.pem",
            key_path="group-1/leaf-001-key.pem",
        ),
        0o600,
    )
    golden.DATA.mkdir(parents=True, exist_ok=True)
    golden.NOW_FILE.write_text((NOW + timedelta(hours=1)).isoformat() + "\n")

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = 0
        return info

    with tarfile.open(golden.TREE, "w:gz") as archive:
        for path in sorted(tree.rglob("*")):
            archive.add(path, path.relative_to(tree).as_posix(), recursive=False, filter=normalise)
    print(f"wrote {golden.TREE} ({golden.TREE.stat().st_size} bytes), {golden.NOW_FILE}")


def freeze(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    tree = golden.extract(work / "tree")
    results = golden.outputs(tree)
    golden.write_expected(results)
    print(f"wrote {golden.EXPECTED}: {len(results)} outputs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("tree", "expected"))
    parser.add_argument("--work", type=Path, required=True, help="a scratch directory (emptied)")
    args = parser.parse_args()
    if args.what == "tree":
        build_tree(args.work)
    else:
        freeze(args.work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
