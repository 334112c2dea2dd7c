//! `GET`/`HEAD`/`OPTIONS /s/{token}`: the link itself. Never changes state.
//!
//! A browser (`Accept: text/html` without `application/json`) gets a neutral page that says
//! only how to open the link; JSON clients get the link view or the `gone`/`not_found`
//! error. Every GET and HEAD counts against the rate limit and is audited as `link.viewed`,
//! with reason `suspected_bot` for prefetches and preview agents. `OPTIONS` answers the
//! allowed methods and touches nothing.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use share_proto::relay::{API_VERSION, EventKind, LinkView, Outcome};

use super::{ApiError, AppState, Ctx};
use crate::metrics::Metrics;
use crate::{auth, clock, policy};

const PAGE: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex, nofollow\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>share link</title></head>
<body><main><h1>This is a share link</h1>
<p>It holds an encrypted file that only the <code>share</code> command can open. Copy this
page's address and run:</p>
<pre>share receive &lt;link&gt;</pre>
<p>Opening it in a browser does not use it up.</p></main></body></html>
";

/// Applies the rate limit to a link view or claim from `ctx`, auditing the first refusal of
/// each limited period.
pub(super) async fn rate_limit(
    st: &AppState,
    ctx: &Ctx,
    token_fp: Option<String>,
) -> Result<(), ApiError> {
    match st.limiter.check(ctx.ip) {
        Ok(()) => Ok(()),
        Err(limited) => {
            Metrics::inc(&st.metrics.rate_limited);
            if limited.first {
                let mut e = ctx.event(EventKind::RateLimited, Outcome::Denied);
                e.reason = Some("rate_limited".into());
                e.token = token_fp;
                st.record(&e).await;
            }
            Err(ApiError {
                retry_after: Some(limited.retry_after),
                ..ApiError::new(
                    share_proto::relay::ErrorCode::RateLimited,
                    format!("too many requests; retry in {} s", limited.retry_after),
                )
            })
        }
    }
}

/// `GET /s/{token}` (and `HEAD`).
pub(super) async fn view(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    let fp = auth::fingerprint(&token);
    if let Err(e) = rate_limit(&st, &ctx, Some(fp.clone())).await {
        return e.into_response();
    }
    Metrics::inc(&st.metrics.link_views);
    let share = if auth::is_token_shaped(&token) {
        match st.store.share_by_link(&auth::hash(&token)).await {
            Ok(s) => s,
            Err(e) => return ApiError::unavailable(&e).into_response(),
        }
    } else {
        None
    };
    let now = clock::now_ms();
    let verdict = match &share {
        None => Err(policy::Denial::NotFound),
        Some(s) => policy::link_access(s, ctx.ip, now),
    };
    let mut event = ctx.event(
        EventKind::LinkViewed,
        if verdict.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Denied
        },
    );
    event.share = share.as_ref().map(|s| s.id.clone());
    event.token = Some(fp);
    event.reason = if ctx.suspected_bot() {
        Some("suspected_bot".into())
    } else {
        verdict.as_ref().err().map(|d| d.reason().to_owned())
    };
    st.record(&event).await;

    if ctx.wants_html() {
        let status = match &verdict {
            Ok(()) => StatusCode::OK,
            Err(d) => StatusCode::from_u16(ApiError::from(d.clone()).code.status())
                .unwrap_or(StatusCode::NOT_FOUND),
        };
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            PAGE,
        )
            .into_response();
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        res.headers_mut().insert(
            "x-robots-tag",
            HeaderValue::from_static("noindex, nofollow"),
        );
        return res;
    }
    match (verdict, share) {
        (Ok(()), Some(s)) => Json(LinkView {
            version: API_VERSION,
            id: s.id,
            state: share_proto::relay::ShareState::Available,
            size: s.size,
            expires_at: clock::rfc3339(s.expires_at),
            downloads_left: s.remaining,
        })
        .into_response(),
        (Err(d), _) => ApiError::from(d).into_response(),
        (Ok(()), None) => ApiError::not_found().into_response(),
    }
}

/// `OPTIONS /s/{token}`.
pub(super) async fn options() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::ALLOW, "GET, HEAD, OPTIONS")],
    )
        .into_response()
}
