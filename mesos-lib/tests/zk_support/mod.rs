//! A real ZooKeeper for tests: the product's own `ZooKeeperServer` (what `mesos-local --zk auto`
//! runs: Debian's `zookeeper` package in the foreground on loopback, a free port, its own data
//! directory, stopped by PID), in a fresh temporary directory removed afterwards. A missing Java
//! or jar fails the test with the command that installs them.
#![allow(dead_code)]

use mesos_local::ZooKeeperServer;
use std::path::PathBuf;

/// A running ZooKeeper server, stopped and its directory removed when dropped.
pub struct ZkServer {
    server: ZooKeeperServer,
    dir: PathBuf,
}

impl ZkServer {
    /// Starts a fresh server and waits until it answers `ruok` with `imok`.
    pub fn start() -> ZkServer {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("zk-test-{}-{n}", std::process::id()));
        let server = ZooKeeperServer::start(&dir).unwrap_or_else(|e| panic!("{e}"));
        ZkServer { server, dir }
    }

    /// `host:port` of the server.
    pub fn address(&self) -> String {
        self.server.address()
    }

    /// `zk://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Stops the server and starts it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.server.restart().unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.server.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
