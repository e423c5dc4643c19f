//! Fuzz target bodies, shared by the cargo-fuzz binaries (`mesos-lib/fuzz/`) and the stable
//! smoke test (`tests/fuzz_smoke.rs`), so both exercise exactly the same code and properties.
//!
//! Each target takes arbitrary bytes, must never panic on its own account, and asserts the
//! properties that are cheap to check; a failed assertion is a finding.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::recordio::{self, Decoder, RecordIoError};
use crate::v1::{master, scheduler};

/// A named fuzz target body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target of this crate, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[Target] = &[
    ("recordio", recordio),
    ("scheduler_event", scheduler_event),
    ("operator_response", operator_response),
    #[cfg(feature = "local")]
    ("scheduler_request", scheduler_request),
    #[cfg(feature = "local")]
    ("operator_request", operator_request),
];

/// RecordIO decoding: the same records and the same verdict whatever the chunking, no record
/// above the bound, and decoded records re-encode to a stream that decodes to them again.
///
/// Byte 0 picks the bound (high bit set: a tiny one, so "too large" is reachable) and seeds the
/// chunk sizes; the rest is the stream.
pub fn recordio(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let max = if control & 0x80 != 0 {
        usize::from(control & 0x3f)
    } else {
        recordio::DEFAULT_MAX_RECORD_SIZE
    };
    let whole = feed(stream, max, std::iter::once(stream.len()));
    let bytewise = feed(stream, max, std::iter::repeat(1));
    assert_eq!(
        whole, bytewise,
        "byte-at-a-time chunking changed the result"
    );
    // Small irregular chunks, empty ones included, from a xorshift seeded by the control byte.
    let mut x = u32::from(control) | 0x100;
    let irregular = std::iter::from_fn(move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        Some((x % 8) as usize)
    });
    assert_eq!(
        whole,
        feed(stream, max, irregular),
        "irregular chunking changed the result"
    );

    let (records, verdict) = whole;
    assert!(records.iter().all(|r| r.len() <= max), "record above bound");
    match recordio::decode_all(stream, max) {
        Ok(all) => {
            assert_eq!(verdict, Ok(()));
            assert_eq!(all, records);
            let mut again = Vec::new();
            for r in &records {
                recordio::encode_into(r, &mut again);
            }
            assert_eq!(recordio::decode_all(&again, max), Ok(records));
        }
        Err(e) => assert_eq!(verdict, Err(e)),
    }
}

/// Feeds `stream` in chunks of the given sizes; returns the records and the final verdict
/// (the first error, else `finish`'s).
fn feed(
    stream: &[u8],
    max: usize,
    sizes: impl Iterator<Item = usize>,
) -> (Vec<Vec<u8>>, Result<(), RecordIoError>) {
    let mut decoder = Decoder::with_max_record_size(max);
    let mut records = Vec::new();
    let mut rest = stream;
    for size in sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        if let Err(e) = decoder.decode_into(chunk, &mut records) {
            // A failed decoder keeps failing with the same error.
            assert_eq!(decoder.decode(b"1\nx"), Err(e.clone()));
            return (records, Err(e));
        }
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    (records, decoder.finish())
}

/// The scheduler `Event` decoder (one RecordIO record of the SUBSCRIBE stream): whatever it
/// accepts re-encodes to JSON that decodes to the same event.
pub fn scheduler_event(data: &[u8]) {
    round_trip::<scheduler::Event>(data);
}

/// The operator `Response` and `Event` decoders (`/api/v1` answers and its SUBSCRIBE stream):
/// whatever they accept re-encodes to JSON that decodes to the same value.
pub fn operator_response(data: &[u8]) {
    round_trip::<master::Response>(data);
    round_trip::<master::Event>(data);
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8]) {
    let Ok(first) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let text = serde_json::to_vec(&first).expect("a decoded value serializes");
    let again: T = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "re-encoded value does not decode ({e}): {}",
            String::from_utf8_lossy(&text)
        )
    });
    let (a, b) = (serde_json::to_value(&first), serde_json::to_value(&again));
    let (a, b) = (a.expect("values serialize"), b.expect("values serialize"));
    assert!(
        same_json(&a, &b),
        "decode(encode(decode(x))) != decode(x):\n{first:?}\n{again:?}"
    );
}

