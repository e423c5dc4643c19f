//! `LocalMesos`: K masters and N agents on loopback ports in this process, with the fault
//! injection tests need.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::agent::{Agent, ToMaster};
use crate::config::LocalConfig;
use crate::http;
use crate::ids;
use crate::master::state::MasterState;
use crate::master::{Ctx, Election, Mail, Master};
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::Attribute;

/// Why an embedded Mesos could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A listener could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Bad `--resources` or `--attributes` text.
    #[error("{0}")]
    Config(String),
    /// The work directory could not be created.
    #[error("work dir {0}: {1}")]
    WorkDir(PathBuf, std::io::Error),
    /// Registering the masters in ZooKeeper (`--zk`) failed.
    #[error("ZooKeeper: {0}")]
    ZooKeeper(String),
}

/// An agent of the embedded cluster, as tests and the kernel see it.
#[derive(Debug, Clone)]
pub struct LocalAgent {
    /// Agent ID (`<masterID>-S<n>`).
    pub id: String,
    /// `http://ip:port` of its own endpoints (`/state`, `/files/...`).
    pub url: String,
}

/// A running embedded Mesos: a master (or K) and N agents in this process.
pub struct LocalMesos {
    master: Arc<Master>,
    agents: Vec<Arc<Agent>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    work_dir: PathBuf,
    owned_work_dir: bool,
}

async fn bind(ip: std::net::IpAddr, port: u16) -> Result<TcpListener, LocalError> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| LocalError::Bind { addr, source })
}

/// Serves for as long as the process runs (agents' listeners).
fn serve(listener: TcpListener, router: axum::Router) -> JoinHandle<()> {
    http::serve::until(listener, router, CancellationToken::new())
}

/// What every agent is given: its resources and attributes, parsed once from the flags.
struct AgentTemplate {
    resources: Resources,
    attributes: Vec<Attribute>,
}

impl AgentTemplate {
    /// Parses `--resources` and `--attributes`.
    fn parse(cfg: &LocalConfig) -> Result<Self, LocalError> {
        let resources = rv::agent_total(&cfg.resources).map_err(LocalError::Config)?;
        let attributes = match &cfg.attributes {
            Some(a) => mesos_lib::resources::parse_attributes(a)
                .map_err(|e| LocalError::Config(e.to_string()))?,
            None => Vec::new(),
        };
        Ok(Self {
            resources,
            attributes,
        })
    }
}

/// The work directory (given, or a fresh one in the temp dir that the cluster owns), created.
fn make_work_dir(cfg: &LocalConfig) -> Result<(PathBuf, bool), LocalError> {
    let (work_dir, owned) = match &cfg.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("mesos-local-{}", ids::uuid_string())),
            true,
        ),
    };
    std::fs::create_dir_all(&work_dir).map_err(|e| LocalError::WorkDir(work_dir.clone(), e))?;
    Ok((work_dir, owned))
}

/// Binds every master's listener (the first on the configured port, the others on ephemeral
/// ones); returns them with their ports.
async fn bind_masters(cfg: &LocalConfig) -> Result<(Vec<TcpListener>, Vec<u16>), LocalError> {
    let mut listeners = Vec::new();
    for i in 0..cfg.masters.max(1) {
        let port = if i == 0 { cfg.port } else { 0 };
        listeners.push(bind(cfg.ip, port).await?);
    }
    let ports = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).unwrap_or(0))
        .collect();
    Ok((listeners, ports))
}

