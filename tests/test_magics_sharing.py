"""Sharing the cluster out: %weights, %quota, %reserve / %unreserve, %roles, %launch --role,
%shares and %workload, end to end through jupyter_client against a private embedded Mesos (the
`mk` fixture), each effect checked in the master's own JSON."""

import re

from conftest import complete, connect, local_record, master_json, result, rows, run, text_of


def by_role(text):
    """The data rows of a table keyed by their first column."""
    return {r.split()[0]: r.split() for r in rows(text)}


def test_weights_are_set_shown_and_not_sent_twice(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%weights wbatch=1 wweb=3")
    text = result(msgs)["text/plain"]
    assert "UPDATE_WEIGHTS sent: wbatch 1 → 1, wweb 1 → 3" in text, text
    weights = {w["role"]: w["weight"] for w in master_json(url, "/master/weights")}
    assert weights["wweb"] == 3.0 and weights["wbatch"] == 1.0
    _, msgs = run(mk, "%weights wweb=3")
    assert "already set: nothing sent" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%roles")
    assert by_role(result(msgs)["text/plain"])["wweb"][1] == "3"
    for bad in ("%weights wweb=-1", "%weights wweb", "%weights /x=1"):
        reply, _ = run(mk, bad, ok=False)
        assert reply["content"]["ename"] == "MagicUsage", bad
    # Roles the master listed complete.
    assert "wweb" in complete(mk, "%quota ww")


def test_quota_is_set_merged_rerun_and_removed(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%quota qops --guarantee cpus:0.5;mem:64 --limit cpus:1")
    text = result(msgs)["text/plain"]
    assert "UPDATE_QUOTA sent for qops" in text
    [config] = [c for c in master_json(url, "/master/quota")["configs"] if c["role"] == "qops"]
    assert config["guarantees"] == {"cpus": {"value": 0.5}, "mem": {"value": 64.0}}
    assert config["limits"] == {"cpus": {"value": 1.0}}
    # Only --limit given: the guarantee is kept.
    run(mk, "%quota qops --limit cpus:2")
    [config] = [c for c in master_json(url, "/master/quota")["configs"] if c["role"] == "qops"]
    assert config["guarantees"]["cpus"] == {"value": 0.5} and config["limits"] == {"cpus": {"value": 2.0}}
    _, msgs = run(mk, "%quota qops --limit cpus:2")
    assert "qops already has this quota: nothing sent" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%roles")
    row = by_role(result(msgs)["text/plain"])["qops"]
    assert row[3:5] == ["cpus:0.5;mem:64", "cpus:2"], row
    # The master's own check, with its text: a guarantee above the limit.
    reply, _ = run(mk, "%quota qops --limit cpus:0.1", ok=False)
    assert reply["content"]["ename"] == "MesosError"
    assert "is not contained within the 'QuotaConfig.limits'" in reply["content"]["evalue"]
    for bad in ("%quota --guarantee cpus:1", "%quota qops --guarantee ports:[1-2]", "%quota qops --remove --limit cpus:1"):
        reply, _ = run(mk, bad, ok=False)
        assert reply["content"]["ename"] == "MagicUsage", bad
    _, msgs = run(mk, "%quota qops --remove")
    assert "no quota for qops" in result(msgs)["text/plain"]


def test_reserve_is_reported_when_rerun_and_unreserve_releases_it(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%reserve cpus:0.5;mem:64 --role rweb --label team=a")
    text = result(msgs)["text/plain"]
    assert "reserved cpus:0.5;mem:64 for rweb on agent" in text and "team=a" in text, text
    [agent] = master_json(url, "/master/state")["slaves"]
    assert agent["reserved_resources"]["rweb"]["cpus"] == 0.5
    _, msgs = run(mk, "%reserve cpus:0.5;mem:64 --role rweb --label team=a")
    assert "already holds cpus:0.5;mem:64 reserved for rweb: nothing sent" in result(msgs)["text/plain"]
    [agent] = master_json(url, "/master/state")["slaves"]
    assert agent["reserved_resources"]["rweb"]["cpus"] == 0.5  # not 1
    _, msgs = run(mk, "%roles")
    assert by_role(result(msgs)["text/plain"])["rweb"][6] == "cpus:0.5;mem:64"
    reply, _ = run(mk, "%reserve cpus:1000 --role rweb", ok=False)
    assert reply["content"]["ename"] == "MesosError" and "no agent has cpus:1000" in reply["content"]["evalue"]
    for bad in ("%reserve cpus:1", "%reserve --role rweb", "%reserve cpus:1 --role '*'", "%reserve ports:[1-2] --role rweb"):
        reply, _ = run(mk, bad, ok=False)
        assert reply["content"]["ename"] == "MagicUsage", bad
    _, msgs = run(mk, "%unreserve --role rweb")
    assert "cpus:0.5;mem:64" in result(msgs)["text/plain"]
    [agent] = master_json(url, "/master/state")["slaves"]
    assert "rweb" not in agent["reserved_resources"]
    _, msgs = run(mk, "%unreserve --role rweb")
    assert "nothing reserved for rweb: nothing sent" in result(msgs)["text/plain"]


def test_launch_in_a_role_of_a_multi_role_framework_uses_its_reservation(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    run(mk, "%teardown")
    run(mk, "%reserve cpus:0.25;mem:32 --role lweb")
    run(mk, "%subscribe --name roles-launch --role lweb --role lbatch")
    reply, _ = run(mk, "%launch --role nope -- true", ok=False)
    assert "subscribed in roles lweb, lbatch" in reply["content"]["evalue"]
    run(mk, "%launch --role lweb --name in-web --cpus 0.25 --mem 16 -- sleep 60")
    # The second role is offered resources too (one offer per role), so a task launches in it.
    run(mk, "%launch --role lbatch --name in-batch --cpus 0.25 --mem 16 -- sleep 60")
    allocated = {r["name"]: r["allocated"] for r in master_json(url, "/master/roles")["roles"]}
    assert allocated["lbatch"].get("cpus") == 0.25, allocated
    state = master_json(url, "/master/state")
    [fw] = [f for f in state["frameworks"] if f["name"] == "roles-launch"]
    assert sorted(fw["roles"]) == ["lbatch", "lweb"]
    _, msgs = run(mk, "%roles")
    roles = by_role(result(msgs)["text/plain"])
    # lweb's task took the reservation: allocated cpus:0.25 of it, and nothing unreserved.
    assert roles["lweb"][7].startswith("cpus:0.25"), roles["lweb"]
    assert roles["lweb"][5].startswith("cpus:0.25"), roles["lweb"]  # consumed = the reservation
    _, msgs = run(mk, "%shares")
    shares = by_role(result(msgs)["text/plain"])
    # cpus dominate: 0.25 of 2.
    assert shares["lweb"][3] == "0.125", shares
    html = result(msgs)["text/html"]
    assert 'data-role="lweb"' in html and 'data-part="weighted"' in html
    run(mk, "%teardown")
    run(mk, "%unreserve --role lweb")


def test_shares_follow_redraws_until_the_timeout(mk):
    connect(mk)
    _, msgs = run(mk, "%shares --follow --timeout 2s --since 10s")
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert updates and "stopped after 2s" in updates[-1]["content"]["data"]["text/plain"]
    reply, _ = run(mk, "%shares --since 0s", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"


def test_workloads_launch_on_their_offers_and_stop(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    _, msgs = run(mk, "%workload start wl --role wlrole --cpus 0.25 --mem 16 --seconds 1 --tasks 3")
    assert "workload wl started in role wlrole" in result(msgs)["text/plain"]
    _, msgs = run(mk, "%workload start wl --role wlrole")
    assert "already running: nothing started" in result(msgs)["text/plain"]
    [fw] = [f for f in master_json(url, "/master/frameworks")["frameworks"] if f["name"] == "wl" and f["active"]]
    assert fw["role"] == "wlrole"
    # Its three tasks run and finish on their own.
    from conftest import wait_until

    def finished():
        tasks = master_json(url, f"/master/tasks?framework_id={fw['id']}&limit=-1")["tasks"]
        return sum(t["state"] == "TASK_FINISHED" for t in tasks) == 3

    wait_until(finished, timeout=60, what="the workload's 3 tasks finished")
    _, msgs = run(mk, "%workload")
    row = by_role(result(msgs)["text/plain"])["wl"]
    assert row[1] == "wlrole" and row[4] == "3", row
    _, msgs = run(mk, "%workload stop wl")
    assert "torn down" in result(msgs)["text/plain"]
    assert not [f for f in master_json(url, "/master/frameworks")["frameworks"] if f["id"] == fw["id"]]
    _, msgs = run(mk, "%workload stop wl")
    assert "not running: nothing to do" in result(msgs)["text/plain"]
    reply, _ = run(mk, "%workload start", ok=False)
    assert reply["content"]["ename"] == "MagicUsage"
    assert re.search(r"no workload running", text_of(run(mk, "%workload")[1]))
