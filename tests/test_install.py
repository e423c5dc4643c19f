"""The kernel installs as Jupyter kernels are installed, and works with no checkout in reach:

- the wheel (install/build-wheel.sh, maturin) into a fresh virtualenv outside the repository:
  `mesos-kernel` and `mesos-local` on the venv's PATH, the kernelspec `mesos` listed by that venv's
  `jupyter kernelspec list` right after `pip install`, and mesos-lib's sources inside the package;
- `cargo install --path` of the kernel and of mesos-local, then `mesos-kernel install --prefix`.

Each runs a notebook through that venv's own Jupyter (nbclient), from a temporary directory,
with no MESOS_KERNEL_LIB_DIR, JUPYTER_PATH, MESOS_MASTER or MESOS_ZK: a Rust cell uses `mesos_lib`
(types, and the live session) and magics launch a task on the embedded Mesos. The kernel's log
says where the cells' mesos-lib came from: never the checkout.

Builds reuse the workspace's release target/ (cargo install too, through CARGO_TARGET_DIR), so
with a built tree they only package and link."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT

# The cargo selection that installs mesos-local: the one place to change if it moves.
MESOS_LOCAL_INSTALL = ["--path", "mesos-lib/mesos-local"]
# Bounds: a build that has to compile (the kernel crate changed) and pip on a slow mirror day.
BUILD_TIMEOUT = 1800
PIP_TIMEOUT = 600
RUN_TIMEOUT = 900

NOTEBOOK = [
    "%connect\n%subscribe --name installed-kernel",
    "%launch --name hello --cpus 0.1 --mem 32 --wait TASK_FINISHED -- echo hello-from-mesos",
    "use mesos_lib::{session, v1::Resource};\n"
    "let cpus = Resource::scalar(\"cpus\", 0.5);\n"
    "let mine = session::tasks().unwrap();\n"
    "println!(\"{} {} tasks {}\", cpus.name, mine.len(), mine.iter().any(|t| t.name == \"hello\"));",
    "%teardown\n%local stop",
]

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name=sys.argv[2], timeout=600, startup_timeout=120).execute()
nbformat.write(nb, sys.argv[3])
"""


def timed(what, cmd, timeout, **kw):
    """Runs cmd (check=True), prints how long it took (pytest -s shows it), returns its output."""
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    print(f"{what}: {time.monotonic() - start:.1f} s")
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


def clean_env(tmp, **extra):
    """The environment of a user who has only the installed kernel: nothing of the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MESOS_KERNEL_LIB_DIR", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "MESOS_MASTER",
                        "MESOS_ZK", "VIRTUAL_ENV", "PYTHONPATH", "CARGO_TARGET_DIR")}  # fmt: skip
    checkout = str(ROOT)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(checkout))
    # jupyter_client looks in the user's data dir before the environment's: an empty one, so a
    # kernelspec `mesos` installed there for the checkout's kernel cannot stand in.
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["MESOS_KERNEL_STATE_DIR"] = str(tmp / "state")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtualenv outside the repository with the wheel (and nbclient, to run notebooks)."""
    tmp = tmp_path_factory.mktemp("installed")
    assert not str(tmp).startswith(str(ROOT))
    maturin = ROOT / ".venv" / "bin" / "maturin"
    assert maturin.exists(), "maturin is missing from .venv: run install/setup.sh (install/requirements.txt)"
    timed("wheel build", [str(ROOT / "install" / "build-wheel.sh")], BUILD_TIMEOUT, cwd=ROOT)
    [wheel] = (ROOT / "target" / "wheels").glob("mesos_kernel-*.whl")
    shutil.copy(wheel, tmp)
    venv = tmp / "venv"
    timed("venv", [sys.executable, "-m", "venv", str(venv)], 120, cwd=tmp)
    # The Jupyter side at the versions the project pins (a constraints file, not the checkout's code).
    timed("pip install", [str(venv / "bin" / "pip"), "install", "-q", "-c", str(ROOT / "install" / "requirements.txt"),
                          str(tmp / wheel.name), "nbclient", "nbformat"], PIP_TIMEOUT, cwd=tmp)  # fmt: skip
    return tmp, venv


