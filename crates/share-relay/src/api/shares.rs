//! `/api/v1/shares`: create (API key), upload (manage token), status and revoke (manage
//! token).
//!
//! Uploads stream straight into a temporary object, counting bytes as they arrive: the
//! first 22 must be the age header (`not_age`), more than declared is `too_large`, fewer
//! (or a dropped connection, or 60 s without bytes) stores nothing. In every failing case
//! the share stays `uploading` and the sender may PUT again; one upload per share runs at
//! a time, and a share whose content is complete answers `conflict`.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use share_proto::relay::{
    AGE_HEADER, CreateShare, CreatedShare, ErrorCode, EventKind, Outcome, Share, ShareState,
};

use super::{ApiError, AppState, Ctx};
use crate::auth::{self, Secret};
use crate::metrics::Metrics;
use crate::store::{Revoked, ShareRecord};
use crate::{clock, policy};

/// Checks the manage token of `share`; audits a refusal as `kind`.
async fn authorize_manage(
    st: &AppState,
    ctx: &Ctx,
    share: &ShareRecord,
    kind: Option<EventKind>,
) -> Result<Secret, ApiError> {
    let presented = auth::bearer(ctx.header(header::AUTHORIZATION));
    match presented {
        Some(t) if t.hash() == share.manage_hash => Ok(t),
        other => {
            if let Some(kind) = kind {
                let mut e = ctx.event(kind, Outcome::Denied);
                e.share = Some(share.id.clone());
                e.token = other.map(|t| t.fingerprint());
                e.reason = Some("unauthorized".into());
                st.record(&e).await;
            }
            Err(ApiError::unauthorized(
                "missing or wrong manage token (Authorization: Bearer <manage token>)",
            ))
        }
    }
}

