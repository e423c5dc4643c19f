"""Operating agents through the magics: %drain, %deactivate, %reactivate, %maintenance and the
states %agents shows, end to end through jupyter_client against the kernel's own embedded Mesos
(one agent, so the maintenance test, which brings its machine DOWN, runs last)."""

from conftest import connect, local_record, master_json, result, rows, run, subscribe, text_of, wait_until


def agent_row(kc):
    """The one agent's row of %agents: (id, hostname, state, maintenance)."""
    _, msgs = run(kc, "%agents")
    table = rows(result(msgs)["text/plain"])
    assert len(table) == 1, table
    cells = [c.strip() for c in table[0].split("  ") if c.strip()]
    return cells[0], cells[1], cells[-2], cells[-1]


def test_drain_deactivate_and_reactivate(mk, state_dir):
    subscribe(mk, "ops")
    run(mk, "%launch --id drain-me --wait TASK_RUNNING -- sleep 600", timeout=90)
    agent, host, state, _ = agent_row(mk)
    assert state == "ACTIVE"
    _, msgs = run(mk, "%agents")
    assert "color:#1a7f37;font-weight:600\">ACTIVE" in result(msgs)["text/html"]

    # Once the session has acknowledged the kill, the master holds no task there: DRAINED.
    _, msgs = run(mk, f"%drain {agent} --grace 2s --wait --timeout 30s", timeout=60)
    text = result(msgs)["text/plain"]
    assert "drained" in text and "DRAINED" in rows(text)[0] and "2s" in rows(text)[0], text
    assert "already" not in text, text
    _, msgs = run(mk, "%wait drain-me --state TASK_KILLED --timeout 30s", timeout=60)
    url = local_record(state_dir)["url"]
    task = next(t for t in master_json(url, "/master/tasks")["tasks"] if t["id"] == "drain-me")
    assert task["statuses"][-1]["state"] == "TASK_KILLED"
    assert agent_row(mk)[2] == "DRAINED"

    # Re-running the drain cell is safe: the master takes DRAIN_AGENT again, the cell says so.
    _, msgs = run(mk, f"%drain {agent} --grace 2s --wait --timeout 30s", timeout=60)
    text = result(msgs)["text/plain"]
    assert f"agent {agent} was already DRAINED; DRAIN_AGENT sent again: 200 OK; drained" in text, text
    assert "DRAINED" in rows(text)[0], text

    reply, _ = run(mk, f"%deactivate {host}x", ok=False)
    assert "no agent" in reply["content"]["evalue"]
    _, msgs = run(mk, f"%reactivate {host}")
    text = result(msgs)["text/plain"]
    assert "REACTIVATE_AGENT sent: 200 OK" in text and "ACTIVE" in rows(text)[0], text
    # Run again, the cell succeeds and says why real Mesos refused: the agent is active.
    _, msgs = run(mk, f"%reactivate {agent}")
    text = result(msgs)["text/plain"]
    assert (
        f"agent {agent} is already active, so the master refuses REACTIVATE_AGENT: "
        "400 Bad Request: Agent is not deactivated" in text
    ), text
    assert "ACTIVE" in rows(text)[0], text
    _, msgs = run(mk, f"%deactivate {agent}")
    text = result(msgs)["text/plain"]
    assert "DEACTIVATE_AGENT sent: 200 OK" in text and "DEACTIVATED" in rows(text)[0], text
    _, msgs = run(mk, f"%deactivate {agent}")
    text = result(msgs)["text/plain"]
    assert f"agent {agent} was already deactivated; DEACTIVATE_AGENT sent again: 200 OK" in text, text
    assert agent_row(mk)[2] == "DEACTIVATED"
    run(mk, f"%reactivate {agent}")
    reply, _ = run(mk, "%drain", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"


def test_inverse_offers_declined_then_accepted(mk):
    """The framework's side of maintenance: %inverse_offers lists, declines and accepts the
    inverse offers the master sends, and %maintenance status shows the answers."""
    subscribe(mk, "ops")
    run(mk, "%launch --id inverse-me --wait TASK_RUNNING -- sleep 600", timeout=90)
    agent, _, _, _ = agent_row(mk)
    _, msgs = run(mk, "%inverse_offers")
    assert "0 inverse offers outstanding" in text_of(msgs)
    reply, _ = run(mk, "%inverse_offers --refuse 1s", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"
    run(mk, f"%maintenance schedule {agent} --start 1h --duration 2h")

    # Declined, asked again a second later (--refuse 1s), then accepted.
    _, msgs = run(mk, "%inverse_offers decline --refuse 1s", timeout=60)
    text = result(msgs)["text/plain"]
    assert "DECLINE_INVERSE_OFFERS sent for 1 inverse offer" in text, text
    [row] = rows(text)
    assert agent in row and "for 2h" in row and "declined; asked again in 1s" in row, row
    _, msgs = run(mk, "%maintenance status")
    assert "DECLINE" in rows(result(msgs)["text/plain"])[0]
    _, msgs = run(mk, "%inverse_offers accept --refuse 1h", timeout=60)
    assert "accepted; asked again in 1h" in rows(result(msgs)["text/plain"])[0]
    _, msgs = run(mk, "%maintenance status")
    assert "ACCEPT" in rows(result(msgs)["text/plain"])[0]

    # Answered ones are no longer outstanding; with none coming, accept says so (no error).
    _, msgs = run(mk, "%inverse_offers")
    assert "0 inverse offers outstanding" in text_of(msgs)
    _, msgs = run(mk, "%inverse_offers accept --timeout 1s")
    assert "no inverse offer came within 1s: nothing to accept" in text_of(msgs)
    run(mk, "%maintenance clear")
    run(mk, "%kill inverse-me")


def test_maintenance_window_inverse_offer_down_and_up(mk):
    subscribe(mk, "ops")
    run(mk, "%launch --id maint-me --wait TASK_RUNNING -- sleep 600", timeout=90)
    agent, host, _, _ = agent_row(mk)
    _, msgs = run(mk, f"%maintenance schedule {agent} --start 1h --duration 2h")
    table = rows(result(msgs)["text/plain"])
    assert len(table) == 1 and f"{host} (" in table[0] and "DRAINING" in table[0] and "2h" in table[0], table
    _, _, state, window = agent_row(mk)
    assert state == "MAINTENANCE" and "for 2h" in window
    # The framework running a task there is asked to give it back.
    wait_until(
        lambda: "INVERSE_OFFERS" in text_of(run(mk, "%events --type INVERSE_OFFERS")[1]),
        what="an inverse offer",
    )
    reply, _ = run(mk, "%maintenance stop nope-host", ok=False)
    assert "no agent or machine" in reply["content"]["evalue"]
    reply, _ = run(mk, f"%maintenance stop {host}", ok=False)
    assert "is not in DOWN mode and cannot be brought up" in reply["content"]["evalue"]

    # DOWN: the agent is removed and its task lost.
    _, msgs = run(mk, f"%maintenance start {host}")
    text = result(msgs)["text/plain"]
    assert "START_MAINTENANCE sent: 200 OK" in text and "DOWN" in rows(text)[0], text
    _, msgs = run(mk, "%wait maint-me --state TASK_LOST --timeout 30s", timeout=60)
    _, msgs = run(mk, "%agents")
    assert rows(result(msgs)["text/plain"]) == []
    # Re-run, the cell succeeds: the machine is DOWN already, and the master says it is no
    # longer DRAINING.
    _, msgs = run(mk, f"%maintenance start {host}")
    text = result(msgs)["text/plain"]
    assert "is already DOWN, so the master refuses START_MAINTENANCE: 400 Bad Request" in text, text
    assert "is not in DRAINING mode and cannot be brought down" in text and "DOWN" in rows(text)[0], text
    _, msgs = run(mk, f"%maintenance stop {host}")
    assert "STOP_MAINTENANCE sent: 200 OK; no machine is scheduled" in result(msgs)["text/plain"]
    # The machine, UP and out of the schedule with no agent left, is named HOSTNAME@IP now.
    _, msgs = run(mk, f"%maintenance stop {host}@127.0.0.1")
    text = result(msgs)["text/plain"]
    assert "is already UP and out of the schedule, so the master refuses STOP_MAINTENANCE: 400 Bad Request: " in text, text
    assert "cannot be brought up; no machine is scheduled" in text, text
    connect(mk)
