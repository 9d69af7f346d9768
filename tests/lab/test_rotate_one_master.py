"""A CA rotation on a cluster with one kube-apiserver: the plan says DOWNTIME before anything
else in every phase that restarts it, and the lab measures how long clients through the VIP
fail (a client loop every 100 ms), while etcd, with three members, loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.etcd_process import leader_hand_over_only
from tests.lab.netlab import MASTERS, Lab
from tests.lab.test_rotate import Live, rotate_live, running

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


@pytest.fixture(scope="module")
def one_master(
    lab: Lab, control_plane: Path, etcd_loop: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The kubeadm profile on master-1 alone, behind the VIP."""
    work = tmp_path_factory.mktemp("rotate-one-master")
    yield from running(lab, control_plane, etcd_loop, work, "kubeadm", (MASTERS[0],))


def test_one_master_says_downtime_up_front_and_the_lab_measures_it(one_master: Live) -> None:
    live = one_master
    report = rotate_live(live, "cluster", downtime=True)
    api = report["loops"]["apiserver via the VIP"]
    outages = api["outages_seconds"]
    # prepare, reissue and finalize each restart the one apiserver: clients fail each time,
    # and the API comes back after each (the loop ran on to the end)
    assert len(outages) >= 2, api
    assert max(outages) < 60, api
    assert api["failed"] < api["requests"] / 2, api
    assert "system:masters" in live.cluster.whoami(live.admin)[1]
    etcd = report["loops"]["etcd (one clientv3 client)"]
    assert leader_hand_over_only(etcd["first"], etcd["requests"], etcd["failed"]), etcd