/// The shared master state behind every master port, and its mailbox's receiving end.
fn new_master(
    cfg: &Arc<LocalConfig>,
    hostname: &str,
    master_id: &str,
    ports: &[u16],
) -> (Arc<Master>, mpsc::UnboundedReceiver<Mail>) {
    let (mail_tx, mail_rx) = mpsc::unbounded_channel();
    let master = Arc::new(Master {
        cfg: Arc::clone(cfg),
        ip: cfg.ip,
        hostname: hostname.to_string(),
        state: Mutex::new(MasterState::new(master_id.to_string(), ports[0]).with_flags(cfg)),
        election: Mutex::new(Election {
            ports: ports.to_vec(),
            // With ZooKeeper, nobody leads until the election says so.
            leader: if cfg.zk.is_some() { None } else { Some(0) },
        }),
        agents: Mutex::new(Vec::new()),
        mail: mail_tx,
        ha: std::sync::OnceLock::new(),
    });
    (master, mail_rx)
}

/// Starts the agents, each serving its own endpoints, and registers them with the master.
/// Their messages reach the master's mailbox through a forwarder, so that their channel type
/// stays their own.
async fn start_agents(
    master: &Arc<Master>,
    template: &AgentTemplate,
    master_id: &str,
    work_dir: &std::path::Path,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Vec<Arc<Agent>>, LocalError> {
    let cfg = &master.cfg;
    let (agent_tx, mut agent_rx) = mpsc::unbounded_channel::<ToMaster>();
    let fwd = master.mail.clone();
    tasks.push(tokio::spawn(async move {
        while let Some(m) = agent_rx.recv().await {
            if fwd.send(Mail::Agent(m)).is_err() {
                break;
            }
        }
    }));
    let mut agents = Vec::new();
    for i in 0..cfg.agents {
        let listener = bind(cfg.ip, 0).await?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let agent = Arc::new(
            Agent::new(
                ids::agent_id(master_id, i as u64),
                cfg.agent_hostname(i),
                cfg.ip,
                port,
                template.resources.clone(),
                template.attributes.clone(),
                work_dir.join(format!("agent-{i}")),
                master.hostname.clone(),
                agent_tx.clone(),
            )
            .with_executor_registration_timeout(cfg.executor_registration_timeout)
            .with_executor_heartbeat_interval(cfg.executor_heartbeat_interval),
        );
        tasks.push(serve(
            listener,
            crate::agent::http::router(Arc::clone(&agent), Arc::clone(cfg)),
        ));
        agents.push(agent);
    }
    {
        let mut st = master.lock();
        for a in &agents {
            master.register_agent(&mut st, a);
        }
    }
    *master.agents.lock().unwrap_or_else(|e| e.into_inner()) = agents.clone();
    Ok(agents)
}

/// Serves every master port; returns the tokens that stop each listener.
fn serve_masters(
    master: &Arc<Master>,
    listeners: Vec<TcpListener>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Vec<CancellationToken> {
    let mut stops = Vec::new();
    for (index, listener) in listeners.into_iter().enumerate() {
        let ctx = Ctx {
            master: Arc::clone(master),
            index,
        };
        let stop = CancellationToken::new();
        stops.push(stop.clone());
        tasks.push(http::serve::until(
            listener,
            crate::master::routes::router(ctx),
            stop,
        ));
    }
    stops
}

/// The background loops: the master's mailbox, allocation, heartbeats, and the agents'
/// status-update retries.
fn spawn_loops(
    master: &Arc<Master>,
    agents: &[Arc<Agent>],
    mail_rx: mpsc::UnboundedReceiver<Mail>,
    tasks: &mut Vec<JoinHandle<()>>,
) {
    let cfg = &master.cfg;
    tasks.push(tokio::spawn(Arc::clone(master).run_mailbox(mail_rx)));
    let m = Arc::clone(master);
    let alloc = cfg.allocation_interval.max(Duration::from_millis(10));
    tasks.push(tokio::spawn(async move {
        let mut t = tokio::time::interval(alloc);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            t.tick().await;
            m.allocate();
        }
    }));
    let m = Arc::clone(master);
    let hb = cfg.heartbeat_interval.max(Duration::from_millis(10));
    tasks.push(tokio::spawn(async move {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + hb, hb);
        loop {
            t.tick().await;
            m.heartbeat();
        }
    }));
    let retry = cfg
        .status_update_retry_interval
        .max(Duration::from_millis(10));
    let retry_agents = agents.to_vec();
    let m = Arc::clone(master);
    tasks.push(tokio::spawn(async move {
        let mut t = tokio::time::interval(retry.min(Duration::from_millis(500)));
        loop {
            t.tick().await;
            for a in &retry_agents {
                a.retry_due(retry);
            }
            m.retry_operations();
        }
    }));
}

