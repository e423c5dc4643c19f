//! Fuzz target bodies, shared by the cargo-fuzz binaries (`kernel/fuzz/`) and the stable smoke
//! test (`tests/fuzz_smoke.rs`), so both exercise exactly the same code and properties.
//!
//! Each target takes arbitrary bytes, must never panic on its own account, and asserts the
//! properties that are cheap to check; a failed assertion is a finding.

use std::sync::OnceLock;

use bytes::Bytes;
use mesos_lib::fuzzing::same_json;

use crate::interpreter::magics::{self, CellMagics, MagicRegistry, MagicSpec, args, complete};
use crate::protocol::connection::{Channel, ConnectionInfo};
use crate::protocol::message::Message;
use crate::protocol::signing::Signer;
use crate::protocol::wire::{self, DELIMITER, WireError};

/// A named fuzz target body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target of this crate, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[Target] = &[
    ("wire_frames", wire_frames),
    ("connection_file", connection_file),
    ("magic_line", magic_line),
];

/// The HMAC key of the signed half of `wire_frames` inputs.
pub const WIRE_KEY: &str = "fuzz-key";

/// Splits a `wire_frames` input into its control byte and frames (separated by NUL bytes).
pub fn split_frames(data: &[u8]) -> Option<(u8, Vec<Bytes>)> {
    let (&control, rest) = data.split_first()?;
    let frames = rest
        .split(|&b| b == 0)
        .map(Bytes::copy_from_slice)
        .collect();
    Some((control, frames))
}

/// Joins a control byte and frames into a `wire_frames` input (the inverse of [`split_frames`]
/// for frames without NUL bytes), for seeding the corpus.
pub fn join_frames(control: u8, frames: &[Bytes]) -> Vec<u8> {
    let mut out = vec![control];
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(f);
    }
    out
}

/// The Jupyter wire decoder (frames → verified message).
///
/// Control byte: bit 0 turns signing on (key [`WIRE_KEY`]); bit 1 replaces the signature frame
/// with the right one, so signed inputs reach the JSON parsing; the upper bits choose which byte
/// a tampering flips. Properties: decoding never panics; with signing on, an accepted message
/// carried the right MAC, and flipping any byte of a signed frame or of the signature makes it
/// rejected; an accepted message re-encodes to frames that decode to the same message.
pub fn wire_frames(data: &[u8]) {
    let Some((control, mut frames)) = split_frames(data) else {
        return;
    };
    let signed = control & 1 != 0;
    let signer = Signer::new(if signed { WIRE_KEY } else { "" });
    let delimiter = frames.iter().position(|f| f.as_ref() == DELIMITER);
    if signed
        && control & 2 != 0
        && let Some(d) = delimiter
        && frames.len() >= d + 6
    {
        let sig = signer.sign(&signed_parts(&frames, d));
        frames[d + 1] = Bytes::from(sig);
    }
    let Ok(msg) = wire::decode(frames.clone(), &signer) else {
        return;
    };
    let d = delimiter.expect("an accepted message has a delimiter");
    if signed {
        let mac = hex::decode(signer.sign(&signed_parts(&frames, d))).expect("we sign in hex");
        assert_eq!(
            hex::decode(&frames[d + 1]).ok(),
            Some(mac),
            "accepted a wrong signature"
        );
        let at = usize::from(control >> 2);
        for frame in d + 1..d + 6 {
            let mut tampered = frames.clone();
            tampered[frame] = flip(&tampered[frame], at, frame == d + 1);
            assert_eq!(
                wire::decode(tampered, &signer).err(),
                Some(WireError::BadSignature),
                "accepted a message whose frame {} was tampered with",
                frame - d
            );
        }
    }
    let again = wire::decode(wire::encode(&msg, &signer), &signer)
        .unwrap_or_else(|e| panic!("a decoded message re-encodes to frames it rejects: {e}"));
    assert_same(&msg, &again);
}

fn signed_parts(frames: &[Bytes], d: usize) -> [&[u8]; 4] {
    [
        &frames[d + 2],
        &frames[d + 3],
        &frames[d + 4],
        &frames[d + 5],
    ]
}

