"""The Mesos (Rust) Jupyter kernel: the `mesos-kernel` binary, installed by this wheel."""
