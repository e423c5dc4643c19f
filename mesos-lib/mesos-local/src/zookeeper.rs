//! A private ZooKeeper server for the embedded masters' election (`mesos-local --zk auto`):
//! Debian's `zookeeper` package run in the foreground on loopback, on a free port, with its own
//! configuration and data directory; stopped by PID. It is started with `PR_SET_PDEATHSIG`, so
//! it also dies when the thread that started it does (a `mesos-local` killed with SIGKILL
//! leaves no Java behind).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's package puts the server jar; `$ZOOKEEPER_JAR` overrides it.
pub const DEFAULT_JAR: &str = "/usr/share/java/zookeeper.jar";
/// Bound on a start (`ruok` answers `imok` ~1.2 s after start on an idle machine).
const START_LIMIT: Duration = Duration::from_secs(60);
/// Bound on a stop after SIGTERM (~2 s) before SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(20);
/// What to run where ZooKeeper is missing.
const INSTALL_HINT: &str = "install it with `apt-get install zookeeper` (Debian/Ubuntu, as root; it brings Java), or set $ZOOKEEPER_JAR to a zookeeper.jar";

/// Why the private ZooKeeper could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ZooKeeperError {
    /// The server jar is not where it was looked for.
    #[error("ZooKeeper's jar {0} is missing: {INSTALL_HINT}")]
    NoJar(String),
    /// `java` is not on PATH.
    #[error("java is missing from PATH, so ZooKeeper cannot run: {INSTALL_HINT}")]
    NoJava,
    /// Preparing its directory or spawning it failed.
    #[error("ZooKeeper: {0}")]
    Io(#[from] std::io::Error),
    /// It exited, or did not answer `ruok`, in time.
    #[error("ZooKeeper did not start: {0}")]
    NotReady(String),
}

/// A running ZooKeeper server, stopped (by PID) when dropped.
#[derive(Debug)]
pub struct ZooKeeperServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    jar: String,
}

impl ZooKeeperServer {
    /// Starts a server whose configuration, data and log live in `dir` (emptied first, so no
    /// node of an earlier run survives) and waits until it answers `ruok` with `imok`.
    pub fn start(dir: &Path) -> Result<ZooKeeperServer, ZooKeeperError> {
        let jar = std::env::var("ZOOKEEPER_JAR")
            .ok()
            .filter(|j| !j.is_empty())
            .unwrap_or_else(|| DEFAULT_JAR.to_string());
        if !Path::new(&jar).is_file() {
            return Err(ZooKeeperError::NoJar(jar));
        }
        let java = Command::new("java")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !java.is_ok_and(|s| s.success()) {
            return Err(ZooKeeperError::NoJava);
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir.join("conf"))?;
        std::fs::create_dir_all(dir.join("data"))?;
        let port = free_port()?;
        // tickTime 500 ms allows session timeouts down to 1 s; the admin server would take
        // port 8080 on every interface; `ruok` is the readiness probe.
        let cfg = format!(
            "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={port}\n\
             clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("conf/zoo.cfg"), cfg)?;
        let mut server = ZooKeeperServer {
            child: None,
            port,
            dir: dir.to_path_buf(),
            jar,
        };
        server.spawn()?;
        Ok(server)
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `zk://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("zk://{}{path}", self.address())
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The directory holding its configuration, data and `server.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (SIGTERM, SIGKILL if it lingers) and reaps it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_LIMIT;
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server and starts it again on the same port with the same data.
    pub fn restart(&mut self) -> Result<(), ZooKeeperError> {
        self.stop();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<(), ZooKeeperError> {
        let conf = self.dir.join("conf");
        let log = std::fs::File::create(self.dir.join("server.log"))?;
        let mut cmd = Command::new("java");
        cmd.arg("-cp")
            .arg(format!("{}:{}", conf.display(), self.jar))
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(conf.join("zoo.cfg"))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        self.child = Some(cmd.spawn()?);
        // No event says when it serves: poll its health word, with a deadline.
        let deadline = Instant::now() + START_LIMIT;
        while !self.ruok() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(ZooKeeperError::NotReady(format!(
                    "it exited ({status}); its log {}:\n{}",
                    self.dir.join("server.log").display(),
                    self.log_tail()
                )));
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(ZooKeeperError::NotReady(format!(
                    "no answer to ruok within {START_LIMIT:?}; its log {}:\n{}",
                    self.dir.join("server.log").display(),
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// ZooKeeper's four-letter health word: true once it answers `imok`.
    fn ruok(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        s.write_all(b"ruok").is_ok() && s.read_to_string(&mut answer).is_ok() && answer == "imok"
    }

    /// The last lines of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> std::io::Result<u16> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
}
