"""Unbounded input (issue 18, part 5): YAML bombs, devices, FIFOs, huge files and huge values are
refused in words, quickly and in bounded memory — by the readers and through the CLI."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from wizard.bounds import (
    MAX_FILE_BYTES,
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    QUOTE_CHARS,
    InputRefused,
    YAMLRefused,
    bare,
    load_yaml,
    quote,
    quote_repr,
    read_limited,
    read_regular,
)
from wizard.generate import generate_files
from wizard.hosts import HostError, parse_host, parse_service_cidr
from wizard.review import review_directory
from wizard.spec import ClusterSpec, Node, SpecError, dump_spec, load_spec, validate
from wizard.store import write_files

MEMORY_LIMIT = 1 << 30  # address space for the CLI runs: the old code needed 3 GB for one bomb


def lol_anchors(levels: int = 9) -> str:
    """The anchors of a billion-laughs document: `*l{levels-1}` stands for 9**levels strings."""
    lines = ['  - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"  - &l{level} [{refs}]")
    return "x-laughs:\n" + "\n".join(lines) + "\n"


def bomb_kubeconfig(levels: int = 9) -> str:
    """A kubeconfig whose cluster name and server are a billion laughs (under 1 KiB)."""
    top = f"*l{levels - 1}"
    return (
        "apiVersion: v1\nkind: Config\n"
        + lol_anchors(levels)
        + f"clusters:\n- name: {top}\n  cluster:\n    server: {top}\n"
        + f"users:\n- name: {top}\n  user:\n    token: {top}\n"
        + "contexts: []\ncurrent-context: x\n"
    )


def run_cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """The CLI in a child limited to MEMORY_LIMIT of address space; (result, the child's CPU
    seconds). CPU, not wall time: a bound on the work whatever the machine's load. A child
    that blocks (on a FIFO) meets the timeout, a safety net only: on a loaded machine the
    child's wall time is mostly waiting for a core, and a 30 s bound on it was one on the load."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,  # noqa: PLW1509 - no threads in the test process at this point
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result, cpu


# --- the YAML loader ---------------------------------------------------------------------------


def test_a_billion_laughs_is_refused_at_once_naming_the_file() -> None:
    assert len(bomb_kubeconfig().encode()) < 1024
    start = time.process_time()  # CPU seconds: a bound on the work, not on the machine's load
    with pytest.raises(YAMLRefused) as caught:
        load_yaml(bomb_kubeconfig(), "ssl/admin.kubeconfig")
    elapsed = time.process_time() - start
    assert elapsed < 0.1, elapsed
    assert str(caught.value).startswith("ssl/admin.kubeconfig: its YAML aliases expand to more")
    assert "billion laughs" in str(caught.value)


def test_too_many_aliases_and_too_deep_nesting_are_refused() -> None:
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_YAML_ALIASES + 1)) + "]\n"
    with pytest.raises(YAMLRefused, match=f"more than {MAX_YAML_ALIASES} YAML aliases"):
        load_yaml(many, "f.yaml")
    deep = "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1)
    with pytest.raises(YAMLRefused, match=f"nested more than {MAX_YAML_DEPTH} deep"):
        load_yaml(deep, "f.yaml")
    very_deep = "a: " + "{b: " * 100_000 + "}" * 100_000  # no RecursionError either
    with pytest.raises(YAMLRefused):
        load_yaml(very_deep, "f.yaml")


def test_ordinary_yaml_loads_as_with_pyyaml() -> None:
    text = "a: &x [1, 2, {k: v}]\nb: *x\nc: {d: [true, null, 1.5, '2']}\n" + "".join(
        f"n{i}: [{i}]\n" for i in range(200)
    )
    assert load_yaml(text, "f") == yaml.safe_load(text)
    nested = "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH
    assert load_yaml(nested, "f") == yaml.safe_load(nested)
    with pytest.raises(yaml.YAMLError):
        load_yaml("*undefined", "f")
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: !!python/object:os.system {}", "f")  # still a safe loader


# --- reading files -----------------------------------------------------------------------------


