//! The HTTP API: routing, the per-request context, the error envelope and the middleware
//! that every response passes through. Handlers live in one file per resource and stay thin:
//! parse, ask [`crate::policy`], call the store, reply.
//!
//! The middleware gives every response (errors and 404s included) `Cache-Control: no-store`,
//! `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff` and an `X-Request-Id`,
//! and logs one line per request whose path has its tokens replaced by fingerprints (the
//! query string is never logged).

mod claims;
mod ctx;
mod error;
mod links;
mod ops;
mod shares;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post, put};
use ipnet::IpNet;
use share_proto::relay::Event;

pub use ctx::Ctx;
pub use error::ApiError;

use crate::audit::AuditLog;
use crate::blob::BlobStore;
use crate::metrics::Metrics;
use crate::policy::Limits;
use crate::ratelimit::Limiter;
use crate::store::Store;

/// What every handler shares.
pub struct AppState {
    /// Metadata.
    pub store: Arc<dyn Store>,
    /// Ciphertext.
    pub blobs: Arc<dyn BlobStore>,
    /// The NDJSON stream.
    pub audit: Arc<AuditLog>,
    /// Per-address limiter for link views and claims.
    pub limiter: Limiter,
    /// Ceilings.
    pub limits: Limits,
    /// Origin written into links, without a trailing `/`.
    pub public_url: String,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Shares without an API key.
    pub allow_anonymous: bool,
    /// Ticket lifetime.
    pub ticket_window: Duration,
    /// Upload idle timeout.
    pub upload_idle_timeout: Duration,
    /// Counters.
    pub metrics: Metrics,
    /// Shares with an upload in progress (one at a time per share).
    pub uploading: Mutex<HashSet<String>>,
    /// Shares revoked while this instance runs, so streams in flight stop at once.
    pub revoked: RwLock<HashSet<String>>,
}

impl AppState {
    /// Records an event that changes no state: `events` row, then NDJSON line.
    pub async fn record(&self, event: &Event) {
        if let Err(e) = self.store.record(event).await {
            tracing::error!("cannot record an audit event: {e:#}");
        }
        self.audit.emit(event);
    }

    /// Whether a share was revoked since start-up.
    pub fn is_revoked(&self, id: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }

    /// Deletes a share's content if it has ended and no live ticket needs it.
    pub async fn release_content(&self, id: &str, ctx: Option<&Ctx>) {
        let mut event = match ctx {
            Some(c) => c.event(
                share_proto::relay::EventKind::ContentDeleted,
                share_proto::relay::Outcome::Ok,
            ),
            None => crate::audit::event(
                share_proto::relay::EventKind::ContentDeleted,
                share_proto::relay::Outcome::Ok,
            ),
        };
        event.share = Some(id.to_owned());
        match self
            .store
            .release_content(id, crate::clock::now_ms(), &event)
            .await
        {
            Ok(true) => {
                self.audit.emit(&event);
                if let Err(e) = self.blobs.delete(id).await {
                    tracing::error!(share = id, "cannot delete content: {e:#}");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(share = id, "cannot release content: {e:#}"),
        }
    }
}

/// The API router, `/metrics` included when `with_metrics`.
pub fn router(state: Arc<AppState>, with_metrics: bool) -> Router {
    let mut r = Router::new()
        .route("/api/v1/info", get(ops::info))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/api/v1/shares", post(shares::create))
        .route(
            "/api/v1/shares/{id}",
            get(shares::status).delete(shares::revoke),
        )
        .route(
            "/api/v1/shares/{id}/content",
            put(shares::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/s/{token}", get(links::view).options(links::options))
        .route("/api/v1/claims", post(claims::claim))
        .route("/api/v1/claims/{ticket}/content", get(claims::content))
        .route("/api/v1/claims/{ticket}/complete", post(claims::complete));
    if with_metrics {
        r = r.route("/metrics", get(ops::metrics));
    }
    r.fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware,
        ))
        .with_state(state)
}

/// The router of a separate `--metrics-listen` address.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware,
        ))
        .with_state(state)
}

/// Request id for handlers (inserted by the middleware).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

async fn middleware(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = crate::auth::new_request_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    Metrics::inc(&state.metrics.http_requests);
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    res
}

/// A path with its credentials replaced by `~<fingerprint>`: the segment after `/s/` and
/// after `/api/v1/claims/`, and any other segment shaped like a token or an API key.
pub fn redact_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let secret_position = (i == 2 && segments.get(1) == Some(&"s"))
            || (i == 4 && segments[..4] == ["", "api", "v1", "claims"]);
        let looks_secret = crate::auth::is_token_shaped(seg)
            || seg.starts_with(share_proto::relay::API_KEY_PREFIX)
            || seg.len() > 40;
        if !seg.is_empty() && (secret_position || looks_secret) {
            out.push(format!("~{}", crate::auth::fingerprint(seg)));
        } else {
            out.push((*seg).to_owned());
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn redacts() {
        let t = "A".repeat(43);
        let fp = crate::auth::fingerprint(&t);
        assert_eq!(redact_path(&format!("/s/{t}")), format!("/s/~{fp}"));
        assert_eq!(
            redact_path("/s/short"),
            format!("/s/~{}", crate::auth::fingerprint("short"))
        );
        assert_eq!(
            redact_path(&format!("/api/v1/claims/{t}/content")),
            format!("/api/v1/claims/~{fp}/content")
        );
        assert_eq!(
            redact_path("/api/v1/shares/abc/content"),
            "/api/v1/shares/abc/content"
        );
        assert_eq!(redact_path("/api/v1/claims"), "/api/v1/claims");
    }
}
