"""Bounds on what operators hand us: every file the domain reads (cluster.toml, kubeconfigs,
token files, JSON, certificates and keys) goes through `read_regular` (the review's scanner:
no symlink followed, a record for whatever it finds) or `read_limited` (everything else: a
refusal in words), every YAML document through `load_yaml`, and every value echoed into a
message through `quote` ("value"), `quote_repr` ('value', for a value of any type) or `bare`
(a path or URL, unquoted when it is short and printable).

The limits, and why they are safe:

* `MAX_FILE_BYTES` (1 MiB): no cluster.toml, certificate, key, kubeconfig or token file comes
  near it (a kubeconfig with three embedded certificates is about 6 KiB).
* Only regular files are read: a FIFO, a device (`/dev/zero`, `/dev/null`), a socket or a
  directory is refused by its type, from `fstat` on a descriptor opened with `O_NONBLOCK` (so
  opening a FIFO does not wait for a writer).
* YAML: at most `MAX_YAML_ALIASES` (100) aliases, at most `MAX_YAML_EXPANSION` (10,000) nodes
  added by expanding them, and at most `MAX_YAML_DEPTH` (50) nested collections. Kubeconfigs
  never use aliases and are four levels deep; a "billion laughs" document is refused at once.
* A value quoted in a message shows at most `QUOTE_CHARS` (80) characters, with control and
  line-separator characters escaped, and says how long the whole value is.
"""

from __future__ import annotations

import os
import reprlib
import stat
from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from yaml.events import Event
    from yaml.nodes import Node

MAX_FILE_BYTES = 1 << 20
MAX_YAML_ALIASES = 100
MAX_YAML_EXPANSION = 10_000
MAX_YAML_DEPTH = 50
QUOTE_CHARS = 80


class InputRefused(ValueError):
    """A file that is not read: not a regular file, or larger than the limit. The message is a
    phrase to follow the file's name ("is a named pipe (FIFO) — …")."""


class YAMLRefused(ValueError):
    """A YAML document past the alias or nesting limits; the message names the file."""


# --- files -----------------------------------------------------------------------------------


def file_type_words(mode: int) -> str:
    """What a non-regular file is, in words ("a named pipe (FIFO)", "a directory", …)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(
    path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, *, follow_symlinks: bool = False
) -> tuple[bytes | None, os.stat_result]:
    """The bytes of a regular file (None when it is larger than `limit`, or not a regular file)
    and its status. Raises OSError when it cannot be opened or read — also for a path with a
    NUL byte, where `os.open` would raise ValueError.

    Never blocks on a FIFO and never reads more than `limit` + 1 bytes, even from a file that
    grows while it is read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        descriptor = os.open(path, flags)
    except ValueError as error:  # "embedded null byte": no such file can exist
        raise FileNotFoundError(2, "the path holds a NUL byte", os.fspath(path)) from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None, status
        want = status.st_size + 1  # one byte more, to notice a file that grew meanwhile
        parts = [os.read(descriptor, want)]
        total = len(parts[0])
        while total == want and total <= limit:
            chunk = os.read(descriptor, limit + 1 - total)
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        if total > limit:
            return None, status
        return (parts[0] if len(parts) == 1 else b"".join(parts)), status
    finally:
        os.close(descriptor)


def read_limited(
    path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, *, what: str = "file"
) -> bytes:
    """A regular file's bytes, following symlinks (an operator's `-c` may be one).

    Raises OSError (FileNotFoundError, PermissionError, …) when it cannot be opened, and
    InputRefused, in words, for a FIFO, device, socket, directory or a file over `limit`;
    `what` names what the file should be ("cluster.toml", "kubeconfig").
    """
    data, status = read_regular(path, limit, follow_symlinks=True)
    if data is not None:
        return data
    if stat.S_ISDIR(status.st_mode):
        raise InputRefused(f"is a directory — give the path of a {what} file")
    if not stat.S_ISREG(status.st_mode):
        raise InputRefused(
            f"is {file_type_words(status.st_mode)}, not a regular file — not read; give the "
            f"path of a {what} file"
        )
    raise InputRefused(
        f"is larger than {size_words(limit)} — not read; a {what} is a few KiB, so this is not one"
    )


