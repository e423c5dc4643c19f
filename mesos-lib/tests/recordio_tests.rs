//! RecordIO: framing examples, every error, and property tests over random chunkings.

use mesos_lib::recordio::{self, DEFAULT_MAX_RECORD_SIZE, Decoder, RecordIoError};
use proptest::prelude::*;

#[test]
fn encodes_like_mesos() {
    assert_eq!(
        recordio::encode(br#"{"type":"HEARTBEAT"}"#),
        b"20\n{\"type\":\"HEARTBEAT\"}".to_vec()
    );
    assert_eq!(recordio::encode(b""), b"0\n".to_vec());
    // Length counts bytes, not chars.
    assert_eq!(recordio::encode("é".as_bytes()), b"2\n\xc3\xa9".to_vec());
}

#[test]
fn encode_json_frames_serialized_value() {
    let framed = recordio::encode_json(&mesos_lib::v1::scheduler::Event::heartbeat()).unwrap();
    assert_eq!(framed, b"20\n{\"type\":\"HEARTBEAT\"}".to_vec());
}

#[test]
fn decodes_real_stream_from_transcript() {
    // The SUBSCRIBE stream body of transcript 09, byte for byte.
    let body = include_bytes!("fixtures/scheduler_stream_09.recordio");
    let records = recordio::decode_all(body, DEFAULT_MAX_RECORD_SIZE).unwrap();
    assert_eq!(
        records.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![448, 20, 828, 828, 489, 488, 541, 828]
    );
    for record in &records {
        let event: mesos_lib::v1::scheduler::Event = serde_json::from_slice(record).unwrap();
        assert!(!matches!(
            event.event_type,
            mesos_lib::v1::scheduler::EventType::Unknown(_)
        ));
    }
}

#[test]
fn length_line_split_across_chunks() {
    let mut decoder = Decoder::new();
    assert!(decoder.decode(b"1").unwrap().is_empty());
    assert!(decoder.decode(b"").unwrap().is_empty());
    assert!(decoder.decode(b"1\nhello").unwrap().is_empty());
    assert!(!decoder.is_idle());
    assert_eq!(
        decoder.decode(b" world3\nabc").unwrap(),
        vec![b"hello world".to_vec(), b"abc".to_vec()]
    );
    assert!(decoder.is_idle());
    decoder.finish().unwrap();
}

#[test]
fn record_data_may_contain_newlines_and_digits() {
    let stream = [recordio::encode(b"12\n34\n"), recordio::encode(b"\n")].concat();
    assert_eq!(
        recordio::decode_all(&stream, 100).unwrap(),
        vec![b"12\n34\n".to_vec(), b"\n".to_vec()]
    );
}

#[test]
fn zero_length_record_is_empty() {
    assert_eq!(
        recordio::decode_all(b"0\n3\nabc", 10).unwrap(),
        vec![Vec::new(), b"abc".to_vec()]
    );
}

#[test]
fn rejects_non_digit_length() {
    let err = Decoder::new().decode(b"1a\n").unwrap_err();
    assert_eq!(
        err,
        RecordIoError::InvalidLengthByte {
            byte: b'a',
            shown: 'a'
        }
    );
    assert!(err.to_string().contains("invalid byte 0x61"), "{err}");
}

#[test]
fn rejects_negative_length() {
    assert_eq!(
        Decoder::new().decode(b"-5\nhello").unwrap_err(),
        RecordIoError::InvalidLengthByte {
            byte: b'-',
            shown: '-'
        }
    );
}

#[test]
fn rejects_crlf_and_spaces() {
    assert_eq!(
        Decoder::new().decode(b"5\r\nhello").unwrap_err(),
        RecordIoError::InvalidLengthByte {
            byte: b'\r',
            shown: '\r'
        }
    );
    assert_eq!(
        Decoder::new().decode(b" 5\nhello").unwrap_err(),
        RecordIoError::InvalidLengthByte {
            byte: b' ',
            shown: ' '
        }
    );
}

#[test]
fn rejects_empty_length_line() {
    assert_eq!(
        Decoder::new().decode(b"\nabc").unwrap_err(),
        RecordIoError::EmptyLength
    );
}

#[test]
fn rejects_over_long_length_line() {
    // Leading zeros keep the value small, so only the digit count can catch this.
    let err = Decoder::new().decode(&[b'0'; 21]).unwrap_err();
    assert_eq!(err, RecordIoError::LengthLineTooLong);
}

#[test]
fn rejects_record_above_limit_before_reading_it() {
    let mut decoder = Decoder::with_max_record_size(10);
    assert_eq!(decoder.max_record_size(), 10);
    assert_eq!(
        decoder.decode(b"11").unwrap_err(),
        RecordIoError::RecordTooLarge { size: 11, max: 10 }
    );
    assert!(recordio::decode_all(b"10\n0123456789", 10).is_ok());
}

#[test]
fn rejects_length_beyond_u64() {
    let err = Decoder::with_max_record_size(usize::MAX)
        .decode(b"99999999999999999999\n")
        .unwrap_err();
    assert_eq!(
        err,
        RecordIoError::RecordTooLarge {
            size: u64::MAX,
            max: usize::MAX
        }
    );
}

#[test]
fn default_limit_is_64_mib() {
    assert_eq!(Decoder::new().max_record_size(), 64 * 1024 * 1024);
    assert!(matches!(
        Decoder::new().decode(b"67108865\n"),
        Err(RecordIoError::RecordTooLarge { size: 67108865, .. })
    ));
}

#[test]
fn failed_decoder_stays_failed() {
    let mut decoder = Decoder::new();
    assert!(decoder.decode(b"x").is_err());
    assert_eq!(
        decoder.decode(b"3\nabc").unwrap_err(),
        RecordIoError::InvalidLengthByte {
            byte: b'x',
            shown: 'x'
        }
    );
    assert!(decoder.finish().is_err());
    assert!(!decoder.is_idle());
}

#[test]
fn records_before_an_error_are_kept() {
    let mut out = Vec::new();
    let err = Decoder::new()
        .decode_into(b"1\na2\nbcX", &mut out)
        .unwrap_err();
    assert_eq!(out, vec![b"a".to_vec(), b"bc".to_vec()]);
    assert!(matches!(
        err,
        RecordIoError::InvalidLengthByte { byte: b'X', .. }
    ));
}

#[test]
fn truncated_streams_are_reported_by_finish() {
    let mut decoder = Decoder::new();
    decoder.decode(b"5\nab").unwrap();
    assert_eq!(
        decoder.finish().unwrap_err(),
        RecordIoError::Truncated {
            received: 2,
            expected: 5
        }
    );
    let mut decoder = Decoder::new();
    decoder.decode(b"12").unwrap();
    assert_eq!(
        decoder.finish().unwrap_err(),
        RecordIoError::Truncated {
            received: 0,
            expected: 0
        }
    );
    assert!(recordio::decode_all(b"3\nab", 10).is_err());
}

/// Splits `bytes` at the given cut points (taken modulo its length), including empty chunks.
fn chunk(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    let len = bytes.len();
    for cut in &mut cuts {
        *cut = if len == 0 { 0 } else { *cut % (len + 1) };
    }
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    chunks
}

proptest! {
    #[test]
    fn any_chunking_yields_the_same_records(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let stream: Vec<u8> = records.iter().flat_map(|r| recordio::encode(r)).collect();
        let mut decoder = Decoder::new();
        let mut decoded = Vec::new();
        for piece in chunk(&stream, cuts) {
            decoder.decode_into(piece, &mut decoded).unwrap();
        }
        decoder.finish().unwrap();
        prop_assert_eq!(decoded, records);
    }

    #[test]
    fn byte_by_byte_equals_whole(records in prop::collection::vec("[ -~\n]{0,50}", 0..10)) {
        let stream: Vec<u8> = records.iter().flat_map(|r| recordio::encode(r.as_bytes())).collect();
        let mut decoder = Decoder::new();
        let mut decoded = Vec::new();
        for byte in &stream {
            decoder.decode_into(std::slice::from_ref(byte), &mut decoded).unwrap();
        }
        let expected: Vec<Vec<u8>> = records.iter().map(|r| r.as_bytes().to_vec()).collect();
        prop_assert_eq!(decoded, expected);
        prop_assert!(decoder.is_idle());
    }

    #[test]
    fn garbage_never_panics_nor_exceeds_the_bound(
        garbage in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut decoder = Decoder::with_max_record_size(64);
        for piece in chunk(&garbage, cuts) {
            match decoder.decode(piece) {
                Ok(records) => prop_assert!(records.iter().all(|r| r.len() <= 64)),
                Err(_) => break,
            }
        }
    }

    #[test]
    fn oversized_lengths_always_rejected(size in 65u64..u64::MAX) {
        let line = format!("{size}\n");
        prop_assert!(
            matches!(Decoder::with_max_record_size(64).decode(line.as_bytes()), Err(RecordIoError::RecordTooLarge { .. })),
            "size {} accepted", size
        );
    }
}
