//! Subscriber activity over time, for the dashboard's overview: what each change-feed
//! event adds to its day's counts ([`DayTally::count`], applied by the stores' daily-counts
//! rollup as it reads the feed), and days gathered into the days, weeks or months of the
//! chart, newest last.
//!
//! Gained and lost follow `subscribed` itself, whatever the event's kind: a contact created
//! subscribed, resubscribed or confirmed is gained; one unsubscribed, suppressed while
//! subscribed, erased or deleted while subscribed is lost (a contact that unsubscribed and
//! was deleted later is lost once). So the net of a day is the change in subscribers.

use super::events::EventKind;
use super::timestamp::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::{Date, Duration as TimeDuration, Month, OffsetDateTime};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// What happened on one day (days since the Unix epoch, UTC), counted from the feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayTally {
    /// Days since 1970-01-01.
    pub day: i64,
    /// Contacts that became subscribed (created subscribed, resubscribed, confirmed).
    pub gained: u64,
    /// Contacts that stopped being subscribed (unsubscribed, suppressed, erased or deleted
    /// while subscribed).
    pub lost: u64,
    /// Contacts created (subscribed or not).
    pub created: u64,
    /// `unsubscribed` events.
    pub unsubscribed: u64,
    /// Addresses suppressed for a hard bounce or a complaint.
    pub bounced: u64,
    /// Contacts deleted or erased.
    pub deleted: u64,
}

impl DayTally {
    /// An empty tally of `day`.
    pub fn of_day(day: i64) -> DayTally {
        DayTally {
            day,
            ..DayTally::default()
        }
    }

    /// Adds what an event of `kind` with these `changes` (the feed's `{"field": {"old",
    /// "new"}}`) tells.
    pub fn count(&mut self, kind: EventKind, changes: &Map<String, Value>) {
        let side = |field: &str, which: &str| {
            changes
                .get(field)
                .and_then(|c| c.get(which))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let (was, is) = (
            side("subscribed", "old") == Value::Bool(true),
            side("subscribed", "new") == Value::Bool(true),
        );
        match (was, is) {
            (false, true) => self.gained += 1,
            (true, false) => self.lost += 1,
            _ => {}
        }
        match kind {
            EventKind::Created => self.created += 1,
            EventKind::Unsubscribed => self.unsubscribed += 1,
            EventKind::Deleted | EventKind::Erased => self.deleted += 1,
            EventKind::Suppressed => {
                let reason = side("suppression", "new");
                if reason == "bounced" || reason == "complained" {
                    self.bounced += 1;
                }
            }
            _ => {}
        }
    }

    /// The counts in the stores' column order: gained, lost, created, unsubscribed,
    /// bounced, deleted.
    pub fn columns(&self) -> [i64; 6] {
        [
            self.gained,
            self.lost,
            self.created,
            self.unsubscribed,
            self.bounced,
            self.deleted,
        ]
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// The tally of `day` from counts in [`Self::columns`]' order.
    pub fn from_columns(day: i64, columns: [i64; 6]) -> DayTally {
        let [gained, lost, created, unsubscribed, bounced, deleted] =
            columns.map(|n| u64::try_from(n).unwrap_or(0));
        DayTally {
            day,
            gained,
            lost,
            created,
            unsubscribed,
            bounced,
            deleted,
        }
    }

    /// Adds another tally's counts (its day is not checked).
    pub fn add(&mut self, other: &DayTally) {
        self.gained += other.gained;
        self.lost += other.lost;
        self.created += other.created;
        self.unsubscribed += other.unsubscribed;
        self.bounced += other.bounced;
        self.deleted += other.deleted;
    }
}

/// A batch of stored feed events counted per day, as the rollup reads them.
#[derive(Debug, Default)]
pub struct Tallies(BTreeMap<i64, DayTally>);

impl Tallies {
    /// Adds a stored event: its kind's name, commit time and `changes` as stored (JSON
    /// text). An unreadable one counts for nothing (the feed reports it when read).
    pub fn add_stored(&mut self, kind: &str, at_millis: i64, changes: &str) {
        let (Some(kind), Ok(Value::Object(changes))) =
            (EventKind::parse(kind), serde_json::from_str(changes))
        else {
            return;
        };
        let day = at_millis.div_euclid(DAY_MS);
        self.0
            .entry(day)
            .or_insert_with(|| DayTally::of_day(day))
            .count(kind, &changes);
    }

    /// The days counted, oldest first.
    pub fn days(&self) -> impl Iterator<Item = &DayTally> {
        self.0.values()
    }
}

/// How the overview groups days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last 30 days.
    Day,
    /// The last 12 weeks (Monday to Sunday).
    Week,
    /// The last 12 months.
    Month,
}

impl Period {
    /// `day`, `week` or `month`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The period with this name.
    pub fn parse(name: &str) -> Option<Period> {
        [Period::Day, Period::Week, Period::Month]
            .into_iter()
            .find(|p| p.name() == name)
    }

    /// The first day (since the epoch) of the buckets ending with the one holding `today`.
    pub fn first_day(self, today: i64) -> i64 {
        match self {
            Period::Day => today - 29,
            Period::Week => monday_of(today) - 7 * 11,
            Period::Month => {
                let date = date_of(today);
                let (mut year, mut month) = (date.year(), date.month() as i32);
                month -= 11;
                if month <= 0 {
                    month += 12;
                    year -= 1;
                }
                day_of_ymd(year, month as u8, 1)
            }
        }
    }

