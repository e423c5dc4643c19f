"""Kernel subshells (JEP 91, messaging 5.5) through jupyter_client: control messages, magics on
subshells answered while the main shell runs a Rust cell, Rust cells taking turns at the one
evcxr engine, and a kernel-wide interrupt."""

import re

import pytest
from jupyter_client.blocking import BlockingKernelClient

from conftest import Inbox, drain_iopub, shell_reply, stdout_text, text_of


@pytest.fixture(scope="module")
def inbox(mk):
    return Inbox(mk)


def subscribed(inbox):
    """Connects and subscribes (re-running either only reports), for the tests that launch."""
    inbox.run("%connect local", timeout=120)
    inbox.run("%subscribe --name subshells", timeout=60)


def create(inbox):
    reply = inbox.control("create_subshell_request")
    assert reply["status"] == "ok", reply
    return reply["subshell_id"]


def test_kernel_info_declares_5_5_and_subshells(inbox):
    reply = inbox.reply(inbox.send("shell", "kernel_info_request"))
    assert reply["header"]["version"] == "5.5"
    assert reply["content"]["protocol_version"] == "5.5"
    assert "kernel subshells" in reply["content"]["supported_features"]


def test_create_list_and_delete(inbox):
    a, b = create(inbox), create(inbox)
    assert a != b
    assert inbox.control("list_subshell_request")["subshell_id"][-2:] == [a, b]
    reply, msgs = inbox.run("%lsmagic", subshell_id=a)
    # Each subshell counts its own cells (JEP 91); replies and outputs name it in the parent.
    assert reply["execution_count"] == 1
    assert all(m["parent_header"]["subshell_id"] == a for m in msgs)
    assert inbox.control("delete_subshell_request", {"subshell_id": a}) == {"status": "ok"}
    assert a not in inbox.control("list_subshell_request")["subshell_id"]
    again = inbox.control("delete_subshell_request", {"subshell_id": a})
    assert again["status"] == "error" and again["ename"] == "UnknownSubshell", again
    reply, _ = inbox.run("%lsmagic", subshell_id=a, ok=False)
    assert reply["status"] == "error" and reply["ename"] == "UnknownSubshell", reply
    assert inbox.control("delete_subshell_request", {"subshell_id": b}) == {"status": "ok"}


def test_magics_on_a_subshell_answer_while_the_main_shell_runs_a_rust_cell(inbox):
    subscribed(inbox)
    sub = create(inbox)
    main = inbox.execute('std::thread::sleep(std::time::Duration::from_secs(10)); "slept"')
    inbox.wait_for(lambda: any(m["msg_type"] == "execute_input" for m in inbox.messages(main, "iopub")), what="main cell started")
    _, msgs = inbox.run("%lsmagic", subshell_id=sub, timeout=30)
    assert "%tasks" in text_of(msgs)
    _, msgs = inbox.run("%tasks", subshell_id=sub, timeout=30)
    assert "task" in text_of(msgs)
    # kernel_info on the busy main shell is answered at once (a new console needs it to start).
    info = inbox.reply(inbox.send("shell", "kernel_info_request"), timeout=30)
    assert info["content"]["status"] == "ok", info
    # All were answered while the Rust cell still ran.
    assert not inbox.messages(main, "shell")
    reply = inbox.reply(main, timeout=120)["content"]
    assert reply["status"] == "ok", reply
    inbox.control("delete_subshell_request", {"subshell_id": sub})


def test_a_rust_cell_on_a_subshell_waits_its_turn_and_says_so(inbox):
    sub = create(inbox)
    main = inbox.execute("std::thread::sleep(std::time::Duration::from_secs(5)); 40 + 1")
    inbox.wait_for(lambda: any(m["msg_type"] == "execute_input" for m in inbox.messages(main, "iopub")), what="main cell started")
    queued = inbox.execute("40 + 2", subshell_id=sub)
    inbox.wait_for(lambda: any(m["msg_type"] == "stream" for m in inbox.messages(queued, "iopub")), what="waiting note")
    note = text_of(inbox.messages(queued, "iopub"))
    assert re.search(r"waiting for the Rust engine: it is running a cell of the main shell \(\[\d+\]\)", note), note
    assert not inbox.messages(main, "shell"), "the note came while the main cell still ran"
    assert inbox.reply(queued, timeout=120)["content"]["status"] == "ok"
    assert inbox.messages(main, "shell"), "the subshell's cell ran after the main shell's"
    result = [m for m in inbox.idle(queued) if m["msg_type"] == "execute_result"]
    assert result[0]["content"]["data"]["text/plain"] == "42"
    inbox.control("delete_subshell_request", {"subshell_id": sub})


def launch(inbox, task_id):
    subscribed(inbox)
    inbox.run(f"%launch --id {task_id} --wait TASK_RUNNING -- sleep 600", timeout=90)


