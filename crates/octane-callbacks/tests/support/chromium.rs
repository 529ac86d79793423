//! Headless Chromium as the tests run it: Debian's `chromium`, with the flags this machine needs
//! (root, no GPU) and those that keep it off the network, and a fresh profile per run.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

/// Where Debian installs Chromium; a test without it says so and passes.
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
/// What headless Chromium needs on this machine (root, no GPU) and what keeps it off the network.
const HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Headless Chromium with the flags this machine needs, a fresh profile in `dir`, and `args`,
/// on `url`; its errors are not read.
pub(crate) fn headless_chromium(dir: &Path, args: &[&str], url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(CHROMIUM);
    command
        .args(HEADLESS)
        .args(args)
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(url)
        .stderr(Stdio::null());
    command
}

/// Runs [`headless_chromium`] and answers its output once it exits.
pub(crate) async fn chromium(dir: &Path, args: &[&str], url: &str) -> std::process::Output {
    let output = tokio::process::Command::from(headless_chromium(dir, args, url))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("chromium in time")
        .expect("chromium ran");
    assert!(output.status.success(), "chromium: {}", output.status);
    output
}

/// A headless Chromium driven over the DevTools protocol on `--remote-debugging-pipe`
/// (commands on its fd 3, answers on its fd 4, each message ended by a NUL), so the test can
/// wait for what the page did instead of racing `--screenshot`, which shoots at the load event,
/// before the stream's first frame has reached the canvas.
pub(crate) struct Devtools {
    child: std::process::Child,
    commands: std::io::PipeWriter,
    answers: std::io::BufReader<std::io::PipeReader>,
    next_id: u64,
    session: Option<String>,
}

impl Devtools {
    /// Starts Chromium on `url` with a fresh profile in `dir` and attaches to its page.
    pub(crate) fn open(dir: &Path, url: &str) -> Self {
        Self::open_with(dir, &[], url)
    }

    /// [`Devtools::open`] with more command-line flags.
    pub(crate) fn open_with(dir: &Path, args: &[&str], url: &str) -> Self {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let (chromium_reads, commands) = std::io::pipe().expect("pipe");
        let (answers, chromium_writes) = std::io::pipe().expect("pipe");
        let (read_fd, write_fd) = (chromium_reads.as_raw_fd(), chromium_writes.as_raw_fd());
        let mut flags = vec![
            "--remote-debugging-pipe",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=640,480",
        ];
        flags.extend_from_slice(args);
        let mut command = headless_chromium(dir, &flags, url);
        command.stdin(Stdio::null()).stdout(Stdio::null());
        #[allow(unsafe_code)] // `pre_exec` is unsafe by contract; see the SAFETY comment
        // SAFETY: between fork and exec this only calls dup2, which is async-signal-safe; the
        // duplicates lose close-on-exec, so Chromium inherits them as fds 3 and 4.
        unsafe {
            command.pre_exec(move || {
                for (from, to) in [(read_fd, 3), (write_fd, 4)] {
                    if libc::dup2(from, to) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium started");
        // Only Chromium holds these ends now, so its exit ends the answers with EOF.
        drop((chromium_reads, chromium_writes));
        let mut devtools = Devtools {
            child,
            commands,
            answers: std::io::BufReader::new(answers),
            next_id: 0,
            session: None,
        };
        let targets = devtools.call("Target.getTargets", &json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            .unwrap_or_else(|| panic!("a page among {targets}"))["targetId"]
            .clone();
        let attached = devtools.call(
            "Target.attachToTarget",
            &json!({ "targetId": page, "flatten": true }),
        );
        devtools.session = Some(attached["sessionId"].as_str().expect("session").to_owned());
        devtools
    }

    /// Sends one command (to the page once attached) and answers its result, skipping events.
    pub(crate) fn call(&mut self, method: &str, params: &Value) -> Value {
        use std::io::BufRead;
        self.next_id += 1;
        let mut message = json!({ "id": self.next_id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.send(&message).expect("a command to Chromium");
        loop {
            let mut answer = Vec::new();
            let read = self
                .answers
                .read_until(0, &mut answer)
                .expect("Chromium's answer");
            assert!(
                read > 0,
                "Chromium closed its DevTools pipe during {method}"
            );
            answer.pop();
            let answer: Value = serde_json::from_slice(&answer).expect("DevTools JSON");
            if answer["id"] == self.next_id {
                assert!(answer["error"].is_null(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Writes `message` to Chromium, ended by its NUL.
    fn send(&mut self, message: &Value) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(message).expect("JSON");
        bytes.push(0);
        std::io::Write::write_all(&mut self.commands, &bytes)
    }

    /// Evaluates `expression` in the page and answers its value.
    pub(crate) fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            &json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }
}

impl Drop for Devtools {
    fn drop(&mut self) {
        // Browser.close lets Chromium take its helper processes down with it; the kill is for
        // a Chromium that no longer answers.
        if self.child.try_wait().ok().flatten().is_none() {
            let close = json!({ "id": self.next_id + 1, "method": "Browser.close" });
            let _ = self.send(&close);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while self.child.try_wait().ok().flatten().is_none() {
                if std::time::Instant::now() > deadline {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
