#!/usr/bin/env python3
"""avmesos 0.4.2 side of the acknowledgement benchmark (mesos-lib/mesos-local/benches/acks.rs).

Same loop as the Rust side: on every offer, launch as many tasks as fit (at most --per-offer)
until enough for N updates are launched; avmesos acknowledges every update itself
(Update.ack() in its event loop, one new HTTP connection per ACKNOWLEDGE). Workloads as in
acks.rs: `container` tasks (DOCKER ContainerInfo; the agent fails each at once with one
TASK_FAILED with a uuid) or `true` tasks (STARTING, RUNNING, FINISHED). The clock runs from
the first launch to the N-th update with a uuid. Prints one line for acks.rs to parse:
  avmesos: updates=N wall_s=... cpu_s=... rate=...
Run alone: .venv/bin/python bench/avmesos_acks.py --url http://127.0.0.1:PORT --updates 3000
"""

import argparse
import getpass
import logging
import math
import os
import resource
import sys
import threading
import time

from avmesos.client import MesosClient


def scalar(offer, name):
    return sum(
        r.get("scalar", {}).get("value", 0.0)
        for r in offer.get("resources", [])
        if r.get("name") == name and r.get("type") == "SCALAR"
    )


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--updates", type=int, default=3000)
    # Defaults are the container workload's, as acks.rs passes them.
    ap.add_argument("--cpus", type=float, default=0.01)
    ap.add_argument("--mem", type=float, default=4.0)
    ap.add_argument("--per-offer", type=int, default=512)
    ap.add_argument("--workload", choices=["container", "true"], default="container")
    ap.add_argument("--image", default="busybox")
    ap.add_argument("--timeout", type=float, default=3600.0)
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)

    per_task = 1 if args.workload == "container" else 3
    tasks_needed = math.ceil(args.updates / per_task)
    expected = tasks_needed * per_task
    st = {"launched": 0, "updates": 0, "start": None, "cpu0": None, "end": None}
    done = threading.Event()
    client = MesosClient(
        mesos_urls=[args.url],
        frameworkName="acks-bench-avmesos",
        frameworkUser=getpass.getuser(),
    )

    def on_offers(offers):
        for offer in offers:
            o = offer.get_offer()
            fit = min(
                int(scalar(o, "cpus") / args.cpus + 1e-9),
                int(scalar(o, "mem") / args.mem + 1e-9),
                args.per_offer,
                tasks_needed - st["launched"],
            )
            if fit <= 0:
                # refuse_seconds 0, as on the Rust side: the 5 s default would idle the agent.
                offer.decline({"filters": {"refuse_seconds": 0}})
                continue
            if st["start"] is None:
                st["start"] = time.monotonic()
                st["cpu0"] = cpu_seconds()
            tasks = []
            for i in range(fit):
                tid = "t%d" % (st["launched"] + i)
                task = {
                    "name": tid,
                    "task_id": {"value": tid},
                    # avmesos only adds the legacy slave_id; set agent_id ourselves.
                    "agent_id": {"value": o["agent_id"]["value"]},
                    "resources": [
                        {"name": "cpus", "type": "SCALAR", "scalar": {"value": args.cpus}},
                        {"name": "mem", "type": "SCALAR", "scalar": {"value": args.mem}},
                    ],
                    "command": {"shell": False, "value": "true", "arguments": ["true"]},
                }
                if args.workload == "container":
                    task["container"] = {"type": "DOCKER", "docker": {"image": args.image}}
                tasks.append(task)
            offer.accept(tasks)
            st["launched"] += fit

    def on_update(update):
        # avmesos has already acknowledged it (synchronously) when this runs.
        if "uuid" in update.get("status", {}):
            st["updates"] += 1
            if st["updates"] >= expected and st["end"] is None:
                st["end"] = time.monotonic()
                st["cpu1"] = cpu_seconds()
                done.set()

    def on_subscribed(driver):
        st["driver"] = driver

    client.on(MesosClient.SUBSCRIBED, on_subscribed)
    client.on(MesosClient.OFFERS, on_offers)
    client.on(MesosClient.UPDATE, on_update)
    threading.Thread(target=client.register, daemon=True).start()
    if not done.wait(args.timeout):
        print("avmesos: timed out after %d updates" % st["updates"], file=sys.stderr)
        os._exit(1)
    wall = st["end"] - st["start"]
    cpu = st["cpu1"] - st["cpu0"]
    if "driver" in st:
        st["driver"].tearDown()
    print("avmesos: updates=%d wall_s=%.3f cpu_s=%.3f rate=%.1f" % (expected, wall, cpu, expected / wall))
    sys.stdout.flush()
    # register() blocks on the stream until the next event; do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    main()
