//! An in-process stand-in for tfLink, following its documented API: `POST /api/upload`
//! (multipart field `file`, optional `X-User-Id`/`X-Auth-Token`), a JSON reply whose
//! `downloadLink` is on a separate download host (here a second port), a 100 MB limit
//! answered with 413, and plain GET downloads. It records every request so tests can check
//! what the host saw, and it can be told to misbehave.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};

/// tfLink's per-file limit.
pub const LIMIT: u64 = 100_000_000;

/// What one upload delivered.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub headers: HeaderMap,
}

/// How the upload endpoint misbehaves.
#[derive(Debug, Clone, Default)]
pub enum UploadFault {
    #[default]
    None,
    /// An HTML page with status 200.
    HtmlOk,
    /// This status with an error body.
    Status(u16),
    /// The first `times` uploads get `status` (with `Retry-After: retry_after` if given).
    FailTimes {
        times: usize,
        status: u16,
        retry_after: Option<u64>,
    },
    /// A well-formed reply whose `downloadLink` is this text.
    ReplyLink(String),
    /// The first `served` uploads are stored; every later one gets `status`.
    FailAfter { served: usize, status: u16 },
}

/// How the download host misbehaves.
#[derive(Debug, Clone, Default)]
pub enum DownloadFault {
    #[default]
    None,
    /// An HTML page with status 200.
    HtmlOk,
    /// The stored bytes with one bit flipped at this offset from the end.
    FlipFromEnd(usize),
    /// Only this many leading bytes, with a matching Content-Length.
    Truncate(usize),
    /// This status.
    Status(u16),
    /// The first request gets this many bytes, then the connection drops.
    DropOnce(usize),
    /// Every request after the first `served` hangs for half a minute (then gets 503).
    StallAfter(usize),
    /// The first `times` requests get `status` (with `Retry-After: retry_after` if given).
    FailTimes {
        times: usize,
        status: u16,
        retry_after: Option<u64>,
    },
}

#[derive(Default)]
struct Shared {
    uploads: Vec<Upload>,
    /// Stored files by download path; shared buffers, so serving one copies nothing.
    files: HashMap<String, Bytes>,
    downloads: Vec<String>,
    upload_fault: UploadFault,
    download_fault: DownloadFault,
    limit: u64,
    counter: u64,
    upload_attempts: usize,
    /// Stored paths in the order they were uploaded.
    stored: Vec<String>,
    ignore_ranges: bool,
    range_requests: Vec<String>,
    /// Whether upload bodies are kept in the request log too (not in benchmarks).
    forget_bodies: bool,
    /// Keep only this many of the newest stored files, like a host whose files expire.
    keep_last: Option<usize>,
    /// Buffers of expired files, reused for new uploads: memory a process touches for the
    /// first time costs page faults, which would be counted against the client measured.
    spare: Vec<BytesMut>,
}

#[derive(Clone)]
struct AppState {
    shared: Arc<Mutex<Shared>>,
    download_base: String,
}

