"""Launching and offers magics end to end against the embedded local Mesos: %offers filters,
%launch with ports/env/docker, %%launch of TaskInfo JSON, %sandbox, %exec, and their completion.

The tests share one kernel, one framework and the embedded Mesos of this module; each subscribes
(a no-op when subscribed) and starts the tasks it needs, so any one of them runs alone.
"""

import json
import re
import sys
import urllib.request

from conftest import (
    complete,
    drain_iopub,
    ensure_task,
    local_record,
    master_json,
    outputs,
    result,
    run,
    shell_reply,
    subscribe,
    text_of,
    wait_until,
)
from test_custom_executor import EXECUTOR

# The tutorial's nginx task (its container.json), with a port from the embedded agent's range.
NGINX_JSON = """{
  "name": "nginx",
  "task_id": {"value": "nginx-tutorial"},
  "command": {"shell": false},
  "container": {
    "type": "DOCKER",
    "docker": {
      "image": "nginx:1.10-alpine",
      "network": "BRIDGE",
      "port_mappings": [{"host_port": 31080, "container_port": 80, "protocol": "tcp"}]
    }
  },
  "resources": [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
    {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31080, "end": 31080}]}}
  ]
}"""

FRAMEWORK = "launchtest"
CHATTER = "%launch --id chatter -- sh -c 'echo line-one; sleep 1; echo line-two; echo to-stderr >&2'"

SLEEPER_JSON = """{
  "name": "json-sleeper",
  "command": {"value": "exec sleep 300"},
  "resources": [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}
  ]
}"""


def launched_id(msgs):
    m = re.search(r"launching (\S+) on", text_of(msgs))
    assert m, text_of(msgs)
    return m.group(1)


