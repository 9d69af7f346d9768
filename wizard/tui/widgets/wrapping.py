"""Where a line may break: between words or CJK characters, never inside a flag or file name.

Rich and Textual break at spaces and fold anything longer, so a flag beside a Chinese comma
(`kubelet、--cert-file`) could be split mid-word, and a Chinese sentence after one space moves
whole to the next line. `word_breaks` breaks between words and between CJK characters (keeping
their punctuation with them); only a word wider than the whole width is cut, as a last resort.
Learn the layout's WordGrid and the HangingIndent text of the help and the renewal share it.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

__all__ = ["WORD", "word_breaks"]

_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_OPENING = "（「『《"
_CLOSING = "，。、：；）」』》！？"
WORD = re.compile(rf"[{_OPENING}]*(?:[{_CJK}]|[^\s{_CJK}]+)[{_CLOSING}]*")
"""What a line may not be broken inside: a run without spaces (a flag, a file name, an English
word) or one CJK character, with the punctuation that sticks to it."""


def word_breaks(plain: str, width: int) -> list[int]:
    """The offsets at which to break one line of text (no newline in it) so that each part is
    at most `width` cells wide once its trailing spaces are stripped."""
    breaks: list[int] = []
    used = 0  # cells on the current line, to the end of its last word
    end = 0
    for match in WORD.finditer(plain):
        start = match.start()
        gap, size = cell_len(plain[end:start]), cell_len(match.group())
        if used and used + gap + size > width:
            breaks.append(start)
            used = gap = 0
        if not used and size > width:  # a word wider than the line: cut it
            for offset, character in enumerate(match.group()):
                if used and used + cell_len(character) > width:
                    breaks.append(start + offset)
                    used = 0
                used += cell_len(character)
        else:
            used += gap + size
        end = match.end()
    return breaks