pub struct StandIn {
    api: SocketAddr,
    download: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl StandIn {
    pub fn start() -> StandIn {
        StandIn::with_limit(LIMIT)
    }

    /// A stand-in with a smaller per-file limit, to provoke 413 without 100 MB of traffic.
    pub fn with_limit(limit: u64) -> StandIn {
        let api_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let download_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        api_listener.set_nonblocking(true).unwrap();
        download_listener.set_nonblocking(true).unwrap();
        let api = api_listener.local_addr().unwrap();
        let download = download_listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            limit,
            ..Shared::default()
        }));
        let state = AppState {
            shared: Arc::clone(&shared),
            download_base: format!("http://{download}"),
        };
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let api_app = Router::new()
                    .route("/api/upload", post(handle_upload))
                    .layer(DefaultBodyLimit::disable())
                    .with_state(state.clone());
                let download_app = Router::new()
                    .route("/{*path}", get(handle_download))
                    .with_state(state);
                let api_listener = tokio::net::TcpListener::from_std(api_listener).unwrap();
                let download_listener =
                    tokio::net::TcpListener::from_std(download_listener).unwrap();
                let api_server = axum::serve(api_listener, api_app);
                let download_server = axum::serve(download_listener, download_app);
                let _ = tokio::join!(api_server, download_server);
            });
        });
        StandIn {
            api,
            download,
            shared,
        }
    }

    /// Keeps stored files for download but no second copy of each upload in the log, so
    /// long benchmark runs stay within memory.
    pub fn forget_upload_bodies(&self) {
        self.shared.lock().unwrap().forget_bodies = true;
    }

    /// Keeps only the newest `count` stored files, so a benchmark that uploads the same
    /// file again and again measures uploads, not an ever-growing server.
    pub fn keep_last(&self, count: usize) {
        self.shared.lock().unwrap().keep_last = Some(count);
    }

    /// The API base to give `share` as `--server`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.api)
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.lock().unwrap().uploads.clone()
    }

    /// Paths requested from the download host, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.shared.lock().unwrap().downloads.clone()
    }

    pub fn set_upload_fault(&self, fault: UploadFault) {
        self.shared.lock().unwrap().upload_fault = fault;
    }

    pub fn set_download_fault(&self, fault: DownloadFault) {
        self.shared.lock().unwrap().download_fault = fault;
    }

    /// Like a CDN without Range support: always the whole file with status 200.
    pub fn ignore_ranges(&self) {
        self.shared.lock().unwrap().ignore_ranges = true;
    }

    /// The `Range` headers of download requests, in order.
    pub fn range_requests(&self) -> Vec<String> {
        self.shared.lock().unwrap().range_requests.clone()
    }

    /// Flips a bit in the stored copy of the `number`th successful upload (0-based).
    pub fn tamper(&self, number: usize) {
        let mut shared = self.shared.lock().unwrap();
        let path = shared.stored[number].clone();
        let bytes = shared.files.get_mut(&path).unwrap();
        let mut tampered = bytes.to_vec();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x01;
        *bytes = tampered.into();
    }

    /// Deletes the `number`th successful upload, returning its bytes.
    pub fn take_away(&self, number: usize) -> Vec<u8> {
        let mut shared = self.shared.lock().unwrap();
        let path = shared.stored[number].clone();
        shared.files.remove(&path).unwrap().to_vec()
    }

    /// Puts back what [`StandIn::take_away`] removed.
    pub fn put_back(&self, number: usize, bytes: Vec<u8>) {
        let mut shared = self.shared.lock().unwrap();
        let path = shared.stored[number].clone();
        shared.files.insert(path, bytes.into());
    }

    /// The download path of the `number`th successful upload.
    pub fn stored_path(&self, number: usize) -> String {
        self.shared.lock().unwrap().stored[number].clone()
    }

    /// How many upload requests arrived, failed ones included.
    pub fn upload_attempts(&self) -> usize {
        self.shared.lock().unwrap().upload_attempts
    }

    /// Puts bytes on the download host (as if uploaded with curl) and returns their link.
    pub fn host_file(&self, name: &str, bytes: Vec<u8>) -> String {
        let path = format!("public/2026-11-22/hosted/{name}");
        self.shared
            .lock()
            .unwrap()
            .files
            .insert(path.clone(), bytes.into());
        format!("http://{}/{path}", self.download)
    }

    /// A link on the download host that holds nothing.
    pub fn missing_link(&self) -> String {
        format!("http://{}/public/2026-11-22/none/share.age", self.download)
    }
}

async fn handle_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    // Room for the whole file at once (the request is a little larger than the file).
    let capacity = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    let (fault, limit, attempt) = {
        let mut shared = state.shared.lock().unwrap();
        shared.upload_attempts += 1;
        (
            shared.upload_fault.clone(),
            shared.limit,
            shared.upload_attempts,
        )
    };
    let mut received: Option<(Upload, Bytes)> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return error(StatusCode::BAD_REQUEST, "Malformed upload"),
        };
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let room = capacity.min(limit + 1) as usize;
        let mut body = state.shared.lock().unwrap().spare.pop().unwrap_or_default();
        body.clear();
        body.reserve(room);
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() as u64 > limit {
                        return error(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "File too large. Maximum size is 100MB",
                        );
                    }
                }
                Ok(None) => break,
                Err(_) => return error(StatusCode::BAD_REQUEST, "Upload interrupted"),
            }
        }
        let body = body.freeze();
        received = Some((
            Upload {
                file_name,
                content_type,
                body: Vec::new(),
                headers: headers.clone(),
            },
            body,
        ));
    }
    let Some((mut upload, body)) = received else {
        return error(StatusCode::BAD_REQUEST, "No file uploaded");
    };
    let name = upload
        .file_name
        .clone()
        .unwrap_or_else(|| "file".to_owned());
    let area = if upload.headers.contains_key("x-user-id") {
        "user"
    } else {
        "public"
    };
    let mut shared = state.shared.lock().unwrap();
    if !shared.forget_bodies {
        upload.body = body.to_vec();
    }
    shared.uploads.push(upload);
    match fault {
        UploadFault::HtmlOk => return html(),
        UploadFault::Status(code) => {
            return error(StatusCode::from_u16(code).unwrap(), "Upload failed");
        }
        UploadFault::FailTimes {
            times,
            status,
            retry_after,
        } if attempt <= times => return try_again(status, retry_after),
        UploadFault::FailAfter { served, status } if shared.stored.len() >= served => {
            return error(StatusCode::from_u16(status).unwrap(), "Upload failed");
        }
        UploadFault::ReplyLink(link) => {
            let reply = serde_json::json!({
                "fileName": "share.age", "downloadLink": link, "downloadLinkEncoded": link,
                "size": body.len(), "type": "application/octet-stream", "uploadedTo": "public",
            });
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                reply.to_string(),
            )
                .into_response();
        }
        _ => {}
    }
    shared.counter += 1;
    let path = format!(
        "{area}/2026-11-22/{:08x}-0000-4000-8000-{:012x}/{name}",
        shared.counter, shared.counter
    );
    let size = body.len();
    shared.files.insert(path.clone(), body);
    shared.stored.push(path.clone());
    if let Some(keep) = shared.keep_last {
        let Shared {
            stored,
            files,
            spare,
            ..
        } = &mut *shared;
        // Each upload expires at most the one file that fell out of the newest `keep`.
        if let Some(old) = stored.len().checked_sub(keep + 1).map(|at| &stored[at])
            // Unless a download still holds it, the buffer is kept for the next upload.
            && let Some(Ok(buffer)) = files.remove(old).map(Bytes::try_into_mut)
            && spare.len() < 2
        {
            spare.push(buffer);
        }
    }
    let link = format!("{}/{path}", state.download_base);
    let reply = serde_json::json!({
        "fileName": name,
        "downloadLink": link,
        "downloadLinkEncoded": link.replace(' ', "%20"),
        "size": size,
        "type": "application/octet-stream",
        "uploadedTo": area,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        reply.to_string(),
    )
        .into_response()
}

