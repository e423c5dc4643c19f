"""Scheduler-side magics end to end: %decline, %revive, %suppress, %reconcile, %events and %%call,
against the embedded local Mesos, through jupyter_client.

Like test_magics_mesos.py, the kernel gets a private MESOS_KERNEL_STATE_DIR (the `mk` fixture
of conftest.py), so the embedded Mesos it starts belongs to this module. The tests share one
framework session; each subscribes (a no-op when subscribed) and sets up what it needs.
"""

import getpass
import json
import re
import time

from conftest import (
    complete,
    connect,
    drain_iopub,
    local_record,
    master_json,
    outputs,
    result,
    rows,
    run,
    shell_reply,
    subscribe,
    text_of,
    wait_until,
)

FRAMEWORK = "callfw"
SUBSCRIBE = json.dumps(
    {
        "type": "SUBSCRIBE",
        "subscribe": {
            "framework_info": {"user": getpass.getuser(), "name": FRAMEWORK, "failover_timeout": 3600}
        },
    },
    indent=2,
)


def metric(url, name):
    return master_json(url, "/metrics/snapshot")[name]


def error_of(reply):
    assert reply["content"]["status"] == "error", reply["content"]
    return reply["content"]["ename"], reply["content"]["evalue"]


def test_call_subscribe_twice_is_one_framework(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%%call\n" + SUBSCRIBE, timeout=60)
    data = result(msgs)
    assert "subscribed to" in data["text/plain"]
    # What was sent is shown as JSON.
    assert data["application/json"]["type"] == "SUBSCRIBE"
    assert data["application/json"]["subscribe"]["framework_info"]["name"] == FRAMEWORK
    _, msgs = run(mk, "%%call\n" + SUBSCRIBE)
    assert "already subscribed" in result(msgs)["text/plain"]
    # %subscribe with the same name is the same framework; nothing is sent.
    _, msgs = run(mk, f'%subscribe --name "{FRAMEWORK}"')
    assert "already subscribed: showing the existing session" in result(msgs)["text/plain"]
    frameworks = master_json(url, "/master/frameworks")["frameworks"]
    assert [f["name"] for f in frameworks] == [FRAMEWORK]
    assert frameworks[0]["id"] in result(msgs)["text/plain"]


def test_events_shows_the_session_and_filters_by_type(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    # Offers come within an allocation interval of subscribing.
    run(mk, "%offers --wait 30s", timeout=60)
    fid = master_json(url, "/master/frameworks")["frameworks"][0]["id"]
    _, msgs = run(mk, "%events")
    text = result(msgs)["text/plain"]
    got = rows(text)
    assert re.search(rf"\bSUBSCRIBED\s+framework {re.escape(fid)}", text), text
    assert any(re.search(r"\bOFFERS\b", r) for r in got), text
    # Newest last: SUBSCRIBED comes before the first OFFERS.
    types = [r.split()[1] for r in got]
    assert types.index("SUBSCRIBED") < types.index("OFFERS")
    _, msgs = run(mk, "%events --type OFFERS")
    got = rows(result(msgs)["text/plain"])
    assert got and all(r.split()[1] == "OFFERS" for r in got), got
    _, msgs = run(mk, "%events -n 1")
    assert len(rows(result(msgs)["text/plain"])) == 1
    reply, _ = run(mk, "%events --type NOPE", ok=False)
    assert error_of(reply)[0] == "MagicUsage"


def test_decline_completion_rerun_and_unknown_offer(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%offers --wait 30s", timeout=60)
    offers_text = text_of(msgs)
    ids = complete(mk, "%decline ")
    assert ids, "no offer id completed"
    for oid in ids:
        assert oid in offers_text
    assert metric(url, "master/outstanding_offers") == len(ids)
    oid = ids[0]
    _, msgs = run(mk, f"%decline {oid} --refuse 60s")
    row = next(r for r in rows(result(msgs)["text/plain"]) if r.startswith(oid))
    assert "declined; agent refused for 60s" in row
    assert metric(url, "master/outstanding_offers") == len(ids) - 1
    assert oid not in complete(mk, "%decline ")
    # Re-running says so and sends nothing.
    _, msgs = run(mk, f"%decline {oid}")
    assert "already declined; nothing sent" in result(msgs)["text/plain"]
    reply, _ = run(mk, "%decline no-such-offer", ok=False)
    ename, evalue = error_of(reply)
    assert ename == "MesosError" and "no such outstanding offer: no-such-offer" in evalue
    reply, _ = run(mk, f"%decline {oid} --all", ok=False)
    assert error_of(reply)[0] == "MagicUsage"
    # The kernel keeps serving after the errors.
    run(mk, "%status")


def test_suppress_and_revive_are_shown_in_status(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    # Hold the one agent's resources back for 60s, so that nothing is outstanding once suppressed.
    run(mk, "%decline --all --refuse 60s")
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%suppress")
    assert "SUPPRESS sent" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%status")
    assert re.search(r"^suppressed roles\s+\*$", result(msgs)["text/plain"], re.M), result(msgs)
    # The one agent's offer was declined with a 60s filter: nothing is outstanding.
    assert metric(url, "master/outstanding_offers") == 0
    _, msgs = run(mk, "%decline --all")
    assert "nothing to decline" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%revive")
    text = result(msgs)["text/plain"]
    assert "REVIVE sent" in text and "no role is suppressed now" in text
    _, msgs = run(mk, "%status")
    assert "suppressed roles" not in result(msgs)["text/plain"]
    # REVIVE cleared the 60s filter and un-suppressed: offers come back long before 60s.
    wait_until(lambda: metric(url, "master/outstanding_offers") >= 1, timeout=20, what="offers after REVIVE")
    run(mk, "%offers --wait 30s", timeout=60)


def test_reconcile_explicit_and_implicit(mk):
    subscribe(mk, FRAMEWORK)
    run(mk, "%launch --id rec1 --wait TASK_RUNNING -- sleep 300", timeout=90)
    _, msgs = run(mk, "%reconcile rec1 ghost --timeout 20s", timeout=60)
    text = result(msgs)["text/plain"]
    assert "explicit reconciliation of 2 tasks: 2 answered" in text, text
    assert re.search(r"\brec1\s+TASK_RUNNING\s+REASON_RECONCILIATION\s+SOURCE_MASTER", text), text
    assert re.search(r"\bghost\s+TASK_LOST\s+REASON_RECONCILIATION\s+SOURCE_MASTER\s+Reconciliation: Task is unknown", text), text
    _, msgs = run(mk, "%reconcile", timeout=60)
    text = result(msgs)["text/plain"]
    assert "implicit reconciliation" in text
    assert re.search(r"\brec1\s+TASK_RUNNING\s+REASON_RECONCILIATION", text), text
    # The answers are UPDATE events in the log.
    _, msgs = run(mk, "%events --type UPDATE -n 50")
    got = rows(result(msgs)["text/plain"])
    assert all(r.split()[1] == "UPDATE" for r in got)
    assert any("task ghost TASK_LOST" in r for r in got), got
    run(mk, "%kill rec1")
    run(mk, "%wait rec1 --state TASK_KILLED --timeout 30s", timeout=60)


def test_events_follow_updates_in_place_and_ends_on_interrupt(mk):
    subscribe(mk, FRAMEWORK)
    # Refused for half a second, the declined offers come back within the follow: an update.
    run(mk, "%decline --all --refuse 0.5s")
    msg_id = mk.execute("%events --follow --type OFFERS -n 5")
    display_id = None
    updated = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not updated:
        msg = mk.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "display_data":
            display_id = msg["content"]["transient"]["display_id"]
            first = msg["content"]["data"]["text/plain"]
            assert "following" in first
        elif msg["msg_type"] == "update_display_data":
            assert msg["content"]["transient"]["display_id"] == display_id
            # A new OFFERS row: the rows differ from the first display's.
            assert rows(msg["content"]["data"]["text/plain"]) != rows(first)
            updated = True
    assert updated, "the followed table was never updated"
    mk.km.interrupt_kernel()
    reply = shell_reply(mk, msg_id, timeout=30)
    msgs = drain_iopub(mk, msg_id)
    # Interrupting is the normal end of a follow: the cell is fine, the table stays.
    assert reply["content"]["status"] == "ok", reply["content"]
    assert not outputs(msgs, "error")
    _, msgs = run(mk, "%events --follow --timeout 1s")
    assert outputs(msgs, "display_data")
    _, msgs = run(mk, "%status")
    assert "subscribed" in result(msgs)["text/plain"]


def test_call_errors_are_shown_verbatim(mk):
    subscribe(mk, FRAMEWORK)
    reply, _ = run(mk, '%%call\n{"type": "REVIVE",\n  "framework_id": }', ok=False)
    ename, evalue = error_of(reply)
    assert ename == "JSONError" and "body line 2, column 19" in evalue, evalue
    # DECLINE without its section: the master's 400 and reason, as it wrote them.
    reply, _ = run(mk, '%%call\n{"type": "DECLINE"}', ok=False)
    ename, evalue = error_of(reply)
    assert ename == "MesosError"
    assert evalue == "400 Bad Request: Failed to validate scheduler::Call: Expecting 'decline' to be present", evalue
    reply, _ = run(mk, "%%call\n", ok=False)
    assert error_of(reply)[0] == "MagicUsage"
    _, msgs = run(mk, '%%call\n{"type": "REVIVE"}')
    text = result(msgs)["text/plain"]
    assert text.startswith("202 Accepted") and "filled in from the session" in text


def test_call_operator(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, '%%call --operator\n{"type": "GET_HEALTH"}')
    data = result(msgs)
    assert data["text/plain"].startswith("200 OK")
    assert data["application/json"]["get_health"]["healthy"] is True
    _, msgs = run(mk, '%%call --operator\n{"type": "GET_VERSION"}')
    version = result(msgs)["application/json"]["get_version"]["version_info"]["version"]
    assert version == master_json(url, "/version")["version"]
    reply, _ = run(mk, '%%call --operator\n{"type": "SUBSCRIBE"}', ok=False)
    assert "%watch" in error_of(reply)[1]
    reply, _ = run(mk, '%%call --operator\n{"type": "GET_METRICS"}', ok=False)
    ename, evalue = error_of(reply)
    assert ename == "MesosError" and evalue.startswith("400 Bad Request: "), evalue


def test_call_teardown_ends_the_session(mk, state_dir):
    subscribe(mk, FRAMEWORK)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, '%%call\n{"type": "TEARDOWN"}')
    assert result(msgs)["text/plain"].startswith("202 Accepted")
    _, msgs = run(mk, "%status")
    assert "torn down" in result(msgs)["text/plain"]
    wait_until(lambda: not master_json(url, "/master/frameworks")["frameworks"], what="framework gone")
    reply, _ = run(mk, "%events", ok=False)
    assert "%subscribe" in error_of(reply)[1]
