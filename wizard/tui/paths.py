"""Paths as the screens show them: as typed, in full, or cut to a width."""

from __future__ import annotations

import os
from pathlib import Path

from rich.cells import cell_len

__all__ = ["display_path", "elide_middle", "elide_path", "full_path", "shorten_left"]


def display_path(path: str | Path) -> str:
    """A directory as the user likely typed it: relative to the working directory when inside
    it, else absolute with `~` for the home directory."""
    text = os.path.abspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive (Windows)
        relative = text
    if relative == "." or not relative.startswith(".."):
        return relative
    home = os.path.expanduser("~")
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def full_path(path: str | Path) -> str:
    """A directory in full: absolute, with `~` for the home directory."""
    text = os.path.abspath(path)
    home = os.path.expanduser("~")
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def shorten_left(path: str, width: int) -> str:
    """`path` cut from the left to fit `width` cells, `…` in front, at a `/` when there is one:
    the end of a path is the part that names it."""
    if cell_len(path) <= width:
        return path
    tail = path[-max(width - 1, 1) :]
    slash = tail.find("/")
    return "…" + (tail[slash:] if slash > 0 else tail)


def elide_middle(path: str, width: int) -> str:
    """`path` cut in the middle to fit `width` cells, `…` where the cut is: the start says
    where it is, the end names it (a notice keeps both)."""
    if cell_len(path) <= width:
        return path
    width = max(width, 3)
    head = (width - 1) // 3
    tail = width - 1 - head
    return path[:head] + "…" + path[-tail:]


def elide_path(path: str, width: int) -> str:
    """`path` cut to fit `width` cells keeping its file name whole when it fits
    (`clus…/cluster.toml`): the name says which file, the start where it is."""
    if cell_len(path) <= width:
        return path
    head, slash, name = path.rpartition("/")
    if not slash or cell_len(name) > width:
        return elide_middle(path, width)
    if cell_len(name) + 2 > width:
        return ("…" + name)[-width:] if cell_len(name) < width else name
    room = width - cell_len(name) - 2
    return f"{head[:room]}…/{name}"
