"""Shared fixtures: kernels started through jupyter_client by kernelspec name, as front ends do."""

import http.client
import json
import os
import pathlib
import queue
import secrets
import signal
import subprocess
import time
import urllib.request

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


# The mesos-local binary the tests start ($MESOS_LOCAL_BIN to test another build).
MESOS_LOCAL_BIN = pathlib.Path(os.environ.get("MESOS_LOCAL_BIN", ROOT / "target" / "release" / "mesos-local"))


def mesos_local(*args, timeout=60):
    """Starts mesos-local (MESOS_LOCAL_BIN) with `args` (plus --port 0); returns (process, URL
    it printed). The caller stops it with stop_mesos_local."""
    import threading

    if not MESOS_LOCAL_BIN.exists():
        pytest.fail(f"build it first: cargo build --release --locked -p mesos-local ({MESOS_LOCAL_BIN})")
    proc = subprocess.Popen(
        [str(MESOS_LOCAL_BIN), "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    first_line = queue.Queue()
    threading.Thread(target=lambda: first_line.put(proc.stdout.readline()), daemon=True).start()
    url = first_line.get(timeout=timeout).strip()
    assert url.startswith("http://"), url
    return proc, url


def stop_mesos_local(proc, timeout=60):
    """SIGTERM (it kills its tasks) and a clean exit."""
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=timeout) == 0


# ---- Processes and polling -------------------------------------------------------------------

# The kernel's record of the embedded Mesos it started, in its MESOS_KERNEL_STATE_DIR.
STATE_FILE = "local-mesos.json"


def alive(pid):
    """Whether pid is a live process (a zombie counts as gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_exit(pid, timeout=30, what="process exit"):
    """Waits for any process to exit, on the kernel's own event (a pidfd), not on a poll loop."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(timeout * 1000) and alive(pid):
            raise AssertionError(f"{what}: pid {pid} still alive after {timeout}s")
    finally:
        os.close(fd)


def wait_until(cond, timeout=30, what="condition"):
    """For states with no event to wait on (a file written by a task, the master's JSON): a
    bounded condition poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout}s")


def read_events(resp, events):
    """Puts each record of a scheduler's RecordIO event stream (`<length>\n<json>`) on the
    queue `events` until the stream ends; a connection cut mid-record, as a master process
    ending cuts it, is the end of the events too."""
    try:
        while True:
            size = b""
            while not size.endswith(b"\n"):
                byte = resp.read(1)
                if not byte:
                    return
                size += byte
            events.put(json.loads(resp.read(int(size))))
    # Cut by the master, or closed under the reader at teardown (http.client then has no file).
    except (http.client.HTTPException, OSError, ValueError, AttributeError):
        return


def master_json(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.load(r)


def local_record(state_dir):
    """The kernel's record (pid, url) of the embedded Mesos it started."""
    return json.loads((state_dir / STATE_FILE).read_text())


# ---- A kernel with its own embedded Mesos ----------------------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mesos-kernel-state")


@pytest.fixture(scope="module")
def mk(state_dir):
    """A kernel with a private MESOS_KERNEL_STATE_DIR, so the embedded Mesos it starts belongs
    to the module; afterwards that Mesos is killed (by the PID in the state file) if a test
    left it running."""
    # mesos-local lives next to the kernel binary; make sure it is built (a no-op when fresh).
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-q", "-p", "mesos-local"],
        cwd=ROOT,
        check=True,
    )
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
        record = state_dir / STATE_FILE
        if record.exists():
            pid = json.loads(record.read_text())["pid"]
            if alive(pid):
                os.kill(pid, signal.SIGTERM)


def run(kc, code, timeout=60, ok=True):
    """Runs a cell; unless ok=False, asserts that it succeeded. Returns (reply, iopub). A cell
    expected to fail (ok=False) is sent without stop_on_error: the kernel drains its queue just
    after the error's reply, so the next test's first cell could otherwise be aborted."""
    reply, msgs = execute(kc, code, timeout=timeout, **({} if ok else {"stop_on_error": False}))
    if ok:
        assert reply["content"]["status"] == "ok", (code, reply["content"], msgs)
    return reply, msgs


def text_of(msgs):
    """Everything a cell showed as text: results, displays, streams and error values."""
    parts = []
    for m in msgs:
        if m["msg_type"] in ("execute_result", "display_data", "update_display_data"):
            parts.append(m["content"]["data"].get("text/plain", ""))
        elif m["msg_type"] == "stream":
            parts.append(m["content"]["text"])
        elif m["msg_type"] == "error":
            parts.append(m["content"]["evalue"])
    return "\n".join(parts)


def result(msgs):
    """The data of a cell's (last) execute_result."""
    r = outputs(msgs, "execute_result")
    assert r, msgs
    return r[-1]["content"]["data"]


def complete(kc, code):
    """The completions offered at the end of `code`."""
    msg_id = kc.complete(code, len(code))
    return shell_reply(kc, msg_id)["content"]["matches"]


def rows(text):
    """The data rows of a text table: the lines after the dashed rule (not the "… more" line)."""
    lines = text.splitlines()
    rule = next(i for i, l in enumerate(lines) if l and set(l.replace(" ", "")) == {"-"})
    return [l for l in lines[rule + 1 :] if l and not l.startswith("…")]


# ---- Idempotent set-up: every magic is safe to re-run, so a test that needs a connection, a
# framework or a task ensures it itself instead of relying on the tests before it.


def connect(kc):
    """Connects to the embedded Mesos (re-running only reports)."""
    run(kc, "%connect", timeout=90)


def subscribe(kc, name):
    """Connects and subscribes as framework `name` (re-running changes nothing); a fresh
    subscription also waits for its first offer, so tests that launch have one."""
    connect(kc)
    _, msgs = run(kc, f"%subscribe --name {name}", timeout=60)
    if "already subscribed" not in text_of(msgs):
        run(kc, "%offers --wait 30s", timeout=60)


def ensure_task(kc, task_id, launch):
    """Runs the `launch` cell unless this kernel's session already knows task `task_id` (in any
    state)."""
    reply, _ = run(kc, f"%wait {task_id} --timeout 0s", ok=False)
    if "no task of this framework" in reply["content"].get("evalue", ""):
        run(kc, launch, timeout=90)


# ---- A secured master -------------------------------------------------------------------------

PRINCIPAL = "nb-framework"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A mesos-local that requires HTTP basic auth on the scheduler, operator and read-only
    endpoints; yields its URL, the secret and files holding the right and a wrong secret."""
    d = tmp_path_factory.mktemp("secured-mesos")
    secret = secrets.token_urlsafe(24)
    creds = d / "credentials.json"
    creds.write_text(json.dumps({"credentials": [{"principal": PRINCIPAL, "secret": secret}]}))
    good = d / "secret"
    good.write_text(secret + "\n")
    good.chmod(0o600)
    wrong = d / "wrong-secret"
    wrong.write_text("not-" + secret)
    wrong.chmod(0o600)
    proc, url = mesos_local("--allocation-interval", "0.2", "--work-dir", str(d / "work"),
                            "--credentials", str(creds), "--authenticate-http-frameworks",
                            "--authenticate-http-readwrite", "--authenticate-http-readonly")  # fmt: skip
    try:
        yield {"url": url, "secret": secret, "good": good, "wrong": wrong, "dir": d}
    finally:
        stop_mesos_local(proc)


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
