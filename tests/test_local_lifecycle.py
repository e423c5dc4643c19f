"""The embedded Mesos outlives a kernel restart and a kernel that leaves while another still uses
it, and stops (with its tasks) when the last kernel using it shuts down for good."""

import os
import signal

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, alive, execute, local_record, wait_exit


def start(env):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
    return km, kc


def magic(kc, code):
    reply, _ = execute(kc, code, timeout=90)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_last_kernel_to_leave_stops_the_embedded_mesos(tmp_path):
    env = dict(os.environ, MESOS_KERNEL_STATE_DIR=str(tmp_path))
    env.pop("MESOS_MASTER", None)
    kernels = []
    try:
        a = start(env)
        kernels.append(a)
        magic(a[1], "%connect local")
        pid = local_record(tmp_path)["pid"]
        # A second kernel started while it runs counts as a user too.
        b = start(env)
        kernels.append(b)
        a[1].stop_channels()
        a[0].shutdown_kernel(now=False)
        kernels.remove(a)
        assert alive(pid), "stopped while another kernel still used it"
        # A restart is not leaving: the restarted kernel finds the same Mesos.
        b[0].restart_kernel(now=False)
        b[1].wait_for_ready(timeout=60)
        magic(b[1], "%local status")
        assert local_record(tmp_path)["pid"] == pid
        assert alive(pid)
        b[1].stop_channels()
        b[0].shutdown_kernel(now=False)
        kernels.remove(b)
        wait_exit(pid, timeout=30, what="mesos-local after the last kernel left")
        assert not (tmp_path / "local-mesos.json").exists()
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        rec = tmp_path / "local-mesos.json"
        if rec.exists():
            pid = local_record(tmp_path)["pid"]
            if alive(pid):
                os.kill(pid, signal.SIGTERM)


def text(msgs):
    return "\n".join(
        m["content"]["data"].get("text/plain", "")
        for m in msgs
        if m["msg_type"] in ("execute_result", "display_data", "update_display_data")
    )


def test_subscribe_after_a_restart_resumes_the_framework(tmp_path):
    import json
    import re
    import urllib.request

    env = dict(os.environ, MESOS_KERNEL_STATE_DIR=str(tmp_path))
    env.pop("MESOS_MASTER", None)
    km, kc = start(env)
    try:
        magic(kc, "%connect local")
        _, msgs = execute(kc, "%subscribe --name resumable", timeout=60)
        framework = re.search(r"framework id\s+(\S+)", text(msgs)).group(1)
        magic(kc, "%launch --id sleeper --wait TASK_RUNNING -- sleep 300")
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        magic(kc, "%connect")
        reply, msgs = execute(kc, "%subscribe --name resumable", timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert f"resumed framework {framework}" in text(msgs)
        # The task outlived the restart and the resumed session learns its state.
        _, msgs = execute(kc, "%reconcile sleeper", timeout=60)
        assert "TASK_RUNNING" in text(msgs)
        magic(kc, "%wait sleeper --state TASK_RUNNING --timeout 5s")
        url = local_record(tmp_path)["url"]
        with urllib.request.urlopen(url + "/master/frameworks", timeout=10) as r:
            frameworks = json.load(r)["frameworks"]
        assert [f["id"] for f in frameworks if f["active"]] == [framework]
        # Torn down is forgotten: the next %subscribe registers a new framework.
        magic(kc, "%teardown")
        _, msgs = execute(kc, "%subscribe --name resumable", timeout=60)
        assert framework not in text(msgs) and "subscribed to" in text(msgs)
        magic(kc, "%teardown")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        rec = tmp_path / "local-mesos.json"
        if rec.exists():
            pid = local_record(tmp_path)["pid"]
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
