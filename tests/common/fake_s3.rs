//! A small S3 endpoint over HTTP, for S3 behaviour the emulator cannot show: a bucket in
//! another region (S3 answers a request signed for the wrong region with `301
//! PermanentRedirect` and the bucket's region in `x-amz-bucket-region`), throttling (`503
//! SlowDown`, which the SDK retries), objects that cannot be read (`403 AccessDenied`) and
//! downloads cut short.
//!
//! It serves one bucket, path-style (what the SDK uses with an endpoint URL): ListObjectsV2
//! with prefix and delimiter in pages of four entries (so continuation tokens are followed),
//! GetObject and GetBucketLocation. Every request is logged with the
//! region its signature was made for. One connection per request (`Connection: close`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A failure served instead of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `503 SlowDown`: throttling, transient.
    SlowDown,
    /// `403 AccessDenied`: permanent.
    AccessDenied,
    /// `200 OK` with the object's length, but the connection closes half-way through the body
    /// (after a line break).
    CutShort,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub(crate) struct Logged {
    pub operation: &'static str,
    /// The object key (GetObject) or the listing prefix.
    pub key: String,
    /// ListObjectsV2: the request carried a continuation token (a page after the first).
    pub continued: bool,
    /// The region of the request's SigV4 credential scope.
    pub region: String,
    pub status: u16,
}

struct State {
    bucket: String,
    region: String,
    /// Whether wrong-region answers carry `x-amz-bucket-region` (S3 does; some proxies drop it).
    region_header: bool,
    objects: BTreeMap<String, Vec<u8>>,
    faults: HashMap<String, VecDeque<Fault>>,
    log: Vec<Logged>,
}

pub(crate) struct FakeS3 {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeS3 {
    /// Serves `bucket`, which lives in `region`, on a free local port until the process ends.
    pub(crate) fn start(bucket: &str, region: &str, region_header: bool) -> FakeS3 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            bucket: bucket.to_string(),
            region: region.to_string(),
            region_header,
            objects: BTreeMap::new(),
            faults: HashMap::new(),
            log: Vec::new(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeS3 { endpoint, state }
    }

    pub(crate) fn put(&self, key: &str, body: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .objects
            .insert(key.to_string(), body);
    }

    /// The next requests for `key` fail with these faults, one each, in order.
    pub(crate) fn fail(&self, key: &str, faults: &[Fault]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(key.to_string())
            .or_default()
            .extend(faults.iter().copied());
    }

    pub(crate) fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (
        request.next().unwrap_or_default(),
        request.next().unwrap_or_default(),
    );
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // `Credential=AKID/20240514/eu-west-3/s3/aws4_request`
    let region = headers
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .unwrap_or_default()
        .to_string();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let path = decode(path.trim_start_matches('/'));
    let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));

    let mut st = state.lock().unwrap();
    let operation = match (method, key.is_empty()) {
        ("GET", true) if params.contains_key("location") => "GetBucketLocation",
        ("GET", true) if params.get("list-type").map(String::as_str) == Some("2") => {
            "ListObjectsV2"
        }
        ("GET", false) => "GetObject",
        _ => "Unsupported",
    };
    let logged_key = if operation == "GetObject" {
        key.to_string()
    } else {
        params.get("prefix").cloned().unwrap_or_default()
    };
    let mut cut_short = false;
    let (status, extra, body): (u16, Vec<(&str, String)>, Vec<u8>) = if bucket != st.bucket {
        error(404, "NoSuchBucket", "no such bucket")
    } else if operation == "GetBucketLocation" {
        // Answered whatever the signing region, as S3 does.
        (
            200,
            vec![],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint \
                 xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{}</LocationConstraint>",
                st.region
            )
            .into_bytes(),
        )
    } else if region != st.region {
        let (s, mut h, b) = error(
            301,
            "PermanentRedirect",
            "the bucket must be addressed at its own region's endpoint",
        );
        if st.region_header {
            h.push(("x-amz-bucket-region", st.region.clone()));
        }
        (s, h, b)
    } else if let Some(fault) = st.faults.get_mut(key).and_then(VecDeque::pop_front) {
        match fault {
            Fault::SlowDown => error(503, "SlowDown", "please reduce your request rate"),
            Fault::AccessDenied => error(403, "AccessDenied", "access denied"),
            Fault::CutShort => {
                cut_short = true;
                let data = st.objects.get(key).cloned().unwrap_or_default();
                (
                    200,
                    vec![("content-type", "application/octet-stream".into())],
                    data,
                )
            }
        }
    } else {
        match operation {
            "ListObjectsV2" => (200, vec![], list(&st, &params)),
            "GetObject" => match st.objects.get(key) {
                Some(data) => (
                    200,
                    vec![
                        ("content-type", "application/octet-stream".to_string()),
                        ("etag", format!("\"{:x}\"", data.len())),
                    ],
                    data.clone(),
                ),
                None => error(404, "NoSuchKey", "no such key"),
            },
            _ => error(400, "NotImplemented", "not supported by this fake"),
        }
    };
    st.log.push(Logged {
        operation,
        key: logged_key,
        continued: params.contains_key("continuation-token"),
        region,
        status,
    });
    drop(st);

    let mut response = format!(
        "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\nconnection: close\r\n\
         x-amz-request-id: fake\r\n",
        reason(status),
        body.len()
    );
    if !extra.iter().any(|(k, _)| *k == "content-type") {
        response.push_str("content-type: application/xml\r\n");
    }
    for (k, v) in extra {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    let _ = stream.write_all(response.as_bytes());
    if cut_short {
        // At a line break: what was sent is whole lines, so only the failed download itself
        // can tell the reader that the file is incomplete.
        let half = &body[..body.len() / 2];
        let cut = half
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(half.len(), |i| i + 1);
        let _ = stream.write_all(&body[..cut]);
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return;
    }
    if method != "HEAD" {
        let _ = stream.write_all(&body);
    }
    let _ = stream.flush();
}

