//! A real SMTP relay for the mail tests: Python's aiosmtpd on a loopback port, storing every
//! message it receives in a maildir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running aiosmtpd relay that stores every message in `<dir>/new`.
pub struct Relay {
    child: Child,
    pub dir: PathBuf,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_has_aiosmtpd() -> bool {
    Command::new("python3").args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Install aiosmtpd for this user if python3 lacks it.
fn ensure_aiosmtpd() {
    if python_has_aiosmtpd() {
        return;
    }
    // Plain --user first; distributions that mark the system Python as externally managed
    // (PEP 668) need the second form.
    for extra in [&[][..], &["--break-system-packages"][..]] {
        let status = Command::new("python3").args(["-m", "pip", "install", "--quiet", "--user", "aiosmtpd"]).args(extra).status();
        if status.is_ok_and(|s| s.success()) && python_has_aiosmtpd() {
            return;
        }
    }
    panic!("these tests need python3 with aiosmtpd; `python3 -m pip install --user aiosmtpd` failed (is python3 with pip installed and PyPI reachable?)");
}

/// A loopback TCP port that was free a moment ago.
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Relay {
    /// Start a relay on a free port, writing into the maildir `dir`; returns once it accepts.
    pub fn start(dir: &Path) -> (Relay, u16) {
        let port = free_tcp_port();
        (Relay::start_on(port, dir), port)
    }

    /// Start a relay on `port`, writing into the maildir `dir`; returns once it accepts.
    pub fn start_on(port: u16, dir: &Path) -> Relay {
        ensure_aiosmtpd();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("start python3 -m aiosmtpd");
        let relay = Relay { child, dir: dir.to_path_buf() };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        relay
    }
}