def size_words(size: int) -> str:
    """1048576 → "1 MiB", 2048 → "2 KiB", 100 → "100 bytes"."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


# --- YAML ------------------------------------------------------------------------------------


_NO_ALIASES = "kubeconfigs use no aliases; write the values out, or restore the file"


@cache
def _bounded_loader() -> type[Any]:
    """The loader class, made on first use: PyYAML is imported only when YAML is read (the
    wizard's first screen never reads any)."""
    import yaml
    from yaml.composer import Composer
    from yaml.events import AliasEvent, ScalarEvent

    class _BoundedComposer(Composer):
        """PyYAML's composer, counting aliases, what they expand to, and the nesting depth.

        It sits before the parser in the loader's bases, so with libyaml the events still come
        from C and only the (small) node tree is built in Python.
        """

        yaml_name = "the YAML document"

        if TYPE_CHECKING:
            # The events come from the parser the loader mixes in (Parser or libyaml's CParser).
            def check_event(self, *choices: type[Event]) -> bool: ...
            def peek_event(self) -> Event: ...
            def get_event(self) -> Event: ...

        def _bounds_reset(self) -> None:
            self.anchors = {}
            self._aliases = 0
            self._expansion = 0
            self._depth = 0
            self._size = 0
            self._weights: dict[int, int] = {}

        def _refuse(self, what: str, why: str) -> None:
            raise YAMLRefused(f"{self.yaml_name}: {what} — not read; {why}")

        def compose_node(self, parent: Node | None, index: int) -> Node | None:
            if self.check_event(AliasEvent):
                event = cast(AliasEvent, self.peek_event())  # check_event just said so
                node = self.anchors.get(event.anchor)
                if node is None:
                    return super().compose_node(parent, index)  # PyYAML's "undefined alias"
                self.get_event()
                self._aliases += 1
                if self._aliases > MAX_YAML_ALIASES:
                    self._refuse(f"more than {MAX_YAML_ALIASES} YAML aliases (*name)", _NO_ALIASES)
                weight = self._weights.get(id(node), 1)
                self._expansion += weight
                self._size += weight
                if self._expansion > MAX_YAML_EXPANSION:
                    self._refuse(
                        f"its YAML aliases expand to more than {MAX_YAML_EXPANSION:,} values "
                        "(a “billion laughs” document)",
                        _NO_ALIASES,
                    )
                return node
            before = self._size
            self._size += 1
            if self.check_event(ScalarEvent):
                return super().compose_node(parent, index)
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                self._refuse(
                    f"lists and maps nested more than {MAX_YAML_DEPTH} deep",
                    "a kubeconfig is four levels deep",
                )
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            self._weights[id(node)] = self._size - before  # the node with all it expands to
            return node

    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class BoundedLoader(_BoundedComposer, base):
        """A safe YAML loader (libyaml's when PyYAML has it) with alias and depth limits."""

        def __init__(self, stream: bytes | str) -> None:
            base.__init__(self, stream)
            self._bounds_reset()

    return BoundedLoader


def load_yaml(data: bytes | str, name: str) -> Any:
    """One YAML document, loaded safely within the alias and depth limits.

    Raises YAMLRefused (naming `name`) past the limits, and yaml.YAMLError on bad YAML.
    """
    loader = _bounded_loader()(data)
    loader.yaml_name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# --- values in messages ----------------------------------------------------------------------

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _escaped(character: str) -> str:
    if character in _ESCAPES:
        return _ESCAPES[character]
    code = ord(character)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if code in (0x2028, 0x2029, 0xFEFF) or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"\\u{code:04x}"  # line separators and bidi controls would reshape the message
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate from an undecodable file name
        return f"\\u{code:04x}"
    return character


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """A value for a message: text in double quotes with controls escaped, cut after `limit`
    characters with its full length said; anything else as a bounded repr."""
    if not isinstance(value, str):
        return _SHORT_REPR.repr(value)
    if len(value) <= limit:
        return '"' + "".join(_escaped(c) for c in value) + '"'
    head = "".join(_escaped(c) for c in value[:limit])
    return f'"{head}…" ({len(value):,} characters)'


def quote_repr(value: object, limit: int = QUOTE_CHARS) -> str:
    """Python's repr of a value (controls escaped, strings in single quotes), bounded: a long
    string is cut after `limit` characters with its length said, a big list after a few items."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    return _SHORT_REPR.repr(value) if not isinstance(value, str) else repr(value)


def bare(text: str, limit: int = 200) -> str:
    """Text for a message without quotes when it is short and printable (a path, a URL), else
    `quote(text, limit)`."""
    if len(text) <= limit and text.isprintable():
        return text
    return quote(text, limit)


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel = 3
    short.maxstring = QUOTE_CHARS
    short.maxother = QUOTE_CHARS
    short.maxlong = 40
    for name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque"):
        setattr(short, name, 6)
    return short


_SHORT_REPR = _short_repr()
