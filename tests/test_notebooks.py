"""Every notebook in notebooks/ runs headless through nbclient on the Mesos (Rust) kernel."""

import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


_executed = {}


@pytest.fixture(autouse=True, scope="module")
def _private_embedded_mesos(tmp_path_factory):
    """Notebooks start the embedded Mesos; give this run its own, never a developer's."""
    import os

    old = os.environ.get("MESOS_KERNEL_STATE_DIR")
    os.environ["MESOS_KERNEL_STATE_DIR"] = str(tmp_path_factory.mktemp("mesos-kernel-state"))
    yield
    if old is None:
        del os.environ["MESOS_KERNEL_STATE_DIR"]
    else:
        os.environ["MESOS_KERNEL_STATE_DIR"] = old


@pytest.fixture(autouse=True, scope="module")
def _nothing_set_by_hand():
    """Notebooks run as a user opens them: no $MESOS_ZK (notebook 05's masters elect their
    leader in the embedded Mesos's own ZooKeeper) and no $MESOS_MASTER."""
    import os

    saved = {k: os.environ.pop(k) for k in ("MESOS_ZK", "MESOS_MASTER") if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def run(path):
    """Executes a notebook once per test session; tests share the executed copy."""
    if path not in _executed:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="mesos", timeout=300, startup_timeout=60).execute()
        _executed[path] = nb
    return _executed[path]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_unexpected_errors(path):
    nb = run(path)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            assert errors, f"cell tagged raises-exception did not raise: {cell.source}"
        else:
            assert not errors, f"{cell.source}\n{errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_runs_twice_in_one_kernel(path):
    """Every cell is safe to re-run: the whole notebook, twice, in the same kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="mesos", timeout=300, startup_timeout=60)
    with client.setup_kernel():
        for round in range(2):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            tagged = lambda c: "raises-exception" in c.metadata.get("tags", [])  # noqa: E731
            errors = [(c.source, o.get("evalue")) for c in nb.cells if c.cell_type == "code" and not tagged(c)
                      for o in c.outputs if o.output_type == "error"]
            assert not errors, (round, errors)


def test_basics_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "00-kernel-basics.ipynb")
    by_source = {c.source.strip(): c for c in nb.cells if c.cell_type == "code"}
    lsmagic = by_source["%lsmagic"].outputs[0]
    assert lsmagic.output_type == "execute_result"
    assert "%help" in lsmagic.data["text/plain"] and "<table>" in lsmagic.data["text/html"]
    hello = next(c for s, c in by_source.items() if s.startswith("let framework_name"))
    assert hello.outputs[0].text == "hello from the tutorial framework\n"
    assert hello.outputs[1].data["text/plain"] == "8"  # "tutorial".len()
    fit = next(c for s, c in by_source.items() if s.startswith("// A small agent"))
    assert fit.outputs[0].data["text/plain"] == "4"
    error = next(c for s, c in by_source.items() if s.startswith("let cpus"))
    assert error.outputs[0].ename == "CompileError"


def test_papermill_runs_the_basics_notebook(tmp_path):
    """papermill fails hard on a late or missing idle (raise_on_iopub_timeout)."""
    import papermill

    # papermill stops at any error output, so the teaching cell that raises on purpose goes.
    nb = nbformat.read(ROOT / "notebooks" / "00-kernel-basics.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "raises-exception" not in c.metadata.get("tags", [])]
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(source), str(out), kernel_name="mesos", progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    fit = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("// A small agent"))
    assert fit.outputs[0].data["text/plain"] == "4"


def _text(output):
    return output.get("text") or output.get("data", {}).get("text/plain", "")


def code_cells(nb):
    """(source, cell) of every code cell, in order."""
    return [(c.source.strip(), c) for c in nb.cells if c.cell_type == "code"]


def cell(nb, prefix, nth=0):
    """The nth code cell whose source starts with prefix."""
    found = [c for s, c in code_cells(nb) if s.startswith(prefix)]
    assert len(found) > nth, f"no cell #{nth} starting with {prefix!r}"
    return found[nth]


def texts(c):
    return "\n".join(_text(o) for o in c.outputs)


def test_tour_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "01-cluster-tour.ipynb")
    first, again = cell(nb, "%connect", 0), cell(nb, "%connect", 1)
    assert "connected: http://127.0.0.1:" in texts(first)
    assert "already connected (nothing changed)" in texts(again)
    assert "rack:r2d2;pod:demo,dev" in texts(cell(nb, "%agents"))
    assert "<table>" in cell(nb, "%agents").outputs[0].data["text/html"]
    elected = texts(cell(nb, "%metrics master/elected"))
    assert re.search(r"^master/elected\s+1$", elected, re.M), elected
    watch = texts(cell(nb, "%watch"))
    assert "SUBSCRIBED" in watch and "stopped after 3s" in watch


def test_framework_notebook_subscribes_once():
    nb = run(ROOT / "notebooks" / "02-becoming-a-framework.ipynb")
    raw = texts(cell(nb, "%%call"))
    framework = re.search(r"framework id\s+(\S+)", raw).group(1)
    again = texts(cell(nb, "%subscribe"))
    assert "already subscribed" in again and framework in again
    listed = texts(cell(nb, "%frameworks"))
    assert listed.count("Demo Mesos HTTP API Framework") == 1, listed
    assert "0 of 1 offer match rack=tatooine" in texts(cell(nb, "%offers --attr rack=tatooine"))
    assert "declined" in texts(cell(nb, "%decline"))
    assert "0 offers" in texts(cell(nb, "%offers", 3))  # right after the decline
    assert re.search(r"^1 offer$", texts(cell(nb, "%revive", 0)), re.M)
    assert "torn down" in texts(cell(nb, "%teardown", 0))
    assert "already torn down" in texts(cell(nb, "%teardown", 1))


def test_launching_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "03-launching-tasks.ipynb")
    web = texts(cell(nb, "%launch --name web"))
    assert "reached TASK_RUNNING" in web and "PORT0=" in web
    fetched = cell(nb, "use std::io")
    assert "<h1>Hello from Mesos</h1>" in texts(fetched)
    assert '"GET / HTTP/1.0" 200' in texts(cell(nb, "%sandbox web stderr"))
    killed = texts(cell(nb, "%kill web", 0))
    assert "reached TASK_KILLED" in killed
    assert "already TASK_KILLED; nothing to do" in texts(cell(nb, "%kill web", 1))
    nginx = cell(nb, "%%launch")
    [error] = [o for o in nginx.outputs if o.output_type == "error"]
    assert "TASK_FAILED" in error.evalue and "docker containerizer" in error.evalue
    after = texts(cell(nb, "%teardown"))
    framework = re.search(r"framework (\S+) torn down", after).group(1)
    rows = [l for l in after.splitlines() if framework in l and l.startswith(("web", "nginx"))]
    assert rows and all(re.search(r"TASK_(KILLED|FAILED|FINISHED)", l) for l in rows), rows


def test_rust_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "04-rust-and-mesos.ipynb")
    assert "bound `offers`: Vec<mesos::Offer>" in texts(cell(nb, "%offers --wait"))
    offers_table = cell(nb, "%offers --wait").outputs[0].data["text/plain"]
    cpus = float(offers_table.splitlines()[3].split()[3])
    assert f"offers: {plain_num(cpus)} cpus" in texts(cell(nb, "let total_cpus"))
    fit = cell(nb, "let want")
    assert int(fit.outputs[-1].data["text/plain"]) == int(cpus // 0.5)
    assert cell(nb, "use std::collections::BTreeMap").outputs[-1].data["text/plain"] == '{"TASK_FINISHED": 2}'
    assert "stopped the embedded Mesos" in texts(cell(nb, "%teardown"))


def plain_num(v):
    return str(int(v)) if float(v).is_integer() else str(v)


def test_high_availability_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "05-high-availability.ipynb")
    started = texts(cell(nb, "%local stop"))
    assert "3 masters electing through zk://" in started and "its own ZooKeeper" in started
    leader = texts(cell(nb, "%connect local"))
    assert "connected: zk://" in leader and "(3 masters)" in leader
    launched = texts(cell(nb, "%subscribe --name ha-demo"))
    framework = re.search(r"framework id\s+(\S+)", launched).group(1)
    assert "reached TASK_RUNNING" in launched
    killed = texts(cell(nb, "%local kill-leader"))
    old, new = re.search(r"killed the leading master (\S+);.*followed it to (\S+) in", killed, re.S).groups()
    assert old != new
    after = texts(cell(nb, "%leader"))
    assert f"leader {new} (2 masters)" in after and old not in after.split("\n", 1)[1]
    assert "the framework moved 1 time, last" in after, after
    status = texts(cell(nb, "%status"))
    assert re.search(rf"framework id\s+{re.escape(framework)}", status), status
    assert re.search(rf"leader changes\s+1 \(last: {re.escape(old)}/ → {re.escape(new)}/", status), status
    tasks = texts(cell(nb, "%tasks --mine"))
    assert re.search(r"survivor\S*\s+survivor\s+TASK_RUNNING", tasks), tasks
    assert "stopped the embedded Mesos" in texts(cell(nb, "%teardown"))


def shares_table(c):
    """role -> row of a %shares table (role, weight, holds, share, weighted, mean)."""
    lines = texts(c).splitlines()
    rule = next(i for i, l in enumerate(lines) if l and set(l.replace(" ", "")) == {"-"})
    return {l.split()[0]: l.split() for l in lines[rule + 1 :] if l.strip()}


def roles_table(c):
    return shares_table(c)


def test_sharing_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "06-sharing-a-cluster.ipynb")
    # Weights 1 and 3: over the last 15 s, web's mean dominant share is 3 times batch's, within
    # ±1.5 (the stated tolerance: a task is a quarter of the agent's 2 cpus, and a slot freed
    # stays idle until the next allocation cycle, so one task either way moves the ratio a lot).
    shares = shares_table(cell(nb, "%shares --since 15s"))
    batch, web = float(shares["batch"][5]), float(shares["web"][5])
    assert batch > 0 and 1.5 <= web / batch <= 4.5, (batch, web)
    # Only web's workload was ever offered the reservation made for web.
    [listing] = [c for s, c in code_cells(nb) if s == "%workload"]
    workloads = roles_table(listing)
    assert workloads["web"][-1] == "web" and workloads["batch"][-1] == "none", workloads
    # The quota guarantee for ops is met: its consumed resources reach cpus:1.
    ops = roles_table(cell(nb, "%roles", 1))["ops"]
    assert ops[3] == "cpus:1;mem:128" and ops[5].startswith("cpus:1;"), ops
    # A persistent volume outlives its task: the reader reads what the writer wrote.
    assert "created volume notes" in texts(cell(nb, "%subscribe --name ops-app", 1))
    assert "written by the first task" in texts(cell(nb, "%launch --role ops --name reader"))
    assert "destroyed volume notes" in texts(cell(nb, "%teardown"))


def test_executors_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "07-executors-and-operations.ipynb")
    framework = re.search(r"framework id\s+(\S+)", texts(cell(nb, "%local stop"))).group(1)
    # The custom executor ran the task, and its messages reached the scheduler: one at launch
    # with the task's data, one answering the framework message.
    assert "reached TASK_FINISHED" in texts(cell(nb, "%message greeter"))
    messages = texts(cell(nb, "%events --type MESSAGE"))
    assert "from executor greeter-executor" in messages, messages
    assert "(data: 'hello from the notebook')" in messages and "got 'how are you?'" in messages, messages
    # The pod: checker failed, and the default executor killed app; checker's own sandbox says why.
    pod = texts(cell(nb, "%wait checker"))
    assert re.search(r"checker-\S+\s+checker\s+TASK_FAILED", pod), pod
    assert re.search(r"app-\S+\s+app\s+TASK_KILLED", pod), pod
    assert "health check failed" in texts(cell(nb, "%sandbox checker stderr"))
    # %exec ran inside the running task's sandbox.
    execd = cell(nb, "%exec box")
    stdout = "".join(o.text for o in execd.outputs if o.output_type == "stream" and o.name == "stdout")
    assert re.match(r"inside box-\S+\nready\n", stdout), stdout
    assert "exit status 0" in texts(execd)
    # The framework accepted the inverse offer, and the maintenance status shows it.
    answered = texts(cell(nb, "%inverse_offers accept"))
    assert "ACCEPT_INVERSE_OFFERS sent for 1 inverse offer" in answered, answered
    assert re.search(rf"DRAINING .*{re.escape(framework)} ACCEPT", answered), answered
    assert "no machine is scheduled" in texts(cell(nb, "%maintenance clear"))
    # Drained while box ran: DRAINED, box killed for the drain; then back to ACTIVE.
    drained = texts(cell(nb, "%drain"))
    assert re.search(r"127\.0\.0\.1\s+DRAINED", drained), drained
    assert re.search(r"task box-\S+ TASK_KILLED \(REASON_AGENT_DRAINING\)", drained), drained
    assert re.search(r"127\.0\.0\.1\s+ACTIVE", texts(cell(nb, "%reactivate")))
