//! `mesos-local`: a Mesos master and agents in one process, speaking the real v1 HTTP APIs.
//! Prints the master URL on stdout, then, when the masters elect their leader through
//! ZooKeeper, the ZooKeeper URL on a second line; logs go to stderr. Ctrl-C or SIGTERM stops it
//! and kills every task it started (and stops the ZooKeeper that `--zk auto` started).

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use mesos_local::{DEFAULT_RESOURCES, HttpAuth, LocalConfig, LocalMesos, ZooKeeperServer};

// Every request and status update allocates many small JSON values; glibc's allocator was a
// third of the master's CPU per task.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Mesos master and N agents in one process (Mesos 1.11 v1 HTTP APIs).
#[derive(Parser, Debug)]
#[command(name = "mesos-local", version)]
struct Args {
    /// Master port (0 picks an ephemeral port).
    #[arg(long, default_value_t = 5050)]
    port: u16,
    /// Address to bind (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Number of agents.
    #[arg(long, default_value_t = 1)]
    agents: usize,
    /// Number of masters (the first leads, or with --zk the lowest node; the others redirect).
    #[arg(long, default_value_t = 1)]
    masters: usize,
    /// Each agent's resources.
    #[arg(long, default_value = DEFAULT_RESOURCES)]
    resources: String,
    /// Role weights, as the master's --weights: "role=weight,role=weight".
    #[arg(long)]
    weights: Option<String>,
    /// The allocator's minimum offer, as the master's --min_allocatable_resources:
    /// "cpus:0.01|mem:32" (the default) offers only what holds 0.01 cpus or 32 MB of memory.
    #[arg(long)]
    min_allocatable_resources: Option<String>,
    /// Each agent's attributes, e.g. "rack:r2d2;pod:demo,dev".
    #[arg(long)]
    attributes: Option<String>,
    /// Hostname to advertise (defaults to the IP).
    #[arg(long)]
    hostname: Option<String>,
    /// The agents' own hostnames, in order ("a,b"; one left empty, or missing, advertises
    /// --hostname): a machine in maintenance is a (hostname, IP) pair.
    #[arg(long, value_delimiter = ',')]
    agent_hostnames: Vec<String>,
    /// Seconds between HEARTBEAT events.
    #[arg(long, default_value_t = 15.0)]
    heartbeat_interval: f64,
    /// Seconds between allocation cycles.
    #[arg(long, default_value_t = 1.0)]
    allocation_interval: f64,
    /// Seconds a custom executor has to subscribe before the agent kills it (the agent's
    /// --executor_registration_timeout).
    #[arg(long, default_value_t = 60.0)]
    executor_registration_timeout: f64,
    /// Directory for the agents' sandboxes (a temporary one, removed at exit, by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// ZooKeeper URL (zk://host:port/path): each master registers a json.info_ node there
    /// and the lowest one leads, as with real Mesos masters. `auto` starts a private ZooKeeper
    /// on loopback (Debian's `zookeeper` package; $ZOOKEEPER_JAR overrides the jar), stopped
    /// with this process.
    #[arg(long)]
    zk: Option<String>,
    /// Directory for the ZooKeeper that `--zk auto` starts (emptied first; a temporary one,
    /// removed at exit, by default).
    #[arg(long)]
    zk_dir: Option<PathBuf>,
    /// Seconds of each master's ZooKeeper session timeout.
    #[arg(long, default_value_t = 10.0)]
    zk_session_timeout: f64,
    /// Credentials file, as Mesos's --credentials: JSON {"credentials":[{"principal","secret"}]}
    /// or one "principal secret" per line.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Require HTTP basic auth on the scheduler API (needs --credentials).
    #[arg(long)]
    authenticate_http_frameworks: bool,
    /// Require HTTP basic auth on the operator API (needs --credentials).
    #[arg(long)]
    authenticate_http_readwrite: bool,
    /// Require HTTP basic auth on /state, /tasks, /metrics/snapshot… (needs --credentials).
    #[arg(long)]
    authenticate_http_readonly: bool,
}

