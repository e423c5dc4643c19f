//! Runs mesos-local's fuzz targets (the master's scheduler and operator request decoding) over
//! their committed corpora and regressions in `mesos-lib/fuzz/` and a few thousand
//! deterministic mutations: a short, stable stand-in for `bench/fuzz.sh`
//! (`FUZZ_SMOKE_MUTATIONS` asks for a longer, still deterministic, run).

#[test]
fn every_target_survives_its_corpus_regressions_and_mutations() {
    // The cargo-fuzz crate (and so the corpora) is mesos-lib's, one level up.
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    mesos_lib::fuzzing::smoke_all(&fuzz, mesos_local::fuzzing::TARGETS);
}
