//! [`Ctx`]: who is asking (client address after `--trusted-proxy`, user agent, request id),
//! whether they look like a link previewer, what they accept, and the audit event builder
//! that stamps those on every event.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use share_proto::relay::{Event, EventKind, Outcome};

use super::{AppState, RequestId};
use crate::audit;

/// Preview agents whose link views are marked `suspected_bot` (lower case substrings).
const PREVIEW_AGENTS: &[&str] = &[
    "slackbot",
    "slack-imgproxy",
    "twitterbot",
    "facebookexternalhit",
    "facebot",
    "discordbot",
    "telegrambot",
    "skypeuripreview",
    "whatsapp",
    "linkedinbot",
    "googlebot",
    "bingbot",
    "applebot",
    "redditbot",
    "mattermost",
    "embedly",
    "iframely",
    "vkshare",
    "pinterest",
    "bitlybot",
    "microsoftpreview",
    "teams",
    "outlook",
    "yandexbot",
    "duckduckbot",
    "baiduspider",
    "crawler",
    "spider",
    "preview",
];

/// The request's context.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The client address (see [`crate::net::client_ip`]).
    pub ip: IpAddr,
    /// `User-Agent`, clipped to 200 characters.
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: String,
    /// The request headers.
    pub headers: HeaderMap,
}

impl Ctx {
    /// An event stamped with this request's address, agent and id.
    pub fn event(&self, kind: EventKind, outcome: Outcome) -> Event {
        let mut e = audit::event(kind, outcome);
        e.ip = Some(self.ip.to_string());
        e.user_agent.clone_from(&self.user_agent);
        e.request_id = Some(self.request_id.clone());
        e
    }

    /// A header as text.
    pub fn header(&self, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether this looks like a prefetch or a link-preview agent.
    pub fn suspected_bot(&self) -> bool {
        let prefetch = ["sec-purpose", "purpose", "x-purpose", "x-moz"]
            .iter()
            .any(|h| {
                self.header(*h).is_some_and(|v| {
                    let v = v.to_ascii_lowercase();
                    v.contains("prefetch") || v.contains("preview") || v.contains("prerender")
                })
            });
        let agent = self.user_agent.as_deref().is_some_and(|ua| {
            let ua = ua.to_ascii_lowercase();
            PREVIEW_AGENTS.iter().any(|a| ua.contains(a))
                || ua.contains("bot/")
                || ua.contains("bot ")
        });
        prefetch || agent
    }

    /// Whether the client wants the HTML page rather than JSON.
    pub fn wants_html(&self) -> bool {
        let accept = self
            .header(header::ACCEPT)
            .unwrap_or("")
            .to_ascii_lowercase();
        accept.contains("text/html") && !accept.contains("application/json")
    }

    /// Whether `Content-Type` is `application/json` (parameters allowed).
    pub fn is_json(&self) -> bool {
        self.header(header::CONTENT_TYPE).is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
    }
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let xff = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let ip = crate::net::client_ip(peer, xff, &state.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .map(|v| audit::clip_user_agent(&String::from_utf8_lossy(v.as_bytes())));
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_else(crate::auth::new_request_id);
        Ok(Self {
            ip,
            user_agent,
            request_id,
            headers: parts.headers.clone(),
        })
    }
}
