"""High availability end to end through jupyter_client: three embedded masters registered in a
real ZooKeeper that mesos-local starts itself (`mesos-local --masters 3 --zk auto`), and a kernel whose MESOS_MASTER is the zk://
URL. The kernel finds the leader through ZooKeeper, `%leader` lists the masters and their nodes,
and when the leader is killed the framework follows the new one with the same id and its running
task, and `%status` says that the leader changed."""

import os
import urllib.request

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import (
    FIRST_CELL_TIMEOUT,
    KERNEL_NAME,
    execute,
    master_json,
    mesos_local,
    result,
    rows,
    run,
    stop_mesos_local,
    wait_until,
)

WAIT = 60


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Three masters in one mesos-local, electing their leader through its own ZooKeeper."""
    work = tmp_path_factory.mktemp("ha-work")
    proc, url = mesos_local("--masters", "3", "--zk", "auto", "--zk-dir", str(work / "zookeeper"),
                            "--heartbeat-interval", "1", "--allocation-interval", "0.2",
                            "--zk-session-timeout", "4", "--work-dir", str(work))  # fmt: skip
    zk = proc.stdout.readline().strip()  # its second line: the ZooKeeper's URL
    assert zk.startswith("zk://127.0.0.1:"), zk
    try:
        yield {"url": url, "zk": zk}
    finally:
        stop_mesos_local(proc)


@pytest.fixture(scope="module")
def hk(cluster, tmp_path_factory):
    """A kernel whose MESOS_MASTER is the zk:// URL."""
    env = dict(
        os.environ,
        MESOS_MASTER=cluster["zk"],
        MESOS_KERNEL_STATE_DIR=str(tmp_path_factory.mktemp("ha-kernel-state")),
    )
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
    try:
        reply = execute(kc, "1", timeout=FIRST_CELL_TIMEOUT)[0]
        assert reply["content"]["status"] == "ok", reply
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def leader_table(kc):
    """`%leader`'s rows as {master url: (leading, znode)}."""
    _, msgs = run(kc, "%leader")
    out = {}
    for r in rows(result(msgs)["text/plain"]):
        cells = r.split()
        leading = len(cells) > 1 and cells[1] == "yes"
        out[cells[0]] = (leading, next(c for c in cells if c.startswith("json.info_")))
    return out


def test_connect_through_zookeeper_and_list_the_masters(hk, cluster):
    _, msgs = run(hk, "%connect", timeout=90)
    assert cluster["zk"] in result(msgs)["text/plain"]
    masters = leader_table(hk)
    assert len(masters) == 3, masters
    leaders = [u for u, (leading, _) in masters.items() if leading]
    assert len(leaders) == 1
    # The lowest node leads, and the masters agree: each redirects to that one.
    nodes = sorted(masters.items(), key=lambda kv: kv[1][1])
    assert nodes[0][0] == leaders[0]
    for url in masters:
        assert master_json(url, "/master/state")["leader"].endswith(leaders[0].split("//")[1]), url


def test_the_framework_follows_a_failover_with_its_task(hk, cluster):
    run(hk, "%connect", timeout=90)  # re-running only reports
    run(hk, "%subscribe --name ha-test --failover-timeout 5m")
    _, msgs = run(hk, "%launch --name survivor --cpus 0.1 --mem 32 --wait TASK_RUNNING -- sleep 600", timeout=90)
    before = leader_table(hk)
    old = next(u for u, (leading, _) in before.items() if leading)
    framework_id = master_json(old, "/master/state")["frameworks"][0]["id"]
    req = urllib.request.Request(old + "/__local/kill_leader", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200

    # No event reaches the test when the session moves: a bounded poll of what %status shows.
    seen = []

    def status_moved():
        _, msgs = run(hk, "%status")
        seen.append(result(msgs)["text/plain"])
        return "leader changes" in seen[-1] and "subscribed" in seen[-1]

    wait_until(status_moved, timeout=WAIT, what="%status to show the leader change")
    text = seen[-1]
    assert framework_id in text
    after = leader_table(hk)
    assert old not in after and len(after) == 2, after
    new = next(u for u, (leading, _) in after.items() if leading)
    state = master_json(new, "/master/state")
    mine = [f for f in state["frameworks"] if f["id"] == framework_id]
    assert len(mine) == 1, state["frameworks"]
    assert [t["state"] for t in mine[0]["tasks"] if t["name"] == "survivor"] == ["TASK_RUNNING"]
    # The row names the move: from the old leader to the new one.
    row = next(line for line in text.splitlines() if line.startswith("leader changes"))
    assert old.split("//")[1] in row and new.split("//")[1] in row, row
    run(hk, "%teardown")
