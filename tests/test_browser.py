"""A real browser: JupyterLab on loopback, driven by playwright-core in Debian's Chromium.

Each test serves a temporary copy of notebooks/ with `jupyter lab` (from this interpreter's
environment, with no Mesos variables set: as `install/setup.sh --lab` starts it), and
tests/browser/notebook.mjs opens a notebook in it with the Mesos (Rust) kernel and runs it with
Run > Run All Cells; only cells tagged raises-exception may show an error. On NOTEBOOK (notebook
2) it goes on: checks the offers table rendered as an HTML table and that Tab after `%sub` offers
`%subscribe`, then adds a cell that launches a task and runs `%timeline` and `%agents`, and checks
their inline SVG pictures are drawn. Screenshots are kept in tests/artifacts/. When the server
stops, nothing it started may be left running. Chromium and playwright-core come from
install/setup.sh; when they are missing these tests fail and say so.
"""

import hashlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from conftest import ROOT

# The notebook the browser runs and then explores further, relative to notebooks/.
NOTEBOOK = "02-becoming-a-framework.ipynb"
# The others are run with Run All and checked for errors.
OTHER_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p.name != NOTEBOOK)

CHROMIUM = pathlib.Path("/usr/bin/chromium")
SCRIPT = ROOT / "tests" / "browser" / "notebook.mjs"
SUBSHELL_SCRIPT = ROOT / "tests" / "browser" / "subshell.mjs"
NODE_MODULES = ROOT / "tests" / "node_modules" / "playwright-core"
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOT = ARTIFACTS / "browser-notebook.png"
# The pictures of %agents and %timeline as JupyterLab draws them (a cell the script adds).
PICTURES = [ARTIFACTS / "browser-agents.png", ARTIFACTS / "browser-timeline.png"]
STATE_FILE = "local-mesos.json"
SERVER_START_TIMEOUT = 60
# The script bounds each of its own waits; this bounds the whole of it.
SCRIPT_TIMEOUT = 600
# How long what the server started may take to exit once stopped.
EXIT_TIMEOUT = 30


def alive(pid):
    """Whether pid is a live process (a zombie counts as gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid):
    """Every live process below pid (the kernels a Jupyter server started, and theirs)."""
    children = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_for_server(proc, url, log):
    """A bounded poll of the server's API until it answers (there is no event to wait on)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited with {proc.returncode} before answering:\n{log.read_text()}")
        try:
            if get(url)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"jupyter lab did not answer {url} within {SERVER_START_TIMEOUT} s:\n{log.read_text()}")


def require_browser_tools():
    """The set-up installs these; without them the test fails (it is not skipped)."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian's chromium)")
    if not NODE_MODULES.is_dir():
        missing.append(f"{NODE_MODULES.relative_to(ROOT)} (npm ci in tests/)")
    if shutil.which("node") is None:
        missing.append("node")
    assert not missing, f"the browser test needs {', '.join(missing)}: run install/setup.sh --no-run"


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1, a free port and a random token, serving a copy of notebooks/,
    with its own settings, workspaces and embedded-Mesos state; stopped with everything it
    started."""
    require_browser_tools()
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("executed", ".ipynb_checkpoints"))
    state = tmp_path / "mesos-kernel-state"
    state.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        MESOS_KERNEL_STATE_DIR=str(state),
        # A developer's own JupyterLab settings and saved workspaces must not change what the
        # browser sees.
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        NO_PROXY="127.0.0.1,localhost",
    )
    env.pop("MESOS_MASTER", None)
    # No news or update checks from the internet, and no toast about them over the notebook.
    notification = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # JupyterLab 4 renders only the cells near the viewport by default ("windowing"), so the
    # DOM would hold a varying subset of the notebook's cells; the script looks at all of them.
    tracker = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    log = tmp_path / "jupyter-lab.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        # CI and this machine run as root; the server still listens on loopback only.
        "--allow-root",
        # window.jupyterapp: the browser script reads output types (error vs stderr) from the model.
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    started = []
    try:
        wait_for_server(proc, f"{url}/api/status?token={token}", log)
        yield {"url": url, "token": token, "root": root, "log": log, "proc": proc, "started": started}
    finally:
        started.extend(descendants(proc.pid))
        if proc.poll() is None:
            # The server's own shutdown stops its kernels first.
            req = urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST")
            try:
                urllib.request.urlopen(req, timeout=10).close()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        # The embedded Mesos outlives its kernels by design (the next kernel reuses it); stop it
        # as `%local stop` would. Everything else must already be gone, or be a leak.
        record = state / STATE_FILE
        if record.exists():
            pid = json.loads(record.read_text())["pid"]
            if alive(pid):
                # Its own children (agents' tasks, an owned ZooKeeper) must stop with it.
                started.extend([pid, *descendants(pid)])
                os.kill(pid, signal.SIGTERM)
        leaked = wait_gone(started)
        for pid, _ in leaked:
            os.kill(pid, signal.SIGKILL)
        assert not leaked, f"still running after JupyterLab and the embedded Mesos stopped: {leaked}"


