//! A tiny HTTP/1.1 server on 127.0.0.1 that plays a provider: each connection gets the next scripted
//! `Act` (the last one repeats), and every request is recorded so tests can assert method, path,
//! headers and every field. It can also misbehave: sleep past the client's timeout, cut the
//! connection mid-answer, or answer HTML.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The form body, decoded.
    pub fn form(&self) -> BTreeMap<String, String> {
        decode_pairs(&self.body_text())
    }
    pub fn query(&self) -> BTreeMap<String, String> {
        decode_pairs(self.target.split_once('?').map(|(_, q)| q).unwrap_or(""))
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", self.body_text()))
    }
}

#[derive(Debug, Clone)]
pub enum Act {
    /// Status, extra headers, body.
    Reply(u16, Vec<(String, String)>, String),
    /// Sleep, then reply.
    Slow(Duration, u16, String),
    /// Send the status line, headers promising a longer body, part of it, then close.
    Cut(u16, String),
    /// Read the request and close without a word.
    Hangup,
}

pub fn json(status: u16, body: &str) -> Act {
    Act::Reply(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.into(),
    )
}

pub fn with_header(act: Act, name: &str, value: &str) -> Act {
    match act {
        Act::Reply(s, mut h, b) => {
            h.push((name.into(), value.into()));
            Act::Reply(s, h, b)
        }
        other => other,
    }
}

pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    /// Each connection gets the next act of the script; the last one repeats.
    pub fn start(script: Vec<Act>) -> Server {
        assert!(!script.is_empty(), "a script needs at least one act");
        Server::respond(move |_, n| script[n.min(script.len() - 1)].clone())
    }

    /// Answers each request with `answer(request, how many came before it)`.
    pub fn respond(answer: impl Fn(&Request, usize) -> Act + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, stopped) = (requests.clone(), stop.clone());
        let answer = Arc::new(answer);
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

    /// The only request, asserting there was exactly one.
    pub fn one(&self) -> Request {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    mut stream: TcpStream,
    answer: &(dyn Fn(&Request, usize) -> Act + Send + Sync),
    reqs: Arc<Mutex<Vec<Request>>>,
) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let act = {
        let mut all = reqs.lock().unwrap();
        let n = all.len();
        all.push(req.clone());
        answer(&req, n)
    };
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
    let out = match act {
        Act::Reply(status, headers, body) => reply(status, &headers, &body),
        Act::Slow(wait, status, body) => {
            std::thread::sleep(wait);
            reply(status, &[], &body)
        }
        Act::Cut(status, body) => {
            let full = reply(status, &[], &body);
            let _ = stream.write_all(&full.as_bytes()[..full.len() - body.len() / 2]);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        Act::Hangup => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
    };
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
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
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn decode_pairs(s: &str) -> BTreeMap<String, String> {
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
