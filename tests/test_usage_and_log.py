"""usage_request on control (ipykernel's usage_reply fields) and a kernel log free of ANSI colour
codes when stderr is not a terminal (Jupyter servers copy kernel stderr into their own log)."""

import os

from jupyter_client.manager import start_new_kernel

from conftest import Inbox, KERNEL_NAME


def test_usage_reply_has_ipykernels_fields_and_no_colours_in_the_log(tmp_path):
    log = tmp_path / "kernel.stderr"
    with open(log, "w") as stderr:
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, stderr=stderr)
    try:
        inbox = Inbox(kc)
        reply = inbox.control("usage_request")
        assert reply["pid"] == km.provisioner.pid
        assert reply["hostname"] == os.uname().nodename
        assert reply["cpu_count"] >= 1
        assert reply["kernel_memory"] > 1_000_000, reply
        assert isinstance(reply["kernel_cpu"], (int, float)) and reply["kernel_cpu"] >= 0
        memory = reply["host_virtual_memory"]
        assert memory["total"] >= memory["available"] > 0
        assert 0 <= memory["percent"] <= 100
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    text = log.read_text()
    assert "INFO" in text, text[:500]
    assert "\x1b[" not in text, text[:500]
