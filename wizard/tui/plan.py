"""The preview's tags for the kinds of files in the plan (see wizard.outputs)."""

from __future__ import annotations

KIND_TAGS = {
    "json": "json",
    "cert": "cert",
    "key": "key ",
    "csr": "csr ",
    "pub": "pub ",
    "kubeconfig": "conf",
    "token": "tok ",
    "doc": "doc ",
    "toml": "toml",
}
"""A four-letter tag per kind of file, shown before its name in the list."""
