"""The Mesos magics end to end through jupyter_client, against the embedded local Mesos.

The kernel runs with its own MESOS_KERNEL_STATE_DIR so the embedded Mesos it starts is private
to this module; the fixture kills it (by the PID in the state file) if a test left it running.
"""

import re
import time

from conftest import (
    FIRST_CELL_TIMEOUT,
    STATE_FILE,
    alive,
    complete,
    connect,
    drain_iopub,
    ensure_task,
    local_record,
    master_json,
    outputs,
    result,
    run,
    shell_reply,
    subscribe,
    text_of,
    wait_exit,
    wait_until,
)

FRAMEWORK = "nbtest"


def plain(v):
    """A number as the tables print it: 4, 0.5, 15360."""
    return str(int(v)) if float(v).is_integer() else str(v)


def test_not_connected_errors_are_clear(mk):
    reply, msgs = run(mk, "%state", ok=False)
    assert reply["content"]["status"] == "error"
    assert "not connected" in reply["content"]["evalue"]
    reply, _ = run(mk, "%agents --bogus", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"
    assert "usage: %agents" in reply["content"]["evalue"]
    reply, _ = run(mk, "%connect http://127.0.0.1:1", ok=False)
    assert "unreachable" in reply["content"]["evalue"]
    # The kernel keeps serving.
    run(mk, "%lsmagic")


def test_connect_local_shows_agents(mk, state_dir):
    _, msgs = run(mk, "%connect", timeout=90)
    data = result(msgs)
    assert "connected" in data["text/plain"]
    assert "<table>" in data["text/html"]
    rec = local_record(state_dir)
    assert alive(rec["pid"])
    assert rec["url"] in data["text/plain"]
    # agents column: the embedded Mesos has one agent.
    assert data["text/plain"].splitlines()[-1].rstrip().endswith("1")
    # Same target again: a no-op that shows the status.
    _, msgs = run(mk, "%connect local")
    assert "already connected" in result(msgs)["text/plain"]
    assert local_record(state_dir)["pid"] == rec["pid"]


def test_restarted_kernel_finds_the_embedded_mesos(mk, state_dir):
    connect(mk)
    rec = local_record(state_dir)
    mk.km.restart_kernel(now=False)
    mk.wait_for_ready(timeout=60)
    reply, msgs = run(mk, "%local status", timeout=FIRST_CELL_TIMEOUT)
    text = result(msgs)["text/plain"]
    assert f"pid {rec['pid']}" in text and rec["url"] in text
    _, msgs = run(mk, "%connect")
    assert rec["url"] in result(msgs)["text/plain"]
    assert local_record(state_dir) == rec


def test_state_and_agents_agree_with_master_json(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    legacy = master_json(url, "/master/state")
    _, msgs = run(mk, "%state")
    data = result(msgs)
    full = data["application/json"]
    assert len(full["get_agents"]["agents"]) == len(legacy["slaves"])
    assert re.search(rf"^agents\s+{len(legacy['slaves'])}$", data["text/plain"], re.M), data
    _, msgs = run(mk, "%agents")
    text = result(msgs)["text/plain"]
    for slave in legacy["slaves"]:
        assert slave["id"] in text
        assert slave["hostname"] in text
        assert "rack:r2d2" in text and "pod:demo,dev" in text
        line = next(l for l in text.splitlines() if slave["id"] in l)
        cells = line.split()
        assert cells[2] == plain(slave["resources"]["cpus"])
        assert cells[3] == plain(slave["resources"]["mem"])
    _, msgs = run(mk, "%version")
    assert master_json(url, "/version")["version"] in result(msgs)["text/plain"]
    _, msgs = run(mk, "%health")
    assert re.search(rf"^{re.escape(url)}\s+yes\s+\d+ ms$", result(msgs)["text/plain"], re.M), result(msgs)


def test_subscribe_twice_is_one_framework(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, f"%subscribe --name {FRAMEWORK}")
    assert "subscribed" in result(msgs)["text/plain"]
    _, msgs = run(mk, f"%subscribe --name {FRAMEWORK}")
    assert "already subscribed" in result(msgs)["text/plain"]
    frameworks = master_json(url, "/master/frameworks")["frameworks"]
    assert [f["name"] for f in frameworks] == [FRAMEWORK]
    _, msgs = run(mk, "%frameworks")
    assert frameworks[0]["id"] in result(msgs)["text/plain"]
    _, msgs = run(mk, "%status")
    assert "subscribed" in result(msgs)["text/plain"]
    assert frameworks[0]["id"] in result(msgs)["text/plain"]


def test_offers_appear(mk):
    subscribe(mk, FRAMEWORK)
    _, msgs = run(mk, "%offers --wait 30s", timeout=60)
    updates = outputs(msgs, "update_display_data") + outputs(msgs, "execute_result")
    assert updates, msgs
    assert "rack:r2d2" in text_of(msgs)
    reply, _ = run(mk, "%offers --wait soon", ok=False)
    assert "--wait" in reply["content"]["evalue"]


def test_launch_rerun_kill_and_wait(mk, state_dir, tmp_path):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    pidfile = tmp_path / "task.pid"
    cell = f"%launch --id sleeper --wait TASK_RUNNING -- sh -c 'echo $$ > {pidfile}; exec sleep 300'"
    _, msgs = run(mk, cell, timeout=90)
    assert outputs(msgs, "display_data"), msgs
    assert "TASK_RUNNING" in text_of(msgs)
    # Same cell again: the active task is shown, nothing new is launched.
    _, msgs = run(mk, cell, timeout=90)
    assert "already active" in text_of(msgs)
    tasks = master_json(url, "/master/tasks")["tasks"]
    assert [t["id"] for t in tasks] == ["sleeper"]
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), what="task pid file")
    task_pid = int(pidfile.read_text())
    assert alive(task_pid)
    _, msgs = run(mk, "%tasks --mine")
    assert "sleeper" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%kill sleeper")
    assert "KILL sent" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%wait sleeper --state TASK_KILLED --timeout 30s", timeout=60)
    assert "TASK_KILLED" in text_of(msgs)
    wait_exit(task_pid, what="the killed task's process")
    # Waiting on a reached state returns at once; killing a dead task says so.
    run(mk, "%wait sleeper --state TASK_KILLED")
    _, msgs = run(mk, "%kill sleeper")
    assert "already TASK_KILLED" in result(msgs)["text/plain"]


