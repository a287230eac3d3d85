//! Bringing a workspace's daily counts (the chart's rollup of the feed,
//! `store::DailyCountStore`) up to date before the overview reads them: a bounded amount
//! of counting in the request ([`IN_REQUEST`] events), and if the feed holds more (a big
//! import just ran) the rest in one background task per workspace, so the page never waits
//! for a million events and says the chart is still catching up instead.

use crate::domain::ids::WorkspaceId;
use crate::http::AppState;
use crate::store::{StoreError, count_whole_feed};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Events one batch counts (one transaction).
const BATCH: u32 = 2_000;
/// Events counted in the request at most.
const IN_REQUEST: u32 = 2 * BATCH;
/// Events per transaction of the background catch-up.
const BACKGROUND_BATCH: u32 = 5_000;

/// The workspaces whose rollup a background task is counting.
#[derive(Default)]
pub struct Counting(Mutex<HashSet<WorkspaceId>>);

/// Counts the feed's new events of `workspace`; `true` when the counts are up to date.
pub async fn catch_up(state: &AppState, workspace: &WorkspaceId) -> Result<bool, StoreError> {
    let mut counted = 0;
    while counted < IN_REQUEST {
        let batch = state.store.count_feed(workspace, BATCH).await?;
        if batch < u64::from(BATCH) {
            return Ok(true);
        }
        counted += BATCH;
    }
    in_background(state, workspace);
    Ok(false)
}

fn in_background(state: &AppState, workspace: &WorkspaceId) {
    let counting: Arc<Counting> = state.dashboard.counting.clone();
    if !counting
        .0
        .lock()
        .map(|mut c| c.insert(workspace.clone()))
        .unwrap_or(false)
    {
        return; // one is running already
    }
    let (store, workspace) = (state.store.clone(), workspace.clone());
    tokio::spawn(async move {
        if let Err(e) = count_whole_feed(&*store, &workspace, BACKGROUND_BATCH).await {
            tracing::warn!(error = %e, "counting the feed for the chart failed; the next view retries");
        }
        if let Ok(mut c) = counting.0.lock() {
            c.remove(&workspace);
        }
    });
}
