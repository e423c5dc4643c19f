//! Runs every fuzz target of the kernel over its committed corpus, its regressions and a few
//! thousand deterministic mutations: a short, stable stand-in for `bench/fuzz.sh`.

use std::path::PathBuf;

use mesos_kernel::fuzzing::TARGETS;
use mesos_lib::fuzzing::smoke;

/// Mutated inputs per target; enough to shake out shallow bugs in well under a second each.
const MUTATIONS: usize = 3000;

#[test]
fn every_target_survives_its_corpus_regressions_and_mutations() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (i, (name, target)) in TARGETS.iter().enumerate() {
        let corpus = fuzz.join("corpus").join(name);
        let regressions = fuzz.join("regressions").join(name);
        let run = smoke(name, *target, &[corpus, regressions], MUTATIONS, i as u64);
        assert!(run.files > 0, "{name}: no committed corpus");
    }
}
