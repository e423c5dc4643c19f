//! Runs every fuzz target of mesos-lib over its committed corpus, its regressions and a few
//! thousand deterministic mutations: a short, stable stand-in for `bench/fuzz.sh`
//! (`FUZZ_SMOKE_MUTATIONS` asks for a longer, still deterministic, run).

#[test]
fn every_target_survives_its_corpus_regressions_and_mutations() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    mesos_lib::fuzzing::smoke_all(&fuzz, mesos_lib::fuzzing::TARGETS);
}
