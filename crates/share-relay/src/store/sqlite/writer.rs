//! The single writer of a [`super::SqliteStore`]: one connection and one task that apply
//! every state change, committing the changes that queued up while the previous group was
//! being written as one `BEGIN IMMEDIATE … COMMIT`.
//!
//! SQLite has one writer at a time. When every request took a pooled connection and its own
//! transaction, the losers of each race for the write lock waited in SQLite's busy handler,
//! which sleeps (1, 2, 5, 10 … ms) rather than queueing, and each change paid a commit of
//! its own; at 64 concurrent claims the relay sat mostly idle between sleeps. Here changes
//! queue in memory and the writer drains the queue:
//!
//! - The changes of a group are applied in arrival order inside its transaction, each with
//!   its own conditional statements. Consecutive claims (and the events recorded between
//!   them, which change no state) are applied together by [`super::claim_all`]: one
//!   conditional decrement per share and statement, in rounds, so that each claim is as
//!   atomic as on its own and their outcomes are those of applying them one by one.
//! - The audit events the changes report are inserted in the same transaction, before its
//!   commit, in arrival order.
//! - A caller gets its answer only after the commit that holds its change.
//! - A group that fails is rolled back and its changes are retried one at a time, so a change
//!   that cannot be applied fails only its own caller.
//!
//! Nothing waits to fill a group: under light load each change commits alone, as soon as
//! it arrives.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use async_trait::async_trait;
use share_proto::relay::Event;
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::store::TicketRecord;

/// Most changes in one transaction (the queue is drained up to this many at a time).
const MAX_GROUP: usize = 512;

/// The transaction a [`Change`] runs in.
pub(super) struct Group<'c> {
    /// The writer's connection, inside the group's transaction.
    pub(super) conn: &'c mut SqliteConnection,
    events: &'c mut Vec<Event>,
}

impl Group<'_> {
    /// Records `event` in this transaction.
    pub(super) fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}

/// One state change: its statements and the audit events that go with them. `apply` may run
/// more than once (a failed group is retried change by change), always in a fresh
/// transaction, so it must not keep state between runs.
#[async_trait]
pub(super) trait Change: Send + Sync + 'static {
    /// What the caller gets back.
    type Output: Send + 'static;
    /// Runs the statements in `group`'s transaction and reports their events.
    async fn apply(&self, group: &mut Group<'_>) -> anyhow::Result<Self::Output>;
}

/// A claim for the writer: consume one download of share `id` and store `ticket`, recording
/// `event`, if the share can still be claimed at `now`.
#[derive(Debug, Clone)]
pub(super) struct ClaimRequest {
    pub(super) id: String,
    pub(super) ticket: TicketRecord,
    pub(super) now: i64,
    pub(super) event: Event,
}

type Reply<T> = Option<oneshot::Sender<anyhow::Result<T>>>;

/// A queued change with the channel its caller waits on.
enum Job {
    Claim {
        request: Box<ClaimRequest>,
        left: Option<Option<u32>>,
        reply: Reply<Option<u32>>,
    },
    Record {
        event: Box<Event>,
        reply: Reply<()>,
    },
    Change(Box<dyn Erased>),
}

impl Job {
    /// Answers the caller: the outcome of the last run once it is committed, or the error.
    fn answer(&mut self, committed: anyhow::Result<()>) {
        match self {
            Job::Claim { left, reply, .. } => {
                send(
                    reply,
                    committed.and_then(|()| left.take().context("no result")),
                );
            }
            Job::Record { reply, .. } => send(reply, committed),
            Job::Change(c) => c.answer(committed),
        }
    }
}

fn send<T>(reply: &mut Reply<T>, result: anyhow::Result<T>) {
    if let Some(r) = reply.take() {
        // The caller may have gone away; the change stands either way.
        let _ = r.send(result);
    }
}

/// A [`Change`] with its output type erased.
#[async_trait]
trait Erased: Send {
    async fn run(&mut self, group: &mut Group<'_>) -> anyhow::Result<()>;
    fn answer(&mut self, committed: anyhow::Result<()>);
}

struct Queued<C: Change> {
    change: C,
    output: Option<C::Output>,
    reply: Reply<C::Output>,
}

#[async_trait]
impl<C: Change> Erased for Queued<C> {
    async fn run(&mut self, group: &mut Group<'_>) -> anyhow::Result<()> {
        self.output = Some(self.change.apply(group).await?);
        Ok(())
    }

    fn answer(&mut self, committed: anyhow::Result<()>) {
        let output = &mut self.output;
        send(
            &mut self.reply,
            committed.and_then(|()| output.take().context("no result")),
        );
    }
}

enum Msg {
    Job(Job),
    Stop(oneshot::Sender<()>),
}

/// The handle the store sends its changes through.
#[derive(Debug)]
pub(super) struct Writer {
    queue: mpsc::UnboundedSender<Msg>,
    committed: Arc<Notify>,
}

impl Writer {
    /// Starts the writer task on `conn`.
    pub(super) fn start(conn: SqliteConnection) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        let committed = Arc::new(Notify::new());
        tokio::spawn(run(conn, rx, committed.clone()));
        Self { queue, committed }
    }

