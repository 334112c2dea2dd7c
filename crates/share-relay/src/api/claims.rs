//! `/api/v1/claims`: the only request that consumes a download, and the ticket's content
//! and completion.
//!
//! A claim is a JSON POST (`Content-Type: application/json` required, so a form or a
//! prefetch cannot make one) carrying the link token in its body; it consumes one download
//! in the store's single atomic statement before a byte is served, and returns a ticket.
//! The ticket fetches the content (`Range` honoured) any number of times until it expires
//! or is completed, unless the share is revoked, which stops it at once, mid-stream
//! included. Each fetch is audited as `content.served` with the bytes sent and whether the
//! response reached the end of the content.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use share_proto::relay::{Claim, ClaimRequest, Event, EventKind, Outcome};

use super::links::rate_limit;
use super::{ApiError, AppState, Ctx};
use crate::blob::ByteStream;
use crate::metrics::Metrics;
use crate::store::{ShareRecord, TicketRecord};
use crate::{auth, clock, policy};

/// `POST /api/v1/claims`.
pub(super) async fn claim(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ApiError> {
    let parsed: Option<ClaimRequest> = serde_json::from_slice(&body).ok();
    let fp = parsed.as_ref().map(|r| auth::fingerprint(&r.token));
    rate_limit(&st, &ctx, fp.clone()).await?;
    let deny = |share: Option<&str>, reason: &str| {
        let mut e = ctx.event(EventKind::ClaimDenied, Outcome::Denied);
        e.share = share.map(str::to_owned);
        e.token.clone_from(&fp);
        e.reason = Some(reason.to_owned());
        e
    };
    if !ctx.is_json() {
        Metrics::inc(&st.metrics.claims_denied);
        st.record(&deny(None, "bad_request")).await;
        return Err(ApiError::bad_request(
            "a claim must be a JSON POST (Content-Type: application/json) with {\"token\"}",
        ));
    }
    let Some(req) = parsed else {
        Metrics::inc(&st.metrics.claims_denied);
        st.record(&deny(None, "bad_request")).await;
        return Err(ApiError::bad_request(
            "the body must be {\"token\": \"<link token>\"}",
        ));
    };
    let share = if auth::is_token_shaped(&req.token) {
        st.store
            .share_by_link(&auth::hash(&req.token))
            .await
            .map_err(|e| ApiError::unavailable(&e))?
    } else {
        None
    };
    let Some(share) = share else {
        Metrics::inc(&st.metrics.claims_denied);
        st.record(&deny(None, "not_found")).await;
        return Err(ApiError::not_found());
    };
    let now = clock::now_ms();
    if let Err(d) = policy::link_access(&share, ctx.ip, now) {
        Metrics::inc(&st.metrics.claims_denied);
        st.record(&deny(Some(&share.id), d.reason())).await;
        return Err(d.into());
    }
    let ticket = auth::new_token();
    let record = TicketRecord {
        hash: ticket.hash(),
        share_id: share.id.clone(),
        created_at: now,
        expires_at: now.saturating_add(clock::ms(st.ticket_window)),
        completed_at: None,
    };
    let mut event = ctx.event(EventKind::ClaimGranted, Outcome::Ok);
    event.share = Some(share.id.clone());
    event.token.clone_from(&fp);
    let granted = st
        .store
        .claim(&share.id, &record, now, &event)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let Some(left) = granted else {
        // Lost a race (consumed, revoked or expired meanwhile): say which.
        let current = st
            .store
            .share(&share.id)
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        let denial = current
            .as_ref()
            .and_then(|s| policy::link_access(s, ctx.ip, clock::now_ms()).err())
            .unwrap_or(policy::Denial::NotFound);
        Metrics::inc(&st.metrics.claims_denied);
        st.record(&deny(Some(&share.id), denial.reason())).await;
        return Err(denial.into());
    };
    st.audit.emit(&event);
    Metrics::inc(&st.metrics.claims_granted);
    let reply = Claim {
        content_url: format!(
            "{}/api/v1/claims/{}/content",
            st.public_url,
            ticket.expose()
        ),
        ticket: ticket.expose().to_owned(),
        size: share.size,
        ticket_expires_at: clock::rfc3339(record.expires_at),
        downloads_left: left,
    };
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// Looks up a live ticket and its share, auditing a refusal as `kind`.
async fn authorize_ticket(
    st: &AppState,
    ctx: &Ctx,
    raw: &str,
    kind: EventKind,
) -> Result<(TicketRecord, ShareRecord), ApiError> {
    let fp = auth::fingerprint(raw);
    let deny = |share: Option<&str>, reason: &str| {
        let mut e = ctx.event(kind, Outcome::Denied);
        e.share = share.map(str::to_owned);
        e.token = Some(fp.clone());
        e.reason = Some(reason.to_owned());
        e
    };
    let found = if auth::is_token_shaped(raw) {
        st.store
            .ticket_and_share(&auth::hash(raw))
            .await
            .map_err(|e| ApiError::unavailable(&e))?
    } else {
        None
    };
    let Some((ticket, share)) = found else {
        st.record(&deny(None, "not_found")).await;
        return Err(ApiError::not_found());
    };
    let mut verdict = policy::ticket_access(&share, &ticket, ctx.ip, clock::now_ms());
    if verdict.is_ok() && st.is_revoked(&share.id) {
        verdict = Err(policy::Denial::Gone(
            share_proto::relay::GoneReason::Revoked,
            share.revoked_at.unwrap_or_else(clock::now_ms),
        ));
    }
    if let Err(d) = verdict {
        st.record(&deny(Some(&share.id), d.reason())).await;
        return Err(d.into());
    }
    Ok((ticket, share))
}

/// A satisfiable byte range `[start, start + len)`, or `Err(())` for 416.
fn parse_range(value: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = value else { return Ok(None) };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: serve the whole content instead
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(());
        }
        let n = n.min(size);
        (size - n, n)
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            match b.parse::<u64>() {
                Ok(e) if e >= start => e.min(size.saturating_sub(1)),
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(());
        }
        (start, end - start + 1)
    };
    Ok(Some(range))
}

