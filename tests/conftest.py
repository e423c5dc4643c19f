"""Shared fixtures: kernels started through jupyter_client by kernelspec name, as front ends do."""

import os
import pathlib
import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL_NAME = "mesos"
# The first cell waits for evcxr to warm up and compile, and on a fresh cache directory for
# mesos-lib's light core to be built once (~1-2 min on a busy 2-core machine).
FIRST_CELL_TIMEOUT = 300


@pytest.fixture(scope="module")
def kernel():
    """A running kernel and a blocking client, shared by a module's tests."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60)
    try:
        reply = execute(kc, "1", timeout=FIRST_CELL_TIMEOUT)[0]
        assert reply["content"]["status"] == "ok", reply
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def drain_iopub(kc, msg_id, timeout=30):
    """IOPub messages for one request, up to and including its idle."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no idle for {msg_id} within {timeout} s; got {out}")
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def shell_reply(kc, msg_id, timeout=30):
    """The shell reply to one request (skipping replies to others)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def execute(kc, code, timeout=60, **kw):
    """Runs code; returns (reply, iopub messages)."""
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return reply, drain_iopub(kc, msg_id, timeout)


def outputs(msgs, msg_type):
    return [m for m in msgs if m["msg_type"] == msg_type]


def stdout_text(msgs):
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    # Everything these tests reach is on loopback.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield


def pytest_report_header(config):
    return f"kernel: {KERNEL_NAME}; JUPYTER_PATH={os.environ.get('JUPYTER_PATH', '')}"


def mesos_local(*args, timeout=60):
    """Starts target/release/mesos-local with `args` (plus --port 0); returns (process, URL it
    printed). The caller stops it with stop_mesos_local."""
    import subprocess
    import threading

    proc = subprocess.Popen(
        [str(ROOT / "target" / "release" / "mesos-local"), "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    first_line = queue.Queue()
    threading.Thread(target=lambda: first_line.put(proc.stdout.readline()), daemon=True).start()
    url = first_line.get(timeout=timeout).strip()
    assert url.startswith("http://"), url
    return proc, url


def stop_mesos_local(proc, timeout=60):
    """SIGTERM (it kills its tasks) and a clean exit."""
    import signal

    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=timeout) == 0