/// One byte of `frame` changed (or one appended to an empty frame); in a hex signature the
/// digit moves to another value, since changing only its case would not change the MAC.
fn flip(frame: &[u8], at: usize, hex_digit: bool) -> Bytes {
    let mut v = frame.to_vec();
    if v.is_empty() {
        v.push(b'0');
        return Bytes::from(v);
    }
    let i = at % v.len();
    v[i] = if hex_digit {
        let digit = char::from(v[i]).to_digit(16).unwrap_or(0);
        char::from_digit((digit + 1) % 16, 16).map_or(b'0', |c| c as u8)
    } else {
        v[i] ^ 0x01
    };
    Bytes::from(v)
}

/// Field-wise equality of two messages; JSON goes through `same_json`, which lets a float
/// move one unit in the last place (serde_json's parsing without `float_roundtrip`).
fn assert_same(a: &Message, b: &Message) {
    let json = |v: &dyn erased::Json| v.json();
    assert_eq!(a.identities, b.identities);
    assert_eq!(a.buffers, b.buffers);
    for (name, x, y) in [
        ("header", json(&a.header), json(&b.header)),
        (
            "parent_header",
            json(&a.parent_header),
            json(&b.parent_header),
        ),
        ("metadata", json(&a.metadata), json(&b.metadata)),
        ("content", json(&a.content), json(&b.content)),
    ] {
        assert!(same_json(&x, &y), "{name} changed: {x} vs {y}");
    }
}

mod erased {
    /// Any serializable value as JSON, so the message fields fit in one list.
    pub trait Json {
        /// The value as JSON.
        fn json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("message fields serialize")
        }
    }
}

/// The connection-file parser: never panics on any text; an accepted file names the only
/// scheme we implement, yields an endpoint for every channel, and its key never shows in its
/// Debug output (the Debug text is the same whatever the key).
pub fn connection_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(info) = ConnectionInfo::parse(text) else {
        return;
    };
    assert!(info.signature_scheme.eq_ignore_ascii_case("hmac-sha256"));
    for channel in [
        Channel::Shell,
        Channel::Iopub,
        Channel::Stdin,
        Channel::Control,
        Channel::Heartbeat,
    ] {
        let endpoint = info.endpoint(channel);
        assert!(endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://"));
    }
    let mut other = info.clone();
    other.key = if info.key.is_empty() {
        String::new()
    } else {
        "another key".to_owned()
    };
    assert_eq!(
        format!("{info:?}"),
        format!("{other:?}"),
        "Debug shows the key"
    );
}

/// Every magic the kernel registers, built once.
fn registry() -> &'static MagicRegistry {
    static REGISTRY: OnceLock<MagicRegistry> = OnceLock::new();
    REGISTRY.get_or_init(magics::every_magic)
}

/// The magic command line: cell parsing (`%name`/`%%name`, shell-style word splitting), flag
/// parsing against the named magic's declaration (an unknown name borrows a declaration chosen
/// by its length, so every flag grammar is reached), the raw text after `--`, and completion at
/// the end of every line. Properties: no panics; calls carry a name and a line number inside
/// the cell; parsed flags are declared ones, with allowed values for fixed choices.
pub fn magic_line(data: &[u8]) {
    let Ok(code) = std::str::from_utf8(data) else {
        return;
    };
    let reg = registry();
    let specs = reg.specs();
    let mut line_start = 0;
    for (i, line) in code.lines().enumerate() {
        let _ = complete::complete_live(reg, line, line_start, i == 0, &|_| {
            vec!["t-1".into(), "offer 2".into()]
        });
        line_start += line.chars().count() + 1;
    }
    let calls = match magics::parse_cell(code) {
        None | Some(Err(_)) => return,
        Some(Ok(CellMagics::Cell(call))) => vec![call],
        Some(Ok(CellMagics::Lines(calls))) => calls,
    };
    let lines = code.lines().count();
    for call in &calls {
        assert!(!call.name.is_empty());
        assert!(
            (1..=lines).contains(&call.line),
            "line {} of {lines}",
            call.line
        );
        let spec: &MagicSpec = match reg.get(&call.name) {
            Some(m) => m.spec(),
            None => specs[call.name.len() % specs.len()],
        };
        let _ = args::raw_rest(&call.raw_args);
        let Ok(parsed) = args::parse(spec, &call.args) else {
            continue;
        };
        for (name, values) in &parsed.flags {
            let flag = spec.flags.iter().find(|f| f.name == name);
            let flag = flag.unwrap_or_else(|| panic!("undeclared flag --{name}"));
            if let magics::ArgKind::Choice(allowed) = flag.value {
                assert!(values.iter().all(|v| allowed.contains(&v.as_str())));
            }
        }
    }
}
