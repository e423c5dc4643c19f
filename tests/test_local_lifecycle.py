"""The embedded Mesos outlives a kernel restart and a kernel that leaves while another still uses
it, and stops (with its tasks) when the last kernel using it shuts down for good."""

import os
import signal

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, execute
from test_magics_mesos import alive, local_record, wait_exit


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
