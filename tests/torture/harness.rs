//! Driving the real binary under faults: a `Cmd` builder whose processes write to files (so a
//! killed one never blocks on a pipe) and are killed and reaped when dropped, whatever happens to
//! the test; a `Site` (temp dir, config, carts); knobs from the environment; a seeded RNG; the
//! exit codes the README documents; and the figures file each section adds to.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_cartnudge");

/// Noon UTC on a Sunday: 15:00 in Moscow, inside the default 09:00–20:00 window.
pub const NOW: &str = "2026-11-22T12:00:00Z";

/// `NOW` plus some minutes, as RFC 3339.
pub fn now_plus(minutes: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(NOW).unwrap() + chrono::Duration::minutes(minutes);
    t.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A size knob: `CARTNUDGE_TORTURE_<name>`, else the CI default.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(format!("CARTNUDGE_TORTURE_{name}"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The run's seed: `CARTNUDGE_TORTURE_SEED`, else the clock (printed with the figures to replay).
pub fn seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        std::env::var("CARTNUDGE_TORTURE_SEED")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
    })
}

/// splitmix64: small, seedable, good enough to pick kill moments and latencies.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

/// How a process ended.
#[derive(Debug, Clone)]
pub struct Done {
    pub args: Vec<String>,
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// The watchdog had to kill it.
    pub timed_out: bool,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
}

impl Done {
    /// The exit code, -signal for a signal.
    pub fn code(&self) -> i32 {
        self.code.unwrap_or(-self.signal.unwrap_or(0))
    }
    pub fn show(&self) -> String {
        format!(
            "\n$ cartnudge {}\nstatus: {:?} signal: {:?} timed out: {} after {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.args.join(" "),
            self.code,
            self.signal,
            self.timed_out,
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

static RUN_SEQ: AtomicU64 = AtomicU64::new(0);

/// Every process this harness started, so a panicking test still leaves none behind: each `Proc`
/// kills and reaps its child on drop.
pub struct Cmd {
    dir: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    uid: Option<u32>,
    prefix: Vec<String>,
}

impl Cmd {
    /// `cartnudge` in `dir`, with no inherited `CARTNUDGE_CONFIG`.
    pub fn new(dir: &Path) -> Cmd {
        Cmd {
            dir: dir.to_path_buf(),
            args: Vec::new(),
            envs: Vec::new(),
            uid: None,
            prefix: Vec::new(),
        }
    }
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Cmd {
        self.args
            .extend(args.iter().map(|a| a.as_ref().to_string()));
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Cmd {
        self.envs.push((k.into(), v.into()));
        self
    }
    pub fn envs(mut self, vars: &[(String, String)]) -> Cmd {
        self.envs.extend(vars.iter().cloned());
        self
    }
    /// Runs as this user (and group of the same number): root ignores file modes.
    pub fn user(mut self, uid: u32) -> Cmd {
        self.uid = Some(uid);
        self
    }
    /// Runs `prefix… cartnudge args…` (e.g. `unshare -m sh -c …`).
    pub fn prefix<S: AsRef<str>>(mut self, prefix: &[S]) -> Cmd {
        self.prefix = prefix.iter().map(|a| a.as_ref().to_string()).collect();
        self
    }

    pub fn spawn(self) -> Proc {
        let n = RUN_SEQ.fetch_add(1, Ordering::SeqCst);
        let out_dir =
            std::env::temp_dir().join(format!("cartnudge-torture-out-{}", std::process::id()));
        std::fs::create_dir_all(&out_dir).unwrap();
        let out = out_dir.join(format!("{n}.out"));
        let err = out_dir.join(format!("{n}.err"));
        let mut cmd = if self.prefix.is_empty() {
            Command::new(BIN)
        } else {
            let mut c = Command::new(&self.prefix[0]);
            c.args(&self.prefix[1..]).arg(BIN);
            c
        };
        cmd.current_dir(&self.dir)
            .args(&self.args)
            .env_remove("CARTNUDGE_CONFIG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap());
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        let child = cmd.spawn().expect("spawn cartnudge");
        Proc {
            child: Some(child),
            started: Instant::now(),
            args: self.args,
            out,
            err,
        }
    }

    /// Spawns and waits, killing it after `limit`.
    pub fn run(self, limit: Duration) -> Done {
        self.spawn().wait(limit)
    }
}

pub struct Proc {
    child: Option<Child>,
    pub started: Instant,
    args: Vec<String>,
    out: PathBuf,
    err: PathBuf,
}

/// What a SIGKILL found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// The process was running and died of our signal.
    Delivered,
    /// It had already exited on its own.
    TooLate,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// True once the process has exited (it is reaped then).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().ok().flatten().is_some(),
            None => true,
        }
    }

    /// SIGKILL now; says whether it was still running.
    pub fn kill(mut self) -> (Kill, Done) {
        let child = self.child.as_mut().unwrap();
        let was_running = child.try_wait().ok().flatten().is_none();
        let _ = child.kill();
        let done = self.wait(Duration::from_secs(30));
        let delivered = was_running && done.signal == Some(9);
        (
            if delivered {
                Kill::Delivered
            } else {
                Kill::TooLate
            },
            done,
        )
    }

    /// Waits for the exit, killing the process after `limit`.
    pub fn wait(mut self, limit: Duration) -> Done {
        let mut child = self.child.take().unwrap();
        let mut timed_out = false;
        let status = loop {
            if let Ok(Some(s)) = child.try_wait() {
                break s;
            }
            if self.started.elapsed() > limit {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("reap");
            }
            std::thread::sleep(Duration::from_millis(3));
        };
        let elapsed = self.started.elapsed();
        let read = |p: &Path| {
            let s = String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
            let _ = std::fs::remove_file(p);
            s
        };
        Done {
            args: std::mem::take(&mut self.args),
            code: status.code(),
            signal: status.signal(),
            timed_out,
            elapsed,
            stdout: read(&self.out),
            stderr: read(&self.err),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits for all, killing what is still running after `limit`.
pub fn wait_all(procs: Vec<Proc>, limit: Duration) -> Vec<Done> {
    procs.into_iter().map(|p| p.wait(limit)).collect()
}

/// Exit codes the README's "Exit codes" table documents.
pub fn documented_exit_codes() -> BTreeSet<i32> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut codes = BTreeSet::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with('#') {
            inside = line.trim_start_matches('#').trim() == "Exit codes";
            continue;
        }
        if inside
            && let Some(rest) = line.strip_prefix('|')
            && let Some(code) = rest.split('|').next().and_then(|c| c.trim().parse().ok())
        {
            codes.insert(code);
        }
    }
    assert!(
        codes.contains(&0) && codes.contains(&75),
        "README's exit code table not found: {codes:?}"
    );
    codes
}

/// A work directory with a config and carts, deleted at the end.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        Site {
            dir: tempfile::Builder::new()
                .prefix("cartnudge-torture-")
                .tempdir()
                .expect("temp dir"),
        }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, contents).unwrap();
    }
    pub fn cmd(&self) -> Cmd {
        Cmd::new(self.dir.path())
    }
    /// `cartnudge --now <now> send <extra…>`.
    pub fn send(&self, now: &str, extra: &[&str]) -> Cmd {
        let mut args = vec!["--now", now, "send"];
        args.extend_from_slice(extra);
        self.cmd().args(&args)
    }
}

