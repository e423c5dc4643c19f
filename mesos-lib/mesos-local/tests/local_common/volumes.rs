//! Helpers of the persistent-volume tests (`local_volumes.rs`, `local_volume_resize.rs`):
//! reserved disk and volumes as transcript 32 names them, ACCEPTs, and a framework's events
//! with the offers skipped while waiting kept.

use std::path::PathBuf;

use mesos_local::LocalMesos;
use serde_json::{Value, json};

use super::*;

pub const MINE: &str = r#"[{"type": "DYNAMIC", "role": "web", "principal": "web-fw"}]"#;

pub fn reserved(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value},
        "reservations": serde_json::from_str::<Value>(MINE).unwrap()})
}

/// The volume `id` on reserved disk 32, as transcript 32's CREATE names it.
pub fn volume(id: &str, container_path: &str) -> Value {
    let mut v = reserved("disk", 32.0);
    v["disk"] = json!({"persistence": {"id": id, "principal": "web-fw"},
        "volume": {"container_path": container_path, "mode": "RW"}});
    v
}

pub fn accept(s: &Stream, offer: &Value, operations: Value) -> Value {
    json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]], "operations": operations,
        "filters": {"refuse_seconds": 0}}})
}

pub fn launch_op(offer: &Value, id: &str, command: &str, resources: Value) -> Value {
    json!({"type": "LAUNCH", "launch": {"task_infos": [{"name": id, "task_id": {"value": id},
        "agent_id": offer["agent_id"], "command": {"value": command}, "resources": resources}]}})
}

/// Events of a stream, with the offers seen while waiting for something else kept: an
/// offer skipped is still outstanding, and its resources are offered to no one else.
pub struct Events {
    pub s: Stream,
    pub offers: Vec<Value>,
}

impl Events {
    /// Subscribes framework web-fw in role web, as in transcript 32.
    pub async fn web_framework(url: &str) -> Events {
        let s = subscribe(
            url,
            json!({"user": "root", "name": "rec-volumes", "roles": ["web"], "principal": "web-fw",
                "capabilities": [{"type": "MULTI_ROLE"}, {"type": "RESERVATION_REFINEMENT"}]}),
        )
        .await;
        Events { s, offers: vec![] }
    }

    /// ACCEPTs `offer` with `operations`; the answer's status code.
    pub async fn accept(&self, url: &str, offer: &Value, operations: Value) -> u16 {
        call(
            url,
            Some(&self.s.stream_id),
            &accept(&self.s, offer, operations),
        )
        .await
        .0
    }

    /// The next offer holding a resource for which `pred` holds.
    pub async fn offer_with(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let holds = |o: &Value| o["resources"].as_array().unwrap().iter().any(&pred);
        if let Some(i) = self.offers.iter().position(holds) {
            return self.offers.remove(i);
        }
        loop {
            let ev = self.s.until("OFFERS").await;
            for o in ev["offers"]["offers"].as_array().unwrap() {
                if holds(o) {
                    return o.clone();
                }
                self.offers.push(o.clone());
            }
        }
    }

    /// Acknowledges `tid`'s updates until `state`; its last status.
    pub async fn until_state(&mut self, url: &str, tid: &str, state: &str) -> Value {
        loop {
            let ev = self.s.next().await.expect("stream open");
            if ev["type"] == "OFFERS" {
                self.offers
                    .extend(ev["offers"]["offers"].as_array().unwrap().iter().cloned());
                continue;
            }
            if ev["type"] != "UPDATE" {
                continue;
            }
            let st = ev["update"]["status"].clone();
            assert_eq!(st["task_id"]["value"], tid, "{st}");
            ack(url, &self.s, &st).await;
            if st["state"] == state {
                return st;
            }
            assert!(
                ["TASK_STARTING", "TASK_RUNNING"].contains(&st["state"].as_str().unwrap()),
                "{st}"
            );
        }
    }
}

pub fn is_volume(id: &'static str) -> impl Fn(&Value) -> bool {
    move |r: &Value| r["disk"]["persistence"]["id"] == id
}

pub fn volume_dir(m: &LocalMesos, role: &str, id: &str) -> PathBuf {
    m.work_dir()
        .join("agent-0/volumes/roles")
        .join(role)
        .join(id)
}

/// A finished task's stdout, through the agent's files API as a client reads it.
pub async fn stdout_of(m: &LocalMesos, fid: &str, tid: &str) -> String {
    let url = format!(
        "{}/files/read?path=/frameworks/{fid}/executors/{tid}/runs/latest/stdout&offset=0&length=8192",
        m.agents()[0].url
    );
    get_json(&url).await["data"].as_str().unwrap().to_string()
}
