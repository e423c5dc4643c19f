"""Every notebook in notebooks/ runs headless through nbclient on the Mesos (Rust) kernel."""

import pathlib

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


def test_a_notebook_runs_twice_in_one_kernel():
    """Every cell is safe to re-run: the whole notebook, twice, in the same kernel."""
    nb = nbformat.read(ROOT / "notebooks" / "00-kernel-basics.ipynb", as_version=4)
    client = NotebookClient(nb, kernel_name="mesos", timeout=300, startup_timeout=60)
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            errors = [o for c in nb.cells if c.cell_type == "code" and "raises-exception" not in c.metadata.get("tags", [])
                      for o in c.outputs if o.output_type == "error"]
            assert not errors


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


def test_tour_notebook_outcomes():
    nb = run(ROOT / "notebooks" / "01-cluster-tour.ipynb")
    cells = {c.source.strip(): c for c in nb.cells if c.cell_type == "code"}
    assert "connected: http://127.0.0.1:" in _text(cells["%connect"].outputs[0])
    assert "rack:r2d2" in _text(cells["%agents"].outputs[0])
    assert "subscribed" in _text(cells["%subscribe --name tour"].outputs[0])
    launch = next(c for s, c in cells.items() if s.startswith("%launch"))
    assert any("TASK_FINISHED" in _text(o) for o in launch.outputs)
    assert "torn down" in _text(cells["%teardown"].outputs[0])
    assert "stopped the embedded Mesos" in _text(cells["%local stop"].outputs[0])
