//! Wire format and signing: round trips, wrong keys, identities, empty keys, buffers, garbage.

use bytes::Bytes;
use mesos_kernel::protocol::header::KernelIdentity;
use mesos_kernel::protocol::message::Message;
use mesos_kernel::protocol::signing::Signer;
use mesos_kernel::protocol::wire::{self, DELIMITER, WireError};
use serde_json::{Map, json};

fn message(identities: usize, buffers: usize) -> Message {
    Message {
        identities: (0..identities)
            .map(|i| Bytes::from(format!("id{i}")))
            .collect(),
        header: KernelIdentity::new().header("execute_request"),
        parent_header: None,
        metadata: Map::new(),
        content: json!({"code": "1 + 1", "silent": false}),
        buffers: (0..buffers)
            .map(|i| Bytes::from(vec![i as u8; 3]))
            .collect(),
    }
}

#[test]
fn round_trips_with_zero_one_and_two_identities_and_buffers() {
    let signer = Signer::new("secret");
    for ids in 0..=2 {
        for bufs in 0..=2 {
            let msg = message(ids, bufs);
            let frames = wire::encode(&msg, &signer);
            assert_eq!(frames[ids].as_ref(), DELIMITER);
            let back = wire::decode(frames, &signer).unwrap();
            assert_eq!(back.identities, msg.identities);
            assert_eq!(back.header, msg.header);
            assert_eq!(back.content, msg.content);
            assert_eq!(back.buffers, msg.buffers);
            assert!(back.parent_header.is_none());
        }
    }
}

#[test]
fn a_wrong_key_or_a_tampered_frame_is_rejected() {
    let frames = wire::encode(&message(1, 0), &Signer::new("secret"));
    assert_eq!(
        wire::decode(frames.clone(), &Signer::new("other")).unwrap_err(),
        WireError::BadSignature
    );
    let mut tampered = frames.clone();
    tampered[5] = Bytes::from_static(br#"{"code": "evil"}"#);
    assert_eq!(
        wire::decode(tampered, &Signer::new("secret")).unwrap_err(),
        WireError::BadSignature
    );
    let mut unsigned = frames;
    unsigned[2] = Bytes::new();
    assert_eq!(
        wire::decode(unsigned, &Signer::new("secret")).unwrap_err(),
        WireError::BadSignature
    );
}

#[test]
fn buffers_are_not_signed() {
    let signer = Signer::new("k");
    let mut frames = wire::encode(&message(0, 1), &signer);
    frames.push(Bytes::from_static(b"extra buffer"));
    assert_eq!(wire::decode(frames, &signer).unwrap().buffers.len(), 2);
}

#[test]
fn an_empty_key_neither_signs_nor_checks() {
    let signer = Signer::new("");
    let frames = wire::encode(&message(1, 0), &signer);
    assert!(frames[2].is_empty());
    assert!(wire::decode(frames, &signer).is_ok());
}

#[test]
fn garbage_gets_a_specific_error() {
    let signer = Signer::new("");
    assert_eq!(
        wire::decode(vec![Bytes::from_static(b"x")], &signer).unwrap_err(),
        WireError::NoDelimiter(1)
    );
    let short = vec![
        Bytes::from_static(DELIMITER),
        Bytes::new(),
        Bytes::from_static(b"{}"),
    ];
    assert_eq!(
        wire::decode(short, &signer).unwrap_err(),
        WireError::TooFewFrames(2)
    );
    let bad_json: Vec<Bytes> = [DELIMITER, b"", b"{not json", b"{}", b"{}", b"{}"]
        .iter()
        .map(|f| Bytes::copy_from_slice(f))
        .collect();
    assert!(matches!(
        wire::decode(bad_json, &signer).unwrap_err(),
        WireError::BadJson {
            frame: "header",
            ..
        }
    ));
    let header = serde_json::to_vec(&KernelIdentity::new().header("x")).unwrap();
    let not_object: Vec<Bytes> = vec![
        Bytes::from_static(DELIMITER),
        Bytes::new(),
        Bytes::from(header),
        Bytes::from_static(b"{}"),
        Bytes::from_static(b"{}"),
        Bytes::from_static(b"[1]"),
    ];
    assert!(matches!(
        wire::decode(not_object, &signer).unwrap_err(),
        WireError::BadJson {
            frame: "content",
            ..
        }
    ));
}

#[test]
fn a_parent_header_round_trips() {
    let signer = Signer::new("k");
    let mut msg = message(1, 0);
    msg.parent_header = Some(KernelIdentity::new().header("execute_request"));
    let back = wire::decode(wire::encode(&msg, &signer), &signer).unwrap();
    assert_eq!(back.parent_header, msg.parent_header);
}