def test_completion_of_task_ids(mk):
    subscribe(mk, FRAMEWORK)
    ensure_task(mk, "sleeper", "%launch --id sleeper --wait TASK_RUNNING -- sleep 300")
    assert "sleeper" in complete(mk, "%wait sle")


def test_interrupt_stops_wait_and_keeps_session(mk, tmp_path):
    subscribe(mk, FRAMEWORK)
    run(mk, "%launch --id napper --wait TASK_RUNNING -- sleep 300", timeout=90)
    msg_id = mk.execute("%wait napper --timeout 120s")
    # Interrupt once the wait has shown its live display.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = mk.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data":
            break
    mk.km.interrupt_kernel()
    reply = shell_reply(mk, msg_id, timeout=30)
    drain_iopub(mk, msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    _, msgs = run(mk, "%status")
    assert "subscribed" in result(msgs)["text/plain"]
    run(mk, "%kill napper")


def test_teardown_twice(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%teardown")
    assert "torn down" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%teardown")
    assert "already torn down" in result(msgs)["text/plain"]
    wait_until(lambda: not master_json(url, "/master/frameworks")["frameworks"], what="framework gone")
    reply, _ = run(mk, "%offers", ok=False)
    assert "%subscribe" in reply["content"]["evalue"]


def test_local_stop_leaves_no_processes(mk, state_dir, tmp_path):
    connect(mk)
    run(mk, "%subscribe --name stopper")
    pidfile = tmp_path / "orphan.pid"
    run(mk, f"%launch --id orphan --wait TASK_RUNNING -- sh -c 'echo $$ > {pidfile}; exec sleep 300'", timeout=90)
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), what="task pid file")
    task_pid = int(pidfile.read_text())
    mesos_pid = local_record(state_dir)["pid"]
    assert alive(task_pid) and alive(mesos_pid)
    _, msgs = run(mk, "%local stop", timeout=60)
    assert "stopped" in result(msgs)["text/plain"]
    assert not alive(mesos_pid)
    wait_exit(task_pid, timeout=10, what="task process")
    assert not (state_dir / STATE_FILE).exists()
    _, msgs = run(mk, "%local status")
    assert "not running" in result(msgs)["text/plain"]
    reply, _ = run(mk, "%state", ok=False)
    assert "not connected" in reply["content"]["evalue"]
