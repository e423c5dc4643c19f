"""%volumes and %launch --volume end to end against the embedded local Mesos: a volume created
through the operator API (its disk reserved first), a file written by one task and read by a
later one through it, re-running create, bad input, and destroy."""

from conftest import complete, connect, local_record, master_json, result, run, text_of, wait_until


def volumes_on_agent(url):
    total = master_json(url, "/master/slaves")["slaves"][0]["reserved_resources_full"]
    return [r for rs in total.values() for r in rs if "persistence" in r.get("disk", {})]


def test_a_volume_keeps_a_file_between_tasks(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    run(mk, "%subscribe --name voltest --role web", timeout=60)

    _, msgs = run(mk, "%volumes create vol1 --role web --size 32 --path data")
    text = result(msgs)["text/plain"]
    assert "created volume vol1 (32 MB for role web, at data)" in text, text
    assert "reserved for role web first" in text, text
    [vol] = volumes_on_agent(url)
    assert vol["disk"]["persistence"]["id"] == "vol1"
    assert vol["disk"]["volume"]["container_path"] == "data"

    # Re-running reports the volume and creates nothing.
    _, msgs = run(mk, "%volumes create vol1 --role web --size 32 --path data")
    assert "already exists" in result(msgs)["text/plain"]
    assert len(volumes_on_agent(url)) == 1

    # Bad input is a clear error; the kernel keeps serving.
    reply, _ = run(mk, "%volumes create a/b --role web --size 1", ok=False)
    assert "slash" in reply["content"]["evalue"]
    reply, _ = run(mk, "%volumes create v2 --size 5", ok=False)
    assert "--role" in reply["content"]["evalue"]
    reply, _ = run(mk, "%launch --volume vol1 -- true", ok=False)
    assert "ID:PATH" in reply["content"]["evalue"]

    # Its ID completes once an offer holds it.
    wait_until(lambda: "vol1" in complete(mk, "%launch --volume vo"), what="vol1 offered")

    # One task writes through the volume, a later one reads it at another path.
    run(mk, "%launch --name writer --volume vol1:data --wait TASK_FINISHED -- echo kept > data/f", timeout=90)
    run(mk, "%launch --name reader --volume vol1:in --wait TASK_FINISHED -- cat in/f", timeout=90)
    _, msgs = run(mk, "%sandbox reader")
    assert "kept" in text_of(msgs)
    _, msgs = run(mk, "%volumes")
    text = result(msgs)["text/plain"]
    assert "vol1" in text and "1 volume" in text, text

    _, msgs = run(mk, "%volumes destroy vol1 --unreserve")
    assert "destroyed volume vol1" in result(msgs)["text/plain"]
    assert volumes_on_agent(url) == []
    assert master_json(url, "/master/slaves")["slaves"][0]["reserved_resources"] == {}
