"""`layout`: the teaching text — the eight sets, components and files, identities, bootstrap —
wrapped to the terminal (or COLUMNS, or 80 when piped), one block per table row."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import unicodedata
from typing import TYPE_CHECKING

from wizard.cli.common import PROFILE_CHOICES, ExamplesHelpFormatter, load_valid_spec
from wizard.exit_codes import OK

if TYPE_CHECKING:
    from wizard.layout import Section

DEFAULT_SPEC = "cluster.toml"
WIDEST = 100
"""Prose is hard to read wider than this, however wide the terminal."""
NARROWEST = 40
INDENT = 3
NOTES = {
    "en": {
        "own": "explaining ./cluster.toml (-c FILE for another)",
        "guide": "no ./cluster.toml here: explaining the guide's cluster "
        "(-c FILE for yours, or `k8s-cert-wizard init` to write one)",
    },
    "zh": {
        "own": "讲解 ./cluster.toml（用 -c FILE 讲解其他文件）",
        "guide": "当前目录没有 cluster.toml：讲解指南中的集群"
        "（用 -c FILE 讲解你的集群，或运行 `k8s-cert-wizard init` 生成一个）",
    },
}
EXAMPLES = """\
examples:
  # ./cluster.toml if there is one, else the guide's cluster
  k8s-cert-wizard layout
  # your cluster's files and identities
  k8s-cert-wizard layout -c site/cluster.toml
  # every certificate a current cluster needs
  k8s-cert-wizard layout --profile complete
  # in Simplified Chinese, through a pager
  k8s-cert-wizard layout --lang zh | less
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `layout` subcommand."""
    layout = commands.add_parser(
        "layout",
        help="explain the eight certificate sets, who uses which file, and why",
        description="Explain the certificates of a cluster: the eight sets a Kubernetes "
        "cluster verifies, each file of the profile with its subject and users, the "
        "identities RBAC sees, each component's flags, and TLS bootstrapping. Reads "
        "./cluster.toml when there is one, else explains the guide's cluster. The text is "
        "wrapped to the terminal (COLUMNS, or 80 columns when piped).",
        epilog=EXAMPLES,
        formatter_class=ExamplesHelpFormatter,
    )
    layout.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="explain this cluster (default: ./cluster.toml if there is one, else the guide's)",
    )
    layout.add_argument(
        "--profile", choices=PROFILE_CHOICES, help="the profile to explain (default: the file's)"
    )
    layout.add_argument(
        "--lang", choices=("en", "zh"), help="language (default: from LANG; zh = 简体中文)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the text for the given cluster, ./cluster.toml, or the guide's."""
    from wizard.layout import TEXT, layout_sections, pick_language
    from wizard.spec import ClusterSpec

    language = pick_language(args.lang)
    if args.config:
        spec = load_valid_spec(args.config, args.profile)
    elif os.path.isfile(DEFAULT_SPEC):
        print(NOTES[language]["own"], file=sys.stderr)
        spec = load_valid_spec(DEFAULT_SPEC, args.profile)
    else:
        print(NOTES[language]["guide"], file=sys.stderr)
        spec = ClusterSpec.example()
        if args.profile:
            spec.profile = args.profile
    width = max(NARROWEST, min(WIDEST, shutil.get_terminal_size((80, 24)).columns))
    sys.stdout.write(render(TEXT[language]["title"], layout_sections(spec, language), width))
    return OK


def render(title: str, sections: list[Section], width: int) -> str:
    """The sections as plain text no line of which is wider than `width` columns."""
    lines = [*wrap(title, width), "=" * min(width, display_width(title)), ""]
    for section in sections:
        lines += [*wrap(section.title, width), "-" * min(width, display_width(section.title))]
        if section.intro:
            lines += [*wrap(section.intro, width), ""]
        lines += _table(section.rows, width)
    return "\n".join(lines) + "\n"


def _table(rows: list[list[str]], width: int) -> list[str]:
    """A table as one block a row: the first cell (with its number) as the heading, the other
    cells under it as `label  value`, values wrapped with a hanging indent."""
    header, *body = rows
    numbered = header[0] == "#"
    labels = header[2:] if numbered else header[1:]
    label_width = min(max((display_width(label) for label in labels), default=0), width // 3)
    lines: list[str] = []
    for row in body:
        if numbered:
            heading, cells = f"{row[0]}. {row[1]}", row[2:]
            lines += wrap(heading, width, hang=len(row[0]) + 2)
        else:
            heading, cells = row[0], row[1:]
            lines += wrap(heading, width)
        if len(labels) == 1 and not numbered:  # a list ("; "), one item a line
            for item in cells[0].split("; "):
                lines += wrap(item, width, first=" " * INDENT, hang=INDENT + 2)
            lines.append("")
            continue
        for label, cell in zip(labels, cells, strict=False):
            lead = " " * INDENT + pad(label, label_width) + "  "
            lines += wrap(cell, width, first=lead, hang=display_width(lead))
        if cells or not numbered:
            lines.append("")
    if numbered and not labels:
        lines.append("")
    return lines


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """The text padded with spaces to `width` columns."""
    return text + " " * max(0, width - display_width(text))


NO_BREAK_BEFORE = "，。；：、）」』！？”’"
NO_BREAK_AFTER = "（「『“‘"


def _tokens(text: str) -> list[str]:
    """Words, single spaces and single wide characters: a line may break before any but a
    space, and between two wide characters (Chinese has no spaces) — but not before a
    closing mark such as ，or 。, nor after an opening one such as （."""
    tokens: list[str] = []
    word = ""
    for char in text:
        wide = unicodedata.east_asian_width(char) in "WF"
        if char in NO_BREAK_BEFORE and (word or (tokens and tokens[-1] != " ")):
            if word:
                word += char
            else:
                tokens[-1] += char
        elif char == " " or wide:
            if word:
                tokens.append(word)
                word = ""
            if tokens and tokens[-1][-1:] in NO_BREAK_AFTER:
                tokens[-1] += char
            else:
                tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int, *, first: str = "", hang: int = 0) -> list[str]:
    """`text` in lines of at most `width` columns: the first starts with `first`, the others
    with `hang` spaces; a word wider than a line is cut."""
    lines: list[str] = []
    line, used = first, display_width(first)
    start = used
    for token in _tokens(text):
        size = display_width(token)
        if token == " ":
            if used > start and used + 1 <= width:
                line, used = line + " ", used + 1
            continue
        if used + size > width and used > start:
            lines.append(line.rstrip())
            line, used = " " * hang, hang
            start = hang
        while used + size > width:  # longer than a whole line: cut it
            room = max(1, width - used)
            piece = _cut(token, room)
            lines.append(line + piece)
            token = token[len(piece) :]
            size = display_width(token)
            line, used = " " * hang, hang
            start = hang
        line, used = line + token, used + size
    lines.append(line.rstrip())
    return lines


def _cut(token: str, room: int) -> str:
    """The longest start of `token` that fits in `room` columns (one character at least)."""
    taken, used = "", 0
    for char in token:
        size = display_width(char)
        if used + size > room and taken:
            break
        taken, used = taken + char, used + size
    return taken
