"""Who signed what, as a tree: the CAs of a reviewed directory with what each one signed."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.review.model import Review, ReviewedFile, certificate_holders, primary

__all__ = ["CaNode", "ca_tree"]


@dataclass
class CaNode:
    """A certificate in the tree of who signed what, with what it signed."""

    index: int
    record: ReviewedFile
    copies: list[str]
    children: list[CaNode] = field(default_factory=list)


def ca_tree(review: Review) -> tuple[list[CaNode], list[CaNode]]:
    """The self-signed certificates with everything they signed, and the certificates whose
    issuer is not in the directory. Each distinct certificate appears once, under the file that
    holds it on its own (copies inside kubeconfigs are listed as `copies`)."""
    position = {id(record): index for index, record in enumerate(review.files)}
    nodes: dict[str, CaNode] = {}
    order: list[CaNode] = []
    for holders in certificate_holders(review.files).values():
        first = primary(holders)
        copies = list(dict.fromkeys(r.ref for r in holders if r is not first))
        node = CaNode(position[id(first)], first, copies)
        nodes.setdefault(first.ref, node)
        order.append(node)
    roots: list[CaNode] = []
    orphans: list[CaNode] = []
    for node in order:
        record = node.record
        parent = nodes.get(record.issued_by or "")
        if record.self_signed or (parent is None and record.issued_by is None):
            (roots if record.self_signed else orphans).append(node)
        elif parent is not None and parent is not node:
            parent.children.append(node)
        else:
            orphans.append(node)
    return roots, orphans
