"""`distribute --export ansible DIR`: an inventory and a playbook doing what `distribute` does.

For teams that push with Ansible. DIR gets:

- ``inventory.ini``: the hosts in groups etcd, masters, nodes, registry (a host in several
  groups is listed in each), with ansible_host/ansible_user/ansible_port from [deploy] and
  ``ansible_ssh_common_args = -F <deploy.ssh_config>`` when one is set;
- ``host_vars/<address>.yml``: the host's files (source, destination, mode, the units that
  read them) and its missing directories with the mode they get;
- ``files/<address>/<destination>``: each host's copy of its files, as `distribute` sends it
  (kubeconfigs repointed at their places on the host);
- ``playbook.yml``: etcd members and masters ``serial: 1``, the other hosts together; missing
  directories made (``mkdir`` with ``creates``: an existing directory's mode and owner are never
  changed), then ``copy`` with owner, group, mode and ``backup: yes``, notifying a handler that
  restarts the units that read a changed file — only with ``-e kcw_restart=true``, the
  apiserver waited for on /readyz. A CA key is refused on a host that is not a master, as
  `distribute` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from wizard.catalog import RESTARTS
from wizard.deploy import DeploySettings
from wizard.fleet.distribute import HostFiles
from wizard.store import FILE_MODE, OutputFile, write_files

PLAYBOOK = "playbook.yml"
INVENTORY = "inventory.ini"
GROUPS = {"etcd": "etcd", "master": "masters", "node": "nodes", "registry": "registry"}


@dataclass(frozen=True)
class AnsibleExport:
    """What the export wrote."""

    directory: Path
    written: tuple[str, ...]
    backup: str = ""  # the folder an earlier export's changed files were moved to, or ""


def _playbook() -> list[dict[str, object]]:
    tasks: list[dict[str, object]] = [
        {
            "name": "Refuse a CA key on a host that is not a master",
            "ansible.builtin.assert": {
                "that": ["'masters' in group_names or not (kcw_ca_keys | length)"],
                "fail_msg": "a CA key is planned for {{ inventory_hostname }}, not a master",
            },
        },
        {
            "name": "Make the missing directories (existing ones are left as they are)",
            "ansible.builtin.command": {
                "argv": ["mkdir", "-m", "{{ item.mode }}", "--", "{{ item.path }}"],
                "creates": "{{ item.path }}",
            },
            "loop": "{{ kcw_directories }}",
        },
        {
            "name": "Place the files (the old ones kept as FILE.<time>~)",
            "ansible.builtin.copy": {
                "src": "files/{{ inventory_hostname }}{{ item.destination }}",
                "dest": "{{ item.destination }}",
                "owner": "{{ kcw_owner }}",
                "group": "{{ kcw_group }}",
                "mode": "{{ item.mode }}",
                "backup": True,
            },
            "loop": "{{ kcw_files }}",
            "register": "kcw_copied",
            "notify": "restart units",
        },
        {
            "name": "Units to restart: those reading a changed file",
            "ansible.builtin.set_fact": {
                "kcw_to_restart": "{{ kcw_copied.results | selectattr('changed') "
                "| map(attribute='item.units') | flatten | unique }}"
            },
        },
    ]
    handlers: list[dict[str, object]] = [
        {
            "name": "restart units",
            "listen": "restart units",
            "ansible.builtin.systemd": {"name": "{{ item }}", "state": "restarted"},
            "loop": "{{ kcw_to_restart }}",
            "when": "kcw_restart | default(false) | bool",
        },
        {
            "name": "wait for the apiserver",
            "listen": "restart units",
            "ansible.builtin.uri": {
                "url": "https://127.0.0.1:6443/readyz",
                "validate_certs": False,
            },
            "register": "kcw_ready",
            "until": "kcw_ready.status == 200",
            "retries": 60,
            "delay": 2,
            "when": [
                "kcw_restart | default(false) | bool",
                "kcw_to_restart | select('match', '^kube-apiserver') | list | length > 0",
            ],
        },
    ]
    play = {"gather_facts": False, "tasks": tasks, "handlers": handlers}
    return [
        {"name": "etcd members and masters, one at a time", "hosts": "etcd:masters", "serial": 1}
        | play,
        {"name": "the other hosts", "hosts": "all:!etcd:!masters"} | play,
    ]


def _inventory(hosts: list[HostFiles], settings: DeploySettings) -> str:
    lines = []
    for role, group in GROUPS.items():
        members = [h for h in hosts if role in h.roles]
        if not members:
            continue
        lines.append(f"[{group}]")
        for host in members:
            access = settings.access_of(host.address)
            words = [host.address, f"ansible_host={access.ssh}"]
            if access.user:
                words.append(f"ansible_user={access.user}")
            if access.port:
                words.append(f"ansible_port={access.port}")
            if host.name:
                words.append(f"kcw_name={host.name}")
            lines.append(" ".join(words))
        lines.append("")
    lines.append("[all:vars]")
    if settings.ssh_config:
        config = Path(settings.ssh_config).expanduser().resolve()
        lines.append(f"ansible_ssh_common_args='-F {config}'")
    lines.append(f"kcw_owner={settings.owner}")
    lines.append(f"kcw_group={settings.group}")
    return "\n".join(lines) + "\n"


def export_ansible(
    hosts: list[HostFiles], settings: DeploySettings, directory: Path
) -> AnsibleExport:
    """Write the inventory, host_vars, files and playbook under directory (atomically each)."""
    files: list[OutputFile] = []
    for host in hosts:
        entries = []
        for placed in host.files:
            readers = [settings.unit_of(c) for c in placed.readers if c in RESTARTS]
            entries.append(
                {"destination": placed.destination, "mode": f"{placed.mode:04o}", "units": readers}
            )
            files.append(
                OutputFile(f"files/{host.address}{placed.destination}", placed.content, 0o600)
            )
        variables = {
            "kcw_files": entries,
            "kcw_directories": [
                {"path": d, "mode": f"{host.directory_mode(d):04o}"} for d in host.directories()
            ],
            "kcw_ca_keys": [f.destination for f in host.files if f.destination in host.ca_keys],
        }
        text = yaml.safe_dump(variables, sort_keys=False)
        files.append(OutputFile(f"host_vars/{host.address}.yml", text.encode(), FILE_MODE))
    files.append(OutputFile(INVENTORY, _inventory(hosts, settings).encode(), FILE_MODE))
    playbook = yaml.safe_dump(_playbook(), sort_keys=False, width=100)
    files.append(OutputFile(PLAYBOOK, ("---\n" + playbook).encode(), FILE_MODE))
    result = write_files(directory, files, force=True)
    return AnsibleExport(directory, tuple(f.path for f in files), str(result.backup or ""))
