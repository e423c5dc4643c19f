//! Runs every fuzz target of mesos-lib over its committed corpus, its regressions and a few
//! thousand deterministic mutations: a short, stable stand-in for `bench/fuzz.sh`.

use std::path::PathBuf;

use mesos_lib::fuzzing::{TARGETS, smoke};

/// Mutated inputs per target: by default enough to shake out shallow bugs in well under a
/// second each; FUZZ_SMOKE_MUTATIONS asks for a longer (still deterministic) run.
fn mutations() -> usize {
    std::env::var("FUZZ_SMOKE_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn every_target_survives_its_corpus_regressions_and_mutations() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (i, (name, target)) in TARGETS.iter().enumerate() {
        let corpus = fuzz.join("corpus").join(name);
        let regressions = fuzz.join("regressions").join(name);
        let started = std::time::Instant::now();
        let run = smoke(name, *target, &[corpus, regressions], mutations(), i as u64);
        assert!(run.files > 0, "{name}: no committed corpus");
        eprintln!(
            "{name}: {} files, {} mutations, {:.2?}",
            run.files,
            run.mutations,
            started.elapsed()
        );
    }
}
