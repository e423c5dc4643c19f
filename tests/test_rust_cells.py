"""What the kernel does to make Rust cells fast keeps every cell's meaning: a value is shown
as evcxr shows it (Debug, or the type's own `evcxr_display`), `:fmt` still changes it, a
type without Debug still fails with evcxr's message, the analyzer's warm-up leaves no variable,
completions do not offer the display method; and a second kernel starts from the shared build
of mesos-lib instead of compiling it again.
"""

import os
import pathlib
import re
import subprocess

from jupyter_client.manager import start_new_kernel

from conftest import (
    FIRST_CELL_TIMEOUT,
    KERNEL_NAME,
    ROOT,
    complete,
    execute,
    result,
    run,
    text_of,
)


def test_values_are_shown_as_evcxr_shows_them(kernel):
    _, kc = kernel
    _, msgs = run(kc, "let v = vec![1, 2, 3];\nv.iter().map(|x| x * 2).collect::<Vec<_>>()")
    assert result(msgs)["text/plain"] == "[2, 4, 6]"
    _, msgs = run(kc, '"quoted"')
    assert result(msgs)["text/plain"] == '"quoted"'
    # A type's own evcxr_display (an inherent method) still wins over Debug.
    code = (
        "#[derive(Debug)] struct Rich;\n"
        "impl Rich { fn evcxr_display(&self) {"
        ' println!("EVCXR_BEGIN_CONTENT text/html\\n<b>rich</b>\\nEVCXR_END_CONTENT"); } }\n'
        "Rich"
    )
    _, msgs = run(kc, code)
    shown = [m["content"]["data"] for m in msgs if m["msg_type"] in ("display_data", "execute_result")]
    assert any(d.get("text/html") == "<b>rich</b>" for d in shown), shown
    # Without Debug there is nothing to show: evcxr's error, as before.
    reply, msgs = run(kc, "struct Plain;\nPlain", ok=False)
    assert reply["content"]["status"] == "error"
    assert "Debug" in text_of(msgs), text_of(msgs)


def test_fmt_still_changes_how_values_look(kernel):
    _, kc = kernel
    _, msgs = run(kc, ':fmt {:#?}\n#[derive(Debug)] struct P { x: u8 }\nP { x: 1 }')
    # evcxr also says what the format is now.
    assert result(msgs)["text/plain"].endswith("P {\n    x: 1,\n}"), result(msgs)
    _, msgs = run(kc, "(1u8, 2u8)")
    assert result(msgs)["text/plain"] == "(\n    1,\n    2,\n)"
    run(kc, ":fmt {:?}")
    _, msgs = run(kc, "(1u8, 2u8)")
    assert result(msgs)["text/plain"] == "(1, 2)"


def test_no_warm_up_variable_and_no_display_method_in_completions(kernel):
    _, kc = kernel
    reply, msgs = run(kc, "mesos_kernel_warm_up", ok=False)
    assert reply["content"]["status"] == "error"
    assert "mesos_kernel_warm_up" in text_of(msgs)
    run(kc, "let numbers = vec![1u32, 2];")
    matches = complete(kc, "numbers.")
    assert "len" in " ".join(matches), matches
    assert not [m for m in matches if "evcxr_display" in m], matches


def seed_dirs(cache):
    return sorted((cache / "evcxr").glob("seed-*"))


def default_cache():
    if os.environ.get("MESOS_KERNEL_CACHE_DIR"):
        return pathlib.Path(os.environ["MESOS_KERNEL_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return pathlib.Path(xdg) / "mesos-kernel"


def test_a_second_kernel_starts_from_the_shared_build(tmp_path):
    # `mesos-kernel prepare` (install/setup.sh runs it) keeps the shared build in the default
    # cache (fast when it is there already) and says which mesos-lib sources cells use.
    cache = default_cache()
    prep = subprocess.run([str(ROOT / "target/release/mesos-kernel"), "prepare"],
                          capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, MESOS_KERNEL_LOG="warn,mesos_kernel=info"))
    assert prep.returncode == 0, prep.stderr
    lib = re.search(r"Rust cells build against mesos-lib in (\S+)", prep.stderr).group(1)
    seeds = seed_dirs(cache)
    assert seeds, f"no shared build in {cache / 'evcxr'} after mesos-kernel prepare"
    # A private cache holding only the shared builds (hard links: nothing writes to a seed) and
    # the same mesos-lib sources: both its slots are empty.
    private = tmp_path / "cache"
    (private / "evcxr").mkdir(parents=True)
    for seed in seeds:
        subprocess.run(["cp", "-al", str(seed), str(private / "evcxr" / seed.name)], check=True)
    seeded = {p.name: p.stat().st_mtime for seed in seeds
              for p in seed.rglob("libmesos_lib-*.rlib")}
    env = dict(os.environ, MESOS_KERNEL_CACHE_DIR=str(private), MESOS_KERNEL_LIB_DIR=lib,
               MESOS_KERNEL_STATE_DIR=str(tmp_path / "state"))
    kernels = []
    try:
        for _ in range(2):  # at the same time: the second takes the second slot
            km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, env=env)
            kernels.append((km, kc))
            reply, msgs = execute(kc, 'mesos_lib::v1::TaskId::new("s").value',
                                  timeout=FIRST_CELL_TIMEOUT)
            assert reply["content"]["status"] == "ok", reply
            assert result(msgs)["text/plain"] == '"s"'
        slots = sorted(p.name for p in (private / "evcxr").iterdir()
                       if p.name.startswith("slot-") and p.is_dir())
        assert slots == ["slot-0", "slot-1"], slots
        for slot in slots:
            # Started from the copy: the mesos-lib the seed built is used, not built again.
            built = list((private / "evcxr" / slot / "target").rglob("libmesos_lib-*.rlib"))
            assert built, slot
            for b in built:
                assert seeded.get(b.name) == b.stat().st_mtime, (b, "was built again")
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
