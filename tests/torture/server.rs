//! A loopback HTTP/1.1 provider (after tests/integration/loopback.rs) that records every request
//! with its arrival time and answers each with an `Act` chosen by a closure, which may block (the
//! overlap test holds the first request at a gate). It misbehaves on demand: answers late, cuts
//! the body short, hangs up or resets the connection after reading the whole request.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn form(&self) -> BTreeMap<String, String> {
        decode_pairs(&self.body_text())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    /// The recipient's digits, wherever this provider puts them (form `To`/`to`/`phones`, JSON
    /// `to` or `recipients[0]`).
    pub fn phone_digits(&self) -> String {
        let form = self.form();
        let json = self.json();
        let raw = ["To", "to", "phones"]
            .iter()
            .find_map(|k| form.get(*k).cloned())
            .or_else(|| json.get("to").and_then(|v| v.as_str()).map(str::to_string))
            .or_else(|| {
                json.get("recipients")
                    .and_then(|r| r.get(0))
                    .map(|v| v.to_string().trim_matches('"').to_string())
            })
            .unwrap_or_default();
        raw.chars().filter(char::is_ascii_digit).collect()
    }
    /// The cart id, for gateways that send it (webhook `cart_id`, MessageBird `reference`).
    pub fn cart_id(&self) -> Option<String> {
        let json = self.json();
        json.get("cart_id")
            .or_else(|| json.get("reference"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }
}

#[derive(Debug, Clone)]
pub enum Act {
    /// Status, extra headers, body.
    Reply(u16, Vec<(String, String)>, String),
    /// Wait, then do the act.
    After(Duration, Box<Act>),
    /// Status line and headers promising the whole body, half of it, then close.
    Cut(u16, String),
    /// Read the request, close without a word (FIN).
    Hangup,
    /// Read the request, then reset the connection (RST: closed with unread bytes).
    Reset,
}

pub fn json(status: u16, body: &str) -> Act {
    Act::Reply(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.into(),
    )
}

pub fn html(status: u16, body: &str) -> Act {
    Act::Reply(
        status,
        vec![("Content-Type".into(), "text/html".into())],
        body.into(),
    )
}

pub fn with_header(act: Act, name: &str, value: &str) -> Act {
    match act {
        Act::Reply(s, mut h, b) => {
            h.push((name.into(), value.into()));
            Act::Reply(s, h, b)
        }
        Act::After(d, inner) => Act::After(d, Box::new(with_header(*inner, name, value))),
        other => other,
    }
}

type Answer = dyn Fn(&Request, usize) -> Act + Send + Sync;

pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    /// Answers each request with `answer(request, how many came before it)`.
    pub fn respond(answer: impl Fn(&Request, usize) -> Act + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, stopped) = (requests.clone(), stop.clone());
        let answer: Arc<Answer> = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let (reqs, answer) = (reqs.clone(), answer.clone());
                std::thread::spawn(move || serve(stream, &*answer, reqs));
            }
        });
        Server {
            url: format!("http://{addr}"),
            requests,
            stop,
            addr,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(mut stream: TcpStream, answer: &Answer, reqs: Arc<Mutex<Vec<Request>>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    // Peek first: a `Reset` must leave the request unread so that closing sends RST.
    let Some((req, len)) = peek_request(&stream) else {
        return;
    };
    let n = {
        let mut all = reqs.lock().unwrap();
        all.push(req.clone());
        all.len() - 1
    };
    let mut act = answer(&req, n);
    loop {
        match act {
            Act::After(wait, inner) => {
                std::thread::sleep(wait);
                act = *inner;
            }
            Act::Reset => return, // dropped with the request still unread: RST
            other => {
                act = other;
                break;
            }
        }
    }
    let mut sink = vec![0u8; len];
    if stream.read_exact(&mut sink).is_err() {
        return;
    }
    let reply = |status: u16, headers: &[(String, String)], body: &str| {
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            reason(status),
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        head
    };
    match act {
        Act::Reply(status, headers, body) => {
            let _ = stream.write_all(reply(status, &headers, &body).as_bytes());
        }
        Act::Cut(status, body) => {
            let full = reply(status, &[], &body);
            let _ = stream.write_all(&full.as_bytes()[..full.len() - body.len().div_ceil(2)]);
            let _ = stream.flush();
        }
        Act::Hangup | Act::Reset | Act::After(..) => {}
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The whole request, read with `peek` (nothing consumed), and its length in bytes.
fn peek_request(stream: &TcpStream) -> Option<(Request, usize)> {
    let started = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = stream.peek(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(parsed) = parse(&buf[..n]) {
            return Some(parsed);
        }
        if started.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn parse(buf: &[u8]) -> Option<(Request, usize)> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if buf.len() < head_end + len {
        return None;
    }
    Some((
        Request {
            method,
            target,
            headers,
            body: buf[head_end..head_end + len].to_vec(),
            at: Instant::now(),
        },
        head_end + len,
    ))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

pub fn decode_pairs(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