def run_notebook(tmp, venv, kernel_name):
    """Runs NOTEBOOK through the venv's nbclient from `tmp`; returns (executed notebook, kernel log)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    src, out = tmp / f"{kernel_name}-in.ipynb", tmp / f"{kernel_name}-out.ipynb"
    nbformat.write(nb, src)
    (tmp / "runner.py").write_text(RUNNER)
    done = timed(f"notebook on {kernel_name}", [str(venv / "bin" / "python"), "runner.py", src.name, kernel_name, out.name],
                 RUN_TIMEOUT, cwd=tmp, env=clean_env(tmp))  # fmt: skip
    executed = nbformat.read(out, as_version=4)
    errors = [(c.source, o.get("evalue")) for c in executed.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    return executed, done.stderr


def cells_lib(log):
    """The mesos-lib directory the kernel's log says Rust cells build against."""
    marker = "Rust cells build against mesos-lib in "
    [line] = [l for l in log.splitlines() if marker in l]
    return line.split(marker, 1)[1].strip()


def check_outcomes(nb, log, expected_lib):
    text = lambda c: "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in c.outputs)  # noqa: E731
    assert "reached TASK_FINISHED" in text(nb.cells[1]), text(nb.cells[1])
    assert "cpus 1 tasks true" in text(nb.cells[2]), text(nb.cells[2])
    assert "stopped the embedded Mesos" in text(nb.cells[3])
    # Where the Rust cells' mesos-lib came from, as the kernel logged it.
    lib = cells_lib(log)
    assert pathlib.Path(lib).resolve() == pathlib.Path(expected_lib).resolve(), lib
    assert not lib.startswith(str(ROOT)), lib


def test_the_wheel_installs_a_working_kernel(venv):
    tmp, env_dir = venv
    env = clean_env(tmp)
    for binary in ("mesos-kernel", "mesos-local"):
        assert os.access(env_dir / "bin" / binary, os.X_OK), f"{binary} not in the venv's bin/"
    specs = json.loads(timed("kernelspec list", [str(env_dir / "bin" / "jupyter"), "kernelspec", "list", "--json"],
                             60, cwd=tmp, env=env).stdout)["kernelspecs"]  # fmt: skip
    spec = specs["mesos"]
    assert pathlib.Path(spec["resource_dir"]).resolve().is_relative_to(env_dir.resolve()), spec
    assert spec["spec"]["argv"][:3] == ["python", "-m", "mesos_kernel"], spec
    assert spec["spec"]["display_name"] == "Mesos (Rust)"
    lib = env_dir / "share" / "mesos-kernel" / "mesos-lib"
    manifest = (lib / "Cargo.toml").read_text()
    assert "workspace = true" not in manifest and 'name = "mesos-lib"' in manifest, manifest
    nb, log = run_notebook(tmp, env_dir, "mesos")
    check_outcomes(nb, log, lib)
    assert not (tmp / "state" / "local-mesos.json").exists(), "the embedded Mesos was left running"


def test_cargo_install_gives_a_working_kernel(venv):
    tmp, env_dir = venv
    root = tmp / "cargo-root"
    # The workspace's target/ keeps it incremental; cargo install builds the same release artifacts.
    cargo = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"))
    for what in (["--path", "kernel"], MESOS_LOCAL_INSTALL):
        timed(f"cargo install {' '.join(what)}", ["cargo", "install", "--locked", "--root", str(root), *what],
              BUILD_TIMEOUT, cwd=ROOT, env=cargo)  # fmt: skip
    env = clean_env(tmp)
    timed("mesos-kernel install", [str(root / "bin" / "mesos-kernel"), "install", "--prefix", str(env_dir),
                                   "--name", "mesos-cargo"], 60, cwd=tmp, env=env)  # fmt: skip
    cache = pathlib.Path(os.environ.get("MESOS_KERNEL_CACHE_DIR") or pathlib.Path.home() / ".cache" / "mesos-kernel")
    nb, log = run_notebook(tmp, env_dir, "mesos-cargo")
    lib = pathlib.Path(cells_lib(log))
    # The copy built into the binary, written under the cache directory.
    assert lib.resolve().is_relative_to((cache / "cell-crate").resolve()), lib
    check_outcomes(nb, log, lib)