def test_two_subshells_wait_while_a_third_kills(inbox):
    launch(inbox, "waited-a")
    launch(inbox, "waited-b")
    s1, s2, s3 = create(inbox), create(inbox), create(inbox)
    wait_a = inbox.execute("%wait waited-a --state TASK_KILLED --timeout 120s", subshell_id=s1)
    wait_b = inbox.execute("%wait waited-b --state TASK_KILLED --timeout 120s", subshell_id=s2)
    for w in (wait_a, wait_b):
        inbox.wait_for(lambda w=w: any(m["msg_type"] == "display_data" for m in inbox.messages(w, "iopub")), what="wait shown")
    _, msgs = inbox.run("%kill waited-a", subshell_id=s3)
    assert inbox.reply(wait_a, timeout=60)["content"]["status"] == "ok"
    assert not inbox.messages(wait_b, "shell"), "the other wait goes on"
    inbox.run("%kill waited-b", subshell_id=s3)
    assert inbox.reply(wait_b, timeout=60)["content"]["status"] == "ok"
    # One framework throughout: the concurrent magics shared the one subscription.
    _, msgs = inbox.run("%tasks", subshell_id=s3)
    assert "waited-a" in text_of(msgs) and "TASK_KILLED" in text_of(msgs)
    for s in (s1, s2, s3):
        inbox.control("delete_subshell_request", {"subshell_id": s})


def test_interrupt_is_kernel_wide(inbox):
    launch(inbox, "interrupted")
    s1, s2 = create(inbox), create(inbox)
    waits = [inbox.execute("%wait interrupted --timeout 120s", subshell_id=s) for s in (s1, s2)]
    for w in waits:
        inbox.wait_for(lambda w=w: any(m["msg_type"] == "display_data" for m in inbox.messages(w, "iopub")), what="wait shown")
    assert inbox.control("interrupt_request") == {"status": "ok"}
    for w in waits:
        reply = inbox.reply(w, timeout=30)["content"]
        assert reply["status"] == "error" and "interrupted" in reply["evalue"], reply
    # The subshells keep serving.
    inbox.run("%kill interrupted", subshell_id=s1)
    for s in (s1, s2):
        inbox.control("delete_subshell_request", {"subshell_id": s})


def test_completion_on_a_subshell_answers_while_a_rust_cell_runs(inbox):
    sub = create(inbox)
    main = inbox.execute("std::thread::sleep(std::time::Duration::from_secs(10)); 1")
    inbox.wait_for(lambda: any(m["msg_type"] == "execute_input" for m in inbox.messages(main, "iopub")), what="main cell started")
    magic = inbox.reply(inbox.send("shell", "complete_request", {"code": "%tas", "cursor_pos": 4}, sub))
    assert magic["content"]["matches"] == ["%tasks"]
    # Rust completion needs the busy engine: it answers at once, empty, instead of after the cell.
    rust = inbox.reply(inbox.send("shell", "complete_request", {"code": "std::ve", "cursor_pos": 7}, sub))
    assert rust["content"]["status"] == "ok"
    assert not inbox.messages(main, "shell"), "answered while the main cell still ran"
    assert inbox.reply(main, timeout=120)["content"]["status"] == "ok"
    inbox.control("delete_subshell_request", {"subshell_id": sub})


def test_input_on_a_subshell_is_asked_of_and_answered_by_the_front_end_that_sent_the_cell(inbox):
    sub = create(inbox)
    # A second front end with its own session, hence its own routing identity (km.client()
    # would share the first one's session, and its identity with it).
    other = BlockingKernelClient()
    other.load_connection_info(inbox.kc.km.get_connection_info())
    assert other.session.bsession != inbox.kc.session.bsession
    other.start_channels()
    try:
        other.wait_for_ready(timeout=60)
        # What evcxr_input::get_string prints, without building that crate.
        code = 'println!("EVCXR_INPUT_REQUEST:Name? "); let mut l = String::new(); std::io::stdin().read_line(&mut l).unwrap(); println!("got {}", l.trim());'
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": True, "stop_on_error": True}
        msg = other.session.msg("execute_request", content)
        msg["header"]["subshell_id"] = sub
        other.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        asked = other.get_stdin_msg(timeout=120)
        assert asked["msg_type"] == "input_request"
        assert asked["parent_header"]["msg_id"] == msg_id
        assert asked["header"]["subshell_id"] == sub, asked["header"]
        assert asked["content"] == {"prompt": "Name? ", "password": False}
        # The first front end was asked nothing: its answer, sent first, is not taken (the
        # kernel drops it in whichever order the two connections deliver).
        inbox.kc.input("wrong front end")
        other.input("right front end")
        reply = shell_reply(other, msg_id, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert "got right front end" in stdout_text(drain_iopub(other, msg_id))
    finally:
        other.stop_channels()
        inbox.control("delete_subshell_request", {"subshell_id": sub})
