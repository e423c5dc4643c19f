//! The `mesos-kernel` binary: run a kernel, or install its kernelspec.

use clap::{Parser, Subcommand};
use mesos_kernel::cellbridge::CellBridge;
use mesos_kernel::core::{self, Inbound, outbox::Outbox};
use mesos_kernel::install::{self, Target};
use mesos_kernel::interpreter::Interpreter;
use mesos_kernel::interpreter::cells::CellInterpreter;
use mesos_kernel::interpreter::magics;
use mesos_kernel::interpreter::rust::{EngineSetup, build_dir, cell_crate};
use mesos_kernel::mesos::MesosHandle;
use mesos_kernel::protocol::connection::ConnectionInfo;
use mesos_kernel::protocol::header::KernelIdentity;
use mesos_kernel::protocol::signing::Signer;
use mesos_kernel::transport;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "mesos-kernel",
    version,
    about = "A Jupyter kernel for experimenting with Apache Mesos"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Where {
    /// Install for the current user (the default).
    #[arg(long, conflicts_with_all = ["sys_prefix", "prefix"])]
    user: bool,
    /// Install into the active Python environment ($VIRTUAL_ENV or python3's sys.prefix).
    #[arg(long, conflicts_with = "prefix")]
    sys_prefix: bool,
    /// Install under PREFIX/share/jupyter/kernels.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<PathBuf>,
    /// Kernelspec name.
    #[arg(long, default_value = "mesos")]
    name: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the kernel (Jupyter does this through kernel.json).
    Run {
        /// The connection file written by the Jupyter client.
        #[arg(long, short = 'f')]
        connection_file: PathBuf,
        /// Also write logs to this file (they always go to stderr).
        #[arg(long)]
        log_file: Option<PathBuf>,
    },
    /// Install the kernelspec so Jupyter lists "Mesos (Rust)".
    Install(Where),
    /// Remove the kernelspec.
    Uninstall(Where),
    /// Build what Rust cells use (mesos-lib for cells) once, so the first cell need not.
    Prepare,
}

fn target(w: &Where) -> Target {
    match (&w.prefix, w.sys_prefix) {
        (Some(p), _) => Target::Prefix(p.clone()),
        (None, true) => Target::SysPrefix,
        _ => Target::User,
    }
}

fn main() {
    // evcxr re-executes this binary as the cell runtime and as a rustc wrapper: this must come first.
    evcxr::runtime_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            connection_file,
            log_file,
        } => run(&connection_file, log_file.as_deref()),
        Command::Install(w) => install::install(&target(&w), &w.name).map(|dir| {
            println!("Installed kernelspec {} in {}", w.name, dir.display());
        }),
        Command::Prepare => prepare(),
        Command::Uninstall(w) => install::uninstall(&target(&w), &w.name).map(|dir| {
            println!("Removed kernelspec {} from {}", w.name, dir.display());
        }),
    };
    if let Err(e) = result {
        eprintln!("mesos-kernel: {e:#}");
        std::process::exit(1);
    }
}

fn init_logging(log_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use tracing_subscriber::{EnvFilter, fmt, prelude::*};
    let filter = EnvFilter::try_from_env("MESOS_KERNEL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,mesos_kernel=info"));
    // Logs never go to stdout: the evcxr child and Jupyter own that.
    // Colours only on a terminal: Jupyter servers copy kernel stderr into their own logs.
    let stderr = fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let file = match log_file {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            Some(
                fmt::layer()
                    .with_ansi(false)
                    .with_writer(std::sync::Mutex::new(f)),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .init();
    Ok(())
}

/// Claims a kept build directory and says what every Rust session starts with. Call it before
/// any other thread exists: it sets `EVCXR_TMPDIR` for evcxr.
fn engine_setup() -> EngineSetup {
    let mut build_dir = None;
    if std::env::var_os("EVCXR_TMPDIR").is_none()
        && let Some(dir) = build_dir::claim()
    {
        tracing::info!(dir = %dir.display(), "evcxr build directory");
        // SAFETY: no other thread exists yet (the runtime and evcxr start later), so nothing
        // can read the environment concurrently.
        unsafe { std::env::set_var("EVCXR_TMPDIR", &dir) };
        build_dir = Some(dir);
    }
    let startup: Vec<String> = cell_crate::dep_command().into_iter().collect();
    let mut setup = EngineSetup {
        seed: build_dir::Seed::for_startup(&startup),
        startup,
        build_dir,
        ..EngineSetup::default()
    };
    if std::env::var_os("EVCXR_TMPDIR").is_some() {
        setup.child_env.extend(build_dir::child_library_path());
    }
    setup
}

/// `mesos-kernel prepare`: builds what Rust cells use once, so no notebook waits for it.
fn prepare() -> anyhow::Result<()> {
    init_logging(None)?;
    let started = std::time::Instant::now();
    let setup = engine_setup();
    mesos_kernel::interpreter::rust::prepare(&setup)?;
    let kept = setup
        .seed
        .as_ref()
        .map(|s| format!(", kept in {}", s.path().display()))
        .unwrap_or_default();
    println!(
        "Rust cells are ready: mesos-lib built in {:.1} s{kept}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run(
    connection_file: &std::path::Path,
    log_file: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    init_logging(log_file)?;
    let info = ConnectionInfo::from_file(connection_file)?;
    tracing::info!(?info, "starting");
    let mut setup = engine_setup();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let restart = runtime.block_on(async {
        let endpoints = transport::bind(&info).await?;
        let signer = Signer::new(&info.key);
        let outbox = Outbox::new(
            KernelIdentity::new(),
            signer.clone(),
            endpoints.shell_tx,
            endpoints.control_tx,
            endpoints.stdin_tx,
            endpoints.iopub_tx,
        );
        let registry = magics::every_magic();
        let mesos = MesosHandle::default();
        mesos.adopt_local();
        let bridge = match CellBridge::start(mesos.clone()) {
            Ok(b) => {
                setup.child_env.extend(b.child_env());
                Some(b)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Rust cells get no session socket");
                None
            }
        };
        let interpreter = CellInterpreter::new(registry, setup).with_mesos(mesos.clone());
        let hooks = interpreter.control_hooks();
        tokio::spawn(signals(hooks.clone(), bridge.clone()));
        let inbound = Inbound {
            shell: endpoints.shell_rx,
            control: endpoints.control_rx,
            stdin: endpoints.stdin_rx,
        };
        let restart = core::run(inbound, outbox, signer, interpreter).await;
        (hooks.shutdown)();
        if let Some(b) = &bridge {
            b.remove();
        }
        // End the subscription stream cleanly; no TEARDOWN, so the framework can fail over.
        mesos.close().await;
        if !restart {
            // Shut down for good: the embedded Mesos goes with the last kernel that used it.
            mesos.release_local().await;
        }
        anyhow::Ok(restart)
    })?;
    tracing::info!(restart, "shut down");
    // Worker threads may be parked in blocking calls; the kernel is done, so leave now.
    std::process::exit(0)
}

/// SIGINT interrupts the running cell instead of killing the kernel; SIGTERM shuts down cleanly.
async fn signals(hooks: mesos_kernel::interpreter::ControlHooks, bridge: Option<CellBridge>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => {
                tracing::info!("SIGINT: interrupting the running cell");
                (hooks.interrupt)();
            }
            _ = term.recv() => {
                tracing::info!("SIGTERM: shutting down");
                (hooks.shutdown)();
                if let Some(b) = &bridge {
                    b.remove();
                }
                std::process::exit(0);
            }
        }
    }
}
