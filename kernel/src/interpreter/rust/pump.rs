//! Forwards the evcxr child's stdout and stderr to the running cell, as they arrive.

use crate::core::output::CellOutput;
use crate::protocol::content::StreamName;
use crossbeam_channel::{Receiver, Sender, select};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Coalesce what is already queued into one message up to this size, so a chatty cell does not
/// turn into one IOPub message per line.
const BATCH_BYTES: usize = 64 * 1024;

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
}

#[derive(Default)]
struct Target {
    out: Option<CellOutput>,
    panic: Option<PanicReport>,
    expect_panic_message: bool,
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
                Ok(line) => forward(StreamName::Stdout, line, &stdout, &target),
                Err(_) => return,
            },
            recv(stderr) -> line => match line {
                Ok(line) => forward(StreamName::Stderr, line, &stderr, &target),
                Err(_) => return,
            },
            recv(barrier) -> ack => {
                let Ok(ack) = ack else { return };
                drain(StreamName::Stdout, &stdout, &target);
                while let Ok(line) = stderr.recv_timeout(STDERR_SETTLE) {
                    forward(StreamName::Stderr, line, &stderr, &target);
                }
                drain(StreamName::Stdout, &stdout, &target);
                let _ = ack.send(());
            }
        }
    }
}

fn drain(name: StreamName, rx: &Receiver<String>, target: &Mutex<Target>) {
    while let Ok(line) = rx.try_recv() {
        forward(name, line, rx, target);
    }
}

fn forward(name: StreamName, first: String, rx: &Receiver<String>, target: &Mutex<Target>) {
    let mut text = first;
    text.push('\n');
    while text.len() < BATCH_BYTES {
        match rx.try_recv() {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
            }
            Err(_) => break,
        }
    }
    let mut t = target.lock().expect("pump target");
    if name == StreamName::Stderr {
        note_panics(&text, &mut t);
    }
    match &t.out {
        Some(out) => out.stream(name, &text),
        None => tracing::info!(stream = ?name, "output with no cell: {text}"),
    }
}

fn note_panics(text: &str, t: &mut Target) {
    for line in text.lines() {
        if t.expect_panic_message {
            t.expect_panic_message = false;
            if let Some(p) = t.panic.as_mut() {
                p.message = line.to_owned();
            }
        } else if line.starts_with("thread '") && line.contains("' panicked at ") {
            let location = line
                .split("' panicked at ")
                .nth(1)
                .unwrap_or("")
                .trim_end_matches(':');
            t.panic = Some(PanicReport {
                message: String::new(),
                location: location.to_owned(),
            });
            t.expect_panic_message = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_a_panic_and_its_message() {
        let mut t = Target::default();
        note_panics("thread '<unnamed>' panicked at src/lib.rs:4:5:\n", &mut t);
        note_panics("boom\nnote: run with `RUST_BACKTRACE=1`\n", &mut t);
        assert_eq!(
            t.panic,
            Some(PanicReport {
                message: "boom".into(),
                location: "src/lib.rs:4:5".into()
            })
        );
    }
}
