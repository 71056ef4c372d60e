//! A fault-injecting HTTP proxy for the AWS emulator. moto answers every
//! call correctly; real AWS throttles, fails with 5xx, lets page tokens
//! expire and denies calls. The proxy sits between sgpair and moto on
//! loopback: every request is named by its operation (`logs:FilterLogEvents`,
//! `ec2:DescribeVpcs`, `s3:GetObject`, ...) and handed to the test's rule,
//! which forwards it (optionally with a rewritten body) or answers with the
//! error the real service would send, in that service's own wire format. The
//! real SDK clients inside sgpair parse and retry those answers.
//!
//! One request per connection (`Connection: close` both ways) keeps the
//! framing trivial; the SDK opens a new connection per request then.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `service:Operation`, e.g. `logs:FilterLogEvents`.
    pub op: String,
    /// The request carries a page token (nextToken, NextToken, continuation-token).
    pub has_token: bool,
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What to do with a request.
pub enum Action {
    Forward,
    /// Forward with this body instead (Content-Length follows).
    ForwardBody(Vec<u8>),
    /// Forward to this path and query instead (e.g. with S3's `max-keys`
    /// added, for small pages); moto does not check signatures.
    ForwardTarget(String),
    /// Forward, but send only the first half of the answer's body and close
    /// the connection: a download that breaks off.
    ForwardCut,
    /// Forward, but send the answer's body in four pieces with this long
    /// between them: a slow download that keeps sending.
    ForwardSlow(std::time::Duration),
    /// Forward half the answer's body, then send nothing for this long and
    /// close: a download that gets stuck.
    ForwardStuck(std::time::Duration),
    /// Take the request and answer nothing for this long, then close: a
    /// stalled connection.
    Stall(std::time::Duration),
    Reply(Reply),
}

/// A canned answer in the service's wire format.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    extra: Vec<(String, String)>,
    body: String,
}

impl Reply {
    /// An awsJson 1.1 error (CloudWatch Logs, CloudTrail, AWS Config).
    pub fn json(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            content_type: "application/x-amz-json-1.1",
            extra: vec![("x-amzn-ErrorType".into(), code.into())],
            body: format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        }
    }

    /// A successful awsJson 1.1 answer with this body (an API moto lacks).
    pub fn json_ok(body: &str) -> Reply {
        Reply {
            status: 200,
            content_type: "application/x-amz-json-1.1",
            extra: vec![],
            body: body.to_string(),
        }
    }

    /// EC2 (query protocol) error.
    pub fn ec2(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/xml;charset=UTF-8",
            extra: vec![],
            body: format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"#
            ),
        }
    }

    /// STS (query protocol) error, as AssumeRole answers a refused role.
    pub fn sts(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/xml",
            extra: vec![],
            body: format!(
                r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"#
            ),
        }
    }

    /// S3 (REST-XML) error.
    pub fn s3(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            content_type: "application/xml",
            extra: vec![],
            body: format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"#
            ),
        }
    }
}

/// The rule: sees each request and how many requests of its operation came
/// before it plus one (`nth`, from 1), and decides.
pub type Rule = Box<dyn FnMut(&Request, usize) -> Action + Send>;

/// What the proxy did with one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub request: Request,
    /// The status of an injected answer; `None` when forwarded.
    pub injected: Option<u16>,
}

struct State {
    rule: Rule,
    counts: HashMap<String, usize>,
    seen: Vec<Seen>,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`
    /// (`http://127.0.0.1:PORT`) under `rule`.
    pub fn start(upstream: &str, rule: Rule) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the proxy binds a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .to_string();
        let state = Arc::new(Mutex::new(State {
            rule,
            counts: HashMap::new(),
            seen: Vec::new(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (state, upstream) = (shared.clone(), upstream.clone());
                std::thread::spawn(move || {
                    if let Err(e) = serve(conn, &upstream, &state) {
                        eprintln!("fault proxy: {e}");
                    }
                });
            }
        });
        FaultProxy { endpoint, state }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Requests of `op` that reached the proxy (forwarded or answered).
    pub fn count(&self, op: &str) -> usize {
        self.seen().iter().filter(|s| s.request.op == op).count()
    }

    /// Requests of `op` that got an injected answer.
    pub fn injected(&self, op: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.request.op == op && s.injected.is_some())
            .count()
    }
}