/// Registers every master in ZooKeeper (`--zk`) and waits for the election. Master 0 keeps
/// the state's ID (the agents' IDs derive from it); the others get their own, as separate
/// master processes would.
async fn start_ha(
    master: &Arc<Master>,
    zk: &str,
    master_id: &str,
    ports: &[u16],
    stops: Vec<CancellationToken>,
) -> Result<(), LocalError> {
    let ids: Vec<String> = (0..ports.len())
        .map(|i| {
            if i == 0 {
                master_id.to_string()
            } else {
                ids::master_id()
            }
        })
        .collect();
    let ha = crate::ha::Ha::start(
        Arc::clone(master),
        zk,
        ids,
        ports.to_vec(),
        stops,
        master.cfg.zk_session_timeout,
    )
    .await?;
    let _ = master.ha.set(ha);
    Ok(())
}

impl LocalMesos {
    /// Starts masters and agents and their background loops (allocation, heartbeats,
    /// status-update retries).
    pub async fn start(cfg: LocalConfig) -> Result<LocalMesos, LocalError> {
        let cfg = Arc::new(cfg);
        let template = AgentTemplate::parse(&cfg)?;
        if let Some(w) = &cfg.weights {
            crate::master::weights::parse_flag(w).map_err(LocalError::Config)?;
        }
        if let Some(m) = &cfg.min_allocatable_resources {
            crate::allocator::MinAllocatable::parse(m).map_err(LocalError::Config)?;
        }
        let (work_dir, owned_work_dir) = make_work_dir(&cfg)?;
        let hostname = cfg.advertised_hostname();
        let (master_listeners, ports) = bind_masters(&cfg).await?;
        let master_id = ids::master_id();
        let (master, mail_rx) = new_master(&cfg, &hostname, &master_id, &ports);
        let mut tasks = Vec::new();
        let agents = start_agents(&master, &template, &master_id, &work_dir, &mut tasks).await?;
        let stops = serve_masters(&master, master_listeners, &mut tasks);
        spawn_loops(&master, &agents, mail_rx, &mut tasks);
        if let Some(zk) = &cfg.zk
            && let Err(e) = start_ha(&master, zk, &master_id, &ports, stops).await
        {
            for t in tasks {
                t.abort();
            }
            for a in &agents {
                a.kill_all();
            }
            return Err(e);
        }
        tracing::info!(url = %format!("http://{}:{}", cfg.ip, ports[0]), agents = cfg.agents, zk = ?cfg.zk, "mesos-local started");
        Ok(LocalMesos {
            master,
            agents,
            tasks: Mutex::new(tasks),
            work_dir,
            owned_work_dir,
        })
    }

    /// `http://ip:port` of the leading master (of the first master when none leads).
    pub fn url(&self) -> String {
        let el = self
            .master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let port = el.ports[el.leader.unwrap_or(0)];
        format!("http://{}:{}", self.master.ip, port)
    }

    /// `http://ip:port` of every master, in order.
    pub fn master_urls(&self) -> Vec<String> {
        let el = self
            .master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        el.ports
            .iter()
            .map(|p| format!("http://{}:{}", self.master.ip, p))
            .collect()
    }

    /// The agents and their own URLs.
    pub fn agents(&self) -> Vec<LocalAgent> {
        self.agents
            .iter()
            .map(|a| LocalAgent {
                id: a.id.clone(),
                url: format!("http://{}:{}", a.ip, a.port),
            })
            .collect()
    }

    /// The directory holding the sandboxes.
    pub fn work_dir(&self) -> &std::path::Path {
        &self.work_dir
    }

