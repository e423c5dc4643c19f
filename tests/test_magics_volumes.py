"""%volumes and %launch --volume end to end against the embedded local Mesos: a volume created
through the operator API (its disk reserved first), a file written by one task and read by a
later one through it, re-running create, bad input, and destroy; a volume grown and shrunk
(GROW_VOLUME / SHRINK_VOLUME) keeping its file, re-running a resize, and its errors."""

import re

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


def table_size(text, vid):
    """The "size (MB)" cell of volume `vid`'s row in a %volumes table."""
    [row] = [line for line in text.splitlines() if line.startswith(vid + " ")]
    return re.split(r"\s{2,}", row)[4]


def volume_size(url, vid):
    [vol] = [v for v in volumes_on_agent(url) if v["disk"]["persistence"]["id"] == vid]
    return vol["scalar"]["value"]


def test_a_volume_grows_and_shrinks_keeping_its_file(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    run(mk, "%subscribe --name resizetest --role web", timeout=60)
    run(mk, "%volumes create rvol --role web --size 32 --path data")
    wait_until(lambda: "rvol" in complete(mk, "%launch --volume rv"), what="rvol offered")
    run(mk, "%launch --name rwriter --volume rvol:data --wait TASK_FINISHED -- echo still-here > data/f", timeout=90)

    # Growing takes the new size; the extra disk is reserved first, as create does.
    _, msgs = run(mk, "%volumes grow rvol --to 64")
    text = result(msgs)["text/plain"]
    assert "grew volume rvol on agent" in text and "from 32 to 64 MB" in text, text
    assert "on disk:32 reserved for role web first" in text, text
    assert volume_size(url, "rvol") == 64
    assert table_size(text, "rvol") == "64", text

    # Re-running the cell changes nothing: the volume is that size already.
    _, msgs = run(mk, "%volumes grow rvol --to 64")
    assert "is 64 MB already: nothing to grow" in result(msgs)["text/plain"]
    assert volume_size(url, "rvol") == 64

    # Shrinking leaves the freed disk reserved for the role.
    _, msgs = run(mk, "%volumes shrink rvol --to 16")
    text = result(msgs)["text/plain"]
    assert "shrank volume rvol on agent" in text and "from 64 to 16 MB" in text, text
    assert "the 48 MB freed stay reserved for role web" in text, text
    assert volume_size(url, "rvol") == 16
    assert table_size(text, "rvol") == "16", text
    _, msgs = run(mk, "%volumes shrink rvol --to 16")
    assert "nothing to shrink" in result(msgs)["text/plain"]

    # The file written before both resizes is still there.
    wait_until(lambda: "rvol" in complete(mk, "%launch --volume rv"), what="rvol offered again")
    run(mk, "%launch --name rreader --volume rvol:in --wait TASK_FINISHED -- cat in/f", timeout=90)
    _, msgs = run(mk, "%sandbox rreader")
    assert "still-here" in text_of(msgs)
    run(mk, "%volumes destroy rvol --unreserve")
    assert volumes_on_agent(url) == []
    # The disk shrinking freed is still reserved for web until it is given back.
    run(mk, "%unreserve --role web")
    assert master_json(url, "/master/slaves")["slaves"][0]["reserved_resources"] == {}


def test_resizing_a_volume_refuses_bad_input_and_shows_the_masters_refusal(mk, state_dir):
    connect(mk)
    url = local_record(state_dir)["url"]
    run(mk, "%volumes create evol --role web --size 32")
    assert "grow" in complete(mk, "%volumes gr")

    bad = [
        ("%volumes grow nosuch --to 64", "no volume nosuch"),
        ("%volumes grow evol", "--to MB"),
        ("%volumes grow evol 64", "not an amount"),
        ("%volumes grow evol --to big", "positive number of MB"),
        ("%volumes shrink evol --to 0", "more than 0 MB"),
        ("%volumes shrink evol --to -5", "more than 0 MB"),
        ("%volumes grow evol --to 16", "shrink it"),
        ("%volumes shrink evol --to 48", "grow it"),
        ("%volumes grow evol --to 64 --size 64", "--size does not go with grow"),
    ]
    for code, want in bad:
        reply, _ = run(mk, code, ok=False)
        assert reply["content"]["status"] == "error", code
        assert want in reply["content"]["evalue"], (code, reply["content"]["evalue"])
    assert volume_size(url, "evol") == 32
    _, msgs = run(mk, "%volumes")
    assert table_size(result(msgs)["text/plain"], "evol") == "32"

    # More disk than the agent has: Mesos refuses the reservation, and the cell shows it.
    reply, _ = run(mk, "%volumes grow evol --to 100000", ok=False)
    evalue = reply["content"]["evalue"]
    assert "RESERVE_RESOURCES of disk:99968 for role web refused" in evalue, evalue
    assert volume_size(url, "evol") == 32

    # A volume a running task uses cannot grow: the disk reserved for the attempt is given back.
    run(mk, "%subscribe --name evoltest --role web", timeout=60)
    wait_until(lambda: "evol" in complete(mk, "%launch --volume ev"), what="evol offered")
    run(mk, "%launch --name evuser --volume evol:data --wait TASK_RUNNING -- sleep 600", timeout=90)
    reply, _ = run(mk, "%volumes grow evol --to 48", ok=False)
    evalue = reply["content"]["evalue"]
    assert "GROW_VOLUME refused" in evalue and "the disk:16 reserved for it was unreserved" in evalue, evalue
    assert volume_size(url, "evol") == 32
    reserved = master_json(url, "/master/slaves")["slaves"][0]["reserved_resources_full"]["web"]
    assert [r for r in reserved if "persistence" not in r.get("disk", {})] == [], reserved
    run(mk, "%kill evuser")
    run(mk, "%wait evuser --state TASK_KILLED", timeout=90)
    run(mk, "%volumes destroy evol --unreserve")
    assert master_json(url, "/master/slaves")["slaves"][0]["reserved_resources"] == {}
