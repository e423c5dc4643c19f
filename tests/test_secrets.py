"""Security edges of the kernel process, end to end: with logging turned up to trace, neither the
connection key nor a Mesos principal's secret reaches the kernel's log or any output, and the
kernel's sockets listen only on the address of its connection file."""

import json
import os
import pathlib
import re

import pytest
from jupyter_client.manager import KernelManager

from conftest import FIRST_CELL_TIMEOUT, KERNEL_NAME, PRINCIPAL, execute


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A kernel logging at trace level (the kernel, mesos-lib and the HTTP client; not
    rust-analyzer, whose spans run to gigabytes) to a file; yields the manager, a client and the
    log's path."""
    d = tmp_path_factory.mktemp("secrets")
    log = d / "kernel.log"
    km = KernelManager(kernel_name=KERNEL_NAME)
    env = dict(
        os.environ,
        MESOS_KERNEL_LOG="warn,mesos_kernel=trace,mesos_lib=trace,reqwest=trace,hyper_util=trace",
        MESOS_KERNEL_STATE_DIR=str(d / "state"),
    )
    env.pop("MESOS_MASTER", None)
    with open(log, "wb") as out:
        km.start_kernel(env=env, stderr=out)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = execute(kc, "1", timeout=FIRST_CELL_TIMEOUT)[0]
        assert reply["content"]["status"] == "ok", reply
        yield km, kc, log
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_no_secret_in_the_log_or_outputs(logged, secured):
    km, kc, log = logged
    seen = []
    for code in [
        f"%connect {secured['url']} --principal {PRINCIPAL} --secret-file {secured['good']}",
        "%subscribe --name secrets-test",
        "%status",
        f"%connect {secured['url']} --principal {PRINCIPAL} --secret-file {secured['wrong']}",
        'println!("{}", 6 * 7)',
    ]:
        reply, msgs = execute(kc, code, timeout=FIRST_CELL_TIMEOUT)
        seen.append(json.dumps(reply["content"]))
        seen.extend(json.dumps(m["content"]) for m in msgs)
    outputs = "\n".join(seen)
    assert "42" in outputs  # the cells did run
    key = km.session.key.decode()
    assert len(key) >= 16
    text = log.read_text(errors="replace")
    assert "mesos_kernel" in text and len(text) > 1000, "the kernel logged at trace level"
    assert 'key: "<redacted>"' in text, "the connection info is logged, its key redacted"
    for name, secret in [("connection key", key), ("principal secret", secured["secret"])]:
        assert secret not in text, f"the {name} is in the kernel's log"
        assert secret not in outputs, f"the {name} is in an output"
    # Basic auth's header value (base64 of principal:secret) neither.
    import base64

    basic = base64.b64encode(f"{PRINCIPAL}:{secured['secret']}".encode()).decode()
    assert basic not in text and basic not in outputs


def listening_addresses(pid):
    """(address, port) of every TCP socket the process `pid` listens on, from /proc."""
    inodes = set()
    for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    found = []
    for table, width in [("tcp", 8), ("tcp6", 32)]:
        for line in pathlib.Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            if width == 8:
                addr = ".".join(str(b) for b in reversed(bytes.fromhex(addr_hex)))
            else:
                addr = addr_hex
            found.append((addr, int(port_hex, 16)))
    return found


def test_sockets_listen_only_on_the_connection_files_address(logged):
    km, _, _ = logged
    info = km.get_connection_info()
    pid = km.provisioner.pid if hasattr(km, "provisioner") and km.provisioner else km.kernel.pid
    found = listening_addresses(pid)
    ports = {info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")}
    assert ports <= {port for _, port in found}, (ports, found)
    assert all(addr == info["ip"] for addr, _ in found), found
