"""A third-party scheduler (avmesos 0.4.2) against `mesos-local`.

Subscribes, takes an offer, launches three tasks that finish, fail and are killed,
acknowledges every update (avmesos acks before calling back), reconciles the running
task, and tears the framework down. Every wait is a queue/Event wait with a timeout.
"""

import getpass
import json
import os
import pathlib
import queue
import threading
import urllib.request
import uuid

import pytest
from avmesos.client import MesosClient

from conftest import mesos_local, stop_mesos_local

WAIT = 30


def get_json(url):
    with urllib.request.urlopen(url, timeout=WAIT) as r:
        return json.loads(r.read())


def processes_with(marker):
    """PIDs of live processes whose command line contains `marker`."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def mesos(tmp_path):
    proc, url = mesos_local("--heartbeat-interval", "1", "--allocation-interval", "0.2",
                            "--work-dir", str(tmp_path / "work"), timeout=WAIT)  # fmt: skip
    try:
        yield proc, url
    finally:
        stop_mesos_local(proc, timeout=WAIT)


def test_three_tasks_lifecycle(mesos):
    proc, url = mesos
    marker = f"avmesos-{uuid.uuid4().hex}"
    client = MesosClient(mesos_urls=[url], frameworkName="avmesos-test",
                         frameworkUser=getpass.getuser())
    subscribed = threading.Event()
    drivers = queue.Queue()
    updates = queue.Queue()
    launched = threading.Event()
    offers_seen = []

    def on_subscribed(driver):
        drivers.put(driver)
        subscribed.set()

    def on_offers(offers):
        for offer in offers:
            o = offer.get_offer()
            offers_seen.append(o)
            if launched.is_set():
                offer.decline()
                continue
            launched.set()
            agent = o["agent_id"]["value"]

            def task(name, command):
                return {
                    "name": name,
                    "task_id": {"value": name},
                    "agent_id": {"value": agent},
                    "command": {"value": f"{command} # {marker}", "shell": True},
                    "resources": [
                        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                        {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                    ],
                }

            offer.accept([task("finish", "true"), task("fail", "exit 3"),
                          task("kill", "sleep 300")])

    client.on(MesosClient.SUBSCRIBED, on_subscribed)
    client.on(MesosClient.OFFERS, on_offers)
    client.on(MesosClient.UPDATE, lambda u: updates.put(u["status"]))
    loop = threading.Thread(target=client.register, daemon=True)
    loop.start()

    assert subscribed.wait(WAIT), "SUBSCRIBED"
    driver = drivers.get(timeout=WAIT)
    fid = client.frameworkId
    assert fid
    assert client.get_master_info()["hostname"]

    states = {"finish": [], "fail": [], "kill": []}
    statuses = []

    def next_status():
        s = updates.get(timeout=WAIT)
        statuses.append(s)
        states[s["task_id"]["value"]].append(s["state"])
        return s

    # Wait for the long task to run, reconcile it, then kill it.
    while "TASK_RUNNING" not in states["kill"]:
        next_status()
    offer = offers_seen[0]
    assert offer["hostname"] and offer["resources"]
    agent = offer["agent_id"]["value"]
    assert processes_with(marker), "the sleeping task runs as a real process"

    driver.reconcile([{"task_id": {"value": "kill"}, "agent_id": {"value": agent}}])
    while True:
        s = next_status()
        if s.get("reason") == "REASON_RECONCILIATION":
            break
    assert s["task_id"]["value"] == "kill"
    assert s["state"] == "TASK_RUNNING"
    assert "uuid" not in s, "reconciliation updates carry no uuid and need no ack"

    driver.kill(agent, "kill")
    terminal = {"finish": "TASK_FINISHED", "fail": "TASK_FAILED", "kill": "TASK_KILLED"}
    while any(terminal[t] not in states[t] for t in terminal):
        next_status()

    for name, final in terminal.items():
        assert states[name][-1] == final, (name, states[name])
        assert "TASK_RUNNING" in states[name], (name, states[name])
    fail_status = next(s for s in statuses if s["state"] == "TASK_FAILED")
    assert fail_status["message"] == "Command exited with status 3", fail_status
    acked = [s for s in statuses if s.get("reason") != "REASON_RECONCILIATION"]
    assert all("uuid" in s for s in acked)

    # avmesos posts each ACKNOWLEDGE (answered after the master applied it) before calling
    # back, so all three terminal updates are acknowledged: the tasks are completed.
    def framework(listing):
        return [f for f in listing if f["id"] == fid]

    fw = framework(get_json(f"{url}/master/frameworks")["frameworks"])
    assert len(fw) == 1
    assert {t["id"] for t in fw[0]["completed_tasks"]} == set(terminal)
    assert fw[0]["tasks"] == []

    # Tear down: the stream ends, the loop returns, and the framework is gone.
    client.stop = True
    driver.tearDown()
    loop.join(WAIT)
    assert not loop.is_alive(), "event loop ended after TEARDOWN"
    listing = get_json(f"{url}/master/frameworks")
    assert not framework(listing["frameworks"])
    assert framework(listing["completed_frameworks"])
    assert not processes_with(marker), "no task process left behind"
    assert proc.poll() is None, "mesos-local still serving"
