"""How fast Rust cells are, side by side in one run: the compiler's floor (rustc compiling and
linking a trivial cdylib), evcxr on its own as evcxr_jupyter drives it (the same evcxr version,
default options, its own process: `kernel/examples/evcxr_cells.rs`), and our kernel through
jupyter_client. Prints figures and ratios; asserts nothing about speed.

    .venv/bin/python bench/rust_cells.py [--small N] [--skip-cold]

Kernel figures: the first cell after start (a warm cache), the median of N small distinct cells,
a cell defining a function, where a small cell's time goes (cargo's own checks, and the cell
crate's rustc alone: its front end, then code generation and link), the first cell using `mesos_lib` with
an empty cache directory (cold: what a fresh machine pays), right after the first cell of a
restarted kernel (warm) and as the first cell of a second kernel running at the same time, a 20-cell notebook end to end (nbclient, kernel start included), and the resident
memory of the kernel process (where evcxr's analyzer lives) and of its cell process.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = os.path.join(ROOT, "target", "release", "examples", "evcxr_cells")
SMALL = "let v{i} = {i} * 2; v{i} + 1"
FUNCTION = "fn twice(x: i64) -> i64 { x * 2 }\ntwice(21)"
MESOS_LIB = 'mesos_lib::v1::TaskId::new("x").value'


def ms(seconds):
    return f"{seconds * 1e3:8.1f} ms"


def _host():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return re.search(r"^host: (\S+)", out, re.M).group(1)


def breakdown(slot, runs=7):
    """Where one cell's compile goes, in a kernel's build slot: cargo's own work (a build with
    nothing to do), then the cell crate's rustc run alone, whole (compiled and linked) and
    stopped after the front end. Each run changes the source, as every cell does."""
    host = _host()
    rustc = subprocess.run(["rustup", "which", "rustc"], capture_output=True, text=True,
                           check=True).stdout.strip()
    # The environment evcxr builds cells with, so cargo reuses what the kernel built.
    env = dict(os.environ, CARGO_TARGET_DIR="target", CARGO_BUILD_BUILD_DIR="target",
               RUSTC=rustc, RUSTFLAGS="-Cprefer-dynamic")
    cargo = ["cargo", "build", "--target", host, "--message-format=json"]
    lib = os.path.join(slot, "src", "lib.rs")
    source = open(lib).read()
    os.utime(lib)
    p = subprocess.run(cargo + ["-v"], cwd=slot, env=env, capture_output=True, text=True)
    m = re.search(r"Running `(\S*rustc --crate-name ctx .*?)`$", p.stderr, re.M)
    if p.returncode or not m:
        return None
    nothing = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cargo, cwd=slot, env=env, capture_output=True, check=True)
        nothing.append(time.perf_counter() - t)
    args = shlex.split(m.group(1))
    scratch = tempfile.mkdtemp(prefix="cell-breakdown-")
    args[args.index("--out-dir") + 1] = scratch
    emit = next(i for i, a in enumerate(args) if a.startswith("--emit"))
    inc = next(i for i, a in enumerate(args) if a.startswith("incremental="))

    def variant(name, emit_what, crate_type):
        # Each variant its own incremental directory, as one kernel slot has one.
        a = list(args)
        a[emit] = f"--emit={emit_what}"
        a[a.index("--crate-type") + 1] = crate_type
        a[inc] = f"incremental={scratch}/inc-{name}"
        return a

    variants = {"front": variant("front", "metadata", "lib"),
                "rustc": variant("rustc", "link", "cdylib")}
    times = {name: [] for name in variants}
    try:
        # Interleaved, so a change in the machine's load falls on both alike.
        for k in range(runs + 1):
            for name, a in variants.items():
                # As evcxr changes it from cell to cell: the entry point's name, and new code.
                cell = re.sub(r"run_user_code_\d+", f"run_user_code_{100000 + k}", source)
                with open(lib, "w") as f:
                    f.write(cell + f"\npub fn breakdown_{k}() -> u32 {{ {k} }}\n")
                t = time.perf_counter()
                subprocess.run(a, cwd=slot, env=env, capture_output=True, check=True)
                if k:  # the first run of each fills its incremental directory
                    times[name].append(time.perf_counter() - t)
    finally:
        with open(lib, "w") as f:
            f.write(source)
        shutil.rmtree(scratch, ignore_errors=True)
    front, rustc = (statistics.median(times[n]) for n in ("front", "rustc"))
    return {"cargo": statistics.median(nothing), "front": front, "rustc": rustc}


def floor(runs=7):
    """Median time of rustc compiling and linking a trivial cdylib."""
    d = tempfile.mkdtemp(prefix="rust-floor-")
    src = os.path.join(d, "lib.rs")
    with open(src, "w") as f:
        f.write('#[unsafe(no_mangle)]\npub extern "C" fn seven() -> i32 { 7 }\n')
    times = []
    for i in range(runs):
        t = time.perf_counter()
        subprocess.run(["rustc", "--edition", "2024", "--crate-type", "cdylib", "-C",
                        "prefer-dynamic", "-o", os.path.join(d, f"l{i}.so"), src], check=True)
        times.append(time.perf_counter() - t)
    shutil.rmtree(d, ignore_errors=True)
    return statistics.median(times)


def plain_evcxr(small):
    """evcxr on its own: start-up, first cell, median small cell, a function cell."""
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "mesos-kernel",
                    "--example", "evcxr_cells"], cwd=ROOT, check=True)
    cells = [SMALL.format(i=100)] + [SMALL.format(i=i) for i in range(small)] + [FUNCTION]
    tmp = tempfile.mkdtemp(prefix="evcxr-plain-")
    t0 = time.perf_counter()
    p = subprocess.Popen([HARNESS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         cwd=tmp, env=dict(os.environ, EVCXR_TMPDIR=tmp))
    ready = json.loads(p.stdout.readline())
    times = []
    for c in cells:
        t = time.perf_counter()
        p.stdin.write(json.dumps(c) + "\n")
        p.stdin.flush()
        out = json.loads(p.stdout.readline())
        assert out["ok"], c
        times.append(time.perf_counter() - t)
        if len(times) == 1:
            first_after_start = time.perf_counter() - t0
    p.stdin.close()
    p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
    return {"ready": ready["ready_ms"] / 1e3, "first_after_start": first_after_start,
            "small": statistics.median(times[1:-1]), "function": times[-1],
            "rss_mb": ready["rss_mb"]}


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


class Kernel:
    """One kernel of ours, started through jupyter_client with its own cache and state."""

    def __init__(self, cache, state):
        self.km = KernelManager(kernel_name="mesos")
        self.started = time.perf_counter()
        self.km.start_kernel(env=dict(os.environ, MESOS_KERNEL_CACHE_DIR=cache,
                                      MESOS_KERNEL_STATE_DIR=state))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code, timeout=1800):
        t = time.perf_counter()
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", (code, reply["content"])
        return time.perf_counter() - t

    def memory(self):
        pid = self.km.provisioner.pid
        cell = sum(rss_mb(c) for c in children(pid))
        return rss_mb(pid), cell

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def kernel_figures(small, skip_cold):
    root = tempfile.mkdtemp(prefix="rust-cells-bench-")
    cache, state = os.path.join(root, "cache"), os.path.join(root, "state")
    f = {}
    if not skip_cold:
        k = Kernel(cache, state)
        f["mesos_lib_cold"] = k.run(MESOS_LIB)
        f["mesos_lib_cold_after_start"] = time.perf_counter() - k.started
        k.stop()
    else:
        cache = os.environ.get("MESOS_KERNEL_CACHE_DIR", cache)
    k = Kernel(cache, state)
    k.run(SMALL.format(i=100))
    f["first_after_start"] = time.perf_counter() - k.started
    f["mesos_lib_warm"] = k.run(MESOS_LIB)
    times = [k.run(SMALL.format(i=i)) for i in range(small)]
    f["small"] = statistics.median(times)
    f["function"] = k.run(FUNCTION)
    f["rss_kernel_mb"], f["rss_cells_mb"] = k.memory()
    # A second kernel at the same time takes another build slot.
    k2 = Kernel(cache, state)
    f["mesos_lib_concurrent"] = k2.run(MESOS_LIB)
    f["mesos_lib_concurrent_after_start"] = time.perf_counter() - k2.started
    k2.stop()
    k.stop()
    f["breakdown"] = breakdown(os.path.join(cache, "evcxr", "slot-0"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in notebook_cells()]
    t = time.perf_counter()
    NotebookClient(nb, kernel_name="mesos", timeout=600,
                   resources={"metadata": {"path": root}}).execute(
        env=dict(os.environ, MESOS_KERNEL_CACHE_DIR=cache, MESOS_KERNEL_STATE_DIR=state))
    f["notebook20"] = time.perf_counter() - t
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    shutil.rmtree(root, ignore_errors=True)
    return f


def notebook_cells():
    """Twenty cells as a tutorial notebook has them: values, functions, types, output."""
    cells = [
        "let name = \"mesos\";\nname.len()",
        "fn square(x: u64) -> u64 { x * x }",
        "square(12)",
        "let xs: Vec<u64> = (1..=10).map(square).collect();\nxs.iter().sum::<u64>()",
        "#[derive(Debug, Clone)]\nstruct Slot { cpus: f64, mem: u64 }",
        "let slot = Slot { cpus: 0.5, mem: 128 };\nslot.clone()",
        "println!(\"{} cpus\", slot.cpus);",
        "let total: f64 = xs.iter().map(|&x| x as f64 * slot.cpus).sum();\ntotal",
        MESOS_LIB,
        "use std::collections::HashMap;\nlet mut by_role: HashMap<&str, u32> = HashMap::new();",
        "by_role.insert(\"web\", 3);\nby_role.insert(\"batch\", 1);\nby_role.len()",
        "by_role[\"web\"] * 2",
        "let words = name.to_uppercase();\nwords",
        "format!(\"{:?}\", slot)",
        "xs.len() + by_role.len()",
        "let id = mesos_lib::v1::TaskId::new(\"web-1\");\nid.value.clone()",
        "fn label(n: usize) -> String { format!(\"task-{n}\") }\nlabel(7)",
        "(0..5).map(label).collect::<Vec<_>>()",
        "let done = xs.iter().filter(|&&x| x > 20).count();\ndone",
        "eprintln!(\"finished\");",
    ]
    assert len(cells) == 20
    return cells


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10, help="small cells to take the median of")
    ap.add_argument("--skip-cold", action="store_true",
                    help="skip the empty-cache kernel (uses $MESOS_KERNEL_CACHE_DIR if set)")
    args = ap.parse_args()
    fl = floor()
    ev = plain_evcxr(args.small)
    k = kernel_figures(args.small, args.skip_cold)
    load = os.getloadavg()[0]
    print(f"# Rust cells (load average {load:.1f}; {os.cpu_count()} cores)")
    print(f"floor: rustc compiles and links a trivial cdylib  {ms(fl)}")
    print(f"evcxr alone: start-up {ms(ev['ready'])}, first cell after start {ms(ev['first_after_start'])}, "
          f"small cell (median) {ms(ev['small'])}, function cell {ms(ev['function'])}, "
          f"resident {ev['rss_mb']:.0f} MB")
    print(f"kernel: first cell after start                    {ms(k['first_after_start'])}")
    print(f"kernel: small cell (median of {args.small})                 {ms(k['small'])}"
          f"   = {k['small'] / fl:.2f} x floor, {k['small'] / ev['small']:.2f} x evcxr")
    b = k["breakdown"]
    if b:
        rest = k["small"] - b["cargo"] - b["rustc"]
        print(f"  where a small cell goes: cargo's own checks {ms(b['cargo'])}; the cell crate's rustc "
              f"{ms(b['rustc'])} = {b['rustc'] / fl:.2f} x floor (front end {ms(b['front'])}, "
              f"code generation and link {ms(b['rustc'] - b['front'])}); the rest "
              f"(evcxr's analyzer, loading and running, the kernel) {ms(rest)}")
    print(f"kernel: function cell                              {ms(k['function'])}"
          f"   = {k['function'] / ev['function']:.2f} x evcxr")
    if "mesos_lib_cold" in k:
        print(f"kernel: first mesos_lib cell, empty cache          {ms(k['mesos_lib_cold'])}"
              f"   ({k['mesos_lib_cold_after_start']:.1f} s after start)")
    print(f"kernel: first mesos_lib cell, warm cache           {ms(k['mesos_lib_warm'])}")
    print(f"kernel: first mesos_lib cell, 2nd kernel at once   {ms(k['mesos_lib_concurrent'])}"
          f"   ({k['mesos_lib_concurrent_after_start']:.1f} s after start)")
    print(f"kernel: 20-cell notebook end to end (nbclient)     {k['notebook20']:8.2f} s")
    print(f"kernel: resident after warm-up: kernel process {k['rss_kernel_mb']:.0f} MB, "
          f"cell process {k['rss_cells_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