async fn handle_download(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let stalled = {
        let mut shared = state.shared.lock().unwrap();
        let stall = matches!(shared.download_fault,
            DownloadFault::StallAfter(served) if shared.downloads.len() >= served);
        if stall {
            shared.downloads.push(path.clone());
        }
        stall
    };
    if stalled {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        return error(StatusCode::SERVICE_UNAVAILABLE, "Error");
    }
    let mut shared = state.shared.lock().unwrap();
    shared.downloads.push(path.clone());
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(range) = &range {
        shared.range_requests.push(range.clone());
    }
    let fault = shared.download_fault.clone();
    if let DownloadFault::Status(code) = fault {
        return error(StatusCode::from_u16(code).unwrap(), "Error");
    }
    if let DownloadFault::FailTimes {
        times,
        status,
        retry_after,
    } = fault
        && shared.downloads.len() <= times
    {
        return try_again(status, retry_after);
    }
    if let DownloadFault::HtmlOk = fault {
        return html();
    }
    let Some(mut bytes) = shared.files.get(&path).cloned() else {
        return error(StatusCode::NOT_FOUND, "File not found");
    };
    match fault {
        DownloadFault::FlipFromEnd(offset) => {
            let mut flipped = bytes.to_vec();
            let at = flipped.len() - 1 - offset;
            flipped[at] ^= 0x01;
            bytes = flipped.into();
        }
        DownloadFault::Truncate(keep) => bytes.truncate(keep),
        DownloadFault::DropOnce(keep) => {
            shared.download_fault = DownloadFault::None;
            return dropped_after(bytes, keep);
        }
        _ => {}
    }
    let total = bytes.len();
    let start = range.filter(|_| !shared.ignore_ranges).and_then(|r| {
        r.strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse::<usize>()
            .ok()
    });
    match start {
        Some(start) if start < total => (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{}/{total}", total - 1),
                ),
            ],
            Body::from(bytes.slice(start..)),
        )
            .into_response(),
        _ => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            Body::from(bytes),
        )
            .into_response(),
    }
}

/// The whole length announced, `keep` bytes sent, then the connection is cut.
fn dropped_after(bytes: Bytes, keep: usize) -> Response {
    let total = bytes.len();
    let head = bytes.slice(..keep);
    // The bytes go out first; the cut comes a moment later, as on a real network.
    let body = futures_util::stream::unfold(Some(head), |state| async move {
        match state {
            Some(head) => Some((Ok(head), None)),
            None => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "dropped",
                    )),
                    None,
                ))
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, total.into());
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

/// A failure the client may retry, with `Retry-After` if given.
fn try_again(status: u16, retry_after: Option<u64>) -> Response {
    let mut response = error(StatusCode::from_u16(status).unwrap(), "Try again");
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
    }
    response
}

fn html() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html><head><title>tfLink</title></head><body>Welcome</body></html>",
    )
        .into_response()
}
