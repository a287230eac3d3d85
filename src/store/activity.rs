//! The activity capability: the change feed counted per day and kind since a moment, for
//! the dashboard's chart. A backend finds where the window begins in the feed by a binary
//! search over positions (a handful of primary-key lookups) and counts only the events
//! after it, so the cost follows the activity in the window, not the length of the feed.

use super::StoreError;
use crate::domain::activity::DayCount;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// Feed activity per day.
#[async_trait]
pub trait ActivityStore: Send + Sync + 'static {
    /// The events of `workspace` committed at or after `since`, counted per UTC day and kind.
    async fn daily_activity(
        &self,
        workspace: &WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<DayCount>, StoreError>;
}

/// The smallest position whose first event (at or after it) was committed at or after
/// `since`, given `first_at(p)`: the commit time of the first event at position `p` or later
/// (`None`: there is none). Positions grow with commit time, near enough for a chart.
pub fn first_position_since<E>(
    (lowest, highest): (i64, i64),
    since: Timestamp,
    mut first_at: impl FnMut(i64) -> Result<Option<Timestamp>, E>,
) -> Result<i64, E> {
    let (mut lo, mut hi) = (lowest, highest.saturating_add(1));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match first_at(mid)? {
            Some(at) if at >= since => hi = mid,
            _ => lo = mid + 1,
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_finds_the_first_position_in_the_window() {
        // Positions 1..=100 committed at 10 * position, with gaps 40..=59 (pruned).
        let at = |p: i64| -> Result<Option<Timestamp>, ()> {
            let next = if (40..60).contains(&p) { 60 } else { p };
            Ok((next <= 100).then(|| Timestamp::from_millis(next * 10)))
        };
        let find = |since: i64| first_position_since((1, 100), Timestamp::from_millis(since), at);
        assert_eq!(find(0), Ok(1));
        assert_eq!(find(255), Ok(26));
        assert_eq!(find(450), Ok(40), "inside the gap: its first event is 60");
        assert_eq!(find(2000), Ok(101), "nothing that late");
    }
}
