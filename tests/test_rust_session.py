"""Rust cells meet the kernel's Mesos session, end to end against the embedded local Mesos:
`mesos_lib` is there in the first cell, `mesos_lib::session` reads the live session (checked
against the master's /master/state) and launches and kills tasks through the kernel's one
framework, a crashed evcxr child loses variables but not the session, and the private socket
refuses a process that is not the kernel's evcxr child.

The tests share one kernel, one framework and the embedded Mesos of this module; each sets up
what it needs (subscribing and launching are safe to re-run), so any one of them runs alone.
"""

import json
import os
import re
import socket
import stat

from conftest import (
    local_record,
    master_json,
    run,
    subscribe,
    text_of,
    wait_until,
)

FRAMEWORK = "rustcells"
SOCKET_ENV = "MESOS_KERNEL_CELL_SOCKET"
SECRET_ENV = "MESOS_KERNEL_CELL_SECRET"

LAUNCH_SIX = """
use mesos_lib::session;
use mesos_lib::v1::{CommandInfo, Resource, TaskInfo};
let offer_id = session::offers().unwrap().first().map(|o| o.id.clone()).unwrap_or_default();
let tasks: Vec<TaskInfo> = (0..6)
    .map(|i| TaskInfo::command(
        format!("cellsleep-{i}"),
        format!("cellsleep-{i}"),
        Default::default(),
        CommandInfo::shell("exec sleep 300"),
        vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 16.0)],
    ))
    .collect();
let r = session::launch(&offer_id, tasks).unwrap();
println!("launched={} already_active={}", r.launched.len(), r.already_active.len());
"""


def our_framework(url, framework_id):
    state = master_json(url, "/master/state")
    frameworks = [f for f in state["frameworks"] if f["id"] == framework_id]
    assert len(frameworks) == 1, state["frameworks"]
    return frameworks[0]


def cell_framework_id(mk):
    _, msgs = run(mk, 'println!("fid={}", mesos_lib::session::framework_id().unwrap().unwrap());')
    m = re.search(r"fid=(\S+)", text_of(msgs))
    assert m, text_of(msgs)
    return m.group(1)


def sleepers(url, framework_id):
    fw = our_framework(url, framework_id)
    return [t for t in fw["tasks"] + fw["completed_tasks"] if t["name"].startswith("cellsleep-")]


def test_light_crate_in_the_first_cell(mk):
    # No :dep, no use: the crate is there, with its v1 types and the session client.
    _, msgs = run(mk, 'mesos_lib::v1::TaskId::new("t-1").value.len() + mesos_lib::session::proto::SOCKET_ENV.len()')
    assert text_of(msgs).strip() == str(len("t-1") + len(SOCKET_ENV))
    # Before %connect the session says so, as the magics do.
    _, msgs = run(mk, 'println!("{}", mesos_lib::session::offers().unwrap_err());')
    assert "not connected" in text_of(msgs)


def test_help_rust(mk):
    _, msgs = run(mk, "%help rust")
    text = text_of(msgs)
    assert "mesos_lib::session" in text and "session::launch(" in text


def test_offers_snapshot_matches_the_master(mk, state_dir):
    run(mk, "%connect", timeout=90)
    run(mk, f"%subscribe --name {FRAMEWORK}")
    run(mk, "%offers --wait 30s", timeout=60)
    url = local_record(state_dir)["url"]
    fid = cell_framework_id(mk)
    cell = """
use mesos_lib::session;
let offers = session::offers().unwrap();
let cpus: f64 = offers.iter().map(|o| o.resources.cpus).sum();
println!("offers={} cpus={cpus}", offers.len());
"""
    _, msgs = run(mk, cell)
    m = re.search(r"offers=(\d+) cpus=([\d.]+)", text_of(msgs))
    assert m, text_of(msgs)
    assert int(m.group(1)) >= 1
    offered = our_framework(url, fid)["offered_resources"]["cpus"]
    assert abs(float(m.group(2)) - offered) < 1e-6, (m.group(0), offered)
    # The session's state and framework, typed.
    _, msgs = run(mk, 'let i = mesos_lib::session::info().unwrap(); println!("{:?} {:?} {}", i.state, i.framework_name, i.local);')
    assert 'Some("subscribed") Some("rustcells") true' in text_of(msgs)


