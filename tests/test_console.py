"""`jupyter console` drives the kernel as a terminal user would."""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_jupyter_console_runs_rust_and_magics():
    script = "40 + 2\n%lsmagic\nfn double(x: u32) -> u32 { x * 2 }\ndouble(21)\nexit\ny\n"
    done = subprocess.run(
        [str(ROOT / ".venv/bin/jupyter"), "console", "--kernel", "mesos", "--simple-prompt"],
        input=script, capture_output=True, text=True, timeout=180,
    )
    out = done.stdout
    assert "Mesos (Rust) kernel" in out  # the banner from kernel_info
    assert "Out[1]: 42" in out
    assert re.search(r"^%lsmagic\s+%lsmagic\s+List every magic", out, re.M)  # the text table reads well
    assert "Out[4]: 42" in out
    assert "Shutting down kernel" in out
