#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz corpora from real data.

mesos-lib seeds come from the recorded Mesos fixtures (mesos-lib/tests/fixtures/) and, when
given, the real-Mesos transcripts directory; kernel seeds from jupyter_client's own message
serialisation and connection files (when jupyter_client is importable) and the magic cells of
the shipped notebooks. The campaign (bench/fuzz.sh) grows the corpora from these, and
`cargo fuzz cmin` keeps them small.

Usage: bench/fuzz-seeds.py [TRANSCRIPTS_DIR]
"""

import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "mesos-lib", "tests", "fixtures")


def write(crate, target, data):
    """Stores one seed under its content hash, as cargo fuzz names corpus files."""
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, crate, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return [line.split("\t", 1)[1].rstrip("\n") for line in f if "\t" in line]


def recordio(records):
    return b"".join(b"%d\n%s" % (len(r), r) for r in records)


def transcript_streams(directory):
    """RecordIO streams rebuilt from the `[... stream] <len>\\n<json>` lines of each transcript."""
    if not directory or not os.path.isdir(directory):
        return []
    streams = []
    for name in sorted(os.listdir(directory)):
        records = []
        with open(os.path.join(directory, name), errors="replace") as f:
            for line in f:
                if line.startswith("[") and "stream] " in line:
                    body = line.split("stream] ", 1)[1].rstrip("\n")
                    if "\\n" in body:
                        records.append(body.split("\\n", 1)[1].encode())
        if records:
            streams.append(records)
    return streams


def mesos_lib(transcripts):
    events = fixture("scheduler_events.jsonl")
    for e in events:
        write("mesos-lib", "scheduler_event", e)
    for r in fixture("master_responses.jsonl") + fixture("master_events.jsonl"):
        write("mesos-lib", "operator_response", r)

    # RecordIO: byte 0 is the control byte (0x00: default bound; 0x80 | n: bound n).
    with open(os.path.join(FIXTURES, "scheduler_stream_09.recordio"), "rb") as f:
        stream = f.read()
    write("mesos-lib", "recordio", b"\x00" + stream)
    write("mesos-lib", "recordio", b"\x07" + stream[: len(stream) // 2])
    write("mesos-lib", "recordio", b"\xa0" + stream[:200])
    write("mesos-lib", "recordio", b"\x00" + recordio([e.encode() for e in events[:4]]))
    write("mesos-lib", "recordio", b"\x00" + b"0\n3\nabc")
    for records in transcript_streams(transcripts):
        write("mesos-lib", "recordio", b"\x00" + recordio(records[:3]))

    # Requests: `<content-type>\n<accept>\n<body>`.
    json_ct = "application/json\napplication/json\n"
    for c in fixture("scheduler_calls.jsonl"):
        write("mesos-lib", "scheduler_request", json_ct + c)
    calls = fixture("master_calls.jsonl")
    for c in calls:
        write("mesos-lib", "operator_request", json_ct + c)
    for prefix in [
        "application/x-protobuf\napplication/json\n",
        "\n\n",
        "application/json\napplication/json;q=0, text/plain\n",
        "application/json\n*/*\n",
    ]:
        write("mesos-lib", "scheduler_request", prefix + fixture("scheduler_calls.jsonl")[0])
        write("mesos-lib", "operator_request", prefix + calls[0])


def kernel():
    try:
        from jupyter_client.session import Session
        from jupyter_client.connect import write_connection_file
    except ImportError:
        print("jupyter_client not importable: kernel wire/connection seeds skipped", file=sys.stderr)
        Session = None
    if Session is not None:
        # Control byte bit 0: signed with the harness's key; bit 1: signature recomputed.
        for control, key in [(0x01, b"fuzz-key"), (0x00, b""), (0x03, b"fuzz-key")]:
            session = Session(key=key, signature_scheme="hmac-sha256", username="fuzz")
            parent = session.msg("execute_request", {"code": "1+1", "silent": False})
            messages = [
                session.msg("kernel_info_request", {}),
                session.msg("execute_request", {"code": "%tasks --all", "silent": False,
                                                "store_history": True, "user_expressions": {},
                                                "allow_stdin": True, "stop_on_error": True}),
                session.msg("complete_request", {"code": "%launch --cp", "cursor_pos": 12}),
                session.msg("inspect_request", {"code": "%help", "cursor_pos": 3, "detail_level": 0}),
                session.msg("is_complete_request", {"code": "fn main() {"}),
                session.msg("history_request", {"output": False, "raw": True,
                                                "hist_access_type": "tail", "n": 10}),
                session.msg("comm_info_request", {"target_name": "jupyter.widget"}),
                session.msg("input_reply", {"value": "yes"}, parent=parent),
                session.msg("shutdown_request", {"restart": False}),
                session.msg("interrupt_request", {}),
            ]
            for i, msg in enumerate(messages):
                ident = [b"client-%d" % i] if i % 3 else []
                buffers = [b"buf\x01\x02"] if i == 6 else None
                if buffers:
                    msg["buffers"] = buffers
                frames = session.serialize(msg, ident=ident)
                frames = [f if isinstance(f, bytes) else bytes(f) for f in frames]
                if buffers:
                    frames += buffers
                assert all(b"\0" not in f for f in frames)
                write("kernel", "wire_frames", bytes([control]) + b"\0".join(frames))
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            for i, (transport, ip, key) in enumerate([
                ("tcp", "127.0.0.1", b"a0436f6c-1916-498b-8eb9-e81ab9368e84"),
                ("ipc", os.path.join(tmp, "kernel-1"), b""),
                ("tcp", "0.0.0.0", b"s3cret"),
            ]):
                path = os.path.join(tmp, "kernel-%d.json" % i)
                write_connection_file(path, ip=ip, transport=transport, key=key,
                                      kernel_name="mesos" if i == 0 else "",
                                      shell_port=50001 + i, iopub_port=50011 + i,
                                      stdin_port=50021 + i, control_port=50031 + i,
                                      hb_port=50041 + i)
                with open(path) as f:
                    write("kernel", "connection_file", f.read())

    for name in sorted(os.listdir(os.path.join(ROOT, "notebooks"))):
        if not name.endswith(".ipynb"):
            continue
        with open(os.path.join(ROOT, "notebooks", name)) as f:
            nb = json.load(f)
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            code = [l for l in src.splitlines() if l.strip() and not l.lstrip().startswith("#")]
            if code and code[0].lstrip().startswith("%"):
                write("kernel", "magic_line", src)
    for src in [
        "%launch --cpus 0.1 --mem 32 -- echo '<h1>' > index.html && exec x $PORT0",
        "%help?\n%lsmagic",
        "%%call\n{\"type\": \"GET_HEALTH\"}",
        "%connect local --agents 2",
        "%help 'unbalanced",
    ]:
        write("kernel", "magic_line", src)


if __name__ == "__main__":
    mesos_lib(sys.argv[1] if len(sys.argv) > 1 else None)
    kernel()