async fn load(st: &AppState, id: &str) -> Result<ShareRecord, ApiError> {
    st.store
        .share(id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .ok_or_else(ApiError::not_found)
}

/// `POST /api/v1/shares`.
pub(super) async fn create(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ApiError> {
    let presented = auth::bearer(ctx.header(header::AUTHORIZATION));
    let deny = |reason: &str, key: Option<&Secret>| {
        let mut e = ctx.event(EventKind::ShareCreated, Outcome::Denied);
        e.reason = Some(reason.to_owned());
        e.token = key.map(Secret::fingerprint);
        e
    };
    let key_name = match &presented {
        Some(k) => match st.store.key_by_hash(&k.hash()).await {
            Ok(Some(rec)) => Some(rec.name),
            Ok(None) => {
                st.record(&deny("unauthorized", Some(k))).await;
                return Err(ApiError::unauthorized("unknown or revoked API key"));
            }
            Err(e) => return Err(ApiError::unavailable(&e)),
        },
        None if st.allow_anonymous => None,
        None => {
            st.record(&deny("unauthorized", None)).await;
            return Err(ApiError::unauthorized(
                "this relay needs an API key (Authorization: Bearer sr_…)",
            ));
        }
    };
    if !ctx.is_json() {
        return Err(ApiError::bad_request(
            "Content-Type must be application/json",
        ));
    }
    let req: CreateShare = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let now = clock::now_ms();
    let plan = match policy::plan_create(&req, &st.limits, now) {
        Ok(p) => p,
        Err(d) => {
            let mut e = deny(d.reason(), presented.as_ref());
            e.key.clone_from(&key_name);
            st.record(&e).await;
            return Err(d.into());
        }
    };
    let id = auth::new_share_id();
    let link = auth::new_token();
    let manage = auth::new_token();
    let record = ShareRecord {
        id: id.clone(),
        link_hash: link.hash(),
        manage_hash: manage.hash(),
        state: ShareState::Uploading,
        size: plan.size,
        max_downloads: plan.max_downloads,
        remaining: plan.max_downloads,
        allow_ips: plan.allow_ips.clone(),
        created_at: now,
        expires_at: plan.expires_at,
        ended_at: None,
        revoked_at: None,
        content: false,
        key_name: key_name.clone(),
    };
    let mut event = ctx.event(EventKind::ShareCreated, Outcome::Ok);
    event.share = Some(id.clone());
    event.token = presented.as_ref().map(Secret::fingerprint);
    event.key = key_name;
    st.store
        .create_share(&record, &event)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    st.audit.emit(&event);
    Metrics::inc(&st.metrics.shares_created);
    let reply = CreatedShare {
        link: format!("{}/s/{}", st.public_url, link.expose()),
        manage_token: manage.expose().to_owned(),
        upload_url: format!("{}/api/v1/shares/{id}/content", st.public_url),
        id,
        expires_at: clock::rfc3339(plan.expires_at),
        max_downloads: plan.max_downloads,
        allow_ips: plan.allow_ips.iter().map(ToString::to_string).collect(),
    };
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// Removes a share from the in-progress set when its upload ends, however it ends.
struct UploadGuard<'a> {
    st: &'a AppState,
    id: String,
}

impl Drop for UploadGuard<'_> {
    fn drop(&mut self) {
        self.st
            .uploading
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// `PUT /api/v1/shares/{id}/content`.
pub(super) async fn upload(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let share = load(&st, &id).await?;
    let token = authorize_manage(&st, &ctx, &share, Some(EventKind::UploadRejected)).await?;
    let reject = |reason: &str, bytes: Option<u64>| {
        let mut e = ctx.event(EventKind::UploadRejected, Outcome::Denied);
        e.share = Some(share.id.clone());
        e.token = Some(token.fingerprint());
        e.reason = Some(reason.to_owned());
        e.bytes = bytes;
        e
    };
    let now = clock::now_ms();
    if let Some((reason, at)) = policy::gone(&share, now) {
        st.record(&reject(reason.as_str(), None)).await;
        return Err(ApiError::gone(reason, at));
    }
    if share.state != ShareState::Uploading {
        st.record(&reject("conflict", None)).await;
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this share's content was already uploaded",
        ));
    }
    if !st
        .uploading
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone())
    {
        st.record(&reject("conflict", None)).await;
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "an upload of this share is already in progress",
        ));
    }
    let _guard = UploadGuard {
        st: &st,
        id: id.clone(),
    };
    let declared = share.size;
    if let Some(len) = ctx
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > declared {
            Metrics::inc(&st.metrics.uploads_rejected);
            st.record(&reject("too_large", None)).await;
            return Err(ApiError::new(
                ErrorCode::TooLarge,
                format!("Content-Length {len} is more than the declared size {declared}"),
            ));
        }
        if len < declared {
            Metrics::inc(&st.metrics.uploads_rejected);
            st.record(&reject("incomplete", None)).await;
            return Err(ApiError::bad_request(format!(
                "Content-Length {len} is less than the declared size {declared}"
            )));
        }
    }

    let outcome = receive(&st, &id, declared, body).await;
    let total = match outcome {
        Ok(total) => total,
        Err((reason, error, bytes)) => {
            Metrics::inc(&st.metrics.uploads_rejected);
            st.record(&reject(reason, Some(bytes))).await;
            return Err(error);
        }
    };
    let mut event = ctx.event(EventKind::ShareUploaded, Outcome::Ok);
    event.share = Some(id.clone());
    event.token = Some(token.fingerprint());
    event.bytes = Some(total);
    match st.store.mark_uploaded(&id, &event).await {
        Ok(true) => {
            st.audit.emit(&event);
            Metrics::inc(&st.metrics.uploads_completed);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Ok(false) => {
            // Revoked or removed while uploading: the object must not stay.
            let _ = st.blobs.delete(&id).await;
            let now = clock::now_ms();
            let current = load(&st, &id).await?;
            st.record(&reject("conflict", Some(total))).await;
            Err(match policy::gone(&current, now) {
                Some((reason, at)) => ApiError::gone(reason, at),
                None => ApiError::new(
                    ErrorCode::Conflict,
                    "this share's content was already uploaded",
                ),
            })
        }
        Err(e) => {
            let _ = st.blobs.delete(&id).await;
            Err(ApiError::unavailable(&e))
        }
    }
}