/// JSON equality, except that a float may move by one unit in the last place: without its
/// `float_roundtrip` feature serde_json parses some long decimals (including its own output)
/// to a neighbour of the nearest double, so text -> f64 -> text -> f64 can drift that far.
pub fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || x.to_bits().abs_diff(y.to_bits()) <= 1,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| same_json(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, l)| y.get(k).is_some_and(|r| same_json(l, r)))
        }
        _ => a == b,
    }
}

/// Splits `<content-type>\n<accept>\n<body>` into request headers (an empty or unencodable
/// line means the header is absent) and the body.
#[cfg(feature = "local")]
fn request(data: &[u8]) -> (axum::http::HeaderMap, &[u8]) {
    use axum::http::{HeaderMap, HeaderValue, header};
    let mut headers = HeaderMap::new();
    let mut rest = data;
    for name in [header::CONTENT_TYPE, header::ACCEPT] {
        let (line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if !line.is_empty()
            && let Ok(value) = HeaderValue::from_bytes(line)
        {
            headers.insert(name, value);
        }
        rest = tail;
    }
    (headers, rest)
}

/// The embedded master's scheduler request decoding (Content-Type, JSON, normalisation,
/// validation): it answers only 400 or 415, an accepted call is an object whose type is known
/// when it validated, and decoding the normalised call again gives the same result.
#[cfg(feature = "local")]
pub fn scheduler_request(data: &[u8]) {
    use crate::local::fuzz_hooks::decode_scheduler_request as decode;
    let (headers, body) = request(data);
    match decode(&headers, body) {
        Ok((call, ty, invalid)) => {
            assert!(call.is_object());
            if invalid.is_none() {
                assert!(
                    !matches!(ty, crate::v1::scheduler::CallType::Unknown(_)),
                    "a valid call has a known type"
                );
            }
            let text = serde_json::to_vec(&call).expect("values serialize");
            let again = decode(&headers, &text).expect("a decoded call decodes again");
            assert!(
                same_json(&again.0, &call),
                "normalisation is not idempotent"
            );
            assert_eq!((again.1, again.2), (ty, invalid));
        }
        Err(response) => {
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 415), "unexpected status {status}");
        }
    }
}

/// The embedded master's operator request decoding: it answers only 400, 406 or 415, an
/// accepted call is an object of a known, non-empty type, and decoding the normalised call
/// again gives the same result.
#[cfg(feature = "local")]
pub fn operator_request(data: &[u8]) {
    use crate::local::fuzz_hooks::decode_operator_request as decode;
    let (headers, body) = request(data);
    match decode(&headers, body) {
        Ok((call, ty)) => {
            assert!(call.is_object());
            assert!(
                !matches!(ty, crate::v1::master::CallType::Unknown(_)),
                "a decoded call has a known type"
            );
            let text = serde_json::to_vec(&call).expect("values serialize");
            let again = decode(&headers, &text).expect("a decoded call decodes again");
            assert!(
                same_json(&again.0, &call),
                "normalisation is not idempotent"
            );
            assert_eq!(again.1, ty);
        }
        Err(response) => {
            let status = response.status().as_u16();
            assert!(
                matches!(status, 400 | 406 | 415),
                "unexpected status {status}"
            );
        }
    }
}