def active_tasks(url, name):
    tasks = master_json(url, "/master/tasks")["tasks"]
    return [t for t in tasks if t["name"] == name and t["state"] in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING")]


def test_connect_and_subscribe(mk):
    run(mk, "%connect", timeout=90)
    _, msgs = run(mk, f"%subscribe --name {FRAMEWORK}")
    assert "subscribed" in result(msgs)["text/plain"]
    run(mk, "%offers --wait 30s", timeout=60)


def test_offers_filter_by_attribute(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    agents = master_json(url, "/master/slaves")["slaves"]
    _, msgs = run(mk, "%offers --attr rack=r2d2 --attr pod=demo,dev")
    text = result(msgs)["text/plain"]
    assert "match rack=r2d2, pod=demo,dev" in text
    assert agents[0]["id"] in text and "rack:r2d2" in text
    # A filter nothing matches: the live display waits, then says so.
    _, msgs = run(mk, "%offers --attr rack=c3po --wait 1s", timeout=30)
    assert outputs(msgs, "display_data") and outputs(msgs, "update_display_data"), msgs
    final = outputs(msgs, "update_display_data")[-1]["content"]["data"]["text/plain"]
    assert "no offer matching rack=c3po within 1s" in final
    assert agents[0]["id"] not in final
    _, msgs = run(mk, "%offers --hostname no-such-host")
    assert re.search(r"\b0 of \d+ offers? match hostname no-such-host", result(msgs)["text/plain"])


def test_completion_of_hostnames_and_attributes(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    hostname = master_json(url, "/master/slaves")["slaves"][0]["hostname"]
    assert hostname in complete(mk, "%launch --hostname ")
    assert "rack=r2d2" in complete(mk, "%offers --attr ra")


def test_ports_web_server_env_and_sandbox(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    cell = (
        "%launch --name web --ports 2 --env GREETING=hello-env --wait TASK_RUNNING -- "
        "sh -c 'echo \"$GREETING $PORT $PORTS\"; exec python3 -m http.server $PORT0 --bind 127.0.0.1'"
    )
    _, msgs = run(mk, cell, timeout=90)
    text = text_of(msgs)
    task_id = launched_id(msgs)
    port0, port1 = (int(p) for p in re.search(r"PORT0=(\d+) PORT1=(\d+)", text).groups())
    assert "TASK_RUNNING" in text
    # The ports are the task's resources at the master.
    task = next(t for t in master_json(url, "/master/tasks")["tasks"] if t["id"] == task_id)
    assert str(port0) in task["resources"]["ports"] and str(port1) in task["resources"]["ports"], task
    page = {}

    def fetched():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port0}/", timeout=5) as r:
                page["status"], page["body"] = r.status, r.read().decode()
            return True
        except OSError:
            return False

    wait_until(fetched, timeout=30, what=f"the web server on port {port0}")
    assert page["status"] == 200 and "Directory listing" in page["body"]
    # The command saw its environment; the sandbox shows it.
    _, msgs = run(mk, f"%sandbox {task_id}")
    assert f"hello-env {port0} {port0},{port1}" in text_of(msgs)
    assert all(m["content"]["name"] == "stdout" for m in outputs(msgs, "stream"))
    # http.server logs each request to stderr.
    wait_until(lambda: "GET / HTTP" in text_of(run(mk, f"%sandbox {task_id} stderr")[1]), what="request log")
    # Re-running the cell shows the active task instead of launching another.
    _, msgs = run(mk, cell, timeout=90)
    assert "already active" in text_of(msgs)
    assert len(active_tasks(url, "web")) == 1
    # The offer it used is gone: naming it is a clear error.
    used = re.search(r"offer (\S+)\)", text).group(1)
    reply, _ = run(mk, f"%launch --offer {used} -- true", ok=False)
    assert f"offer {used} is not outstanding" in reply["content"]["evalue"]
    run(mk, f"%kill {task_id}")
    run(mk, f"%wait {task_id} --state TASK_KILLED --timeout 30s", timeout=60)


def test_launch_says_what_is_missing(mk):
    subscribe(mk, FRAMEWORK)
    reply, _ = run(mk, "%launch --cpus 64 -- true", ok=False, timeout=60)
    evalue = reply["content"]["evalue"]
    assert "no offer holds cpus:64" in evalue
    assert re.search(r"lacks cpus 64 \(offered [\d.]+\)", evalue), evalue
    reply, _ = run(mk, "%launch --ports 5000 -- true", ok=False, timeout=60)
    assert re.search(r"lacks 5000 ports \(offered \d+\)", reply["content"]["evalue"])


def test_sandbox_follow_ends_with_the_task(mk):
    subscribe(mk, FRAMEWORK)
    run(mk, CHATTER, timeout=90)
    _, msgs = run(mk, "%sandbox chatter --follow --timeout 60s", timeout=90)
    streamed = "".join(m["content"]["text"] for m in outputs(msgs, "stream"))
    assert "line-one\n" in streamed and "line-two\n" in streamed
    # --follow returned because the task ended, and everything was drained.
    _, msgs = run(mk, "%wait chatter")
    assert "TASK_FINISHED" in text_of(msgs)
    _, msgs = run(mk, "%sandbox chatter stderr")
    err = [m for m in outputs(msgs, "stream") if m["content"]["name"] == "stderr"]
    assert err and "to-stderr" in err[0]["content"]["text"]


def test_sandbox_errors_and_completion(mk):
    subscribe(mk, FRAMEWORK)
    ensure_task(mk, "chatter", CHATTER)
    reply, _ = run(mk, "%sandbox no-such-task", ok=False)
    assert "task no-such-task is unknown" in reply["content"]["evalue"]
    reply, _ = run(mk, "%sandbox chatter stdin", ok=False)
    assert "stdout or stderr" in reply["content"]["evalue"]
    assert "chatter" in complete(mk, "%sandbox ")


def test_cell_launch_of_task_json_and_rerun(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    cell = "%%launch --wait TASK_RUNNING\n" + SLEEPER_JSON
    _, msgs = run(mk, cell, timeout=90)
    task_id = launched_id(msgs)
    assert task_id.startswith("json-sleeper-")
    assert "TASK_RUNNING" in text_of(msgs)
    _, msgs = run(mk, cell, timeout=90)
    assert "already active" in text_of(msgs)
    assert [t["id"] for t in active_tasks(url, "json-sleeper")] == [task_id]
    run(mk, f"%kill {task_id}")
    run(mk, f"%wait {task_id} --state TASK_KILLED --timeout 30s", timeout=60)


def test_tutorial_docker_task_fails_clearly(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    reply, msgs = run(mk, "%%launch --wait TASK_RUNNING\n" + NGINX_JSON, ok=False, timeout=90)
    evalue = reply["content"]["evalue"]
    assert "task nginx-tutorial ended in TASK_FAILED" in evalue
    assert "Abnormal executor termination: unknown container" in evalue
    assert "docker containerizer" in evalue
    task = next(t for t in master_json(url, "/master/tasks")["tasks"] if t["id"] == "nginx-tutorial")
    assert task["state"] == "TASK_FAILED"
    assert task["container"]["docker"]["image"] == "nginx:1.10-alpine"


def test_line_docker_flag_builds_a_docker_container(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    reply, _ = run(mk, "%launch --id web-docker --docker nginx:1.10-alpine --network bridge --ports 1 --wait TASK_RUNNING", ok=False, timeout=90)
    assert "docker containerizer" in reply["content"]["evalue"]
    task = next(t for t in master_json(url, "/master/tasks")["tasks"] if t["id"] == "web-docker")
    docker = task["container"]["docker"]
    assert task["container"]["type"] == "DOCKER" and docker["network"] == "BRIDGE"


def test_bad_json_has_a_position(mk):
    subscribe(mk, FRAMEWORK)
    reply, _ = run(mk, '%%launch\n{\n  "name": "x"\n  "command": {}\n}', ok=False)
    assert reply["content"]["ename"] == "TaskInfoJSONError"
    assert "line 3, column 3" in reply["content"]["evalue"]
    reply, _ = run(mk, '%%launch\n{"name": "x", "resources": {"cpus": 1}}', ok=False)
    assert "in `resources`" in reply["content"]["evalue"]
    reply, _ = run(mk, "%%launch --cpus 1\n{}", ok=False)
    assert "TaskInfo JSON" in reply["content"]["evalue"]


def test_teardown(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%teardown")
    assert "torn down" in result(msgs)["text/plain"]
    wait_until(lambda: not master_json(url, "/master/frameworks")["frameworks"], what="framework gone")
    # Every task this module started has ended (the master keeps completed ones listed).
    active = ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING")
    wait_until(
        lambda: not [t for t in master_json(url, "/master/tasks")["tasks"] if t["state"] in active],
        what="no active task",
    )


# A pod as LAUNCH_GROUP takes it; the executor's type, resources and framework are filled in.
POD_JSON = """{
  "executor": {"executor_id": {"value": "pod-exec"}},
  "task_group": {"tasks": [
    {"name": "pod-fails", "task_id": {"value": "pod-fails"},
     "command": {"value": "echo pod-fails says why >&2; sleep 1; exit 1"},
     "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                   {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]},
    {"name": "pod-sleeps", "task_id": {"value": "pod-sleeps"},
     "command": {"value": "sleep 300"},
     "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                   {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]}
  ]}
}"""


def test_cell_launches_a_task_group_whose_failure_kills_the_rest(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%%launch\n" + POD_JSON, timeout=90)
    assert "launching task group pod-fails, pod-sleeps under executor pod-exec" in text_of(msgs)
    run(mk, "%wait pod-fails --state TASK_FAILED --timeout 30s", timeout=60)
    # The default executor kills the rest of the group when one task fails.
    run(mk, "%wait pod-sleeps --state TASK_KILLED --timeout 30s", timeout=60)
    tasks = {t["id"]: t for t in master_json(url, "/master/tasks")["tasks"] if t["id"].startswith("pod-")}
    assert tasks["pod-fails"]["state"] == "TASK_FAILED"
    assert tasks["pod-sleeps"]["state"] == "TASK_KILLED"
    assert {t["executor_id"] for t in tasks.values()} == {"pod-exec"}
    # Each task of the group has its own sandbox (tasks/TASK_ID): %sandbox reads the task's
    # stderr there, not the executor's log.
    _, msgs = run(mk, "%sandbox pod-fails stderr")
    assert text_of(msgs) == "pod-fails says why\n", msgs
    _, msgs = run(mk, "%sandbox pod-sleeps stderr")
    assert "pod-fails says why" not in text_of(msgs)


EXEC_TARGET = "%launch --id exec-target -- sleep 300"


def nested_containers(state_dir):
    """The nested containers the embedded agent lists (GET_CONTAINERS with show_nested)."""
    url = local_record(state_dir)["url"]
    pid = master_json(url, "/master/slaves")["slaves"][0]["pid"]
    body = b'{"type":"GET_CONTAINERS","get_containers":{"show_nested":true}}'
    req = urllib.request.Request(f"http://{pid.split('@')[1]}/api/v1", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        containers = json.load(r)["get_containers"]["containers"]
    return [c for c in containers if "parent" in c["container_status"]["container_id"]]


def test_exec_streams_output_and_reports_the_exit_status(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    ensure_task(mk, "exec-target", EXEC_TARGET)
    run(mk, "%wait exec-target --state TASK_RUNNING --timeout 30s", timeout=60)
    _, msgs = run(mk, "%exec exec-target -- echo hi; echo oops >&2; echo \"$MESOS_TASK_ID\"; exit 3", timeout=60)
    streams = outputs(msgs, "stream")
    out = "".join(m["content"]["text"] for m in streams if m["content"]["name"] == "stdout")
    err = "".join(m["content"]["text"] for m in streams if m["content"]["name"] == "stderr")
    assert out == "hi\nexec-target\n", msgs
    assert err == "oops\n", msgs
    assert result(msgs)["text/plain"] == "exit status 3"
    # The ended container was removed.
    assert nested_containers(state_dir) == []
    reply, _ = run(mk, "%exec exec-target", ok=False)
    assert "give the command after --" in reply["content"]["evalue"]
    reply, _ = run(mk, "%exec no-such-task -- true", ok=False)
    assert "task no-such-task is unknown" in reply["content"]["evalue"]


def test_exec_interrupt_kills_the_command(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    ensure_task(mk, "exec-target", EXEC_TARGET)
    run(mk, "%wait exec-target --state TASK_RUNNING --timeout 30s", timeout=60)
    msg_id = mk.execute("%exec exec-target -- echo started; exec sleep 600")
    seen = ""
    while "started" not in seen:
        msg = mk.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            seen += msg["content"]["text"]
    assert len(nested_containers(state_dir)) == 1
    mk.km.interrupt_kernel()
    reply = shell_reply(mk, msg_id, timeout=30)
    drain_iopub(mk, msg_id)
    assert reply["content"]["status"] == "error", reply["content"]
    assert "was killed" in reply["content"]["evalue"], reply["content"]
    assert nested_containers(state_dir) == []
    # The task itself runs on, and the kernel serves the next cell.
    _, msgs = run(mk, "%exec exec-target -- echo still-here", timeout=60)
    assert "still-here" in text_of(msgs)


def test_custom_executor_gets_a_task_and_framework_messages(mk, tmp_path):
    subscribe(mk, FRAMEWORK)
    script = tmp_path / "executor.py"
    script.write_text(EXECUTOR)
    _, msgs = run(mk, f"%launch --name custom --id ce-k1 --executor '{sys.executable} {script}' "
                      "--wait TASK_RUNNING -- payload", timeout=90)
    assert "TASK_RUNNING" in text_of(msgs)

    # The executor's MESSAGE is shown decoded in %events.
    def message_shown():
        _, msgs = run(mk, "%events --type MESSAGE")
        return 'from executor custom-executor' in text_of(msgs) and '"launched ce-k1"' in text_of(msgs)
    wait_until(message_shown, what="the executor's MESSAGE in %events")

    _, msgs = run(mk, "%message ce-k1 finish ce-k1")
    assert "MESSAGE sent to executor custom-executor" in text_of(msgs)
    run(mk, "%wait ce-k1 --state TASK_FINISHED --timeout 30s", timeout=60)

    # A task on its command executor takes no framework messages: said, nothing sent.
    _, msgs = run(mk, "%message no-such-task hello", ok=False)
    assert "no task of this framework" in text_of(msgs)
