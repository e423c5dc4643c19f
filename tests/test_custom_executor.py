"""A custom executor written in Python with raw HTTP only (no Mesos library) against
`mesos-local`'s agent: it subscribes on `/api/v1/executor`, runs two tasks, sends a message
the scheduler receives, receives a framework message, and ends on SHUTDOWN. The scheduler
side is raw HTTP too. Every wait is a queue wait with a timeout.
"""

import base64
import getpass
import http.client
import json
import queue
import sys
import threading
import urllib.parse
import urllib.request

import pytest

from conftest import mesos_local, read_events, stop_mesos_local

WAIT = 30

# The executor: stdlib only, as a framework would ship it.
EXECUTOR = r'''
import base64, http.client, json, os, sys, uuid

HOST, PORT = os.environ["MESOS_AGENT_ENDPOINT"].rsplit(":", 1)
FID = {"value": os.environ["MESOS_FRAMEWORK_ID"]}
EID = {"value": os.environ["MESOS_EXECUTOR_ID"]}

def log(*a):
    print(*a, file=sys.stderr, flush=True)

def post(call):
    c = http.client.HTTPConnection(HOST, int(PORT), timeout=10)
    c.request("POST", "/api/v1/executor", body=json.dumps(call),
              headers={"Content-Type": "application/json", "Accept": "application/json"})
    r = c.getresponse()
    log("call", call["type"], r.status, r.read().decode())
    c.close()

def update(tid, state):
    post({"type": "UPDATE", "framework_id": FID, "executor_id": EID, "update": {"status": {
        "task_id": {"value": tid}, "state": state, "source": "SOURCE_EXECUTOR",
        "uuid": base64.b64encode(uuid.uuid4().bytes).decode()}}})

def message(text):
    post({"type": "MESSAGE", "framework_id": FID, "executor_id": EID,
          "message": {"data": base64.b64encode(text.encode()).decode()}})

conn = http.client.HTTPConnection(HOST, int(PORT))
conn.request("POST", "/api/v1/executor", body=json.dumps(
    {"type": "SUBSCRIBE", "framework_id": FID, "executor_id": EID, "subscribe": {}}),
    headers={"Content-Type": "application/json", "Accept": "application/json"})
resp = conn.getresponse()
log("subscribed", resp.status, resp.getheader("Content-Type"))
def record():
    """One RecordIO record of the (chunked) stream: `<length>\\n<json>`."""
    size = b""
    while not size.endswith(b"\n"):
        ch = resp.read(1)
        if not ch:
            return None
        size += ch
    return json.loads(resp.read(int(size)))

tasks = []
while True:
    event = record()
    if event is None:
        log("stream ended")
        sys.exit(2)
    kind = event["type"]
    log("event", kind)
    if kind == "LAUNCH":
        tid = event["launch"]["task"]["task_id"]["value"]
        tasks.append(tid)
        update(tid, "TASK_RUNNING")
        message("launched " + tid)
    elif kind == "MESSAGE":
        text = base64.b64decode(event["message"]["data"]).decode()
        log("framework message:", text)
        if text.startswith("finish "):
            tid = text.split()[1]
            update(tid, "TASK_FINISHED")
            tasks.remove(tid)
    elif kind == "KILL":
        tid = event["kill"]["task_id"]["value"]
        update(tid, "TASK_KILLED")
        tasks.remove(tid)
    elif kind == "SHUTDOWN":
        for tid in tasks:
            update(tid, "TASK_KILLED")
        log("shutdown")
        sys.exit(0)
'''


@pytest.fixture
def mesos(tmp_path):
    proc, url = mesos_local("--heartbeat-interval", "1", "--allocation-interval", "0.2",
                            "--work-dir", str(tmp_path / "work"), timeout=WAIT)  # fmt: skip
    try:
        yield url
    finally:
        stop_mesos_local(proc, timeout=WAIT)


