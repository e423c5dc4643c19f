//! Decode benchmark (issue 3, "Speed"): RecordIO framing + JSON into typed
//! `v1::scheduler::Event` through the streaming decoder, fed in 16 KiB chunks as a socket
//! would deliver them, against `serde_json::from_slice::<Event>` on the same records
//! already split. The target is a ratio of at least 0.8: framing must cost little next to
//! the JSON work it feeds.
//!
//! Run from the repository root: `cargo bench -p mesos-lib --bench decode`
//! (`DECODE_MB=20` for a quicker run). Prints figures; asserts nothing about speed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mesos_lib::recordio::{Decoder, encode_into};
use mesos_lib::v1::scheduler::{Event, EventType};
use serde_json::{Value, json};

/// Chunk size the transport is assumed to deliver (a typical socket read).
const CHUNK: usize = 16 * 1024;
/// Timed rounds of each side; the best round counts, so that noise from the other work on
/// this shared machine does not decide the ratio.
const ROUNDS: usize = 5;

/// A tiny deterministic PRNG: the stream must be the same on every run so figures compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
    /// A base64 16-byte status-update uuid, as Mesos sends it.
    fn b64_uuid(&mut self) -> String {
        use base64::Engine as _;
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&self.next().to_le_bytes());
        raw[8..].copy_from_slice(&self.next().to_le_bytes());
        base64::engine::general_purpose::STANDARD.encode(raw)
    }
}

/// Shapes taken from `real-mesos-transcripts/09-scheduler-event-stream-full-session.txt`,
/// widened the way a bigger cluster widens them: several offers per OFFERS event, agents
/// with attributes, and reservations alongside unreserved resources.
struct Gen {
    rng: Rng,
    master: String,
    framework: String,
    next_offer: u64,
    next_task: u64,
    clock: f64,
}

impl Gen {
    fn new() -> Self {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let master = rng.uuid();
        Self {
            framework: format!("{master}-0001"),
            master,
            rng,
            next_offer: 1,
            next_task: 1,
            clock: 1_795_323_698.095_899,
        }
    }

    fn resource_scalar(name: &str, value: f64, role: &str) -> Value {
        json!({"name": name, "type": "SCALAR", "scalar": {"value": value},
               "role": role, "allocation_info": {"role": "*"}})
    }

    fn offer(&mut self) -> Value {
        let agent = self.rng.below(1000);
        let host = format!("agent-{agent}.dc1.example.com");
        let port_lo = 31000 + self.rng.below(500);
        let mut resources = vec![
            json!({"name": "ports", "type": "RANGES",
                   "ranges": {"range": [{"begin": port_lo, "end": port_lo + 99},
                                        {"begin": port_lo + 200, "end": 32000}]},
                   "role": "*", "allocation_info": {"role": "*"}}),
            Self::resource_scalar("cpus", (self.rng.below(320) as f64) / 10.0, "*"),
            Self::resource_scalar("mem", 1024.0 + self.rng.below(64_000) as f64, "*"),
            Self::resource_scalar("disk", 100_000.0 + self.rng.below(900_000) as f64, "*"),
        ];
        if self.rng.below(3) == 0 {
            // A dynamic reservation, as a framework with a role sees it.
            resources.push(
                json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0},
                "allocation_info": {"role": "*"},
                "reservations": [{"type": "DYNAMIC", "role": "analytics", "principal": "ops"}]}),
            );
        }
        let zone = ["a", "b", "c"][(agent % 3) as usize];
        let id = self.next_offer;
        self.next_offer += 1;
        json!({
            "id": {"value": format!("{}-O{id}", self.master)},
            "framework_id": {"value": self.framework},
            "agent_id": {"value": format!("{}-S{agent}", self.master)},
            "hostname": host,
            "url": {"scheme": "http",
                    "address": {"hostname": host, "ip": format!("10.0.{}.{}", agent / 250, agent % 250), "port": 5051},
                    "path": "/slave(1)"},
            "resources": resources,
            "attributes": [
                {"name": "rack", "type": "TEXT", "text": {"value": format!("r{}", agent % 40)}},
                {"name": "zone", "type": "TEXT", "text": {"value": zone}},
                {"name": "gen", "type": "SCALAR", "scalar": {"value": 3.0}},
                {"name": "pods", "type": "SET", "set": {"item": ["demo", "dev"]}},
            ],
            "allocation_info": {"role": "*"},
        })
    }

    fn offers(&mut self) -> Value {
        let n = 1 + self.rng.below(8);
        let offers: Vec<Value> = (0..n).map(|_| self.offer()).collect();
        json!({"type": "OFFERS", "offers": {"offers": offers}})
    }

    fn update(&mut self, task: u64, agent: u64, state: &str, container: &str) -> Value {
        self.clock += (self.rng.below(10_000) as f64) / 1e6;
        let mut status = json!({
            "task_id": {"value": format!("job-{task}")},
            "state": state,
            "source": "SOURCE_EXECUTOR",
            "agent_id": {"value": format!("{}-S{agent}", self.master)},
            "executor_id": {"value": format!("job-{task}")},
            "timestamp": self.clock,
            "uuid": self.rng.b64_uuid(),
            "container_status": {
                "container_id": {"value": container},
                "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": format!("10.0.{}.{}", agent / 250, agent % 250)}]}],
                "executor_pid": 10_000 + self.rng.below(50_000),
            },
        });
        match state {
            "TASK_FAILED" => {
                status["message"] = json!("Command exited with status 1");
                status["reason"] = json!("REASON_COMMAND_EXECUTOR_FAILED");
            }
            "TASK_KILLED" => status["message"] = json!("Command terminated with signal Terminated"),
            "TASK_FINISHED" => status["message"] = json!("Command exited with status 0"),
            _ => {}
        }
        json!({"type": "UPDATE", "update": {"status": status}})
    }

    /// One allocation cycle's worth of events: offers, then the lifecycles of a few tasks,
    /// and now and then a heartbeat.
    fn cycle(&mut self, out: &mut Vec<Value>) {
        out.push(self.offers());
        for _ in 0..1 + self.rng.below(4) {
            let task = self.next_task;
            self.next_task += 1;
            let agent = self.rng.below(1000);
            let container = self.rng.uuid();
            let last = [
                "TASK_FINISHED",
                "TASK_FINISHED",
                "TASK_FAILED",
                "TASK_KILLED",
            ][self.rng.below(4) as usize];
            for state in ["TASK_STARTING", "TASK_RUNNING", last] {
                out.push(self.update(task, agent, state, &container));
            }
        }
        if self.rng.below(4) == 0 {
            out.push(json!({"type": "HEARTBEAT"}));
        }
    }
}

