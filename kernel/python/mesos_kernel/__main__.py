"""`python -m mesos_kernel ARGS...` runs the `mesos-kernel` binary this wheel installed.

The wheel's kernelspec starts the kernel this way: jupyter_client replaces a bare `python` in a
kernelspec with the interpreter running Jupyter, so the kernel is found in the environment's
`bin/` whether or not that environment is activated (its `bin/` need not be on PATH).
"""

import os
import sys
import sysconfig
from importlib import metadata

BINARY = "mesos-kernel"


def binary():
    """The installed binary: from the wheel's own file list (right for venv, --user and --prefix
    installs alike), else the scripts directory of this interpreter's scheme."""
    try:
        files = metadata.distribution("mesos-kernel").files or []
    except metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == BINARY and f.parent.name == "bin":
            path = os.path.realpath(f.locate())
            if os.access(path, os.X_OK):
                return path
    path = os.path.join(sysconfig.get_path("scripts"), BINARY)
    if os.access(path, os.X_OK):
        return path
    sys.exit(f"mesos_kernel: cannot find the {BINARY} binary (looked in the mesos-kernel wheel's files and {path})")


def main():
    exe = binary()
    # exec, not a child: Jupyter signals and waits on this very process.
    os.execv(exe, [exe, *sys.argv[1:]])


if __name__ == "__main__":
    main()
