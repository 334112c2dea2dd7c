//! The sweeper: runs at start-up and then every `sweep_interval` (at most a minute).
//!
//! One pass: records `expired` for shares past their expiry and for shares still
//! `uploading` after an hour; deletes the content of ended shares that no live ticket needs
//! (revoked ones at once); deletes orphaned temporary objects (untouched two minutes) and
//! complete objects no share row accounts for (a crash between the database and the
//! storage); and purges tombstones, tickets and events older than `--keep-records`.

use std::sync::Arc;
use std::time::Duration;

use share_proto::relay::{EventKind, Outcome};

use crate::api::AppState;
use crate::{audit, clock};

/// Timing of the sweeper.
#[derive(Debug, Clone, Copy)]
pub struct SweepTimes {
    /// Orphaned temporary objects are this old.
    pub orphan_after: Duration,
    /// `uploading` shares are removed after this long.
    pub upload_deadline: Duration,
    /// Tombstones are kept this long.
    pub keep_records: Duration,
}

fn expired_event(id: &str) -> share_proto::relay::Event {
    let mut e = audit::event(EventKind::ShareExpired, Outcome::Ok);
    e.share = Some(id.to_owned());
    e
}

/// One pass; errors are logged and the pass goes on.
pub async fn sweep(st: &AppState, times: SweepTimes) {
    let now = clock::now_ms();
    match st.store.expire_due(now, expired_event).await {
        Ok(ids) => ids.iter().for_each(|id| st.audit.emit(&expired_event(id))),
        Err(e) => tracing::error!("sweeper: cannot expire shares: {e:#}"),
    }
    let cutoff = now - clock::ms(times.upload_deadline);
    match st
        .store
        .expire_stale_uploads(cutoff, now, expired_event)
        .await
    {
        Ok(ids) => {
            for id in ids {
                st.audit.emit(&expired_event(&id));
                let _ = st.blobs.delete(&id).await;
            }
        }
        Err(e) => tracing::error!("sweeper: cannot end stale uploads: {e:#}"),
    }
    match st.store.content_candidates().await {
        Ok(ids) => {
            for id in ids {
                st.release_content(&id, None).await;
            }
        }
        Err(e) => tracing::error!("sweeper: cannot list ended shares: {e:#}"),
    }
    if let Err(e) = st.blobs.sweep_temps(times.orphan_after).await {
        tracing::error!("sweeper: cannot sweep temporary objects: {e:#}");
    }
    match st.blobs.list().await {
        Ok(names) => {
            for name in names {
                if let Ok(false) = st.store.keeps_object(&name).await {
                    tracing::info!(share = %name, "sweeper: deleting an object no share needs");
                    let _ = st.blobs.delete(&name).await;
                }
            }
        }
        Err(e) => tracing::error!("sweeper: cannot list objects: {e:#}"),
    }
    if let Err(e) = st.store.purge(now - clock::ms(times.keep_records)).await {
        tracing::error!("sweeper: cannot purge old records: {e:#}");
    }
}

/// Runs [`sweep`] every `interval` until `stop` fires.
pub async fn run(
    st: Arc<AppState>,
    times: SweepTimes,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => sweep(&st, times).await,
            _ = stop.changed() => return,
        }
    }
}
