"""The magics' pictures (inline SVG in the HTML output) end to end against the embedded local
Mesos: a scripted scenario (subscribe, launch two tasks, kill one), then the bars of %agents and
%state and the segments of %timeline and %tasks are read back from the SVG and compared with
the master's own /master/state; the text/plain part must stay the table.

The tests share one kernel, one framework and the module's private embedded Mesos; the scenario
is a module fixture, played once by whichever test needs it first, so any test runs alone.
"""

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import (
    local_record,
    master_json,
    outputs,
    result,
    run,
    text_of,
)

SVG = "{http://www.w3.org/2000/svg}"
# Geometry of the pictures (kernel/src/display/svg/{bars,timeline}.rs).
COL_W = 150.0
LABEL_W = 200.0
RESOURCES = ["cpus", "mem", "disk", "ports"]


def picture(data):
    """The one SVG in a bundle's HTML, parsed; fails unless it is well-formed XML."""
    html = data["text/html"]
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    assert html.count("<svg") == 1, html[:200]
    root = ET.fromstring(html[start:end])
    # Every picture carries a title and a text description, referenced for screen readers.
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # The table follows the picture in the HTML, and text/plain is the table alone.
    assert "<table>" in html[end:]
    assert "<svg" not in data["text/plain"]
    return root


def rects(root, part):
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-part") == part]


def num(v):
    return float(v)


def task_states(task):
    """A task's states as the master recorded them, repeats merged, oldest first."""
    out = []
    for s in sorted(task.get("statuses", []), key=lambda s: s["timestamp"]):
        if not out or out[-1][0] != s["state"]:
            out.append((s["state"], s["timestamp"]))
    return out


def master_tasks(url):
    state = master_json(url, "/master/state")
    tasks = {}
    for fw in state["frameworks"] + state.get("completed_frameworks", []):
        for t in fw.get("tasks", []) + fw.get("completed_tasks", []):
            tasks[t["id"]] = t
    return tasks


def scalar_or_count(flat, name):
    """A resource of the legacy flat JSON: scalars as they are, port ranges as a count."""
    v = flat.get(name, 0)
    if isinstance(v, str):
        return sum(int(e) - int(b) + 1 for b, e in re.findall(r"(\d+)-(\d+)", v))
    return float(v)


@pytest.fixture(scope="module")
def scenario(mk):
    """Subscribes, launches pic-a and pic-b and kills pic-a; returns each launch's messages."""
    run(mk, "%connect local", timeout=90)
    run(mk, "%subscribe --name pictures")
    run(mk, "%offers --wait 30s", timeout=60)
    launches = {}
    for task, cpus, mem in (("pic-a", 0.5, 64), ("pic-b", 0.25, 32)):
        _, launches[task] = run(
            mk,
            f"%launch --id {task} --cpus {cpus} --mem {mem} --wait TASK_RUNNING -- sleep 300",
            timeout=90,
        )
    run(mk, "%kill pic-a")
    run(mk, "%wait pic-a --state TASK_KILLED --timeout 30s", timeout=60)
    return launches


def test_scenario(scenario):
    for task, msgs in scenario.items():
        # The live task view redraws its picture with its table, in the same display.
        shown = outputs(msgs, "display_data") + outputs(msgs, "update_display_data")
        last = shown[-1]["content"]["data"]
        assert "TASK_RUNNING" in last["text/plain"]
        root = picture(last)
        tips = [r.find(f"{SVG}title").text for r in rects(root, "segment")]
        assert any(t.startswith(task) and ": TASK_RUNNING at " in t for t in tips), tips


def check_agent_bars(root, slave):
    """The agent's row: used by tasks is exactly what the master says its tasks use, and the
    parts together are the whole column (one agent: its totals are the scale)."""
    host = slave["hostname"]
    for name in RESOURCES:
        total = scalar_or_count(slave["resources"], name)
        used = scalar_or_count(slave["used_resources"], name)
        tips = {p: [r for r in rects(root, p) if r.find(f"{SVG}title").text.startswith(f"{host}: {name} ")]
                for p in ("used", "offered", "reserved", "free")}
        widths = {p: sum(num(r.get("width")) for r in rs) for p, rs in tips.items()}
        assert abs(widths["used"] - COL_W * used / total) < 0.2, (name, widths, used, total)
        assert abs(sum(widths.values()) - COL_W) < 0.5, (name, widths)
        if used:
            assert tips["used"][0].find(f"{SVG}title").text.endswith(f" used by tasks of {total:g}"), name


def test_agents_bars_match_the_master(mk, state_dir, scenario):
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%agents")
    data = result(msgs)
    root = picture(data)
    slaves = master_json(url, "/master/state")["slaves"]
    assert len(slaves) == 1
    slave = slaves[0]
    # pic-b alone is running: 0.25 cpus and 32 MB are used.
    assert scalar_or_count(slave["used_resources"], "cpus") == 0.25
    check_agent_bars(root, slave)
    assert slave["id"] in data["text/plain"] and "hostname" in data["text/plain"]
    # Legend names every part in words, not only by colour.
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("used by tasks", "offered", "reserved, idle", "free"):
        assert label in texts


