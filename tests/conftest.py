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


@pytest.fixture(scope="module")
def local_kernel(tmp_path_factory):
    """A kernel with a private MESOS_KERNEL_STATE_DIR (so its embedded Mesos is its own),
    warmed up by a first Rust cell; the embedded Mesos is stopped afterwards."""
    import json
    import signal
    import subprocess

    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "mesos-lib", "--bin", "mesos-local"],
        cwd=ROOT,
        check=True,
    )
    state_dir = tmp_path_factory.mktemp("mesos-kernel-state")
    env = dict(os.environ, MESOS_KERNEL_STATE_DIR=str(state_dir))
    env.pop("MESOS_MASTER", None)
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
    try:
        reply = execute(kc, "1", timeout=FIRST_CELL_TIMEOUT)[0]
        assert reply["content"]["status"] == "ok", reply
        kc.km = km
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        record = state_dir / "local-mesos.json"
        if record.exists():
            try:
                os.kill(json.loads(record.read_text())["pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass


class Inbox:
    """Shell, control and IOPub messages of one client, kept by parent msg_id, so requests in
    flight side by side (subshells, live views) can each be waited for without losing the
    others' messages."""

    def __init__(self, kc):
        self.kc = kc
        self.by_parent = {}  # msg_id -> [(channel, msg)]

    def _pump(self, channel, timeout):
        get = {"shell": self.kc.get_shell_msg, "control": self.kc.get_control_msg, "iopub": self.kc.get_iopub_msg}[channel]
        try:
            msg = get(timeout=timeout)
        except queue.Empty:
            return
        self.by_parent.setdefault(msg["parent_header"].get("msg_id"), []).append((channel, msg))

    def messages(self, msg_id, channel=None):
        return [m for c, m in self.by_parent.get(msg_id, []) if channel in (None, c)]

    def wait_for(self, cond, timeout=60, what="condition", channels=("shell", "iopub")):
        """Reads messages until cond() holds; fails after timeout."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not within {timeout} s")
            for ch in channels:
                self._pump(ch, 0.05)

    def reply(self, msg_id, channel="shell", timeout=60):
        self.wait_for(lambda: self.messages(msg_id, channel), timeout, f"{channel} reply to {msg_id}", (channel, "iopub"))
        return self.messages(msg_id, channel)[0]

    def idle(self, msg_id, timeout=60):
        """IOPub messages of one request, once its idle has come."""

        def done():
            return any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in self.messages(msg_id, "iopub"))

        self.wait_for(done, timeout, f"idle for {msg_id}")
        return self.messages(msg_id, "iopub")

    def send(self, channel, msg_type, content=None, subshell_id=None):
        """Sends a request (to a subshell when subshell_id is given); returns its msg_id."""
        msg = self.kc.session.msg(msg_type, content or {})
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        getattr(self.kc, f"{channel}_channel").send(msg)
        return msg["header"]["msg_id"]

    def control(self, msg_type, content=None, timeout=30):
        return self.reply(self.send("control", msg_type, content), "control", timeout)["content"]

    def execute(self, code, subshell_id=None):
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        return self.send("shell", "execute_request", content, subshell_id)

    def run(self, code, subshell_id=None, timeout=60, ok=True):
        """Executes and waits for reply and idle; returns (reply content, iopub messages)."""
        msg_id = self.execute(code, subshell_id)
        reply = self.reply(msg_id, timeout=timeout)["content"]
        msgs = self.idle(msg_id, timeout)
        if ok:
            assert reply["status"] == "ok", (code, reply, msgs)
        return reply, msgs