class Scheduler:
    """A raw-HTTP scheduler: SUBSCRIBE's events go to a queue read by the test."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.events = queue.Queue()
        self.kept = []
        self.conn = http.client.HTTPConnection(self.host, self.port)
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": getpass.getuser(), "name": "python-executor-test"}}}
        self.conn.request("POST", "/api/v1/scheduler", body=json.dumps(body),
                          headers={"Content-Type": "application/json", "Accept": "application/json"})
        resp = self.conn.getresponse()
        assert resp.status == 200
        self.stream_id = resp.getheader("Mesos-Stream-Id")
        self.resp = resp
        threading.Thread(target=read_events, args=(resp, self.events), daemon=True).start()
        self.framework_id = self.until("SUBSCRIBED")["subscribed"]["framework_id"]["value"]

    def until(self, kind):
        """The next event of `kind`; events of other kinds (but heartbeats and offers) are
        kept for later calls, in order."""
        for i, event in enumerate(self.kept):
            if event["type"] == kind:
                return self.kept.pop(i)
        while True:
            event = self.events.get(timeout=WAIT)
            if event["type"] == kind:
                return event
            if event["type"] not in ("HEARTBEAT", "OFFERS"):
                self.kept.append(event)

    def call(self, body):
        body["framework_id"] = {"value": self.framework_id}
        c = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        c.request("POST", "/api/v1/scheduler", body=json.dumps(body),
                  headers={"Content-Type": "application/json", "Mesos-Stream-Id": self.stream_id})
        r = c.getresponse()
        text = r.read().decode()
        assert r.status == 202, (r.status, text)

    def update(self):
        """The next status, acknowledged."""
        status = self.until("UPDATE")["update"]["status"]
        if "uuid" in status:
            self.call({"type": "ACKNOWLEDGE", "acknowledge": {
                "agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": status["uuid"]}})
        return status


def scalar(name, value):
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


def test_python_executor_runs_two_tasks_exchanges_messages_and_shuts_down(mesos, tmp_path):
    script = tmp_path / "executor.py"
    script.write_text(EXECUTOR)
    s = Scheduler(mesos)
    offer = s.until("OFFERS")["offers"]["offers"][0]
    agent_id = offer["agent_id"]
    executor = {"type": "CUSTOM", "executor_id": {"value": "py-exec"}, "name": "python executor",
                "command": {"value": f"{sys.executable} {script}"},
                "resources": [scalar("cpus", 0.1), scalar("mem", 32)]}
    tasks = [{"name": tid, "task_id": {"value": tid}, "agent_id": agent_id, "executor": executor,
              "resources": [scalar("cpus", 0.1), scalar("mem", 32)]} for tid in ("t1", "t2")]
    s.call({"type": "ACCEPT", "accept": {"offer_ids": [offer["id"]], "operations": [
        {"type": "LAUNCH", "launch": {"task_infos": tasks}}]}})

    running = {s.update()["task_id"]["value"] for _ in range(2)}
    assert running == {"t1", "t2"}
    messages = [s.until("MESSAGE")["message"] for _ in range(2)]
    for message in messages:
        assert message["executor_id"] == {"value": "py-exec"}
        assert message["agent_id"] == agent_id
    assert {base64.b64decode(m["data"]).decode() for m in messages} == {"launched t1", "launched t2"}

    s.call({"type": "MESSAGE", "message": {"agent_id": agent_id, "executor_id": {"value": "py-exec"},
                                           "data": base64.b64encode(b"finish t1").decode()}})
    finished = s.update()
    assert (finished["task_id"]["value"], finished["state"]) == ("t1", "TASK_FINISHED")
    assert finished["source"] == "SOURCE_EXECUTOR"

    s.call({"type": "SHUTDOWN", "shutdown": {"executor_id": {"value": "py-exec"}, "agent_id": agent_id}})
    killed = s.update()
    assert (killed["task_id"]["value"], killed["state"]) == ("t2", "TASK_KILLED")
    failure = s.until("FAILURE")["failure"]
    assert failure == {"agent_id": agent_id, "executor_id": {"value": "py-exec"}, "status": 0}

    # The executor's own log, through the agent's files API.
    agent_url = "http://{address[ip]}:{address[port]}".format(**offer["url"])
    path = f"/frameworks/{s.framework_id}/executors/py-exec/runs/latest/stderr"
    with urllib.request.urlopen(f"{agent_url}/files/read?path={path}&offset=0", timeout=WAIT) as r:
        log = json.loads(r.read())["data"]
    assert "subscribed 200 application/json" in log
    assert "framework message: finish t1" in log
    assert "call UPDATE 202" in log and "call MESSAGE 202" in log
    assert log.rstrip().endswith("shutdown")