    /// Where `day` belongs: the first day of its bucket.
    fn bucket_start(self, day: i64) -> i64 {
        match self {
            Period::Day => day,
            Period::Week => monday_of(day),
            Period::Month => {
                let date = date_of(day);
                day_of_ymd(date.year(), date.month() as u8, 1)
            }
        }
    }

    /// The label of the bucket beginning on `start`: `Nov 29`, `from Nov 23`, `Nov 2026`.
    fn label(self, start: i64) -> String {
        let date = date_of(start);
        let month = short_month(date.month());
        match self {
            Period::Day => format!("{month} {}", date.day()),
            Period::Week => format!("week of {month} {}", date.day()),
            Period::Month => format!("{month} {}", date.year()),
        }
    }
}

/// One bucket of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// A label for people.
    pub label: String,
    /// The bucket's counts, summed over its days (`day` is its first day).
    pub tally: DayTally,
}

/// The buckets of `period` up to the one holding `today`, oldest first, every bucket
/// present (zero when nothing happened).
pub fn buckets(days: &[DayTally], period: Period, today: i64) -> Vec<Bucket> {
    let first = period.first_day(today);
    let mut out: Vec<Bucket> = Vec::new();
    for day in first..=today {
        let start = period.bucket_start(day);
        if out.last().map(|b| b.tally.day) != Some(start) {
            out.push(Bucket {
                label: period.label(start),
                tally: DayTally::of_day(start),
            });
        }
    }
    for d in days.iter().filter(|d| d.day >= first && d.day <= today) {
        let start = period.bucket_start(d.day);
        if let Some(b) = out.iter_mut().find(|b| b.tally.day == start) {
            b.tally.add(d);
        }
    }
    out
}

/// The day (since the epoch) `at` falls on, UTC.
pub fn day_of(at: Timestamp) -> i64 {
    at.millis().div_euclid(DAY_MS)
}

fn date_of(day: i64) -> Date {
    OffsetDateTime::UNIX_EPOCH
        .checked_add(TimeDuration::days(day))
        .map_or(OffsetDateTime::UNIX_EPOCH.date(), |t| t.date())
}

fn day_of_ymd(year: i32, month: u8, day: u8) -> i64 {
    let month = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, month, day)
        .map_or(0, |d| (d - OffsetDateTime::UNIX_EPOCH.date()).whole_days())
}

fn monday_of(day: i64) -> i64 {
    // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
    day - (day + 3).rem_euclid(7)
}

fn short_month(month: Month) -> &'static str {
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][month as usize - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> i64 {
        day_of_ymd(y, m, d)
    }

    fn changes(json: serde_json::Value) -> Map<String, Value> {
        json.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_event_counts_by_what_happened_to_subscribed() {
        let mut t = DayTally::of_day(1);
        t.count(
            EventKind::Created,
            &changes(serde_json::json!({"subscribed": {"old": null, "new": true}})),
        );
        t.count(
            EventKind::Created,
            &changes(serde_json::json!({"subscribed": {"old": null, "new": false}})),
        );
        t.count(
            EventKind::Suppressed,
            &changes(
                serde_json::json!({"subscribed": {"old": true, "new": false},
                "suppression": {"old": null, "new": "bounced"}}),
            ),
        );
        t.count(
            EventKind::Deleted,
            &changes(serde_json::json!({"subscribed": {"old": false, "new": null}})),
        );
        t.count(
            EventKind::Updated,
            &changes(serde_json::json!({"name": {"old": "a", "new": "b"}})),
        );
        let want = DayTally {
            day: 1,
            gained: 1,
            lost: 1,
            created: 2,
            unsubscribed: 0,
            bounced: 1,
            deleted: 1,
        };
        assert_eq!(t, want);
    }

    #[test]
    fn days_weeks_and_months_hold_every_bucket_and_sum_their_days() {
        let today = day(2026, 11, 29); // a Sunday
        let tally = |day: i64, gained: u64, lost: u64| DayTally {
            day,
            gained,
            lost,
            ..DayTally::default()
        };
        let counts = [
            tally(today, 6, 0),
            tally(today - 1, 0, 2),
            tally(today - 40, 0, 3),
        ];
        let days = buckets(&counts, Period::Day, today);
        assert_eq!(days.len(), 30);
        assert_eq!(days[29].label, "Nov 29");
        assert_eq!((days[29].tally.gained, days[29].tally.lost), (6, 0));
        assert_eq!(days[28].tally.lost, 2);
        let weeks = buckets(&counts, Period::Week, today);
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[11].label, "week of Nov 23");
        assert_eq!((weeks[11].tally.gained, weeks[11].tally.lost), (6, 2));
        assert_eq!(weeks.iter().map(|w| w.tally.lost).sum::<u64>(), 5);
        let months = buckets(&counts, Period::Month, today);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].label, "Dec 2025");
        assert_eq!(months[11].label, "Nov 2026");
        assert_eq!(months[10].tally.lost, 3, "Oct 20");
    }

    #[test]
    fn a_week_starts_on_monday() {
        assert_eq!(monday_of(day(2026, 11, 29)), day(2026, 11, 23));
        assert_eq!(monday_of(day(2026, 11, 23)), day(2026, 11, 23));
        assert_eq!(monday_of(0), day(1969, 12, 29));
    }
}