    /// Notified after commits (notifications while nobody waits coalesce into one).
    pub(super) fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    async fn submit<T>(
        &self,
        job: Job,
        answer: oneshot::Receiver<anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        self.queue
            .send(Msg::Job(job))
            .map_err(|_| anyhow!("the database is closed"))?;
        answer
            .await
            .map_err(|_| anyhow!("the database writer stopped"))?
    }

    /// Applies `change` and returns its output once committed.
    pub(super) async fn apply<C: Change>(&self, change: C) -> anyhow::Result<C::Output> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Change(Box::new(Queued {
            change,
            output: None,
            reply: Some(reply),
        }));
        self.submit(job, answer).await
    }

    /// Applies a claim; the downloads left once committed, or `None` if nothing could be
    /// consumed.
    pub(super) async fn claim(&self, request: ClaimRequest) -> anyhow::Result<Option<u32>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Claim {
            request: Box::new(request),
            left: None,
            reply: Some(reply),
        };
        self.submit(job, answer).await
    }

    /// Records an event that accompanies no state change.
    pub(super) async fn record(&self, event: Event) -> anyhow::Result<()> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Record {
            event: Box::new(event),
            reply: Some(reply),
        };
        self.submit(job, answer).await
    }

    /// Applies what is queued, then closes the connection.
    pub(super) async fn close(&self) {
        let (ack, done) = oneshot::channel();
        if self.queue.send(Msg::Stop(ack)).is_ok() {
            let _ = done.await;
        }
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    committed: Arc<Notify>,
) {
    let mut stop = None;
    let mut jobs = Vec::new();
    while stop.is_none() {
        let Some(first) = rx.recv().await else { break };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => jobs.push(job),
                Msg::Stop(ack) => stop = Some(ack),
            }
            if jobs.len() < MAX_GROUP && stop.is_none() {
                next = rx.try_recv().ok();
            }
        }
        if jobs.is_empty() {
            continue;
        }
        match commit(&mut conn, &mut jobs).await {
            Ok(()) => {
                committed.notify_one();
                jobs.iter_mut().for_each(|j| j.answer(Ok(())));
            }
            Err(e) if jobs.len() == 1 => jobs[0].answer(Err(e)),
            Err(_) => {
                for job in &mut jobs {
                    let alone = commit(&mut conn, std::slice::from_mut(job)).await;
                    job.answer(alone);
                }
                committed.notify_one();
            }
        }
        jobs.clear();
    }
    if let Err(e) = conn.close().await {
        tracing::error!("cannot close the database: {e}");
    }
    if let Some(ack) = stop {
        let _ = ack.send(());
    }
}

/// Runs `jobs` and their events in one transaction; rolled back on any error.
async fn commit(conn: &mut SqliteConnection, jobs: &mut [Job]) -> anyhow::Result<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut events = Vec::new();
    let mut rest = jobs;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .take_while(|j| !matches!(j, Job::Change(_)))
            .count();
        if run == 0 {
            let (first, later) = rest.split_first_mut().expect("not empty");
            if let Job::Change(c) = first {
                let mut group = Group {
                    conn: &mut tx,
                    events: &mut events,
                };
                c.run(&mut group).await?;
            }
            rest = later;
        } else {
            let (claims, later) = rest.split_at_mut(run);
            claim_run(&mut tx, claims, &mut events).await?;
            rest = later;
        }
    }
    super::insert_events(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(())
}

/// Applies a run of claims and records (no other change between them): the claims
/// together, then the events of the granted claims and the records in arrival order.
async fn claim_run(
    conn: &mut SqliteConnection,
    run: &mut [Job],
    events: &mut Vec<Event>,
) -> anyhow::Result<()> {
    let requests: Vec<&ClaimRequest> = run
        .iter()
        .filter_map(|j| match j {
            Job::Claim { request, .. } => Some(&**request),
            _ => None,
        })
        .collect();
    let mut lefts = if requests.is_empty() {
        Vec::new()
    } else {
        super::claim_all(conn, &requests).await?
    }
    .into_iter();
    for job in run {
        match job {
            Job::Claim { request, left, .. } => {
                let l = lefts.next().context("a claim without an outcome")?;
                if l.is_some() {
                    events.push(request.event.clone());
                }
                *left = Some(l);
            }
            Job::Record { event, .. } => events.push(Event::clone(event)),
            Job::Change(_) => unreachable!("a run holds claims and records only"),
        }
    }
    Ok(())
}
