"""The session record: validation is cached, never stale."""

from __future__ import annotations

from wizard.spec import ClusterSpec, Node, validate
from wizard.tui.state import WizardState


def test_problems_follow_every_change_in_place_and_a_new_spec() -> None:
    """An answer changed in place (a host list, a node appended, the key size) or a spec
    replaced is judged again; asking twice for the same answers gives the same problems."""
    state = WizardState(ClusterSpec.example())
    assert state.problems() == validate(state.spec)
    state.spec.hosts.vip[0] = "192.168.214.1/24"
    assert any(p.path == "hosts.vip[0]" for p in state.problems())
    state.spec.hosts.vip[0] = "192.168.214.100"
    assert not any(p.path == "hosts.vip[0]" for p in state.problems())
    state.spec.nodes.append(Node("bad_name!", "10.0.0.9"))
    assert state.problems() == validate(state.spec) != []
    state.spec.key.size = 1000
    assert state.problems() == validate(state.spec)
    other = ClusterSpec.example()
    state.spec = other
    assert state.problems() == validate(other)
    first = state.problems()
    first.clear()  # a caller's list is its own
    assert state.problems() == validate(other)
