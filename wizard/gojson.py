"""Go ``encoding/json`` text for plain Python values.

``marshal_indent(v)`` gives the bytes of Go's ``json.MarshalIndent(v, "", "  ")`` (as built with
Go 1.19, the toolchain of Debian's cfssl 1.2), decoded as text. Go escapes differently from
:func:`json.dumps`: ``<`` ``>`` ``&`` become ``\\u003c`` ``\\u003e`` ``\\u0026``, U+2028/U+2029 are
escaped, control characters other than ``\\n`` ``\\r`` ``\\t`` become ``\\u00XX`` (lowercase hex; Go
1.19 has no ``\\b``/``\\f`` short forms) and every other non-ASCII character is written raw.

Strings decoded with ``errors="surrogateescape"`` may hold lone surrogates standing for bytes that
are not UTF-8; Go writes each such byte as ``\\ufffd``, and so does this module (for any surrogate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["marshal_indent", "quote"]

_INDENT = "  "


def _build_escapes() -> dict[int, str]:
    table: dict[int, str] = {cp: f"\\u{cp:04x}" for cp in range(0x20)}
    table.update(
        {
            ord("\n"): "\\n",
            ord("\r"): "\\r",
            ord("\t"): "\\t",
            ord('"'): '\\"',
            ord("\\"): "\\\\",
            ord("<"): "\\u003c",
            ord(">"): "\\u003e",
            ord("&"): "\\u0026",
            0x2028: "\\u2028",
            0x2029: "\\u2029",
        }
    )
    # Lone surrogates: bytes that were not valid UTF-8 (Go writes the escape, not U+FFFD raw).
    table.update({cp: "\\ufffd" for cp in range(0xD800, 0xE000)})
    return table


_ESCAPES = _build_escapes()


def quote(text: str) -> str:
    """Return ``text`` as a Go JSON string literal, quotes included."""
    return '"' + text.translate(_ESCAPES) + '"'


def _encode(value: object, depth: int, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        inner = "\n" + _INDENT * (depth + 1)
        out.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
            out.append(inner if first else "," + inner)
            first = False
            out.append(quote(key))
            out.append(": ")
            _encode(item, depth + 1, out)
        out.append("\n" + _INDENT * depth + "}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if not value:
            out.append("[]")
            return
        inner = "\n" + _INDENT * (depth + 1)
        out.append("[")
        for index, item in enumerate(value):
            out.append(inner if index == 0 else "," + inner)
            _encode(item, depth + 1, out)
        out.append("\n" + _INDENT * depth + "]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as Go JSON")


def marshal_indent(value: object) -> str:
    """Return Go's ``json.MarshalIndent(value, "", "  ")`` text, without a trailing newline.

    Supports dict (insertion order kept), list/tuple, str, int, bool and None.
    """
    out: list[str] = []
    _encode(value, 0, out)
    return "".join(out)
