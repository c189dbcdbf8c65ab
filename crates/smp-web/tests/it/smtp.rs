//! A real SMTP server process for the e-mail tests: `scripts/smtp-sink.py`
//! (aiosmtpd) on a free port, keeping each message it takes as a file.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct SmtpSink {
    pub(crate) url: String,
    folder: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// A server that refuses the first `refuse_first` messages and waits
    /// `delay` seconds before acknowledging each.
    pub(crate) fn start(refuse_first: u32, delay: f64) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        // scripts/test installs aiosmtpd in a virtual environment and names
        // its Python here.
        let python = std::env::var("SMP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string(), "--folder"])
            .arg(folder.path())
            .args(["--refuse-first", &refuse_first.to_string(), "--delay", &delay.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python}: {e}"));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(
            line.starts_with("ready"),
            "the SMTP server did not start: run `bash scripts/test`, or `pip install aiosmtpd` (it said {line:?})"
        );
        Self { url: format!("smtp://127.0.0.1:{port}"), folder, child }
    }

    /// The messages it took so far, oldest first.
    pub(crate) fn messages(&self) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Waits until it has taken `n` messages (at most `within`).
    pub(crate) async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || start.elapsed() > within {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message's header `name`, unfolded.
pub(crate) fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let mut found: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(value) = found.as_mut() {
                value.push_str(line.trim_start());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((key, value)) = line.split_once(':')
            && key.eq_ignore_ascii_case(name)
        {
            found = Some(value.trim().to_string());
        }
    }
    found
}
