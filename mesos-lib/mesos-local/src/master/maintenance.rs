//! Maintenance (transcript 34; `Master::Http::*Maintenance*` in http.cpp): the schedule
//! (UPDATE/GET_MAINTENANCE_SCHEDULE, `/master/maintenance/schedule`), the status
//! (GET_MAINTENANCE_STATUS, `/master/maintenance/status`) and machines brought DOWN and UP
//! (START/STOP_MAINTENANCE, `/master/machine/{down,up}`).

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::faults::Removal;
use super::machines::{self, Machine, MachineId, Mode, sorted};
use super::schedule_input::{parse_machines, parse_schedule};
use super::state::MasterState;
use super::{Ctx, Master};
use crate::http::{bad_request, empty, json_ok, method_not_allowed};
use mesos_lib::v1::Extra;
use mesos_lib::v1::common::MachineId as MachineIdV1;
use mesos_lib::v1::maintenance::{ClusterStatus, DrainingMachine, Schedule};

/// The agents running on the machine `id`.
fn agents_on(st: &MasterState, id: &MachineId) -> Vec<String> {
    st.agents
        .values()
        .filter(|e| MachineId::of_agent(&e.agent).matches(id))
        .map(|e| e.agent.id.clone())
        .collect()
}

/// The schedule (`{}` without one).
pub(crate) fn schedule(st: &MasterState) -> Schedule {
    Schedule {
        windows: st.maintenance.windows.clone(),
        extra: Extra::new(),
    }
}

/// `ClusterStatus`: DRAINING machines with the inverse-offer answers of their agents' frameworks,
/// and DOWN machines. Listed newest machine first, the order a real master's hashmap gives.
pub(crate) fn status(st: &MasterState) -> ClusterStatus {
    let mut status = ClusterStatus::default();
    for m in st.maintenance.machines.iter().rev() {
        match m.mode {
            Mode::Draining => status.draining_machines.push(DrainingMachine {
                id: m.id.v1(),
                statuses: agents_on(st, &m.id)
                    .iter()
                    .filter_map(|aid| st.maintenance.responses.get(aid))
                    .flat_map(|r| r.statuses.values().cloned())
                    .collect(),
                extra: Extra::new(),
            }),
            Mode::Down => status.down_machines.push(m.id.v1()),
            Mode::Up => {}
        }
    }
    status
}

impl Master {
    /// UPDATE_MAINTENANCE_SCHEDULE (also `POST /master/maintenance/schedule`): new machines
    /// start DRAINING, machines left out go back UP (a DOWN one cannot be left out), and the
    /// agents of every machine known have their offers and inverse offers rescinded.
    pub(crate) fn update_maintenance_schedule(&self, schedule: Schedule) -> Response {
        let windows = schedule.windows;
        let mut st = self.lock();
        let wanted = match machines::check_schedule(&windows, &st.maintenance.machines) {
            Ok(wanted) => wanted,
            Err(e) => return bad_request(e),
        };
        for i in 0..st.maintenance.machines.len() {
            let id = st.maintenance.machines[i].id.clone();
            let scheduled = wanted.iter().find(|(w, _)| w.matches(&id));
            let machine = &mut st.maintenance.machines[i];
            match scheduled {
                // An UP machine joining the schedule is handled below.
                Some(_) if machine.mode == Mode::Up => continue,
                Some((_, una)) => machine.unavailability = Some(una.clone()),
                None => {
                    machine.mode = Mode::Up;
                    machine.unavailability = None;
                }
            }
            let agents = agents_on(&st, &id);
            self.restart_inverse_offers(&mut st, &agents, scheduled.is_some());
        }
        for (id, una) in wanted {
            let machine = Machine {
                id: id.clone(),
                mode: Mode::Draining,
                unavailability: Some(una),
            };
            match st.maintenance.find(&id) {
                Some(i) if st.maintenance.machines[i].mode != Mode::Up => continue,
                Some(i) => st.maintenance.machines[i] = machine,
                None => st.maintenance.machines.push(machine),
            }
            let agents = agents_on(&st, &id);
            self.restart_inverse_offers(&mut st, &agents, true);
        }
        st.maintenance.windows = windows;
        empty(StatusCode::OK)
    }

    /// START_MAINTENANCE (also `POST /master/machine/down`): DRAINING machines go DOWN and
    /// every agent on them is removed (its tasks TASK_LOST "… Operator initiated 'Machine
    /// DOWN'") and shut down.
    pub(crate) fn start_maintenance(&self, ids: &[MachineIdV1]) -> Response {
        let ids = match machines::check_machines(ids) {
            Ok(ids) => ids,
            Err(e) => return bad_request(e),
        };
        let agents: Vec<String> = {
            let st = self.lock();
            if let Some(refusal) = not_all_in_mode(&st, &ids, Mode::Draining, "DRAINING", "down") {
                return refusal;
            }
            ids.iter().flat_map(|id| agents_on(&st, id)).collect()
        };
        for aid in agents {
            tracing::info!(agent = %aid, "removing agent: Operator initiated 'Machine DOWN'");
            self.remove_agent_for(&aid, Removal::MachineDown);
        }
        let mut st = self.lock();
        for id in &ids {
            if let Some(i) = st.maintenance.find(id) {
                st.maintenance.machines[i].mode = Mode::Down;
            }
        }
        empty(StatusCode::OK)
    }

