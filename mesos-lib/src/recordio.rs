//! Mesos RecordIO framing: `<decimal length>\n<bytes>`, repeated, with no separator or trailer.
//!
//! The decoder is push-based: feed it whatever chunks the transport delivers (split length
//! lines, several records per chunk, empty chunks) and it yields whole records. A corrupt
//! stream is reported once with a typed error and the decoder stays failed, because after a
//! framing error no later byte can be trusted.

use thiserror::Error;

/// Largest record accepted by default: an operator SUBSCRIBED record carries the whole cluster state.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 64 * 1024 * 1024;

/// Digits in `u64::MAX`; a longer length line cannot be a valid length.
pub const MAX_LENGTH_DIGITS: usize = 20;

/// Why a RecordIO stream was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordIoError {
    /// A byte other than an ASCII digit or the terminating `\n` in a length line (`-`, space, `\r`, ...).
    #[error("invalid byte {byte:#04x} ({shown:?}) in RecordIO length line")]
    InvalidLengthByte {
        /// The offending byte.
        byte: u8,
        /// The byte as a char, for the message.
        shown: char,
    },
    /// A `\n` with no digits before it.
    #[error("empty RecordIO length line")]
    EmptyLength,
    /// More digits than any u64 has.
    #[error("RecordIO length line longer than {MAX_LENGTH_DIGITS} digits")]
    LengthLineTooLong,
    /// The announced length is above the configured bound.
    #[error("RecordIO record of {size} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge {
        /// Announced size (saturated at u64::MAX).
        size: u64,
        /// Configured limit.
        max: usize,
    },
    /// The stream ended inside a length line or a record.
    #[error("RecordIO stream ended inside a record ({received} of {expected} bytes received)")]
    Truncated {
        /// Bytes of the record received.
        received: usize,
        /// Bytes announced (0 when the length line itself was cut).
        expected: usize,
    },
}

/// Encodes one record: its decimal byte length, `\n`, then the bytes.
pub fn encode(record: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.len() + MAX_LENGTH_DIGITS + 1);
    encode_into(record, &mut out);
    out
}

/// Appends one encoded record to `out`.
pub fn encode_into(record: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(record.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(record);
}

/// Serializes `value` as JSON and frames it as one record.
pub fn encode_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value).map(|json| encode(&json))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading the length line: value so far and number of digits.
    Length { value: u64, digits: usize },
    /// Reading a record of `expected` bytes into `record`.
    Data { expected: usize },
    /// A framing error happened; every later call repeats it.
    Failed(RecordIoError),
}

/// Streaming RecordIO decoder with a bound on record size.
#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    record: Vec<u8>,
    max_record_size: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder accepting records up to [`DEFAULT_MAX_RECORD_SIZE`].
    pub fn new() -> Self {
        Self::with_max_record_size(DEFAULT_MAX_RECORD_SIZE)
    }

    /// A decoder accepting records up to `max_record_size` bytes.
    pub fn with_max_record_size(max_record_size: usize) -> Self {
        Self {
            state: State::Length {
                value: 0,
                digits: 0,
            },
            record: Vec::new(),
            max_record_size,
        }
    }

    /// The configured record-size bound.
    pub fn max_record_size(&self) -> usize {
        self.max_record_size
    }

    /// Decodes `chunk`, returning the records it completed.
    pub fn decode(&mut self, chunk: &[u8]) -> Result<Vec<Vec<u8>>, RecordIoError> {
        let mut records = Vec::new();
        self.decode_into(chunk, &mut records)?;
        Ok(records)
    }

    /// Decodes `chunk`, appending completed records to `out`; records completed before an
    /// error are still appended.
    pub fn decode_into(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<Vec<u8>>,
    ) -> Result<(), RecordIoError> {
        let mut rest = chunk;
        loop {
            match &mut self.state {
                State::Failed(error) => return Err(error.clone()),
                State::Length { value, digits } => {
                    let Some((&byte, tail)) = rest.split_first() else {
                        return Ok(());
                    };
                    rest = tail;
                    match byte {
                        b'0'..=b'9' => {
                            *digits += 1;
                            if *digits > MAX_LENGTH_DIGITS {
                                return self.fail(RecordIoError::LengthLineTooLong);
                            }
                            // Checked so that a huge length is reported as too large, never wrapped.
                            let next = value
                                .checked_mul(10)
                                .and_then(|v| v.checked_add(u64::from(byte - b'0')));
                            match next {
                                Some(v) if v <= self.max_record_size as u64 => *value = v,
                                other => {
                                    let size = other.unwrap_or(u64::MAX);
                                    return self.fail(RecordIoError::RecordTooLarge {
                                        size,
                                        max: self.max_record_size,
                                    });
                                }
                            }
                        }
                        b'\n' if *digits == 0 => return self.fail(RecordIoError::EmptyLength),
                        b'\n' => {
                            // Bounded by max_record_size above, so this fits in usize.
                            let expected = *value as usize;
                            if expected == 0 {
                                // Mesos never sends empty records; an empty one is harmless, so pass it on.
                                out.push(Vec::new());
                                self.state = State::Length {
                                    value: 0,
                                    digits: 0,
                                };
                            } else {
                                // Grow with the data rather than trusting the announced size up front.
                                self.record = Vec::with_capacity(expected.min(64 * 1024));
                                self.state = State::Data { expected };
                            }
                        }
                        other => {
                            return self.fail(RecordIoError::InvalidLengthByte {
                                byte: other,
                                shown: char::from(other),
                            });
                        }
                    }
                }
                State::Data { expected } => {
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let take = (*expected - self.record.len()).min(rest.len());
                    self.record.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if self.record.len() == *expected {
                        out.push(std::mem::take(&mut self.record));
                        self.state = State::Length {
                            value: 0,
                            digits: 0,
                        };
                    }
                }
            }
        }
    }

    /// Call at end of stream: an error if the stream stopped inside a length line or record.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        match &self.state {
            State::Failed(error) => Err(error.clone()),
            State::Length { digits: 0, .. } => Ok(()),
            State::Length { .. } => Err(RecordIoError::Truncated {
                received: 0,
                expected: 0,
            }),
            State::Data { expected } => Err(RecordIoError::Truncated {
                received: self.record.len(),
                expected: *expected,
            }),
        }
    }

    /// Whether the decoder sits between records (nothing partial buffered, not failed).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Length { digits: 0, .. })
    }

    fn fail(&mut self, error: RecordIoError) -> Result<(), RecordIoError> {
        self.record = Vec::new();
        self.state = State::Failed(error.clone());
        Err(error)
    }
}

/// Decodes a complete RecordIO byte string (e.g. a recorded stream body).
pub fn decode_all(bytes: &[u8], max_record_size: usize) -> Result<Vec<Vec<u8>>, RecordIoError> {
    let mut decoder = Decoder::with_max_record_size(max_record_size);
    let records = decoder.decode(bytes)?;
    decoder.finish()?;
    Ok(records)
}
