//! Forwards the evcxr child's stdout and stderr to the running cell, as they arrive.

use crate::core::output::CellOutput;
use crate::protocol::content::StreamName;
use crossbeam_channel::{Receiver, Sender, select};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Coalesce what is already queued into one message up to this size, so a chatty cell does not
/// turn into one IOPub message per line.
const BATCH_BYTES: usize = 64 * 1024;

/// Lines arriving within this time of a message's first line join it. Without it the pump,
/// faster than evcxr's line reader, sent one IOPub message per line: a cell printing 50 MB made
/// ~40,000 messages, slow for every front end and near zeromq's 100,000-message PUB queue,
/// beyond which a slow subscriber loses output. ipykernel batches for up to 200 ms.
const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// stderr reaches us through evcxr's own reader thread, so a line written just before the cell
/// ended can still be in flight when evcxr returns: wait this long for stragglers.
const STDERR_SETTLE: Duration = Duration::from_millis(15);

/// A panic seen on the child's stderr during the current cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanicReport {
    /// The panic message (the line after "panicked at").
    pub message: String,
    /// Where it happened.
    pub location: String,
    /// The user-code frames of its backtrace.
    pub backtrace: Vec<String>,
}

#[derive(Default)]
struct Target {
    out: Option<CellOutput>,
    panic: Option<PanicReport>,
    expect_panic_message: bool,
    in_backtrace: bool,
}

/// Handle to the pump thread.
#[derive(Clone)]
pub struct Pump {
    target: Arc<Mutex<Target>>,
    barrier: Sender<Sender<()>>,
}

impl Pump {
    /// Starts the pump thread over evcxr's output channels.
    pub fn start(stdout: Receiver<String>, stderr: Receiver<String>) -> Self {
        let target = Arc::new(Mutex::new(Target::default()));
        let (barrier, barrier_rx) = crossbeam_channel::unbounded::<Sender<()>>();
        let t = target.clone();
        std::thread::Builder::new()
            .name("evcxr-output".into())
            .spawn(move || pump(stdout, stderr, barrier_rx, t))
            .expect("spawn output thread");
        Self { target, barrier }
    }

    /// Directs output to a cell from now on.
    pub fn begin(&self, out: CellOutput) {
        let mut t = self.target.lock().expect("pump target");
        t.out = Some(out);
        t.panic = None;
        t.expect_panic_message = false;
        t.in_backtrace = false;
    }

    /// Stops directing output to a cell (it goes to the log), returning the cell it went to.
    pub fn detach(&self) -> Option<CellOutput> {
        self.target.lock().expect("pump target").out.take()
    }

    /// Directs output to `out` again, as before [`Pump::detach`], panic state untouched.
    pub fn reattach(&self, out: Option<CellOutput>) {
        self.target.lock().expect("pump target").out = out;
    }

    /// Publishes everything the child wrote so far, then returns the panic seen, if any.
    /// Output arriving later (background threads) still goes to the last cell.
    pub fn finish(&self) -> Option<PanicReport> {
        let (ack, done) = crossbeam_channel::bounded(1);
        if self.barrier.send(ack).is_ok() {
            let _ = done.recv();
        }
        self.target.lock().expect("pump target").panic.take()
    }
}

fn pump(
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    barrier: Receiver<Sender<()>>,
    target: Arc<Mutex<Target>>,
) {
    loop {
        select! {
            recv(stdout) -> line => match line {
                Ok(line) => forward(StreamName::Stdout, line, &stdout, &target, BATCH_WINDOW),
                Err(_) => return,
            },
            recv(stderr) -> line => match line {
                Ok(line) => forward(StreamName::Stderr, line, &stderr, &target, BATCH_WINDOW),
                Err(_) => return,
            },
            recv(barrier) -> ack => {
                let Ok(ack) = ack else { return };
                drain(StreamName::Stdout, &stdout, &target);
                while let Ok(line) = stderr.recv_timeout(STDERR_SETTLE) {
                    forward(StreamName::Stderr, line, &stderr, &target, Duration::ZERO);
                }
                drain(StreamName::Stdout, &stdout, &target);
                let _ = ack.send(());
            }
        }
    }
}