/// The shop every section uses; `{gateway}` is the `[gateway]` body, `{extra}` goes at the end.
pub const CONFIG: &str = r#"
[store]
name = "Torture Shop"
timezone = "Europe/Moscow"
default_region = "RU"

[source]
kind = "csv"
path = "carts.csv"

[rules]
allowed_hours = "09:00-20:00"
{rules}

[rules.min_cart_value]
RUB = "3000"

[message]
template = "{name}, cart {total}: {link}"
link = "https://s.example/c/{cart_id}"
optout_suffix = " STOP"
[message.cost_per_segment]
RUB = "4.50"

[gateway]
{gateway}

{extra}
"#;

pub fn config(rules: &str, gateway: &str, extra: &str) -> String {
    CONFIG
        .replace("{rules}", rules)
        .replace("{gateway}", gateway)
        .replace("{extra}", extra)
}

/// A loopback webhook: the simplest HTTP gateway that records every message.
pub fn webhook_gateway(url: &str) -> String {
    format!(
        "kind = \"webhook\"\nurl = \"{url}/sms\"\nsecret_env = \"TORTURE_HOOK_SECRET\"\ntimeout = \"5s\"\nconnect_timeout = \"1s\"\nrate_per_second = 0\nmax_tries = 2\n"
    )
}

pub const HOOK_SECRET: (&str, &str) = ("TORTURE_HOOK_SECRET", "hook-torture-s3cret");

pub const HEADER: &str =
    "cart_id,name,phone,total,currency,items_count,updated_at,consent,consent_at,timezone";

/// One CSV row: idle since 09:00Z (three hours before `NOW`), Moscow time, consent given.
pub fn cart_row(id: &str, phone: &str, total: u64, consent: bool) -> String {
    format!(
        "{id},Anna,{phone},{total},RUB,2,2026-11-22T09:00:00Z,{},2026-01-10T08:00:00Z,Europe/Moscow",
        if consent { 1 } else { 0 }
    )
}

/// A distinct valid Russian mobile number per `n`.
pub fn phone(n: u64) -> String {
    format!("+7912{:07}", n % 10_000_000)
}

pub fn carts_csv(rows: &[String]) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Figures of the last run, one JSON file per section under target/tmp/torture-figures.
pub fn figures_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("torture-figures")
}

static FIGURES: Mutex<()> = Mutex::new(());

/// Adds `key = value` to the section's figures (a JSON object).
pub fn figure(section: &str, key: &str, value: serde_json::Value) {
    let _guard = FIGURES.lock().unwrap_or_else(|e| e.into_inner());
    let dir = figures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{section}.json"));
    let mut map: BTreeMap<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    map.insert(key.to_string(), value);
    std::fs::write(&path, serde_json::to_string_pretty(&map).unwrap()).unwrap();
}

/// Whether this process may mount, switch users and unshare (CI runs as root).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs a helper command (mount, umount, unshare …) and says whether it worked.
pub fn sh(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
