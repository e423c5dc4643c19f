"""A real ZooKeeper (Debian's `zookeeper` package) for the tests: on loopback, a free port, its
own data directory, stopped by PID. The Python twin of mesos-lib/tests/zk_support."""

import os
import pathlib
import signal
import socket
import subprocess
import time

JAR = os.environ.get("ZOOKEEPER_JAR", "/usr/share/java/zookeeper.jar")
START_LIMIT = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ruok(port):
    """ZooKeeper's four-letter health word; False until it serves."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"ruok")
            return s.recv(4) == b"imok"
    except OSError:
        return False


class ZooKeeper:
    """One standalone server; `url(path)` gives a zk:// URL for it."""

    def __init__(self, workdir: pathlib.Path):
        if not pathlib.Path(JAR).is_file():
            raise AssertionError(f"ZooKeeper jar {JAR} is missing: run install/setup.sh (apt-get install -y zookeeper)")
        self.port = free_port()
        self.dir = workdir
        (workdir / "conf").mkdir(parents=True)
        (workdir / "data").mkdir()
        (workdir / "conf" / "zoo.cfg").write_text(
            f"tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={workdir / 'data'}\n"
            f"clientPort={self.port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok\n"
        )
        self.log = open(workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            ["java", "-cp", f"{workdir / 'conf'}:{JAR}", "org.apache.zookeeper.server.ZooKeeperServerMain",
             str(workdir / "conf" / "zoo.cfg")],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        # No event tells when the server is ready: a bounded poll of its health word.
        deadline = time.monotonic() + START_LIMIT
        while not ruok(self.port):
            if self.proc.poll() is not None:
                raise AssertionError(f"ZooKeeper exited ({self.proc.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"ZooKeeper did not answer within {START_LIMIT} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def url(self, path="/mesos"):
        return f"zk://127.0.0.1:{self.port}{path}"

    def log_tail(self):
        return (self.dir / "server.log").read_text(errors="replace")[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


if __name__ == "__main__":
    # `python tests/zookeeper.py DIR`: serve until SIGTERM; the first line on stdout is the zk://
    # URL (install/run-notebooks.sh uses it for the high-availability notebook).
    import sys

    server = ZooKeeper(pathlib.Path(sys.argv[1]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.url(), flush=True)
    try:
        while True:
            signal.pause()
    finally:
        server.stop()
