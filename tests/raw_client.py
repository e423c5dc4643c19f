"""A front end made of bare ZeroMQ sockets, for tests that must misbehave: send thousands of
requests without waiting, replay or reorder signed frames, or vanish mid-request.

jupyter_client's channels cannot do these (they sign every message afresh, and their reader
threads parse dates on every message, too slow for 50,000 of them), so this parses only the
JSON frames it needs."""

import json
import time

import zmq
from jupyter_client.session import Session

DELIMITER = b"<IDS|MSG>"


def parse(frames):
    """A received multipart message as a dict like jupyter_client's (no signature check)."""
    i = frames.index(DELIMITER)
    header, parent, _metadata, content = (json.loads(f) for f in frames[i + 2 : i + 6])
    return {"header": header, "parent_header": parent, "content": content, "msg_type": header["msg_type"]}


def parent_id(msg):
    return msg["parent_header"].get("msg_id")


def rss_kb(pid):
    """Resident set size of one process (not its children), from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def execute_content(code, **kw):
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    content.update(kw)
    return content


class RawClient:
    """Shell, control and IOPub sockets on a kernel's connection info, signed with its key."""

    def __init__(self, km):
        info = km.get_connection_info()
        self.session = Session(key=km.session.key, signature_scheme=info["signature_scheme"])
        ctx = zmq.Context.instance()
        self.sockets = {}
        for channel in ("shell", "control"):
            sock = ctx.socket(zmq.DEALER)
            sock.connect(f"tcp://{info['ip']}:{info[f'{channel}_port']}")
            self.sockets[channel] = sock
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
        self.sockets["iopub"] = sub

    def __getitem__(self, channel):
        return self.sockets[channel]

    def frames(self, msg_type, content=None):
        """A new signed request: (msg_id, frames), ready to send now, later, or twice."""
        msg = self.session.msg(msg_type, content or {})
        return msg["header"]["msg_id"], self.session.serialize(msg)

    def send(self, channel, msg_type, content=None):
        msg_id, frames = self.frames(msg_type, content)
        self.sockets[channel].send_multipart(frames)
        return msg_id

    def recv(self, channel, timeout=30):
        """The next message on a channel, or AssertionError after `timeout` seconds."""
        if not self.sockets[channel].poll(int(timeout * 1000)):
            raise AssertionError(f"nothing on {channel} within {timeout} s")
        return parse(self.sockets[channel].recv_multipart())

    def reply_to(self, channel, msg_id, timeout=30):
        """The reply to `msg_id`, failing on any other reply in between."""
        msg = self.recv(channel, timeout)
        assert parent_id(msg) == msg_id, (msg["msg_type"], parent_id(msg), msg_id)
        return msg

    def iopub_until_idle(self, msg_id, timeout=30):
        """IOPub messages for `msg_id`, up to its idle."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv("iopub", max(0.0, deadline - time.monotonic()))
            if parent_id(msg) == msg_id:
                out.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return out

    def sync_iopub(self, timeout=30):
        """Waits until our IOPub subscription is live (PUB drops messages for a subscriber that
        is still joining): asks kernel_info until its busy status reaches us, then drains."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.send("shell", "kernel_info_request")
            self.reply_to("shell", msg_id)
            if self["iopub"].poll(200):
                try:
                    self.iopub_until_idle(msg_id, timeout=5)
                    return
                except AssertionError:
                    pass
        raise AssertionError("IOPub subscription never became live")

    def close(self):
        """Closes every socket at once, discarding anything unsent: a front end that vanishes."""
        for sock in self.sockets.values():
            sock.close(linger=0)