def wait_gone(pids):
    """A bounded poll until pids have exited (no event says so); returns (pid, command line) of
    those still alive."""
    deadline = time.monotonic() + EXIT_TIMEOUT
    while True:
        left = [pid for pid in pids if alive(pid)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    out = []
    for pid in left:
        try:
            cmd = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out.append((pid, cmd))
    return out


def run_script(lab, notebook, *extra, script=SCRIPT):
    """Runs a browser script (tests/browser/notebook.mjs unless told) on notebook; asserts it
    passed and returns its output."""
    cmd = [
        "node", str(script), "--url", lab["url"], "--token", lab["token"],
        "--notebook", notebook, "--artifacts", str(ARTIFACTS), *extra,
    ]  # fmt: skip
    t0 = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"the browser script did not finish within {SCRIPT_TIMEOUT} s:\n{e.stdout}\n{e.stderr}") from None
    print(done.stdout)
    print(f"browser script: {time.monotonic() - t0:.1f} s, exit {done.returncode}")
    assert done.returncode == 0, (
        f"the browser script failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}\n"
        f"--- jupyter lab log (tail) ---\n{lab['log'].read_text()[-4000:]}"
    )
    return done.stdout


def assert_png(path):
    assert path.exists(), f"no screenshot at {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert path.stat().st_size > 10_000, f"{path} is suspiciously small"


def test_jupyterlab_runs_the_notebook_renders_offers_and_completes_magics(lab):
    original = ROOT / "notebooks" / NOTEBOOK
    before = sha256(original)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [SCREENSHOT, *PICTURES]:
        old.unlink(missing_ok=True)

    run_script(lab, NOTEBOOK)

    assert_png(SCREENSHOT)
    for shot in PICTURES:
        assert_png(shot)
    # The browser worked on the temporary copy; the repository's notebook is untouched.
    assert sha256(original) == before, f"{original} changed during the browser test"


@pytest.mark.parametrize("notebook", OTHER_NOTEBOOKS)
def test_jupyterlab_runs_every_notebook_with_run_all(lab, notebook):
    original = ROOT / "notebooks" / notebook
    before = sha256(original)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"browser-run-{original.stem}.png"
    shot.unlink(missing_ok=True)

    out = run_script(lab, notebook, "--run-only")

    assert "only cells tagged raises-exception" in out, out
    assert_png(shot)
    assert sha256(original) == before, f"{original} changed during the browser test"


def test_a_subshell_console_answers_while_the_notebooks_cell_runs(lab):
    """JupyterLab's "New Subshell Console for Notebook" on our kernel, opened while the kernel is
    idle: `%status` and `%tasks` in the console answer while the notebook's `%events --follow`
    then holds the main shell; interrupt ends it."""
    framework = "subshell-browser"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(f"%connect local\n%subscribe --name {framework}"),
            nbformat.v4.new_code_cell("%events --follow"),
        ],
        metadata={"kernelspec": {"name": "mesos", "display_name": "Mesos (Rust)", "language": "rust"}},
    )
    nbformat.write(nb, lab["root"] / "subshell.ipynb")
    shot = ARTIFACTS / "browser-subshell.png"
    shot.unlink(missing_ok=True)

    out = run_script(lab, "subshell.ipynb", "--framework", framework, script=SUBSHELL_SCRIPT)

    assert "the notebook's second cell still running: true" in out, out
    assert_png(shot)
