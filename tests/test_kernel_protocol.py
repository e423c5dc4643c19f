"""The kernel through jupyter_client: behaviour beyond jupyter_kernel_test's reach."""

import os
import time

import zmq
from jupyter_client.session import Session

from conftest import FIRST_CELL_TIMEOUT, drain_iopub, execute, outputs, shell_reply, stdout_text


def test_kernel_info_on_shell_and_control_is_complete(kernel):
    km, kc = kernel
    reply = shell_reply(kc, kc.kernel_info())
    content = reply["content"]
    assert content["protocol_version"] == "5.5"
    assert content["implementation"] == "mesos-kernel"
    li = content["language_info"]
    assert (li["name"], li["mimetype"], li["file_extension"], li["pygments_lexer"], li["codemirror_mode"]) == (
        "rust", "text/rust", ".rs", "rust", "rust")
    assert li["version"][0].isdigit()
    assert "%lsmagic" in content["banner"]
    assert content["help_links"]
    msg = kc.session.msg("kernel_info_request")
    kc.control_channel.send(msg)
    control = kc.get_control_msg(timeout=10)
    assert control["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert control["content"]["language_info"]["name"] == "rust"


def test_stdout_streams_while_the_cell_runs(kernel):
    _, kc = kernel
    code = (
        "use std::io::Write;\n"
        "println!(\"first\");\n"
        "std::io::stdout().flush().unwrap();\n"
        "let t = std::time::Instant::now();\n"
        "while t.elapsed() < std::time::Duration::from_millis(1500) {}\n"
        "println!(\"second\");"
    )
    msg_id = kc.execute(code)
    first_at = None
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream" and "first" in msg["content"]["text"]:
            first_at = time.monotonic()
            # "first" must arrive before the cell is over, i.e. before its reply exists.
            assert kc.shell_channel.msg_ready() is False
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert first_at is not None
    assert shell_reply(kc, msg_id)["content"]["status"] == "ok"


def test_compile_errors_are_readable_and_name_the_line(kernel):
    _, kc = kernel
    reply, msgs = execute(kc, 'let a = 1;\nlet b: u8 = "x";')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "CompileError"
    assert "mismatched types" in reply["content"]["evalue"]
    tb = "\n".join(reply["content"]["traceback"])
    assert "cell:2:" in tb and 'let b: u8 = "x";' in tb and "^" in tb
    assert len(outputs(msgs, "error")) == 1


def test_a_panic_is_an_error_and_keeps_variables(kernel):
    _, kc = kernel
    assert execute(kc, "let kept = 41;")[0]["content"]["status"] == "ok"
    reply, msgs = execute(kc, 'panic!("boom at the cluster");')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Panic"
    assert "boom at the cluster" in reply["content"]["evalue"]
    reply, msgs = execute(kc, "kept + 1")
    assert outputs(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "42"


def test_a_crashed_runtime_is_explained_and_the_next_cell_works(kernel):
    _, kc = kernel
    execute(kc, "let lost = 5;")
    reply, _ = execute(kc, "std::process::abort();")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "RuntimeCrashed"
    assert "Variables defined in earlier cells are lost" in reply["content"]["evalue"]
    reply, msgs = execute(kc, "2 * 21")
    assert outputs(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "42"


def test_unknown_magic_names_the_closest(kernel):
    _, kc = kernel
    reply, msgs = execute(kc, "%lsmagc")
    assert reply["content"]["ename"] == "UnknownMagic"
    assert "%lsmagic" in reply["content"]["evalue"]
    reply, _ = execute(kc, "%clear --wiat")
    assert reply["content"]["ename"] == "MagicUsage"
    assert "did you mean --wait" in reply["content"]["evalue"]
    reply, _ = execute(kc, "%lsmagic\nlet x = 1;")
    assert reply["content"]["ename"] == "MagicSyntax"


def test_magic_help_through_inspect_and_question_mark(kernel):
    _, kc = kernel
    reply = shell_reply(kc, kc.inspect("%help", 3))
    assert reply["content"]["found"] is True
    assert "%help [NAME]" in reply["content"]["data"]["text/plain"]
    reply, msgs = execute(kc, "%clear?")
    (page,) = reply["content"]["payload"]
    assert page["source"] == "page" and "%clear [--wait]" in page["data"]["text/plain"]


def test_rust_completion_and_hover(kernel):
    _, kc = kernel
    execute(kc, "let offer_count: usize = 3;")
    code = "offer_c"
    reply = shell_reply(kc, kc.complete(code, len(code)), timeout=60)
    assert "offer_count" in reply["content"]["matches"]
    assert reply["content"]["cursor_start"] == 0 and reply["content"]["cursor_end"] == len(code)
    # std completions need rust-src, which the set-up installs.
    code = "std::collections::HashM"
    reply = shell_reply(kc, kc.complete(code, len(code)), timeout=60)
    assert "HashMap" in reply["content"]["matches"]
    # Cursor positions are code points: a multibyte character before the cursor must not shift them.
    code = 'let é = "ü";\n%lsm'
    reply = shell_reply(kc, kc.complete(code, len(code)))
    assert reply["content"]["matches"] == ["%lsmagic"]
    assert (reply["content"]["cursor_start"], reply["content"]["cursor_end"]) == (len(code) - 4, len(code))


def test_stop_on_error_aborts_queued_cells(kernel):
    _, kc = kernel
    bad = kc.execute('let z: u8 = "no";')
    queued = [kc.execute("1"), kc.execute("2")]
    assert shell_reply(kc, bad)["content"]["status"] == "error"
    for msg_id in queued:
        assert shell_reply(kc, msg_id)["content"]["status"] == "aborted"
    for msg_id in [bad] + queued:
        drain_iopub(kc, msg_id)
    # Without stop_on_error the next cell runs.
    bad = kc.execute('let z: u8 = "no";', stop_on_error=False)
    after = kc.execute("3")
    assert shell_reply(kc, bad)["content"]["status"] == "error"
    assert shell_reply(kc, after)["content"]["status"] == "ok"


def test_silent_and_counters(kernel):
    _, kc = kernel
    before = execute(kc, "1")[0]["content"]["execution_count"]
    reply, msgs = execute(kc, 'println!("hidden"); 5', silent=True)
    assert reply["content"]["execution_count"] == before
    assert [m["msg_type"] for m in msgs] == ["status", "status"]
    reply, msgs = execute(kc, "6", store_history=False)
    assert reply["content"]["execution_count"] == before
    reply, _ = execute(kc, "7")
    assert reply["content"]["execution_count"] == before + 1


def test_user_expressions(kernel):
    _, kc = kernel
    execute(kc, "let cpus = 2.5_f64;")
    reply, _ = execute(kc, "", user_expressions={"double": "cpus * 2.0", "bad": "nope_nope"})
    ue = reply["content"]["user_expressions"]
    assert ue["double"]["status"] == "ok" and ue["double"]["data"]["text/plain"] == "5.0"
    assert ue["bad"]["status"] == "error"


def test_comms_to_unknown_targets_are_closed(kernel):
    _, kc = kernel
    msg = kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "nobody", "data": {}})
    kc.shell_channel.send(msg)
    msgs = drain_iopub(kc, msg["header"]["msg_id"])
    closes = outputs(msgs, "comm_close")
    assert closes and closes[0]["content"]["comm_id"] == "c1"
    reply = shell_reply(kc, kc.comm_info())
    assert reply["content"] == {"status": "ok", "comms": {}}


def _raw_socket(km, channel, key):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    info = km.get_connection_info()
    port = info[f"{channel}_port"]
    sock.connect(f"tcp://{info['ip']}:{port}")
    return sock


def test_flood_of_bad_frames_then_a_normal_execute(kernel):
    km, kc = kernel
    key = km.session.key
    forged = Session(key=b"not-the-key")
    for channel in ("shell", "control"):
        sock = _raw_socket(km, channel, key)
        for i in range(300):
            kind = i % 5
            if kind == 0:
                forged.send(sock, "execute_request", {"code": "panic!()"})
            elif kind == 1:
                sock.send_multipart([os.urandom(n) for n in (1, 7, 30)])
            elif kind == 2:
                sock.send_multipart([b"<IDS|MSG>", b"sig", b"{", b"}", b"", b""])
            elif kind == 3:
                sock.send_multipart([b"<IDS|MSG>"])
            else:
                good = Session(key=key)
                msg = good.msg("execute_request", {"no": "code"})
                good.send(sock, msg)  # signed, but malformed content
        # Nothing comes back for any of them.
        assert sock.poll(300) == 0
        sock.close(linger=0)
    reply, msgs = execute(kc, 'println!("still here"); 40 + 2')
    assert reply["content"]["status"] == "ok"
    assert "still here" in stdout_text(msgs)
    assert shell_reply(kc, kc.kernel_info())["content"]["status"] == "ok"


def test_heartbeat_answers_while_a_cell_is_busy(kernel):
    km, kc = kernel
    msg_id = kc.execute("std::thread::sleep(std::time::Duration::from_secs(3));")
    busy = None
    while busy is None:
        m = kc.get_iopub_msg(timeout=30)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
            busy = m
    sock = zmq.Context.instance().socket(zmq.REQ)
    info = km.get_connection_info()
    sock.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    payload = b"ping-" + os.urandom(8).hex().encode()
    sock.send(payload)
    assert sock.poll(2000), "heartbeat not answered during a busy cell"
    assert sock.recv() == payload
    sock.close(linger=0)
    # The cell is still running: its reply has not come yet.
    assert not kc.shell_channel.msg_ready()
    assert shell_reply(kc, msg_id)["content"]["status"] == "ok"
    drain_iopub(kc, msg_id)


def test_interrupt_stops_a_long_cell_and_says_what_was_lost(kernel):
    km, kc = kernel
    msg_id = kc.execute("loop { std::thread::sleep(std::time::Duration::from_millis(50)); }")
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
            break
    # Wait for the compile to finish and the loop to run: the child must be executing it.
    # We cannot observe that directly, so interrupt repeatedly until the cell ends.
    started = time.monotonic()
    reply = None
    while reply is None:
        km.interrupt_kernel()
        try:
            reply = shell_reply(kc, msg_id, timeout=2)
        except Exception:
            assert time.monotonic() - started < 120, "interrupt never stopped the cell"
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert "lost" in reply["content"]["evalue"]
    drain_iopub(kc, msg_id)
    reply, msgs = execute(kc, "1 + 1")
    assert outputs(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "2"


def test_restart_through_jupyter_client():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="mesos", startup_timeout=60)
    try:
        first_session = shell_reply(kc, kc.kernel_info())["header"]["session"]
        pid = km.provisioner.process.pid
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        assert km.provisioner.process.pid != pid
        reply = shell_reply(kc, kc.kernel_info())
        assert reply["header"]["session"] != first_session
        # The restarted kernel may have to finish the one cold mesos-lib build the first began.
        reply, msgs = execute(kc, "20 + 22", timeout=FIRST_CELL_TIMEOUT)
        assert outputs(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "42"
        # A clean shutdown answers quickly and the process goes away.
        started = time.monotonic()
        km.shutdown_kernel(now=False)
        assert not km.is_alive()
        assert time.monotonic() - started < 5
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def test_stdin_input_request_reaches_the_front_end_that_asked(kernel):
    _, kc = kernel
    reply, _ = execute(kc, ':dep evcxr_input = "1.0.0"', timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    msg_id = kc.execute('let who = evcxr_input::get_string("Framework name? "); println!("got {who}");', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=120)
    assert request["msg_type"] == "input_request"
    assert request["parent_header"]["msg_id"] == msg_id
    assert request["content"] == {"prompt": "Framework name? ", "password": False}
    kc.input("tutorial")
    assert shell_reply(kc, msg_id, timeout=60)["content"]["status"] == "ok"
    assert "got tutorial" in stdout_text(drain_iopub(kc, msg_id))
    # Without allow_stdin (nbclient, papermill) the input function does not hang.
    reply, msgs = execute(kc, 'let x = evcxr_input::get_string("again? "); x.len()', allow_stdin=False)
    assert reply["content"]["status"] == "ok"
    assert outputs(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "0"
    assert "allow_stdin is false" in "".join(m["content"]["text"] for m in outputs(msgs, "stream"))


def test_ipc_transport_works():
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="mesos", transport="ipc")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply, msgs = execute(kc, "%lsmagic")
        assert reply["content"]["status"] == "ok"
        assert outputs(msgs, "execute_result")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        km.cleanup_resources()
