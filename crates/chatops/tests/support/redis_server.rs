//! A throwaway `redis-server` for tests: its own loopback port, its own temporary folder, no
//! persistence, plain or TLS only; killed on drop. Where `redis-server` is not installed the test is skipped
//! (with a line saying so), except under CI (`CI=true`), where that is a failure: CI installs
//! it (`.ci/run`) and always runs these tests.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    port: u16,
    /// `redis`, or `rediss` over TLS.
    scheme: &'static str,
    _dir: tempfile::TempDir,
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

impl RedisServer {
    /// Starts one, or says the test is skipped (`None`) when `redis-server` is not installed;
    /// under `CI=true` a missing `redis-server` panics.
    pub fn start() -> Option<Self> {
        Self::start_with(|port, _| vec!["--port".into(), port.to_string()])
    }

    /// Starts one over TLS only (`rediss://`), with the PEM files that `files` writes into the
    /// server's folder (`files(dir)` returns their paths: certificate, key, CA); clients need
    /// no certificate of their own.
    #[allow(dead_code)] // the store's tests use it; other test files share this module
    pub fn start_tls(
        files: impl Fn(&std::path::Path) -> (PathBuf, PathBuf, PathBuf),
    ) -> Option<Self> {
        let mut server = Self::start_with(|port, dir| {
            let (cert, key, ca) = files(dir);
            vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                cert.display().to_string(),
                "--tls-key-file".into(),
                key.display().to_string(),
                "--tls-ca-cert-file".into(),
                ca.display().to_string(),
                "--tls-auth-clients".into(),
                "no".into(),
            ]
        })?;
        server.scheme = "rediss";
        Some(server)
    }

    /// Starts one with the arguments `args(port, folder)` gives (besides no persistence and
    /// loopback only).
    fn start_with(args: impl Fn(u16, &std::path::Path) -> Vec<String>) -> Option<Self> {
        let Some(program) = on_path("redis-server") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "redis-server is not installed, and CI must run the Redis tests (.ci/run installs it)"
                );
            }
            eprintln!("skipped: redis-server not installed");
            return None;
        };
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let port = free_port();
            let mut child = Command::new(&program)
                .args(args(port, dir.path()))
                .args(["--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // it exited: the port was taken
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Self {
                        child,
                        port,
                        scheme: "redis",
                        _dir: dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start on a free loopback port");
    }

    /// `redis://127.0.0.1:<port>/0` (`rediss://` over TLS).
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}/0", self.scheme, self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