fn error(status: u16, code: &str, message: &str) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
    (
        status,
        vec![],
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>fake</RequestId></Error>"
        )
        .into_bytes(),
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        503 => "Slow Down",
        _ => "Error",
    }
}

/// Entries per page of ListObjectsV2. S3 returns at most `max-keys` (1,000 by default) and may
/// return fewer; the fake pages this small so that clients must follow continuation tokens.
const PAGE: usize = 4;

/// One page of ListObjectsV2: objects and folders (common prefixes) in key order, after the
/// continuation token (the last entry of the previous page).
fn list(st: &State, params: &HashMap<String, String>) -> Vec<u8> {
    let prefix = params.get("prefix").cloned().unwrap_or_default();
    let delimiter = params.get("delimiter").cloned().unwrap_or_default();
    let after = params.get("continuation-token").cloned();
    let max = params
        .get("max-keys")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(1000)
        .min(PAGE);
    // (name, Some(size) for an object, None for a folder)
    let mut entries: Vec<(String, Option<usize>)> = Vec::new();
    for (key, data) in st.objects.range(prefix.clone()..) {
        if !key.starts_with(&prefix) {
            break;
        }
        let rest = &key[prefix.len()..];
        match rest
            .find(delimiter.as_str())
            .filter(|_| !delimiter.is_empty())
        {
            Some(at) => {
                let folder = format!("{prefix}{}", &rest[..at + delimiter.len()]);
                if entries.last().map(|(n, _)| n) != Some(&folder) {
                    entries.push((folder, None));
                }
            }
            None => entries.push((key.clone(), Some(data.len()))),
        }
    }
    let rest: Vec<&(String, Option<usize>)> = entries
        .iter()
        .filter(|(n, _)| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let page = &rest[..rest.len().min(max)];
    let truncated = rest.len() > page.len();
    let mut body = String::new();
    for (name, size) in page {
        match size {
            Some(size) => body.push_str(&format!(
                "<Contents><Key>{}</Key><Size>{size}</Size>\
                 <StorageClass>STANDARD</StorageClass></Contents>",
                escape(name)
            )),
            None => body.push_str(&format!(
                "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                escape(name)
            )),
        }
    }
    let next = match page.last() {
        Some((name, _)) if truncated => format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape(name)
        ),
        _ => String::new(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult \
         xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix>\
         <Delimiter>{}</Delimiter><MaxKeys>{max}</MaxKeys><KeyCount>{}</KeyCount>\
         <IsTruncated>{truncated}</IsTruncated>{next}{body}</ListBucketResult>",
        escape(&st.bucket),
        escape(&prefix),
        escape(&delimiter),
        page.len()
    )
    .into_bytes()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn decode(s: &str) -> String {
    urlencoding::decode(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}