/// `GET /api/v1/claims/{ticket}/content` (and `HEAD`).
pub(super) async fn content(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    method: Method,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (_ticket, share) = authorize_ticket(&st, &ctx, &raw, EventKind::ContentServed).await?;
    let size = share.size;
    let range = match parse_range(ctx.header(header::RANGE), size) {
        Ok(r) => r,
        Err(()) => {
            let mut e = ApiError::new(
                share_proto::relay::ErrorCode::BadRequest,
                format!("range not satisfiable; the content is {size} bytes"),
            );
            e.status = Some(StatusCode::RANGE_NOT_SATISFIABLE);
            let mut res = e.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    let (start, len) = range.unwrap_or((0, size));
    let stream = st
        .blobs
        .open(&share.id, start, len)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .ok_or_else(ApiError::not_found)?;
    let mut event = ctx.event(EventKind::ContentServed, Outcome::Ok);
    event.share = Some(share.id.clone());
    event.token = Some(auth::fingerprint(&raw));
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from_stream(Served {
            inner: stream,
            st: st.clone(),
            share: share.id.clone(),
            sent: 0,
            len,
            reaches_end: start + len == size,
            event: Some(event),
            ip: ctx.ip,
        })
    };
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if range.is_some() {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {start}-{}/{size}",
            (start + len).saturating_sub(1)
        )) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(res)
}

/// The content stream of one fetch: stops when the share is revoked, counts bytes, and
/// writes the `content.served` event when it ends or is dropped.
struct Served {
    inner: ByteStream,
    st: Arc<AppState>,
    share: String,
    sent: u64,
    len: u64,
    reaches_end: bool,
    event: Option<Event>,
    ip: IpAddr,
}

impl Served {
    fn finish(&mut self) {
        let Some(mut event) = self.event.take() else {
            return;
        };
        event.bytes = Some(self.sent);
        event.complete = Some(self.reaches_end && self.sent == self.len);
        event.ip = Some(self.ip.to_string());
        let st = self.st.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { st.record(&event).await });
        }
    }
}

impl Stream for Served {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.st.is_revoked(&self.share) {
            self.finish();
            return Poll::Ready(Some(Err(std::io::Error::other("the share was revoked"))));
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.sent += chunk.len() as u64;
                self.st
                    .metrics
                    .bytes_served
                    .fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                self.finish();
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `POST /api/v1/claims/{ticket}/complete`.
pub(super) async fn complete(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (ticket, share) = authorize_ticket(&st, &ctx, &raw, EventKind::DownloadConfirmed).await?;
    let mut event = ctx.event(EventKind::DownloadConfirmed, Outcome::Ok);
    event.share = Some(share.id.clone());
    event.token = Some(auth::fingerprint(&raw));
    let done = st
        .store
        .complete_ticket(&ticket.hash, clock::now_ms(), &event)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    if !done {
        return Err(ApiError::not_found());
    }
    st.audit.emit(&event);
    st.release_content(&share.id, Some(&ctx)).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Ok(Some((0, 10))));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Ok(Some((90, 10))));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Ok(Some((90, 10))));
        assert_eq!(parse_range(Some("bytes=-500"), 100), Ok(Some((0, 100))));
        assert_eq!(parse_range(Some("bytes=50-500"), 100), Ok(Some((50, 50))));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=-0"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=5-2"), 100), Ok(None));
        assert_eq!(parse_range(Some("items=0-1"), 100), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Ok(None));
    }
}