type Rejection = (&'static str, ApiError, u64);

/// Streams the body into a temporary object and commits it; the byte count.
async fn receive(st: &AppState, id: &str, declared: u64, body: Body) -> Result<u64, Rejection> {
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::with_capacity(AGE_HEADER.len());
    let mut writer = None;
    let mut total: u64 = 0;
    loop {
        let chunk = match tokio::time::timeout(st.upload_idle_timeout, stream.next()).await {
            Err(_) => {
                return Err((
                    "timeout",
                    ApiError::bad_request(format!(
                        "no bytes for {} s; the upload was aborted and nothing was stored",
                        st.upload_idle_timeout.as_secs()
                    )),
                    total,
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return Err((
                    "interrupted",
                    ApiError::bad_request("the upload was interrupted; nothing was stored"),
                    total,
                ));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        total += chunk.len() as u64;
        if total > declared {
            return Err((
                "too_large",
                ApiError::new(
                    ErrorCode::TooLarge,
                    format!("more bytes than the declared size {declared}; nothing was stored"),
                ),
                total,
            ));
        }
        let mut rest: &[u8] = &chunk;
        if writer.is_none() {
            let need = AGE_HEADER.len() - head.len();
            let take = need.min(rest.len());
            head.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if !AGE_HEADER.starts_with(&head) {
                return Err(not_age(total));
            }
            if head.len() < AGE_HEADER.len() {
                continue;
            }
            let mut w = st.blobs.begin(id).await.map_err(|e| storage(&e, total))?;
            w.write(&head).await.map_err(|e| storage(&e, total))?;
            writer = Some(w);
        }
        if let Some(w) = writer.as_mut()
            && !rest.is_empty()
        {
            w.write(rest).await.map_err(|e| storage(&e, total))?;
        }
    }
    if total < declared {
        if head.len() < AGE_HEADER.len() {
            return Err(not_age(total));
        }
        return Err((
            "incomplete",
            ApiError::bad_request(format!(
                "{total} bytes received, {declared} declared; nothing was stored"
            )),
            total,
        ));
    }
    let w = writer.ok_or_else(|| not_age(total))?;
    w.commit().await.map_err(|e| storage(&e, total))?;
    Ok(total)
}

fn not_age(total: u64) -> Rejection {
    (
        "not_age",
        ApiError::new(
            ErrorCode::NotAge,
            "the upload does not start with the age header (age-encryption.org/v1); the relay stores only age ciphertext",
        ),
        total,
    )
}

fn storage(e: &anyhow::Error, total: u64) -> Rejection {
    ("unavailable", ApiError::unavailable(e), total)
}

/// `GET /api/v1/shares/{id}`.
pub(super) async fn status(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Share>, ApiError> {
    let share = load(&st, &id).await?;
    authorize_manage(&st, &ctx, &share, None).await?;
    let events = st
        .store
        .events(Some(&id), None)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let now = clock::now_ms();
    Ok(Json(Share {
        state: policy::effective_state(&share, now),
        created_at: clock::rfc3339(share.created_at),
        expires_at: clock::rfc3339(share.expires_at),
        max_downloads: share.max_downloads,
        downloads_left: share.remaining,
        allow_ips: share.allow_ips.iter().map(ToString::to_string).collect(),
        size: share.size,
        id: share.id,
        events,
    }))
}

/// `DELETE /api/v1/shares/{id}`: idempotent revoke.
pub(super) async fn revoke(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let share = load(&st, &id).await?;
    let token = authorize_manage(&st, &ctx, &share, Some(EventKind::ShareRevoked)).await?;
    let mut event = ctx.event(EventKind::ShareRevoked, Outcome::Ok);
    event.share = Some(id.clone());
    event.token = Some(token.fingerprint());
    event.key.clone_from(&share.key_name);
    revoke_share(&st, &id, &event, Some(&ctx)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Revokes one share and deletes its content at once; shared by the API and admin paths
/// running in-process.
pub(super) async fn revoke_share(
    st: &AppState,
    id: &str,
    event: &share_proto::relay::Event,
    ctx: Option<&Ctx>,
) -> Result<(), ApiError> {
    let outcome = st
        .store
        .revoke(id, clock::now_ms(), event)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    if outcome == Revoked::Now {
        st.revoked
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned());
        st.audit.emit(event);
        Metrics::inc(&st.metrics.shares_revoked);
        st.release_content(id, ctx).await;
    }
    Ok(())
}
