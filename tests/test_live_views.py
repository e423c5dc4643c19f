"""Live views through jupyter_client: `%tasks --live` returns at once and its display keeps
updating (update_display_data parented to the original cell) after the cell returned, within
its rate bound under a burst, until `%live stop` or `%teardown`."""

import json
import re

import pytest

from conftest import Inbox

MAX_PER_SECOND = 4


@pytest.fixture(scope="module")
def inbox(mk):
    return Inbox(mk)


def subscribed(inbox):
    """Connects and subscribes (re-running either only reports): each test sets up its session,
    since the last one tears it down."""
    inbox.run("%connect local", timeout=120)
    inbox.run("%subscribe --name live-views", timeout=60)


def display_id(msgs):
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    assert shown, msgs
    return shown[-1]["content"]["transient"]["display_id"]


def updates(inbox, cell):
    return [m for m in inbox.messages(cell, "iopub") if m["msg_type"] == "update_display_data"]


def wait_for_update(inbox, cell, needle, timeout=60):
    def seen():
        return any(needle in m["content"]["data"]["text/plain"] for m in updates(inbox, cell))

    inbox.wait_for(seen, timeout, f"an update of {cell} showing {needle!r}", channels=("iopub",))


def start_view(inbox, line):
    """Starts a live view; returns its cell's msg_id, its display id and the view's number."""
    cell = inbox.execute(line)
    reply = inbox.reply(cell)["content"]
    assert reply["status"] == "ok", reply
    msgs = inbox.idle(cell)
    said = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    number = re.search(r"live view (\d+):", said)
    assert number, said
    return cell, display_id(msgs), int(number.group(1))


def test_a_live_view_updates_after_its_cell_returned_and_stops_on_live_stop(inbox):
    subscribed(inbox)
    cell, shown_as, view = start_view(inbox, "%tasks --live")
    inbox.run("%launch --id live-a --wait TASK_RUNNING -- sleep 600", timeout=90)
    wait_for_update(inbox, cell, "live-a")
    first = updates(inbox, cell)[0]
    assert first["parent_header"]["msg_id"] == cell
    assert first["content"]["transient"]["display_id"] == shown_as
    _, msgs = inbox.run("%live")
    assert "%tasks" in json.dumps([m["content"] for m in msgs]), msgs

    _, msgs = inbox.run(f"%live stop {view}")
    stopped_at = len(updates(inbox, cell))
    # A second view sees the kill; the stopped one must not.
    other, _, _ = start_view(inbox, "%tasks --live")
    inbox.run("%kill live-a")
    wait_for_update(inbox, other, "TASK_KILLED")
    assert len(updates(inbox, cell)) == stopped_at
    reply, _ = inbox.run(f"%live stop {view}", ok=False)
    assert reply["ename"] == "LiveView"
    inbox.run("%live stop")


def test_a_burst_stays_within_the_rate_bound(inbox):
    subscribed(inbox)
    cell, _, _ = start_view(inbox, "%tasks --live")
    n = 30
    tasks = [
        {
            "name": f"burst-{i}",
            "task_id": {"value": f"burst-{i}"},
            # Ends spread over 3 s: ~10 status updates a second, more than the view may show.
            "command": {"value": f"sleep {i / 10}"},
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 8}},
            ],
        }
        for i in range(n)
    ]
    inbox.run("%%launch\n" + json.dumps(tasks), timeout=120)

    def all_finished():
        last = updates(inbox, cell)
        return last and last[-1]["content"]["data"]["text/plain"].count("TASK_FINISHED") >= n

    inbox.wait_for(all_finished, 180, "every burst task finished in the view", channels=("iopub",))
    seen = updates(inbox, cell)
    # 30 tasks make ~90 status updates over ~3 s; the view folds them into at most 4 redraws a
    # second (unbounded, it would redraw for every task that ends).
    dates = [m["header"]["date"] for m in seen]
    span = (dates[-1] - dates[0]).total_seconds()
    assert len(seen) >= 4 and span >= 1.5, (len(seen), span)
    assert len(seen) <= span * MAX_PER_SECOND + 1, (len(seen), span)
    gaps = [(b - a).total_seconds() for a, b in zip(dates, dates[1:])]
    assert min(gaps) >= 1 / MAX_PER_SECOND - 0.02, gaps
    inbox.run("%live stop")


def test_teardown_stops_live_views(inbox):
    subscribed(inbox)
    start_view(inbox, "%offers --live")
    _, msgs = inbox.run("%live")
    assert "%offers" in json.dumps([m["content"] for m in msgs])
    inbox.run("%teardown", timeout=60)
    _, msgs = inbox.run("%live")
    assert "no live views" in json.dumps([m["content"] for m in msgs])