fn drain(name: StreamName, rx: &Receiver<String>, target: &Mutex<Target>) {
    while let Ok(line) = rx.try_recv() {
        forward(name, line, rx, target, Duration::ZERO);
    }
}

/// Publishes `first` with the lines that follow it within `window` (and what is already
/// queued), up to [`BATCH_BYTES`].
fn forward(
    name: StreamName,
    first: String,
    rx: &Receiver<String>,
    target: &Mutex<Target>,
    window: Duration,
) {
    let mut text = first;
    text.push('\n');
    let deadline = Instant::now() + window;
    while text.len() < BATCH_BYTES {
        match rx.recv_deadline(deadline) {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
            }
            Err(_) => break,
        }
    }
    let mut t = target.lock().expect("pump target");
    if name == StreamName::Stderr {
        text = note_panics(&text, &mut t);
        if text.is_empty() {
            return;
        }
    }
    match &t.out {
        Some(out) => out.stream(name, &text),
        None => tracing::info!(stream = ?name, "output with no cell: {text}"),
    }
}

/// Notes a panic seen on stderr and moves its backtrace (evcxr forces RUST_BACKTRACE=1) out of
/// the stream into the error report; returns the text left to show as stderr.
fn note_panics(text: &str, t: &mut Target) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        if t.in_backtrace {
            let trimmed = line.trim_start();
            let is_frame = trimmed
                .split_once(": ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
            if is_frame
                || trimmed.starts_with("at ")
                || trimmed.starts_with("note: Some details are omitted")
            {
                if let Some(p) = t.panic.as_mut()
                    && is_user_frame(trimmed)
                {
                    p.backtrace.push(trimmed.to_owned());
                }
                continue;
            }
            t.in_backtrace = false;
        }
        if t.expect_panic_message {
            t.expect_panic_message = false;
            if let Some(p) = t.panic.as_mut() {
                p.message = line.to_owned();
            }
        } else if line == "stack backtrace:" && t.panic.is_some() {
            t.in_backtrace = true;
            continue;
        } else if line.starts_with("thread '")
            && let Some((_, location)) = line.split_once(" panicked at ")
        {
            t.panic = Some(PanicReport {
                location: location.trim_end_matches(':').to_owned(),
                ..PanicReport::default()
            });
            t.expect_panic_message = true;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// Frames worth showing: not the panic machinery, not evcxr's wrapper.
fn is_user_frame(frame: &str) -> bool {
    let name = frame.split_once(": ").map(|(_, n)| n).unwrap_or(frame);
    !(frame.starts_with("at ")
        || frame.starts_with("note:")
        || name.starts_with("__rustc::")
        || name.starts_with("core::panicking")
        || name.starts_with("std::panicking")
        || name.starts_with("std::panic::")
        || name.starts_with("__rust_try")
        || name.starts_with("run_user_code_")
        || name.starts_with("evcxr"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_panic_and_its_message() {
        let mut t = Target::default();
        let shown = note_panics(
            "thread '<unnamed>' (21355) panicked at src/lib.rs:4:5:\n",
            &mut t,
        );
        assert!(shown.contains("panicked"));
        let shown = note_panics(
            "boom\nstack backtrace:\n   0: __rustc::rust_begin_unwind\n             at /rustc/x/panicking.rs:689:5\n   \
             2: ctx::run_user_code_1::{{closure}}\n   3: __rust_try\nnote: Some details are omitted\n",
            &mut t,
        );
        assert_eq!(shown, "boom\n");
        let p = t.panic.unwrap();
        assert_eq!(
            (p.message.as_str(), p.location.as_str()),
            ("boom", "src/lib.rs:4:5")
        );
        assert_eq!(
            p.backtrace,
            vec!["2: ctx::run_user_code_1::{{closure}}".to_owned()]
        );
    }
}
