//! Side-effect-free exchanges with a host, for `share doctor`: does it answer, what does its
//! clock say, is it a share relay, is it ready, does it take the API key. Every probe returns
//! what it saw as plain data; deciding what is a problem is the caller's job.

use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::network::{Network, transport_error};
use super::relay::endpoint;

/// The most of a reply body a probe reads.
const BODY_LIMIT: usize = 64 * 1024;

/// What one completed TLS and HTTP exchange showed.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status, whatever it is: a host answers when the exchange completes.
    pub status: u16,
    /// The host's clock minus ours, in whole seconds, from its `Date` header.
    pub clock_skew_seconds: Option<i64>,
    /// How long the exchange took.
    pub elapsed: Duration,
    /// The start of the body (at most 64 KiB).
    pub body: Vec<u8>,
}

/// Why no exchange completed: what happened and what to do, as separate lines of text.
#[derive(Debug, Clone)]
pub struct Unanswered {
    /// What happened (names the host, never a secret).
    pub what: String,
    /// What to do about it.
    pub hint: String,
}

/// Whether the relay accepted an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// The key passed authentication.
    Accepted,
    /// The relay answered 401: unknown or revoked.
    Refused,
    /// Some other status: the relay's answer says nothing about the key.
    Unclear(u16),
}

/// Probes hosts with the user's network settings (timeouts, extra roots, proxies).
#[derive(Debug, Clone)]
pub struct Prober {
    client: reqwest::Client,
    patience: Duration,
}

impl Prober {
    /// A prober that uses the same HTTP settings as downloads.
    pub fn new(network: &Network) -> Result<Prober, String> {
        Ok(Prober {
            client: network.download_client().map_err(|err| err.to_string())?,
            patience: network.connect_timeout + network.idle_timeout,
        })
    }

    /// `GET url`: the answer, or one line saying why no exchange completed.
    pub async fn get(&self, url: &Url) -> Result<Answer, Unanswered> {
        self.send(self.client.get(url.clone()), url).await
    }

    /// Whether the relay at `base` accepts `key`, without creating anything: a share
    /// request that authenticates but is not JSON is refused (400) after the key check
    /// (401) and before anything is stored or audited.
    pub async fn relay_key(&self, base: &Url, key: &SecretString) -> Result<KeyCheck, Unanswered> {
        let url = endpoint(base, share_proto::relay::SHARES_PATH);
        let request = self
            .client
            .post(url.clone())
            .bearer_auth(key.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .body("");
        let answer = self.send(request, &url).await?;
        Ok(match answer.status {
            401 => KeyCheck::Refused,
            400 => KeyCheck::Accepted,
            other => KeyCheck::Unclear(other),
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<Answer, Unanswered> {
        let started = std::time::Instant::now();
        let exchange = async {
            let mut response = request
                .header(reqwest::header::CACHE_CONTROL, "no-store")
                .send()
                .await?;
            let status = response.status().as_u16();
            let date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| httpdate::parse_http_date(text).ok());
            let mut body = Vec::new();
            while body.len() < BODY_LIMIT {
                match response.chunk().await? {
                    Some(chunk) => body.extend_from_slice(&chunk),
                    None => break,
                }
            }
            body.truncate(BODY_LIMIT);
            Ok::<_, reqwest::Error>((status, date, body))
        };
        match tokio::time::timeout(self.patience, exchange).await {
            Err(_) => Err(Unanswered {
                what: format!(
                    "no answer from {} within {} s",
                    super::network::host_of(url),
                    self.patience.as_secs()
                ),
                hint: "check the address and your network; raise --connect-timeout or --idle-timeout for a slow host".to_owned(),
            }),
            Ok(Err(err)) => {
                let error = transport_error("reach", url, err);
                Err(Unanswered {
                    what: error.to_string(),
                    hint: error.hint().into_owned(),
                })
            }
            Ok(Ok((status, date, body))) => Ok(Answer {
                status,
                clock_skew_seconds: date.map(skew_from),
                elapsed: started.elapsed(),
                body,
            }),
        }
    }
}

/// The host's time minus ours, in seconds (positive: the host is ahead).
fn skew_from(host_time: SystemTime) -> i64 {
    let now = SystemTime::now();
    match host_time.duration_since(now) {
        Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
        Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::skew_from;
    use std::time::{Duration, SystemTime};

    #[test]
    fn skew_is_signed_host_minus_local() {
        let now = SystemTime::now();
        assert!((skew_from(now + Duration::from_secs(300)) - 300).abs() <= 1);
        assert!((skew_from(now - Duration::from_secs(300)) + 300).abs() <= 1);
    }
}