/// Builds JSON records totalling at least `bytes`, starting with a SUBSCRIBED as a real stream does.
fn records(bytes: usize) -> Vec<Vec<u8>> {
    let mut g = Gen::new();
    let subscribed = json!({"type": "SUBSCRIBED", "subscribed": {
        "framework_id": {"value": g.framework}, "heartbeat_interval_seconds": 15.0,
        "master_info": {"id": g.master, "ip": 16_777_343, "port": 5050, "pid": "master@127.0.0.1:5050",
            "hostname": "127.0.0.1", "version": "1.11.0",
            "address": {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": 5050},
            "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}, {"type": "QUOTA_V2"}]}}});
    let mut out = vec![serde_json::to_vec(&subscribed).expect("serializable")];
    let mut total = out[0].len();
    let mut batch = Vec::new();
    while total < bytes {
        g.cycle(&mut batch);
        for v in batch.drain(..) {
            let rec = serde_json::to_vec(&v).expect("serializable");
            total += rec.len();
            out.push(rec);
        }
    }
    out
}

/// The streaming path: the decoder fed `CHUNK`-sized pieces, each record parsed as it completes
/// (what `httpcli::EventStream` does per body chunk).
fn streamed(stream: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut ready = Vec::new();
    let mut events = 0;
    for chunk in stream.chunks(CHUNK) {
        decoder
            .decode_into(chunk, &mut ready)
            .expect("well-formed stream");
        for record in ready.drain(..) {
            let event: Event = serde_json::from_slice(&record).expect("valid event");
            black_box(&event);
            events += 1;
        }
    }
    decoder.finish().expect("stream ends between records");
    events
}

/// The baseline: serde_json alone on the pre-split records.
fn presplit(records: &[Vec<u8>]) -> usize {
    for record in records {
        let event: Event = serde_json::from_slice(record).expect("valid event");
        black_box(&event);
    }
    records.len()
}

/// Framing alone, to show what the decoder itself costs.
fn framing_only(stream: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut ready = Vec::new();
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        decoder.decode_into(chunk, &mut ready).expect("well-formed");
        n += ready.len();
        black_box(&ready);
        ready.clear();
    }
    n
}

fn best(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let target_mb: usize = std::env::var("DECODE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let built = Instant::now();
    let records = records(target_mb * 1_000_000);
    let payload: usize = records.iter().map(Vec::len).sum();
    let mut stream = Vec::with_capacity(payload + records.len() * 6);
    for r in &records {
        encode_into(r, &mut stream);
    }
    // Sanity: every record is a known event type, so the timing covers real typed decoding.
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for r in &records {
        let e: Event = serde_json::from_slice(r).expect("valid event");
        assert!(!matches!(e.event_type, EventType::Unknown(_)));
        *kinds.entry(format!("{:?}", e.event_type)).or_default() += 1;
    }
    println!(
        "decode: {} records, JSON payload {:.1} MB, RecordIO stream {:.1} MB, chunks of {} KiB (built in {:.1?})",
        records.len(),
        payload as f64 / 1e6,
        stream.len() as f64 / 1e6,
        CHUNK / 1024,
        built.elapsed()
    );
    println!("decode: event mix {kinds:?}");

    let (mut t_stream, mut t_split, mut t_frame) = (Vec::new(), Vec::new(), Vec::new());
    // Interleaved rounds, so that a burst of load from elsewhere hits both sides alike.
    for _ in 0..ROUNDS {
        let t = Instant::now();
        assert_eq!(streamed(&stream), records.len());
        t_stream.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(presplit(&records), records.len());
        t_split.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(framing_only(&stream), records.len());
        t_frame.push(t.elapsed());
    }
    let (s, p, f) = (best(&t_stream), best(&t_split), best(&t_frame));
    // Both rates are over the same JSON payload, so their ratio is the inverse time ratio.
    let (rs, rp) = (mbps(payload, s), mbps(payload, p));
    println!(
        "decode: streaming RecordIO + typed JSON: {rs:.1} MB/s ({:.0} events/s), best of {ROUNDS}: {s:.2?}",
        records.len() as f64 / s.as_secs_f64()
    );
    println!(
        "decode: serde_json::from_slice pre-split: {rp:.1} MB/s ({:.0} events/s), best of {ROUNDS}: {p:.2?}",
        records.len() as f64 / p.as_secs_f64()
    );
    println!(
        "decode: RecordIO framing alone:          {:.1} MB/s of stream, best of {ROUNDS}: {f:.2?}",
        mbps(stream.len(), f)
    );
    let ratio = rs / rp;
    println!(
        "decode: ratio streaming / pre-split = {ratio:.3} (target >= 0.8: {})",
        if ratio >= 0.8 { "met" } else { "MISSED" }
    );
}
