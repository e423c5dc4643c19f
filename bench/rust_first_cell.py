"""What `mesos_lib` in every Rust session costs: time from kernel start to the first Rust cell
that uses it, with an empty cache directory (cold: evcxr builds mesos-lib's light core and its
dependencies), then after a kernel restart and in a fresh kernel process (warm: the kept build
directory is reused). Prints figures; asserts nothing about speed.

    JUPYTER_PATH=… .venv/bin/python bench/rust_first_cell.py [--cache-dir DIR]
"""

import argparse
import os
import tempfile
import time

from jupyter_client import KernelManager

CELL = 'mesos_lib::v1::TaskId::new("x").value'


def first_cell(km, timeout=900):
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive(CELL, timeout=timeout, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache-dir", help="cache directory (default: a fresh temporary one)")
    args = ap.parse_args()
    cache = args.cache_dir or tempfile.mkdtemp(prefix="mesos-kernel-cache-")
    env = dict(os.environ, MESOS_KERNEL_CACHE_DIR=cache)
    figures = []
    km = KernelManager(kernel_name="mesos")
    t0 = time.perf_counter()
    km.start_kernel(env=env)
    try:
        first_cell(km)
        figures.append(("cold (empty cache), start -> first mesos_lib cell", time.perf_counter() - t0))
        t0 = time.perf_counter()
        km.restart_kernel(now=False)
        first_cell(km)
        figures.append(("warm, kernel restart -> first mesos_lib cell", time.perf_counter() - t0))
    finally:
        km.shutdown_kernel(now=False)
    km = KernelManager(kernel_name="mesos")
    t0 = time.perf_counter()
    km.start_kernel(env=env)
    try:
        first_cell(km)
        figures.append(("warm, new kernel process -> first mesos_lib cell", time.perf_counter() - t0))
    finally:
        km.shutdown_kernel(now=False)
    print(f"cache directory: {cache}")
    for name, secs in figures:
        print(f"{name}: {secs:.1f} s")


if __name__ == "__main__":
    main()
