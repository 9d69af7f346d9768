"""The profiles: classic (the guide), complete (one CA, a current cluster) and kubeadm.

Each lives in the module of its name and is loaded when first asked for: a run on one
profile does not build the others' entries.
"""

from __future__ import annotations

from importlib import import_module

from wizard.catalog.model import Profile

PROFILE_NAMES: tuple[str, ...] = ("classic", "complete", "kubeadm")
"""The profile names, in the order they are offered (cluster.toml's `profile`, --profile);
`wizard.catalog.profiles.<name>` holds each as `<NAME>`."""

_loaded: dict[str, Profile] = {}


def get_profile(name: str) -> Profile:
    """The profile with this name (KeyError if unknown)."""
    profile = _loaded.get(name)
    if profile is None:
        if name not in PROFILE_NAMES:
            raise KeyError(name)
        profile = getattr(import_module(f"{__name__}.{name}"), name.upper())
        _loaded[name] = profile
    return profile


def all_profiles() -> dict[str, Profile]:
    """Every profile by name, in PROFILE_NAMES order (loads those not loaded yet)."""
    return {name: get_profile(name) for name in PROFILE_NAMES}
