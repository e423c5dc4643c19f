//! A real ZooKeeper for tests: Debian's `zookeeper` package run in the foreground on
//! loopback, with its own config and data directory and a free port; stopped by PID.
//! A missing Java or jar fails the test with the command that installs them.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's package puts the server jar (`ZOOKEEPER_JAR` overrides it).
const DEFAULT_JAR: &str = "/usr/share/java/zookeeper.jar";
/// Bound on a start (`ruok` answers `imok` after ~1.2 s here) and on a stop (~2 s).
const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_LIMIT: Duration = Duration::from_secs(20);

/// A running ZooKeeper server.
pub struct ZkServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    jar: String,
}

impl ZkServer {
    /// Starts a fresh server and waits until it answers `ruok` with `imok`.
    pub fn start() -> ZkServer {
        let jar = std::env::var("ZOOKEEPER_JAR").unwrap_or_else(|_| DEFAULT_JAR.to_string());
        assert!(
            Path::new(&jar).is_file(),
            "ZooKeeper jar {jar} is missing: run install/setup.sh (as root: apt-get install -y zookeeper)"
        );
        let java = Command::new("java")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            java.is_ok_and(|s| s.success()),
            "java is missing: run install/setup.sh (as root: apt-get install -y zookeeper, which brings a JRE)"
        );
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("zk-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf")).expect("ZooKeeper conf dir");
        std::fs::create_dir_all(dir.join("data")).expect("ZooKeeper data dir");
        // tickTime 500 ms allows session timeouts down to 1 s.
        let cfg = format!(
            "tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={port}\n\
             clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("conf/zoo.cfg"), cfg).expect("zoo.cfg");
        let mut server = ZkServer {
            child: None,
            port,
            dir,
            jar,
        };
        server.spawn();
        server
    }

    /// `host:port` of the server.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `zk://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("zk://{}{path}", self.address())
    }

    /// Stops the server (SIGTERM, then SIGKILL if it lingers) and waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: signalling a child process we spawned and have not reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_LIMIT;
        loop {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server and starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn spawn(&mut self) {
        let conf = self.dir.join("conf");
        let log = std::fs::File::create(self.dir.join("server.log")).expect("log file");
        let child = Command::new("java")
            .arg("-cp")
            .arg(format!("{}:{}", conf.display(), self.jar))
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(conf.join("zoo.cfg"))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("java starts");
        self.child = Some(child);
        let deadline = Instant::now() + START_LIMIT;
        // Poll the condition (the server answers imok) with a deadline; no fixed wait.
        while !self.ruok() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "ZooKeeper exited ({status}) during start:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not answer ruok within {START_LIMIT:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ruok(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        s.write_all(b"ruok").is_ok() && s.read_to_string(&mut answer).is_ok() && answer == "imok"
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