def test_launch_six_tasks_and_rerun_does_not_duplicate(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    fid = cell_framework_id(mk)
    _, msgs = run(mk, LAUNCH_SIX, timeout=90)
    assert "launched=6 already_active=0" in text_of(msgs)
    wait_until(lambda: len(sleepers(url, fid)) == 6, what="6 tasks at the master")
    wait_until(
        lambda: all(t["state"] == "TASK_RUNNING" for t in sleepers(url, fid)),
        what="6 running tasks",
    )
    # Exactly one framework of ours, and the tasks are under it.
    state = master_json(url, "/master/state")
    assert [f["name"] for f in state["frameworks"]].count(FRAMEWORK) == 1
    _, msgs = run(mk, LAUNCH_SIX, timeout=90)
    assert "launched=0 already_active=6" in text_of(msgs)
    tasks = sleepers(url, fid)
    assert len(tasks) == 6 and len({t["id"] for t in tasks}) == 6, tasks
    # The session's own view from a cell: six running tasks.
    _, msgs = run(
        mk,
        'mesos_lib::session::tasks().unwrap().iter().filter(|t| t.name.starts_with("cellsleep-") && t.state == mesos_lib::v1::TaskState::Running).count()',
    )
    assert text_of(msgs).strip() == "6"


def test_kill_from_a_cell(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    run(mk, LAUNCH_SIX, timeout=90)  # a no-op when the six are active
    url = local_record(state_dir)["url"]
    fid = cell_framework_id(mk)
    cell = """
let ids: Vec<_> = mesos_lib::session::tasks().unwrap().into_iter()
    .filter(|t| t.name.starts_with("cellsleep-") && !t.is_terminal())
    .map(|t| t.id)
    .collect();
mesos_lib::session::kill(&ids).unwrap();
println!("killed={}", ids.len());
"""
    _, msgs = run(mk, cell)
    assert "killed=6" in text_of(msgs)
    wait_until(
        lambda: [t["state"] for t in sleepers(url, fid)] == ["TASK_KILLED"] * 6,
        what="6 killed tasks",
    )


def test_bound_and_session_tasks_are_one_type(mk):
    # `--bind` and `session::tasks()` hand cells the same `mesos::Task`: one vector takes both.
    subscribe(mk, FRAMEWORK)
    run(mk, "%tasks --mine --bind mine")
    cell = """
let fid = mesos_lib::session::framework_id().unwrap().unwrap().value;
let mut both: Vec<mesos::Task> = mesos_lib::session::tasks().unwrap();
both.extend(mine.iter().cloned());
println!("tasks={} ours={}", both.len(), both.iter().all(|t| t.framework_id == fid));
"""
    _, msgs = run(mk, cell)
    m = re.search(r"tasks=(\d+) ours=(\w+)", text_of(msgs))
    assert m, text_of(msgs)
    assert m.group(2) == "true", m.group(0)


def test_child_crash_loses_variables_not_the_session(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    fid = cell_framework_id(mk)
    run(mk, "let kept_before_abort = 41;")
    reply, _ = run(mk, "std::process::abort();", ok=False)
    assert reply["content"]["ename"] == "RuntimeCrashed", reply["content"]
    reply, _ = run(mk, "kept_before_abort", ok=False)
    assert reply["content"]["status"] == "error"
    # The restarted child reaches the same session: same framework, still subscribed.
    assert cell_framework_id(mk) == fid
    _, msgs = run(mk, 'println!("{:?}", mesos_lib::session::state().unwrap());')
    assert 'Some("subscribed")' in text_of(msgs)
    assert our_framework(url, fid)["active"] is True


def ask(path, line):
    """Sends one line to the socket as an outsider; returns the answer line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode()


def test_the_socket_refuses_other_processes(mk):
    # Subscribed, so that the cell's own request below has offers to answer with.
    subscribe(mk, FRAMEWORK)
    _, msgs = run(mk, f'println!("{{}}", std::env::var("{SOCKET_ENV}").unwrap());')
    path = text_of(msgs).strip()
    assert path.endswith(".sock"), path
    # The directory is this user's alone.
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    for line in (
        json.dumps({"secret": "not-the-secret", "request": "offers"}),
        json.dumps({"request": "offers"}),
        "offers",
    ):
        answer = json.loads(ask(path, line))
        assert "Err" in answer and answer["Err"].startswith("refused"), answer
    # The secret is in the evcxr child's environment only, not the kernel's.
    kernel_pid = mk.km.provisioner.process.pid
    with open(f"/proc/{kernel_pid}/environ", "rb") as f:
        kernel_env = f.read()
    assert SECRET_ENV.encode() not in kernel_env
    # The cell itself still gets answers.
    _, msgs = run(mk, 'println!("{}", mesos_lib::session::offers().is_ok());')
    assert text_of(msgs).strip() == "true"