fn serve(conn: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let Some((request_line, headers)) = read_head(&mut reader)? else {
        return Ok(()); // connection opened and closed without a request
    };
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert!(
        header("transfer-encoding").is_none(),
        "fault proxy: chunked request bodies are not supported ({request_line})"
    );
    let len: usize = header("content-length").map_or(0, |v| v.trim().parse().unwrap_or(0));
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let (op, has_token) = classify(
        &method,
        &target,
        header("x-amz-target"),
        header("authorization"),
        &body,
    );
    let request = Request {
        op,
        has_token,
        method,
        target,
        headers,
        body,
    };

    let action = {
        let mut st = state.lock().unwrap();
        let nth = {
            let n = st.counts.entry(request.op.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let action = (st.rule)(&request, nth);
        let injected = match &action {
            Action::Reply(r) => Some(r.status),
            _ => None,
        };
        st.seen.push(Seen {
            request: request.clone(),
            injected,
        });
        action
    };

    let mut conn = conn;
    match action {
        Action::Reply(r) => {
            let mut head = format!(
                "HTTP/1.1 {} Injected\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                r.content_type,
                r.body.len()
            );
            for (k, v) in &r.extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            conn.write_all(head.as_bytes())?;
            conn.write_all(r.body.as_bytes())?;
        }
        Action::Forward => forward(&mut conn, upstream, &request, &request.body, Body::Whole)?,
        Action::ForwardBody(b) => forward(&mut conn, upstream, &request, &b, Body::Whole)?,
        Action::ForwardTarget(target) => {
            let moved = Request {
                target,
                ..request.clone()
            };
            forward(&mut conn, upstream, &moved, &request.body, Body::Whole)?
        }
        Action::ForwardCut => forward(&mut conn, upstream, &request, &request.body, Body::Half)?,
        Action::ForwardSlow(d) => {
            forward(&mut conn, upstream, &request, &request.body, Body::Slow(d))?
        }
        Action::ForwardStuck(d) => {
            forward(&mut conn, upstream, &request, &request.body, Body::Stuck(d))?
        }
        Action::Stall(d) => std::thread::sleep(d),
    }
    conn.flush()
}

/// A request line and its headers.
type Head = (String, Vec<(String, String)>);

/// Reads a request line and headers; `None` at a clean end of stream.
fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut first = String::new();
    if reader.read_line(&mut first)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some((first.trim_end().to_string(), headers)))
}

/// Sends the request to the emulator and copies its whole answer back, with
/// How much of the answer's body to pass on, and when.
enum Body {
    Whole,
    Half,
    Slow(std::time::Duration),
    Stuck(std::time::Duration),
}

/// `Connection: close` so the client does not reuse the connection.
fn forward(
    conn: &mut TcpStream,
    upstream: &str,
    request: &Request,
    body: &[u8],
    how: Body,
) -> std::io::Result<()> {
    let mut up = TcpStream::connect(upstream)?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (k, v) in &request.headers {
        if k.eq_ignore_ascii_case("connection") || k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    up.write_all(head.as_bytes())?;
    up.write_all(body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the emulator answers with a complete HTTP head");
    let head = String::from_utf8_lossy(&answer[..split]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line
            .split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    conn.write_all(out.as_bytes())?;
    let body = &answer[split + 4..];
    match how {
        Body::Whole => conn.write_all(body),
        Body::Half => conn.write_all(&body[..body.len() / 2]),
        Body::Slow(gap) => {
            for piece in body.chunks(body.len().div_ceil(4).max(1)) {
                conn.flush()?;
                std::thread::sleep(gap);
                conn.write_all(piece)?;
            }
            Ok(())
        }
        Body::Stuck(d) => {
            conn.write_all(&body[..body.len() / 2])?;
            conn.flush()?;
            std::thread::sleep(d);
            Ok(())
        }
    }
}

/// Names the operation: CloudWatch Logs, CloudTrail, AWS Config, Athena
/// and Service Quotas by `X-Amz-Target`, EC2 by the query `Action`, S3 by method and query.
fn classify(
    method: &str,
    target: &str,
    amz_target: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> (String, bool) {
    let text = String::from_utf8_lossy(body);
    if let Some(t) = amz_target {
        let op = t.rsplit('.').next().unwrap_or(t);
        // `CloudTrail_20131101.LookupEvents`, AWS Config's
        // `StarlingDoveService.GetResourceConfigHistory`; CloudWatch Logs
        // is `Logs_20140328.*`.
        let service = if t.starts_with("CloudTrail_") || t.contains(".CloudTrail_") {
            "cloudtrail"
        } else if t.starts_with("StarlingDoveService.") {
            "config"
        } else if t.starts_with("AmazonAthena.") {
            "athena"
        } else if t.starts_with("ServiceQuotasV") {
            "servicequotas"
        } else {
            "logs"
        };
        return (
            format!("{service}:{op}"),
            text.contains("\"nextToken\"") || text.contains("\"NextToken\""),
        );
    }
    if let Some(action) = text.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        // Query protocol: EC2, or STS (its signing scope says which).
        let service = if authorization.is_some_and(|a| a.contains("/sts/aws4_request")) {
            "sts"
        } else {
            "ec2"
        };
        return (format!("{service}:{action}"), text.contains("NextToken="));
    }
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let op = match method {
        "GET" if query.split('&').any(|kv| kv == "list-type=2") => "ListObjectsV2",
        "GET" if target.trim_start_matches('/').contains('/') => "GetObject",
        "GET" => "ListBuckets",
        "HEAD" => "HeadObject",
        _ => "Other",
    };
    (format!("s3:{op}"), query.contains("continuation-token="))
}

/// A JSON request body with `"limit": n` added, to make the emulator return
/// small pages (CloudWatch Logs `limit`).
pub fn with_limit(body: &[u8], n: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let rest = text
        .trim_start()
        .strip_prefix('{')
        .expect("a JSON object body");
    let sep = if rest.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    format!("{{\"limit\":{n}{sep}{rest}").into_bytes()
}

/// A number field of a JSON request body (`"startTime": 123`).
pub fn json_number(body: &str, field: &str) -> Option<i64> {
    let at = body.find(&format!("\"{field}\""))?;
    let rest = body[at + field.len() + 2..]
        .trim_start()
        .strip_prefix(':')?;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}