    /// STOP_MAINTENANCE (also `POST /master/machine/up`): DOWN machines go UP and leave the
    /// schedule (a window left without machines goes too).
    pub(crate) fn stop_maintenance(&self, ids: &[MachineIdV1]) -> Response {
        let ids = match machines::check_machines(ids) {
            Ok(ids) => ids,
            Err(e) => return bad_request(e),
        };
        let mut st = self.lock();
        if let Some(refusal) = not_all_in_mode(&st, &ids, Mode::Down, "DOWN", "up") {
            return refusal;
        }
        for id in &ids {
            if let Some(i) = st.maintenance.find(id) {
                let m = &mut st.maintenance.machines[i];
                m.mode = Mode::Up;
                m.unavailability = None;
            }
        }
        let stopped = |m: &MachineIdV1| ids.iter().any(|id| id.matches(&MachineId::from_v1(m)));
        for w in st.maintenance.windows.iter_mut() {
            w.machine_ids.retain(|m| !stopped(m));
        }
        st.maintenance.windows.retain(|w| !w.machine_ids.is_empty());
        empty(StatusCode::OK)
    }
}

fn not_scheduled(id: &MachineId) -> Response {
    bad_request(format!(
        "Machine '{}' is not part of a maintenance schedule",
        id.quoted()
    ))
}

/// A legacy endpoint's JSON body, or why it is not JSON of that shape (for a 400).
async fn body_json(req: Request, array: bool) -> Result<Value, String> {
    let body = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .map_err(|e| format!("Failed to read the request body: {e}"))?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|e| format!("Failed to parse JSON: {e}"))?;
    let v = crate::json::normalize(v);
    if array && !v.is_array() {
        return Err("Failed to parse JSON: expecting a JSON array of machines".into());
    }
    if !array && !v.is_object() {
        return Err("Failed to parse JSON: expecting a JSON object".into());
    }
    Ok(v)
}

/// `/master/maintenance/schedule`: GET the schedule, POST a new one.
pub(super) async fn schedule_endpoint(State(ctx): State<Ctx>, req: Request) -> Response {
    if let Some(r) = ctx.follower_response("/maintenance/schedule") {
        return r;
    }
    let method = req.method().clone();
    if method == Method::GET {
        let written = serde_json::to_value(schedule(&ctx.master.lock()));
        return json_ok(&sorted(&written.unwrap_or_default()));
    }
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    // stout's text alone: this endpoint converts no Call.
    match body_json(req, false)
        .await
        .and_then(|v| parse_schedule(v, ""))
    {
        Ok(schedule) => ctx.master.update_maintenance_schedule(schedule),
        Err(e) => bad_request(e),
    }
}

/// `GET /master/maintenance/status`.
pub(super) async fn status_endpoint(State(ctx): State<Ctx>) -> Response {
    if let Some(r) = ctx.follower_response("/maintenance/status") {
        return r;
    }
    let written = serde_json::to_value(status(&ctx.master.lock()));
    json_ok(&sorted(&written.unwrap_or_default()))
}

/// `POST /master/machine/down` with a JSON array of MachineIDs.
pub(super) async fn machine_down(State(ctx): State<Ctx>, req: Request) -> Response {
    machines_endpoint(ctx, req, "/machine/down", true).await
}

/// `POST /master/machine/up` with a JSON array of MachineIDs.
pub(super) async fn machine_up(State(ctx): State<Ctx>, req: Request) -> Response {
    machines_endpoint(ctx, req, "/machine/up", false).await
}

async fn machines_endpoint(ctx: Ctx, req: Request, path: &str, down: bool) -> Response {
    if let Some(r) = ctx.follower_response(path) {
        return r;
    }
    if req.method() != Method::POST {
        return method_not_allowed(req.method().as_str());
    }
    let ids = match body_json(req, true).await {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    // stout's text alone: this endpoint converts no Call.
    let ids = match parse_machines(ids, None) {
        Ok(ids) => ids,
        Err(e) => return bad_request(e),
    };
    if down {
        ctx.master.start_maintenance(&ids)
    } else {
        ctx.master.stop_maintenance(&ids)
    }
}

/// The master's refusal for the first machine not scheduled or not in `mode` ("Machine '…' is
/// not in MODE mode and cannot be brought up|down"); `None` when every one is.
fn not_all_in_mode(
    st: &MasterState,
    ids: &[MachineId],
    mode: Mode,
    mode_name: &str,
    direction: &str,
) -> Option<Response> {
    for id in ids {
        match st
            .maintenance
            .find(id)
            .map(|i| st.maintenance.machines[i].mode)
        {
            None => return Some(not_scheduled(id)),
            Some(m) if m == mode => {}
            Some(_) => {
                return Some(bad_request(format!(
                    "Machine '{}' is not in {mode_name} mode and cannot be brought {direction}",
                    id.quoted()
                )));
            }
        }
    }
    None
}
