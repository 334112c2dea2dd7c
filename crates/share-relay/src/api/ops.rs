//! Operational endpoints: the info document, liveness, readiness, metrics, and the JSON
//! answers for unknown paths and methods.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use share_proto::relay::{API_VERSION, ErrorCode, Info, RELAY_NAME};

use super::{ApiError, AppState};

/// `GET /api/v1/info`.
pub(super) async fn info(State(st): State<Arc<AppState>>) -> Json<Info> {
    Json(Info {
        version: API_VERSION,
        relay: RELAY_NAME.to_owned(),
        max_size: st.limits.max_size,
        default_expiry_seconds: u64::try_from(st.limits.default_expiry_ms / 1000).unwrap_or(0),
        max_expiry_seconds: u64::try_from(st.limits.max_expiry_ms / 1000).unwrap_or(0),
        max_downloads: st.limits.max_downloads,
        anonymous: st.allow_anonymous,
    })
}

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: the database and the storage answer.
pub(super) async fn readyz(
    State(st): State<Arc<AppState>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    st.store
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    st.blobs
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(Json(serde_json::json!({"status": "ready"})))
}

/// `GET /metrics`.
pub(super) async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
        .into_response()
}

/// Unknown path.
pub(super) async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

/// Known path, wrong method.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError {
        status: Some(StatusCode::METHOD_NOT_ALLOWED),
        ..ApiError::bad_request("method not allowed on this path")
    }
}