/// Runs [`smoke`] over every target of a crate whose fuzz directory is `fuzz` (each target's
/// `corpus/<name>` and `regressions/<name>`), with `FUZZ_SMOKE_MUTATIONS` mutations each (3,000
/// by default: well under a second), and prints each target's files, mutations and time to
/// stderr. Panics when a target fails or has no committed corpus.
pub fn smoke_all(fuzz: &std::path::Path, targets: &[Target]) {
    let mutations = std::env::var("FUZZ_SMOKE_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    for (i, (name, target)) in targets.iter().enumerate() {
        let dirs = [
            fuzz.join("corpus").join(name),
            fuzz.join("regressions").join(name),
        ];
        let started = std::time::Instant::now();
        let run = smoke(name, *target, &dirs, mutations, i as u64);
        assert!(run.files > 0, "{name}: no committed corpus");
        eprintln!(
            "{name}: {} files, {} mutations, {:.2?}",
            run.files,
            run.mutations,
            started.elapsed()
        );
    }
}

/// What [`smoke`] ran for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmokeRun {
    /// Files of the corpus and regression directories.
    pub files: usize,
    /// Mutated inputs derived from them.
    pub mutations: usize,
}

/// Runs `target` over every file under `dirs` (missing directories are skipped), then over
/// `mutations` deterministic mutations of those files (SplitMix64 seeded with `seed`), the
/// stable stand-in for a fuzzing campaign. A panic names the target and keeps the input in the
/// temporary directory, so it can be replayed and added to the regressions.
pub fn smoke(
    name: &str,
    target: fn(&[u8]),
    dirs: &[std::path::PathBuf],
    mutations: usize,
    seed: u64,
) -> SmokeRun {
    let mut inputs = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        // Sorted, so the mutations (which pick inputs by index) are the same on every machine.
        paths.sort();
        for path in paths.into_iter().filter(|p| p.is_file()) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            run_one(name, target, &data, &path.display().to_string());
            inputs.push(data);
        }
    }
    let files = inputs.len();
    if inputs.is_empty() {
        inputs.push(Vec::new());
    }
    let mut rng = SplitMix64(seed);
    for i in 0..mutations {
        let data = mutate(&inputs, &mut rng);
        run_one(name, target, &data, &format!("mutation {i} (seed {seed})"));
    }
    SmokeRun { files, mutations }
}

fn run_one(name: &str, target: fn(&[u8]), data: &[u8], what: &str) {
    if std::panic::catch_unwind(|| target(data)).is_err() {
        let path = std::env::temp_dir().join(format!("fuzz-smoke-{name}-crash"));
        let _ = std::fs::write(&path, data);
        panic!(
            "fuzz target {name} failed on {what}; input saved to {}",
            path.display()
        );
    }
}

/// A tiny deterministic generator: the smoke test must not depend on the `client` feature's
/// `rand`, and the same seed must give the same inputs everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must be positive).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes that matter to the parsers under test: JSON and RecordIO syntax, frame separators,
/// magic and flag markers, quotes, and a multi-byte character.
const INTERESTING: &[&[u8]] = &[
    b"\0",
    b"\n",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"%",
    b"%%",
    b"--",
    b"=",
    b"'",
    b" ",
    b"\\",
    b"0",
    b"9",
    b"-1",
    b"1e400",
    b"null",
    b"\xc2\xa0",
    b"\xe3\x80\x80",
    b"\xff",
    b"<IDS|MSG>",
    b"application/json",
    b"18446744073709551616",
];

/// One input derived from the pool by one to four byte-level edits.
fn mutate(pool: &[Vec<u8>], rng: &mut SplitMix64) -> Vec<u8> {
    let mut data = pool[rng.below(pool.len())].clone();
    for _ in 0..=rng.below(4) {
        let len = data.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = rng.next() as u8;
            }
            2 => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                data.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let from = rng.below(len);
                let to = (from + 1 + rng.below(16)).min(len);
                data.drain(from..to);
            }
            4 if len > 0 => data.truncate(rng.below(len)),
            5 if len > 0 => {
                let from = rng.below(len);
                let to = (from + 1 + rng.below(32)).min(len);
                let copy = data[from..to].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, copy);
            }
            _ => {
                // Splice: this input's head with another's tail.
                let other = &pool[rng.below(pool.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
        }
    }
    data
}
