"""The `[deploy]` table of cluster.toml: how the jump host reaches each host, and what it restarts.

Everything here is optional. Without it `distribute`, `check` and `probe` connect as
`ssh <address>` with the operator's own OpenSSH configuration (``~/.ssh/config``, the agent,
``ProxyJump``, known_hosts), and put files where DISTRIBUTION.md says. Nothing here can turn
host-key checking off or hold a password: OpenSSH options that would are refused by name.

    [deploy]
    user = "root"                  # ssh -l; default: whatever ~/.ssh/config says
    port = 22                      # ssh -p
    ssh_config = "lab/ssh_config"  # ssh -F; default: ~/.ssh/config
    parallel = 10                  # hosts at once
    owner = "root"                 # owner:group of the files placed
    group = "root"
    restart_command = "systemctl restart {unit}"        # how `distribute --restart` restarts
    health_command = "systemctl is-active --quiet {unit}"  # …and waits for health
    # `distribute --rotation`: each apiserver out of the load balancer before its restart
    # and back after its health check, run on the jump host ({name} {address}: the master)
    drain_command = "ssh lb1 'echo disable server k8s/{name} | socat stdio /run/haproxy.sock'"
    undrain_command = "ssh lb1 'echo enable server k8s/{name} | socat stdio /run/haproxy.sock'"

    [deploy.units]                 # systemd units restarted by `distribute --restart`
    kube-apiserver = "kube-apiserver.service"

    [[deploy.hosts]]               # one host reached differently
    address = "192.168.214.200"    # the address in [hosts] / [[nodes]]
    ssh = "master-1.example"       # what to dial instead (a name ~/.ssh/config knows)
    user = "admin"
    port = 2222
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wizard.bounds import bare, quote, quote_repr

MAX_PARALLEL = 64

COMPONENT_UNITS: dict[str, str] = {
    "etcd": "etcd.service",
    "kube-apiserver": "kube-apiserver.service",
    "kube-controller-manager": "kube-controller-manager.service",
    "kube-scheduler": "kube-scheduler.service",
    "kubelet": "kubelet.service",
    "kube-proxy": "kube-proxy.service",
}
"""The unit each component runs as when cluster.toml does not say (the guide's unit files)."""

# OpenSSH options that would weaken what the operator's configuration checks, or ask for a
# password on a terminal nobody is watching; `distribute` never passes them.
REFUSED_SSH_OPTIONS = {
    "stricthostkeychecking": "host keys are always checked (known_hosts); add the host's key "
    "with ssh-keyscan after verifying it",
    "userknownhostsfile": "use ssh_config = FILE with a UserKnownHostsFile line instead",
    "passwordauthentication": "passwords are never used: load a key into ssh-agent",
    "batchmode": "BatchMode is always on: nothing may wait for a typed password",
}

_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}\$?", re.IGNORECASE)
_DESTINATION = re.compile(r"[A-Za-z0-9._:%\[\]-]{1,253}")
_UNIT = re.compile(r"[A-Za-z0-9:_.@\\-]{1,255}")
_OPTION = re.compile(r"([A-Za-z]+)=(\S.*)")


@dataclass
class HostAccess:
    """How one host is reached when it differs from [deploy]'s defaults."""

    address: str = ""
    ssh: str = ""  # the ssh destination; "" = the address itself
    user: str = ""
    port: int = 0


@dataclass
class DeploySettings:
    """[deploy]: the defaults for every host, per-host overrides and the units to restart."""

    user: str = ""
    port: int = 0
    ssh_config: str = ""
    ssh_options: list[str] = field(default_factory=list)
    parallel: int = 10
    owner: str = "root"
    group: str = "root"
    units: dict[str, str] = field(default_factory=dict)
    hosts: list[HostAccess] = field(default_factory=list)
    restart_command: str = ""  # "" = systemctl restart {unit}
    health_command: str = ""  # "" = systemctl is-active (and the apiserver's /readyz)
    drain_command: str = ""  # on the jump host, {name} {address}: an apiserver out of the LB
    undrain_command: str = ""  # …and back in

    def access_of(self, address: str) -> HostAccess:
        """The way to reach one host: its override merged over the defaults."""
        own = next((h for h in self.hosts if h.address == address), HostAccess(address))
        return HostAccess(
            address,
            own.ssh or address,
            own.user or self.user,
            own.port or self.port,
        )

    def unit_of(self, component: str) -> str:
        """The systemd unit a component runs as on its hosts."""
        return self.units.get(component) or COMPONENT_UNITS.get(component, f"{component}.service")

    def is_default(self) -> bool:
        """True when cluster.toml has no [deploy] table worth writing back."""
        return self == DeploySettings()

    def to_dict(self) -> dict[str, Any]:
        """The table as cluster.toml writes it (defaults left out)."""
        default = DeploySettings()
        data: dict[str, Any] = {}
        for name in (
            "user", "port", "ssh_config", "ssh_options", "parallel", "owner", "group",
            "restart_command", "health_command", "drain_command", "undrain_command",
        ):  # fmt: skip
            value = getattr(self, name)
            if value != getattr(default, name):
                data[name] = value
        if self.units:
            data["units"] = dict(self.units)
        if self.hosts:
            data["hosts"] = [
                {k: v for k, v in vars(h).items() if v not in ("", 0)} for h in self.hosts
            ]
        return data


