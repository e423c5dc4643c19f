"""Kernel speed, side by side with ipykernel, in one run.

For each kernel: time from process start to the first kernel_info_reply; the round trip of a
trivial request (`%lsmagic` on ours, `pass` on ipykernel) until both its reply and its idle have
arrived; and, for ours, the first Rust cell after start. Targets (issue 2): ready in at most a
tenth of ipykernel's time, the round trip in at most half of ipykernel's.

    .venv/bin/python bench/kernel_startup.py [--runs N]
"""

import argparse
import queue
import statistics
import time

from jupyter_client import KernelManager


def roundtrip(kc, code, timeout=300):
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    got_reply = got_idle = False
    while not (got_reply and got_idle):
        if not got_reply:
            try:
                m = kc.get_shell_msg(timeout=0.001)
                got_reply = m["parent_header"].get("msg_id") == msg_id
            except queue.Empty:
                pass
        try:
            m = kc.get_iopub_msg(timeout=0.001)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                    and m["content"]["execution_state"] == "idle":
                got_idle = True
        except queue.Empty:
            pass
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(code)
    return time.perf_counter() - t0


def measure(kernel_name, trivial, rust_cell, runs):
    ready, trips, first = [], [], []
    for _ in range(runs):
        km = KernelManager(kernel_name=kernel_name)
        t0 = time.perf_counter()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            while True:
                kc.kernel_info()
                try:
                    kc.get_shell_msg(timeout=0.01)
                    ready.append(time.perf_counter() - t0)
                    break
                except queue.Empty:
                    if time.perf_counter() - t0 > 60:
                        raise TimeoutError("kernel_info")
            kc.wait_for_ready(timeout=60)  # our IOPub subscription is live from here on
            if rust_cell:
                first.append(roundtrip(kc, rust_cell))
            roundtrip(kc, trivial)  # warm
            trips.extend(roundtrip(kc, trivial) for _ in range(30))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    return ready, trips, first


def ms(xs):
    return statistics.median(xs) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ours = measure("mesos", "%lsmagic", "let answer = 6 * 7; answer", args.runs)
    ipy = measure("python3", "pass", None, args.runs)
    print(f"{'figure (median of runs)':50} {'mesos':>10} {'ipykernel':>10} {'ratio':>7} {'target':>7}")
    for name, a, b, target in [
        ("ready: process start to first kernel_info_reply", ms(ours[0]), ms(ipy[0]), 0.1),
        ("round trip: %lsmagic (ours) vs pass (ipykernel)", ms(ours[1]), ms(ipy[1]), 0.5),
    ]:
        ratio = a / b
        print(f"{name:50} {a:8.1f}ms {b:8.1f}ms {ratio:7.3f} {'<=' + str(target):>7} {'ok' if ratio <= target else 'MISSED'}")
    print(f"{'first Rust cell after start (evcxr warm-up incl.)':50} {ms(ours[2]):8.1f}ms")


if __name__ == "__main__":
    main()