def test_state_and_group_by(mk, state_dir, scenario):
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%state --group-by rack")
    data = result(msgs)
    root = picture(data)
    assert "application/json" in data
    slave = master_json(url, "/master/state")["slaves"][0]
    rack = slave["attributes"]["rack"]
    # Grouped by rack: the row is named by the attribute and sums the same agent.
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert f"rack={rack}" in labels, labels
    used = [r for r in rects(root, "used") if r.find(f"{SVG}title").text.startswith(f"rack={rack}: cpus ")]
    total = scalar_or_count(slave["resources"], "cpus")
    assert abs(num(used[0].get("width")) - COL_W * 0.25 / total) < 0.2


def check_timeline(root, tasks, ids):
    """One row per task with one segment per state the master recorded, placed on one linear
    time axis: x is a single affine function of the status timestamps."""
    rows = {g.get("data-task").split(" ")[0]: g for g in root.iter(f"{SVG}g") if g.get("data-task")}
    points = []
    for task_id in ids:
        states = task_states(tasks[task_id])
        segs = [r for r in rows[task_id].iter(f"{SVG}rect") if r.get("data-part") == "segment"]
        assert len(segs) == len(states), (task_id, states, len(segs))
        for seg, (state, ts) in zip(segs, states):
            assert seg.find(f"{SVG}title").text.startswith(f"{rows[task_id].get('data-task')}: {state} at")
            points.append((ts, num(seg.get("x"))))
    points.sort()
    (t0, x0), (t1, x1) = points[0], points[-1]
    assert t1 > t0 and x1 > x0 and abs(x0 - LABEL_W) < 0.2
    slope = (x1 - x0) / (t1 - t0)
    for t, x in points:
        assert abs(x0 + slope * (t - t0) - x) < 1.0, (points, slope)


def test_timeline_of_this_framework(mk, state_dir, scenario):
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%timeline")
    data = result(msgs)
    root = picture(data)
    tasks = master_tasks(url)
    assert tasks["pic-a"]["state"] == "TASK_KILLED" and tasks["pic-b"]["state"] == "TASK_RUNNING"
    check_timeline(root, tasks, ["pic-a", "pic-b"])
    text = data["text/plain"]
    assert "2 tasks of this framework" in text
    row_a = next(l for l in text.splitlines() if l.startswith("pic-a"))
    assert "TASK_KILLED" in row_a and row_a.rstrip().endswith("KILLED")
    # Every state drawn is named in the legend too.
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"TASK_RUNNING", "TASK_KILLED"} <= labels


def test_timeline_follow_redraws_as_updates_arrive(mk, state_dir, scenario):
    run(mk, "%launch --id pic-c --wait TASK_RUNNING -- sleep 3", timeout=90)
    _, msgs = run(mk, "%timeline --follow --timeout 10s", timeout=60)
    shown = outputs(msgs, "display_data") + outputs(msgs, "update_display_data")
    first, last = shown[0]["content"], shown[-1]["content"]
    row = lambda data: next(l for l in data["text/plain"].splitlines() if l.startswith("pic-c"))
    assert "TASK_RUNNING" in row(first["data"]) and "following for 10s" in first["data"]["text/plain"]
    # The task's end arrives as an update and the same display is redrawn, picture included;
    # the cell then follows on until the timeout.
    redrawn = [m["content"]["data"] for m in outputs(msgs, "update_display_data") if "TASK_FINISHED" in row(m["content"]["data"])]
    assert redrawn and all(m["content"]["transient"]["display_id"] == first["transient"]["display_id"] for m in shown)
    segs = [r.find(f"{SVG}title").text for r in rects(picture(redrawn[0]), "segment")]
    assert any(t.startswith("pic-c") and ": TASK_FINISHED at " in t for t in segs), segs
    assert "stopped after 10s" in last["data"]["text/plain"]


def test_tasks_and_timeline_all_match_the_master(mk, state_dir, scenario):
    url = local_record(state_dir)["url"]
    tasks = master_tasks(url)
    for cell in ("%tasks", "%timeline --all"):
        _, msgs = run(mk, cell)
        data = result(msgs)
        root = picture(data)
        check_timeline(root, tasks, ["pic-a", "pic-b"])
        assert "pic-a" in data["text/plain"] and "pic-b" in data["text/plain"]


def test_watch_redraws_the_timeline(mk, state_dir, scenario):
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%watch --timeout 1s", timeout=30)
    updates = outputs(msgs, "update_display_data")
    assert updates, msgs
    last = updates[-1]["content"]["data"]
    assert "stopped after 1s" in last["text/plain"]
    # The tasks the stream's first state carried, drawn from the statuses the master keeps.
    check_timeline(picture(last), master_tasks(url), ["pic-a", "pic-b"])


def test_offers_picture_and_shortfall(mk, state_dir, scenario):
    run(mk, "%offers --wait 30s", timeout=60)
    _, msgs = run(mk, "%offers")
    data = result(msgs)
    root = picture(data)
    assert rects(root, "offered"), data["text/html"][:500]
    # A launch that fits no offer shows where each offer falls short before it fails.
    reply, msgs = run(mk, "%launch --name too-big --cpus 64 -- true", ok=False, timeout=60)
    assert "no offer holds cpus:64" in reply["content"].get("evalue", ""), text_of(msgs)
    shown = outputs(msgs, "display_data")[-1]["content"]["data"]
    root = picture(shown)
    assert "lacks" in shown["text/plain"] and "cpus 64" in shown["text/plain"]
    assert root.find(f"{SVG}line") is not None
    run(mk, "%kill pic-b")
    run(mk, "%teardown")