_SCALARS: dict[str, type] = {
    "user": str,
    "port": int,
    "ssh_config": str,
    "parallel": int,
    "owner": str,
    "group": str,
    "restart_command": str,
    "health_command": str,
    "drain_command": str,
    "undrain_command": str,
}
_KEYS = (*_SCALARS, "ssh_options", "units", "hosts")
_HOST_KEYS = ("address", "ssh", "user", "port")


def deploy_from_dict(value: object, messages: list[str]) -> DeploySettings:
    """[deploy] from parsed TOML; type errors are appended to messages, naming the key."""
    settings = DeploySettings()
    if not isinstance(value, dict):
        messages.append("deploy: should be a table — write [deploy] on a line of its own")
        return settings
    for key, item in value.items():
        path = f"deploy.{bare(key)}"
        if key in _SCALARS:
            expected = _SCALARS[key]
            if expected is int and (isinstance(item, bool) or not isinstance(item, int)):
                messages.append(f"{path}: {quote_repr(item)} should be a whole number")
            elif expected is str and not isinstance(item, str):
                messages.append(f"{path}: {quote_repr(item)} should be text in quotes")
            else:
                setattr(settings, key, item)
        elif key == "ssh_options":
            if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
                messages.append(f'{path}: should be a list of strings, e.g. ["ProxyJump=bastion"]')
            else:
                settings.ssh_options = list(item)
        elif key == "units":
            if not isinstance(item, dict) or not all(isinstance(x, str) for x in item.values()):
                messages.append(
                    f'{path}: should be a table of component = "unit", e.g. '
                    '[deploy.units] with kube-apiserver = "kube-apiserver.service"'
                )
            else:
                settings.units = dict(item)
        elif key == "hosts":
            settings.hosts = _hosts_from(item, messages)
        else:
            messages.append(f"{path}: unknown key — deploy has {', '.join(_KEYS)}")
    return settings


def _hosts_from(value: object, messages: list[str]) -> list[HostAccess]:
    if not isinstance(value, list):
        messages.append("deploy.hosts: should be a list of tables — write [[deploy.hosts]]")
        return []
    hosts = []
    for index, item in enumerate(value):
        path = f"deploy.hosts[{index}]"
        if not isinstance(item, dict):
            messages.append(f"{path}: should be a table with address and ssh, user or port")
            continue
        access = HostAccess()
        for key, field_value in item.items():
            if key not in _HOST_KEYS:
                messages.append(
                    f"{path}.{bare(key)}: unknown key — a host has {', '.join(_HOST_KEYS)}"
                )
            elif key == "port":
                if isinstance(field_value, bool) or not isinstance(field_value, int):
                    messages.append(f"{path}.port: {quote_repr(field_value)} should be a number")
                else:
                    access.port = field_value
            elif not isinstance(field_value, str):
                messages.append(f"{path}.{key}: {quote_repr(field_value)} should be text")
            else:
                setattr(access, key, field_value)
        hosts.append(access)
    return hosts


