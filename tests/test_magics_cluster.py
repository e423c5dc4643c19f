"""The operator-API magics %flags, %metrics, %roles and %watch, end to end through jupyter_client
against the embedded local Mesos (a private one: the `mk` fixture gives the kernel its own
MESOS_KERNEL_STATE_DIR and stops that Mesos afterwards)."""

import json
import time
import urllib.request

from conftest import (
    connect,
    drain_iopub,
    local_record,
    master_json,
    result,
    rows,
    run,
    shell_reply,
)


def test_connect(mk):
    run(mk, "%connect local", timeout=90)


def test_flags_match_the_master_and_filter(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    flags = master_json(url, "/master/flags")["flags"]
    _, msgs = run(mk, "%flags")
    text = result(msgs)["text/plain"]
    assert f"{len(flags)} flags" in text
    for name, value in flags.items():
        assert any(r.split()[0] == name for r in rows(text)), name
    # A pattern keeps only the flags whose name contains it, case-insensitively.
    _, msgs = run(mk, "%flags PORT")
    text = result(msgs)["text/plain"]
    names = [r.split()[0] for r in rows(text)]
    assert names and all("port" in n for n in names)
    assert f"{len(names)} of {len(flags)} flags matching" in text
    reply, _ = run(mk, "%flags a b", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"


def test_metrics_pattern_and_values(mk, state_dir):
    connect(mk)
    _, msgs = run(mk, "%metrics master/elected")
    text = result(msgs)["text/plain"]
    got = {r.split()[0]: r.split()[1] for r in rows(text)}
    assert got.get("master/elected") == "1", text
    _, msgs = run(mk, "%metrics no-such-metric-anywhere")
    text = result(msgs)["text/plain"]
    assert rows(text) == [] and "0 of" in text


def test_roles_show_the_subscribed_framework(mk):
    connect(mk)
    run(mk, "%subscribe --name roles-test --role analytics")
    _, msgs = run(mk, "%roles")
    text = result(msgs)["text/plain"]
    by_role = {r.split()[0]: r.split() for r in rows(text)}
    assert "analytics" in by_role, text
    assert by_role["analytics"][2] == "1", text  # one framework in the role
    assert "<table>" in result(msgs)["text/html"]
    run(mk, "%teardown")


def updates_until(kc, msg_id, needle, timeout=30):
    """IOPub messages of one request until a display (or update) whose text holds `needle`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "update_display_data"):
            if needle in msg["content"]["data"]["text/plain"]:
                return msg
    raise AssertionError(f"no display with {needle!r} within {timeout}s")


def test_watch_shows_events_live_and_stops_on_interrupt(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    msg_id = mk.execute("%watch --timeout 120s")
    first = updates_until(mk, msg_id, "SUBSCRIBED")
    display_id = first["content"]["transient"]["display_id"]
    # A framework subscribing elsewhere shows up in the same display, updated in place.
    body = json.dumps(
        {
            "type": "SUBSCRIBE",
            "subscribe": {"framework_info": {"user": "test", "name": "watched-fw", "failover_timeout": 0}},
        }
    ).encode()
    req = urllib.request.Request(
        url + "/api/v1/scheduler",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    stream = urllib.request.urlopen(req, timeout=10)
    try:
        added = updates_until(mk, msg_id, "watched-fw")
        assert added["msg_type"] == "update_display_data"
        assert added["content"]["transient"]["display_id"] == display_id
        assert "FRAMEWORK_ADDED" in added["content"]["data"]["text/plain"]
    finally:
        stream.close()
    mk.km.interrupt_kernel()
    reply = shell_reply(mk, msg_id, timeout=30)
    msgs = drain_iopub(mk, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    last = [m for m in msgs if m["msg_type"] == "update_display_data"][-1]
    assert "stopped (interrupted)" in last["content"]["data"]["text/plain"]
    # The kernel keeps serving, the connection is intact.
    _, msgs = run(mk, "%health")
    assert "yes" in result(msgs)["text/plain"]


def test_watch_type_filter_and_timeout(mk):
    connect(mk)
    reply, msgs = run(mk, "%watch --timeout 1s --type TASK_ADDED", timeout=30)
    last = [m for m in msgs if m["msg_type"] in ("display_data", "update_display_data")][-1]
    text = last["content"]["data"]["text/plain"]
    assert "stopped after 1s" in text
    # SUBSCRIBED arrived but is filtered out.
    assert "SUBSCRIBED" not in text.split("\n", 1)[1]
    reply, _ = run(mk, "%watch --type NOPE", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"


def test_subscribe_with_changed_flags_updates_the_one_framework(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%subscribe --name upd-a")
    status = result(msgs)["text/plain"]
    framework = next(l.split()[-1] for l in status.splitlines() if l.startswith("framework id"))
    assert "3600s" in status  # the default failover timeout, shown
    _, msgs = run(mk, '%subscribe --name upd-b --failover-timeout 2h')
    text = result(msgs)["text/plain"]
    assert 'UPDATE_FRAMEWORK (name "upd-a" → "upd-b", failover timeout 3600s → 7200s)' in text
    active = [f for f in master_json(url, "/master/frameworks")["frameworks"] if f["active"]]
    assert [(f["id"], f["name"]) for f in active] == [(framework, "upd-b")]
    # The same flags again change nothing and send nothing.
    _, msgs = run(mk, '%subscribe --name upd-b --failover-timeout 2h')
    assert "already subscribed: showing the existing session" in result(msgs)["text/plain"]
    reply, _ = run(mk, "%subscribe --user someone-else", ok=False)
    assert reply["content"]["ename"] == "MagicUsage" and "cannot change" in reply["content"]["evalue"]
    run(mk, "%teardown")