    /// Fault injection: closes a framework's scheduler stream as if the connection broke.
    /// Returns false if it had none.
    pub fn drop_framework_stream(&self, framework_id: &str) -> bool {
        let sid = self
            .master
            .lock()
            .frameworks
            .get(framework_id)
            .and_then(|f| f.subscription.as_ref().map(|s| s.stream_id.clone()));
        match sid {
            Some(sid) => {
                self.master.stream_closed(framework_id, &sid);
                true
            }
            None => false,
        }
    }

    /// Fault injection: stops (or resumes) HEARTBEAT events on every stream.
    pub fn stall_heartbeats(&self, stalled: bool) {
        self.master.lock().stall_heartbeats = stalled;
    }

    /// Fault injection: an agent dies: RESCIND of its offers, TASK_LOST for its tasks,
    /// AGENT_REMOVED for operators, its processes killed. False if unknown.
    pub fn remove_agent(&self, agent_id: &str) -> bool {
        self.master.remove_agent(agent_id)
    }

    /// Fault injection: the master restarts (new master ID, no frameworks until they
    /// resubscribe; agents re-register with their running tasks).
    pub fn restart_master(&self) {
        let port = {
            let el = self
                .master
                .election
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            el.ports[el.leader.unwrap_or(0)]
        };
        self.master.restart(port);
    }

    /// Fault injection: the leading master dies and the next one leads (wrapping around);
    /// returns the new leader's URL.
    pub fn fail_over_leader(&self) -> String {
        let port = {
            let mut el = self
                .master
                .election
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let next = el.leader.map(|l| (l + 1) % el.ports.len()).unwrap_or(0);
            el.leader = Some(next);
            el.ports[next]
        };
        self.master.restart(port);
        self.url()
    }

    /// With `--zk`: kills the leading master (its ZooKeeper node goes, its port closes) and
    /// waits until ZooKeeper elects the next; returns the new leader's URL.
    pub async fn kill_leader(&self) -> Result<String, LocalError> {
        let ha = self
            .master
            .ha
            .get()
            .ok_or_else(|| LocalError::ZooKeeper("this cluster runs without --zk".into()))?;
        let old = ha
            .leader()
            .ok_or_else(|| LocalError::ZooKeeper("no master leads".into()))?;
        ha.kill(old);
        let wait = self
            .master
            .cfg
            .zk_session_timeout
            .max(Duration::from_secs(10));
        ha.wait_for_new_leader(old, wait)
            .await
            .ok_or_else(|| LocalError::ZooKeeper(format!("no master took over within {wait:?}")))?;
        Ok(self.url())
    }

    /// With `--zk`: the masters, their ZooKeeper nodes, who leads and who was killed.
    pub fn contenders(&self) -> Vec<crate::LocalContender> {
        self.master
            .ha
            .get()
            .map(|ha| ha.contenders(self.master.ip))
            .unwrap_or_default()
    }

    /// With `--zk`: the ZooKeeper URL the masters registered in (password hidden).
    pub fn zk_url(&self) -> Option<String> {
        self.master.ha.get().map(|ha| ha.url())
    }

    /// Fault injection: no master leads (followers answer 503 "No leader elected").
    pub fn clear_leader(&self) {
        self.master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .leader = None;
        self.master.restart(0);
    }

    /// Stops everything and kills every task process.
    pub async fn shutdown(self) {
        self.stop();
    }

    fn stop(&self) {
        if let Some(ha) = self.master.ha.get() {
            ha.shutdown();
        }
        for a in &self.agents {
            a.kill_all();
        }
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            t.abort();
        }
        // Closing every stream ends the responses of connected clients.
        self.master.restart(0);
        if self.owned_work_dir {
            let _ = std::fs::remove_dir_all(&self.work_dir);
        }
    }
}

impl Drop for LocalMesos {
    fn drop(&mut self) {
        self.stop();
    }
}