def validate_deploy(settings: DeploySettings, addresses: list[str]) -> list[tuple[str, str]]:
    """Problems of [deploy] as (field path, message); addresses are the cluster's hosts."""
    problems: list[tuple[str, str]] = []
    for name in ("port",):
        port = getattr(settings, name)
        if port and not 1 <= port <= 65535:
            problems.append((f"deploy.{name}", f"{port} is not a port — use 1-65535, e.g. 22"))
    if not 1 <= settings.parallel <= MAX_PARALLEL:
        problems.append(
            (
                "deploy.parallel",
                f"{settings.parallel} hosts at once — use 1 to {MAX_PARALLEL} (10 is "
                "Ansible's default)",
            )
        )
    for name in ("user", "owner", "group"):
        value = getattr(settings, name)
        if value and not _USER.fullmatch(value):
            problems.append(
                (f"deploy.{name}", f"{quote(value)} is not a user or group name on Linux")
            )
    for name in ("restart_command", "health_command"):
        command = getattr(settings, name)
        needs_unit = name == "restart_command" and "{unit}" not in command
        if command and (needs_unit or "\n" in command or "\0" in command):
            problems.append(
                (f"deploy.{name}", f"{quote(command)} should be one line naming {{unit}}, e.g. "
                 '"systemctl restart {unit}"')
            )  # fmt: skip
    problems += _drain_problems(settings)
    if "\n" in settings.ssh_config or "\0" in settings.ssh_config:
        problems.append(("deploy.ssh_config", "a path on one line, without NUL"))
    for index, option in enumerate(settings.ssh_options):
        path = f"deploy.ssh_options[{index}]"
        match = _OPTION.fullmatch(option)
        if match is None or "\n" in option:
            problems.append(
                (path, f"{quote(option)} is not an OpenSSH option — write Name=value, e.g. "
                 '"ProxyJump=bastion"')
            )  # fmt: skip
        elif match.group(1).lower() in REFUSED_SSH_OPTIONS:
            problems.append(
                (path, f"{quote(option)} is not allowed: "
                 f"{REFUSED_SSH_OPTIONS[match.group(1).lower()]}")
            )  # fmt: skip
    for component, unit in settings.units.items():
        if component not in COMPONENT_UNITS:
            problems.append(
                (
                    f"deploy.units.{bare(component)}",
                    f"unknown component — units are for {', '.join(COMPONENT_UNITS)}",
                )
            )
        elif not _UNIT.fullmatch(unit) or unit.startswith("-"):
            problems.append(
                (f"deploy.units.{component}", f"{quote(unit)} is not a systemd unit name")
            )
    seen: dict[str, int] = {}
    for index, access in enumerate(settings.hosts):
        path = f"deploy.hosts[{index}]"
        if access.address not in addresses:
            problems.append(
                (
                    f"{path}.address",
                    f"{quote(access.address)} is not a host of this cluster — use an address "
                    "from [hosts] or [[nodes]]",
                )
            )
        elif access.address in seen:
            first = seen[access.address]
            problems.append(
                (f"{path}.address", f"{quote(access.address)} repeats deploy.hosts[{first}]")
            )
        else:
            seen[access.address] = index
        if access.ssh and (not _DESTINATION.fullmatch(access.ssh) or access.ssh.startswith("-")):
            problems.append(
                (f"{path}.ssh", f"{quote(access.ssh)} is not a host name or address to dial")
            )
        if access.user and not _USER.fullmatch(access.user):
            problems.append((f"{path}.user", f"{quote(access.user)} is not a user name"))
        if access.port and not 1 <= access.port <= 65535:
            problems.append((f"{path}.port", f"{access.port} is not a port — use 1-65535"))
    return problems


DRAIN_EXAMPLES = {
    "drain_command": "ssh lb1 'echo disable server k8s/{name} | socat stdio /run/haproxy.sock'",
    "undrain_command": "ssh lb1 'echo enable server k8s/{name} | socat stdio /run/haproxy.sock'",
}


def _drain_problems(settings: DeploySettings) -> list[tuple[str, str]]:
    """drain_command and undrain_command: both or neither, each one line naming the master."""
    problems = []
    given = {name: getattr(settings, name) for name in DRAIN_EXAMPLES}
    for name, command in given.items():
        other = next(n for n in DRAIN_EXAMPLES if n != name)
        if not command:
            if given[other]:
                problems.append(
                    (f"deploy.{name}", f"missing — deploy.{other} is set, and an apiserver "
                     f"taken out of the balancer must be put back; add {name} = "
                     f"{quote(DRAIN_EXAMPLES[name])}, or drop {other}")
                )  # fmt: skip
            continue
        if (
            "\n" in command
            or "\0" in command
            or not any(p in command for p in ("{name}", "{address}"))
        ):
            problems.append(
                (f"deploy.{name}", f"{quote(command)} should be one line naming the master as "
                 f"{{name}} or {{address}}, e.g. {quote(DRAIN_EXAMPLES[name])}")
            )  # fmt: skip
    return problems