def test_devices_fifos_directories_and_oversized_files_are_refused_by_type(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    start = time.process_time()  # CPU seconds: a bound on the work, not on the machine's load
    cases = {
        "/dev/zero": "is a character device, not a regular file",
        "/dev/null": "is a character device, not a regular file",
        str(fifo): "is a named pipe (FIFO), not a regular file",
        str(tmp_path): "is a directory",
        str(big): "is larger than 1 MiB",
    }
    for path, words in cases.items():
        with pytest.raises(InputRefused) as caught:
            read_limited(path, what="cluster.toml")
        assert str(caught.value).startswith(words), (path, str(caught.value))
    assert time.process_time() - start < 1
    exact = tmp_path / "exact"
    exact.write_bytes(b"x" * MAX_FILE_BYTES)
    assert len(read_limited(exact)) == MAX_FILE_BYTES
    link = tmp_path / "link.toml"
    link.symlink_to(exact)
    assert read_limited(link) == exact.read_bytes()  # -c may be a symlink
    with pytest.raises(OSError):  # the scanner's reads never follow a link (it lists links)
        read_regular(link)


def test_a_nul_byte_in_a_path_is_an_oserror_not_a_valueerror() -> None:
    with pytest.raises(FileNotFoundError):
        read_limited("ca\0.pem")


def test_load_spec_refuses_devices_fifos_and_huge_files_in_words(tmp_path: Path) -> None:
    fifo = tmp_path / "cluster.toml"
    os.mkfifo(fifo)
    for path, words in (
        ("/dev/zero", "/dev/zero: is a character device, not a regular file — not read"),
        (str(fifo), f"{fifo}: is a named pipe (FIFO), not a regular file — not read"),
        (str(tmp_path), f"{tmp_path}: is a directory — give the path of a cluster.toml file"),
    ):
        with pytest.raises(SpecError) as caught:
            load_spec(path)
        assert str(caught.value).startswith(words)
    huge = tmp_path / "huge.toml"
    huge.write_text(f'profile = "{"x" * 10_000_000}"\n')
    with pytest.raises(SpecError) as caught:
        load_spec(huge)
    assert str(caught.value) == (
        f"{huge}: is larger than 1 MiB — not read; a cluster.toml is a few KiB, so this is not one"
    )


# --- values in messages ------------------------------------------------------------------------


def test_a_10_mb_value_is_quoted_by_a_bounded_prefix() -> None:
    value = "a" * 10_000_000
    assert quote(value) == f'"{"a" * QUOTE_CHARS}…" (10,000,000 characters)'
    assert quote_repr(value) == f"'{'a' * QUOTE_CHARS}'… (10,000,000 characters)"
    assert len(quote_repr([[1] * 10_000] * 10_000)) < 200
    assert quote("ok") == '"ok"' and quote_repr("ok") == "'ok'"
    assert quote("a\nb\x85c\u2028\x1b[31m") == '"a\\nb\\x85c\\u2028\\x1b[31m"'
    assert bare("https://10.0.0.1:6443") == "https://10.0.0.1:6443"
    assert bare("x\n" * 300).startswith('"x\\nx\\n')
    for text in (
        "x" * 10_000_000,
        "1." * 5_000_000,
        "a b" * 3_000_000,
        "http://" + "h" * 10_000_000,
        "10.0.0.1/" + "9" * 10_000_000,
    ):
        with pytest.raises(HostError) as caught:
            parse_host(text)
        assert len(str(caught.value)) < 600, str(caught.value)[:300]
    with pytest.raises(HostError) as caught:
        parse_service_cidr("10.96.0.0/" + "3" * 10_000_000)
    assert len(str(caught.value)) < 600


def test_a_big_value_in_cluster_toml_is_quoted_by_a_bounded_prefix(tmp_path: Path) -> None:
    path = tmp_path / "cluster.toml"
    big = "x" * 300_000  # three of them stay under the file limit
    path.write_text(f'profile = "{big}"\n[subject]\nC = "{big}"\n[key]\nsize = "{big}"\n')
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "key.size: 'xxxx" in str(caught.value)
    assert len(str(caught.value)) < 600
    path.write_text(f'profile = "{big}"\n[hosts]\nmasters = ["{big}"]\n[[nodes]]\nname = "{big}"\n')
    problems = validate(load_spec(path))
    assert problems and all(len(str(p)) < 600 for p in problems)
    assert any(str(p).startswith('profile: "xxxx') for p in problems)


# --- through the CLI ---------------------------------------------------------------------------


def test_review_reports_a_billion_laughs_kubeconfig_quickly(tmp_path: Path) -> None:
    ssl = tmp_path / "ssl"
    ssl.mkdir()
    (ssl / "admin.kubeconfig").write_text(bomb_kubeconfig())
    (ssl / "kubelet.conf").write_text(bomb_kubeconfig(12))
    start = time.process_time()  # CPU seconds: a bound on the work, not on the machine's load
    review = review_directory(ssl)
    elapsed = time.process_time() - start
    assert elapsed < 1, elapsed
    messages = [f.message for f in review.findings]
    assert any(m.startswith("admin.kubeconfig: its YAML aliases expand") for m in messages)
    assert not [f for f in review.findings if f.check == "internal-error"]
    result, seconds = run_cli("review", "--plain", str(ssl), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode in (0, 1, 2), result.stderr
    assert "billion laughs" in " ".join(result.stdout.split())  # --plain wraps at 80 columns
    assert seconds < 30  # CPU seconds
    result, _ = run_cli("review", "--json", str(ssl), cwd=tmp_path)
    assert "Traceback" not in result.stderr and len(result.stdout) < 100_000


@pytest.fixture(scope="module")
def complete_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101")]
    root = tmp_path_factory.mktemp("bomb-renew")
    write_files(root / "k8s-certs", generate_files(spec))
    (root / "cluster.toml").write_text(dump_spec(spec))
    return root


def test_renew_dry_run_with_a_bomb_in_server_reports_the_kubeconfig(complete_set: Path) -> None:
    kubeconfig = complete_set / "k8s-certs" / "kube-proxy.kubeconfig"
    original = kubeconfig.read_text()
    document = yaml.safe_load(original)
    server = document["clusters"][0]["cluster"]["server"]
    bombed = original.replace(f"server: {server}", "server: *l8")
    assert bombed != original
    kubeconfig.write_text(lol_anchors() + bombed)
    try:
        result, seconds = run_cli(
            "renew", "-c", "cluster.toml", "-o", "k8s-certs", "--dry-run", cwd=complete_set
        )
    finally:
        kubeconfig.write_text(original)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr[-2000:]
    assert "kube-proxy.kubeconfig" in result.stdout
    assert "its certificates or settings differ" in result.stdout
    assert seconds < 30  # CPU seconds


@pytest.mark.parametrize("command", ["csr", "generate", "renew", "layout"])
def test_dev_zero_and_a_fifo_as_cluster_file_are_refused_without_blocking(
    tmp_path: Path, command: str
) -> None:
    fifo = tmp_path / "cluster.toml"
    os.mkfifo(fifo)
    out = ["-o", str(tmp_path / "out")] if command != "layout" else []
    for config, words in (
        ("/dev/zero", "/dev/zero: is a character device, not a regular file"),
        (str(fifo), f"{fifo}: is a named pipe (FIFO), not a regular file"),
        ("/dev/null", "/dev/null: is a character device, not a regular file"),
    ):
        result, seconds = run_cli(command, "-c", config, *out, cwd=tmp_path)
        assert result.returncode == 1, (config, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
        assert seconds < 30  # CPU seconds
    assert not (tmp_path / "out").exists()


def test_a_fifo_where_the_ca_or_a_certificate_should_be_does_not_block(tmp_path: Path) -> None:
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    (tmp_path / "cluster.toml").write_text(dump_spec(spec))
    out = tmp_path / "k8s-certs"
    out.mkdir()
    os.mkfifo(out / "ca.pem")
    os.mkfifo(out / "ca-key.pem")
    result, seconds = run_cli("generate", "-o", "k8s-certs", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "is a named pipe (FIFO), not a regular file" in result.stderr
    assert seconds < 30  # CPU seconds
    (out / "ca.pem").unlink()
    (out / "ca-key.pem").unlink()
    write_files(out, generate_files(spec))
    (out / "admin.pem").unlink()
    os.mkfifo(out / "admin.pem")
    result, seconds = run_cli("renew", "-o", "k8s-certs", "--dry-run", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert "admin.pem is a named pipe (FIFO), not a regular file" in result.stdout + result.stderr


def test_a_cluster_file_path_with_a_nul_or_a_line_break_is_one_line() -> None:
    for path in ("a\0b.toml", "no\nsuch.toml"):
        with pytest.raises(SpecError) as caught:
            load_spec(path)
        message = str(caught.value)
        assert "\n" not in message and "\0" not in message, message
        assert "no such file" in message
