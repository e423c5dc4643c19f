"""`%local start --masters N` with no --zk and no $MESOS_ZK: the embedded Mesos starts a ZooKeeper of
its own (Debian's package) on loopback, with its data under the kernel's state dir, and no Java
process is left once it stops: after `%local stop`, after the last kernel leaves for good, and
after mesos-local is killed outright. Without ZooKeeper the error says how to install it."""

import json
import os
import pathlib
import signal
import time

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, execute, stdout_text


def kernel_env(state):
    env = dict(os.environ, MESOS_KERNEL_STATE_DIR=str(state))
    for name in ("MESOS_MASTER", "MESOS_ZK"):
        env.pop(name, None)
    return env


def text(msgs):
    """Every text/plain and stream text of a cell's IOPub messages."""
    parts = [stdout_text(msgs)]
    for m in msgs:
        if m["msg_type"] in ("execute_result", "display_data"):
            parts.append(m["content"]["data"].get("text/plain", ""))
    return "\n".join(parts)


def run(kc, code, ok=True):
    reply, msgs = execute(kc, code, timeout=150)
    assert (reply["content"]["status"] == "ok") == ok, reply["content"]
    return reply, msgs


def alive(pid):
    """Running and not a zombie."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid, what, timeout=30):
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"{what} (pid {pid}) still runs after {timeout} s"
        time.sleep(0.05)


def zookeepers(state):
    """PIDs of live ZooKeeper servers whose configuration lies under `state`."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"org.apache.zookeeper.server.ZooKeeperServerMain" in argv and any(
            a.decode(errors="replace").startswith(str(state)) for a in argv
        ) and alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def parent(pid):
    return int(pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])


def start_three_masters(kc, state):
    """`%local start --masters 3` with no ZooKeeper named; returns (mesos-local pid, java pid)."""
    _, msgs = run(kc, "%local start --masters 3")
    said = text(msgs)
    assert "3 masters electing through zk://127.0.0.1:" in said and "its own ZooKeeper" in said, said
    record = json.loads((state / "local-mesos.json").read_text())
    [java] = zookeepers(state)
    assert parent(java) == record["pid"], "the ZooKeeper is mesos-local's own child"
    assert (state / "zookeeper" / "conf" / "zoo.cfg").is_file()
    return record["pid"], java


def test_own_zookeeper_elects_and_stops_with_local_stop(tmp_path):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=kernel_env(tmp_path))
    try:
        mesos, java = start_three_masters(kc, tmp_path)
        _, msgs = run(kc, "%connect local\n%leader")
        said = text(msgs)
        assert "connected: zk://127.0.0.1:" in said and said.count("json.info_") == 3, said
        _, msgs = run(kc, "%local stop")
        assert "stopped the embedded Mesos" in text(msgs)
        wait_gone(mesos, "mesos-local")
        assert not alive(java), "the ZooKeeper outlived %local stop"
        assert zookeepers(tmp_path) == []
        # Twice in one kernel: a fresh ZooKeeper each time.
        mesos, java2 = start_three_masters(kc, tmp_path)
        assert java2 != java
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    # The last kernel leaving for good stops the embedded Mesos and its ZooKeeper.
    wait_gone(mesos, "mesos-local after the last kernel left")
    wait_gone(java2, "its ZooKeeper after the last kernel left")


def test_own_zookeeper_dies_with_a_killed_mesos_local(tmp_path):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=kernel_env(tmp_path))
    try:
        mesos, java = start_three_masters(kc, tmp_path)
        os.kill(mesos, signal.SIGKILL)
        wait_gone(java, "the ZooKeeper of a SIGKILLed mesos-local")
        wait_gone(mesos, "mesos-local")
        _, msgs = run(kc, "%local status")
        assert "not running" in text(msgs), text(msgs)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_missing_zookeeper_says_how_to_install_it(tmp_path):
    env = kernel_env(tmp_path)
    env["ZOOKEEPER_JAR"] = str(tmp_path / "no" / "zookeeper.jar")
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
    try:
        reply, _ = run(kc, "%local start --masters 3", ok=False)
        error = reply["content"]["evalue"]
        assert "apt-get install zookeeper" in error and str(tmp_path / "no" / "zookeeper.jar") in error, error
        assert not (tmp_path / "local-mesos.json").exists()
        # The kernel keeps serving, and one master needs no ZooKeeper.
        _, msgs = run(kc, "%local start")
        assert "started embedded Mesos" in text(msgs)
        run(kc, "%local stop")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
