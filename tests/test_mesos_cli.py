"""The official Mesos CLI (PyPI avmesos-cli, `mesos-cli`) against `mesos-local`.

A module-scoped cluster gets a framework subscribed and a task running through the raw v1
scheduler API (RecordIO stream, ACCEPT, ACKNOWLEDGE); each test runs one CLI command as a
subprocess, as a user would, and checks what it prints. The CLI reads `/slaves`,
`/master/frameworks/` and `/tasks?order=asc&limit=-1`: the paths libprocess serves with a
trailing slash and without the `/master` prefix.
"""

import getpass
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

import pytest

from conftest import mesos_local, read_events, stop_mesos_local

WAIT = 30
FRAMEWORK_NAME = "cli-test"
FRAMEWORK_HOST = "cli-host"
TASK_ID = "cli-sleep"


def post(url, body, stream_id=None):
    """POSTs a JSON call to the scheduler API; returns the status code."""
    req = urllib.request.Request(f"{url}/api/v1/scheduler", data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if stream_id:
        req.add_header("Mesos-Stream-Id", stream_id)
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return r.status


class Subscription:
    """A framework's SUBSCRIBE stream, its events read into a queue by a thread."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": getpass.getuser(), "name": FRAMEWORK_NAME, "hostname": FRAMEWORK_HOST}}}  # fmt: skip
        self.conn.request("POST", "/api/v1/scheduler", json.dumps(body), {"Content-Type": "application/json", "Accept": "application/json"})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.read()
        self.stream_id = self.resp.getheader("Mesos-Stream-Id")
        self.events = queue.Queue()
        threading.Thread(target=read_events, args=(self.resp, self.events), daemon=True).start()

    def next(self, kind):
        """The next event of type `kind` (others are skipped)."""
        while True:
            event = self.events.get(timeout=WAIT)
            if event["type"] == kind:
                return event

    def close(self):
        self.conn.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """mesos-local with one agent, a subscribed framework and one running task, and a CLI
    config file pointing at it (never the user's ~/.mesos)."""
    tmp = tmp_path_factory.mktemp("mesos-cli")
    proc, url = mesos_local("--allocation-interval", "0.2", "--work-dir", str(tmp / "work"))
    sub = None
    try:
        sub = Subscription(url)
        fid = sub.next("SUBSCRIBED")["subscribed"]["framework_id"]["value"]
        offer = sub.next("OFFERS")["offers"]["offers"][0]
        agent_id = offer["agent_id"]["value"]
        task = {"name": TASK_ID, "task_id": {"value": TASK_ID}, "agent_id": {"value": agent_id},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                              {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
                "command": {"shell": True, "value": "sleep 600"}}  # fmt: skip
        accept = {"type": "ACCEPT", "framework_id": {"value": fid}, "accept": {
            "offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]}}  # fmt: skip
        assert post(url, accept, sub.stream_id) == 202
        # One update at a time: TASK_RUNNING comes once TASK_STARTING is acknowledged.
        while True:
            status = sub.next("UPDATE")["update"]["status"]
            ack = {"type": "ACKNOWLEDGE", "framework_id": {"value": fid}, "acknowledge": {
                "agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": status["uuid"]}}  # fmt: skip
            assert post(url, ack, sub.stream_id) == 202
            assert status["state"] in ("TASK_STARTING", "TASK_RUNNING"), status
            if status["state"] == "TASK_RUNNING":
                break
        host = urllib.parse.urlsplit(url)
        config = tmp / "config.toml"
        config.write_text(f'[master]\naddress = "{host.hostname}:{host.port}"\n')
        yield {"url": url, "framework_id": fid, "agent_id": agent_id, "hostname": offer["hostname"], "config": config, "home": tmp}
    finally:
        if sub:
            sub.close()
        stop_mesos_local(proc)


def cli(cluster, *args):
    """Runs `mesos-cli ARGS` (the package's entry point, with this Python); returns stdout."""
    env = dict(os.environ, MESOS_CLI_CONFIG=str(cluster["config"]), HOME=str(cluster["home"]))
    done = subprocess.run([sys.executable, "-m", "avmesos.cli.mesos-cli", *args], env=env, capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "Error" not in done.stderr, done.stderr
    return done.stdout


def table_rows(text):
    """The rows of one of the CLI's tables, each as its whitespace-separated cells."""
    return [line.split() for line in text.strip().splitlines()[1:]]


def test_agent_list(cluster):
    out = cli(cluster, "agent", "list")
    assert out.split()[:4] == ["Agent", "ID", "Hostname", "Active"], out
    assert [cluster["agent_id"], cluster["hostname"], "True"] in table_rows(out), out


def test_framework_list(cluster):
    out = cli(cluster, "framework", "list")
    assert [cluster["framework_id"], "True", FRAMEWORK_HOST, FRAMEWORK_NAME] in table_rows(out), out


def test_framework_inspect(cluster):
    out = cli(cluster, "framework", "inspect", cluster["framework_id"])
    framework = json.loads(out)
    assert framework["id"] == cluster["framework_id"]
    assert framework["name"] == FRAMEWORK_NAME
    assert framework["active"] is True
    assert framework["used_resources"]["cpus"] == pytest.approx(0.1)
    # The CLI drops the task lists; what remains is /master/frameworks's entry.
    assert "tasks" not in framework and "offered_resources" in framework


def test_task_list(cluster):
    out = cli(cluster, "task", "list")
    assert [TASK_ID, "TASK_RUNNING", cluster["framework_id"]] in table_rows(out), out


def test_task_inspect(cluster):
    task = json.loads(cli(cluster, "task", "inspect", TASK_ID))
    assert task["id"] == TASK_ID
    assert task["state"] == "TASK_RUNNING"
    assert task["framework_id"] == cluster["framework_id"]
    assert task["slave_id"] == cluster["agent_id"]
    assert [s["state"] for s in task["statuses"]] == ["TASK_STARTING", "TASK_RUNNING"]
