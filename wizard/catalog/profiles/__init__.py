"""The profiles: classic (the guide), complete (one CA, a current cluster) and kubeadm."""

from __future__ import annotations

from wizard.catalog.model import Profile
from wizard.catalog.profiles.classic import CLASSIC
from wizard.catalog.profiles.complete import COMPLETE
from wizard.catalog.profiles.kubeadm import KUBEADM

PROFILES: dict[str, Profile] = {p.name: p for p in (CLASSIC, COMPLETE, KUBEADM)}
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)
"""The profile names, in the order they are offered (cluster.toml's `profile`, --profile)."""


def get_profile(name: str) -> Profile:
    """The profile with this name (KeyError if unknown)."""
    return PROFILES[name]