fn secs(v: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v).map_err(|e| format!("--{name}: {e}"))
}

/// The authentication the flags ask for; `--authenticate-*` without credentials is refused,
/// as Mesos refuses to start that way.
fn http_auth(args: &Args) -> Result<Option<Arc<HttpAuth>>, String> {
    let wanted = args.authenticate_http_frameworks
        || args.authenticate_http_readwrite
        || args.authenticate_http_readonly;
    let Some(path) = &args.credentials else {
        return if wanted {
            Err("--authenticate-http-* needs --credentials".into())
        } else {
            Ok(None)
        };
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--credentials {}: {e}", path.display()))?;
    let creds = HttpAuth::parse_credentials(&text)
        .map_err(|e| format!("--credentials {}: {e}", path.display()))?;
    let mut auth = HttpAuth::new(creds);
    auth.frameworks = args.authenticate_http_frameworks;
    auth.readwrite = args.authenticate_http_readwrite;
    auth.readonly = args.authenticate_http_readonly;
    Ok(Some(Arc::new(auth)))
}

/// `--zk auto`: the private ZooKeeper, and whether its directory is ours to remove.
struct OwnZooKeeper {
    server: ZooKeeperServer,
    remove_dir: bool,
}

impl OwnZooKeeper {
    /// Started from the main thread, before the runtime: the server dies with that thread
    /// (`PR_SET_PDEATHSIG`), which lives as long as this process.
    fn start(dir: Option<&PathBuf>) -> Result<OwnZooKeeper, Box<dyn std::error::Error>> {
        let (dir, remove_dir) = match dir {
            Some(d) => (d.clone(), false),
            None => (
                std::env::temp_dir().join(format!("mesos-local-zk-{}", std::process::id())),
                true,
            ),
        };
        let server = ZooKeeperServer::start(&dir)?;
        tracing::info!(address = %server.address(), pid = ?server.pid(), dir = %dir.display(), "started a private ZooKeeper");
        Ok(OwnZooKeeper { server, remove_dir })
    }

    fn stop(mut self) {
        self.server.stop();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(self.server.dir());
        }
    }
}

/// Errors end it with `Error: <message>` on stderr (the kernel shows that line to the user).
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mut args = Args::parse();
    if !args.ip.is_loopback() {
        tracing::warn!(ip = %args.ip, "binding a non-loopback address: anyone who can reach it can run commands as this user");
    }
    let own_zk = if args.zk.as_deref() == Some("auto") {
        let own = OwnZooKeeper::start(args.zk_dir.as_ref())?;
        args.zk = Some(own.server.url("/mesos"));
        Some(own)
    } else {
        None
    };
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args));
    if let Some(own) = own_zk {
        own.stop();
    }
    served
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let http_auth = http_auth(&args)?;
    let cfg = LocalConfig {
        ip: args.ip,
        port: args.port,
        masters: args.masters.max(1),
        agents: args.agents,
        resources: args.resources,
        attributes: args.attributes,
        hostname: args.hostname,
        agent_hostnames: args.agent_hostnames,
        heartbeat_interval: secs(args.heartbeat_interval, "heartbeat-interval")?,
        allocation_interval: secs(args.allocation_interval, "allocation-interval")?,
        work_dir: args.work_dir,
        zk: args.zk,
        zk_session_timeout: secs(args.zk_session_timeout, "zk-session-timeout")?,
        http_auth,
        weights: args.weights,
        min_allocatable_resources: args.min_allocatable_resources,
        executor_registration_timeout: secs(
            args.executor_registration_timeout,
            "executor-registration-timeout",
        )?,
        ..LocalConfig::default()
    };
    let mesos = LocalMesos::start(cfg).await?;
    // One write: a reader that takes only the first line and closes the pipe must not make a
    // second write fail.
    let mut said = format!("{}\n", mesos.url());
    if let Some(zk) = mesos.zk_url() {
        said.push_str(&format!("{zk}\n"));
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(said.as_bytes()).and_then(|()| out.flush());
    drop(out);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping; killing every task");
    mesos.shutdown().await;
    Ok(())
}
