//! Subscriber activity over time, for the dashboard's overview: the change feed's events
//! counted per day (as a store reads them), gathered into days, weeks or months, newest
//! last. New = created or resubscribed; gone = unsubscribed or deleted (a contact that
//! unsubscribed and was deleted later counts twice: a count per kind cannot tell).

use super::events::EventKind;
use super::timestamp::Timestamp;
use time::{Date, Duration as TimeDuration, Month, OffsetDateTime};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The events of one kind on one day (days since the Unix epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// Days since 1970-01-01.
    pub day: i64,
    /// What happened.
    pub kind: EventKind,
    /// How many times.
    pub count: u64,
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
    /// Contacts created or resubscribed.
    pub new: u64,
    /// Contacts unsubscribed or deleted.
    pub gone: u64,
}

/// The buckets of `period` up to the one holding `today`, oldest first, every bucket
/// present (zero when nothing happened).
pub fn buckets(counts: &[DayCount], period: Period, today: i64) -> Vec<Bucket> {
    let first = period.first_day(today);
    let mut starts = Vec::new();
    let mut day = first;
    while day <= today {
        let start = period.bucket_start(day);
        if starts.last() != Some(&start) {
            starts.push(start);
        }
        day += 1;
    }
    let mut out: Vec<Bucket> = starts
        .iter()
        .map(|&s| Bucket {
            label: period.label(s),
            new: 0,
            gone: 0,
        })
        .collect();
    for c in counts.iter().filter(|c| c.day >= first && c.day <= today) {
        let start = period.bucket_start(c.day);
        let Some(i) = starts.iter().position(|&s| s == start) else {
            continue;
        };
        match c.kind {
            EventKind::Created | EventKind::Resubscribed | EventKind::Confirmed => {
                out[i].new += c.count
            }
            EventKind::Unsubscribed
            | EventKind::Deleted
            | EventKind::Suppressed
            | EventKind::Erased => out[i].gone += c.count,
            EventKind::Updated
            | EventKind::Reported
            | EventKind::Unsuppressed
            | EventKind::ConfirmationRequested
            | EventKind::ConfirmationExpired => {}
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

    #[test]
    fn days_weeks_and_months_hold_every_bucket_and_count_new_and_gone() {
        let today = day(2026, 11, 29); // a Sunday
        let counts = [
            DayCount {
                day: today,
                kind: EventKind::Created,
                count: 5,
            },
            DayCount {
                day: today,
                kind: EventKind::Resubscribed,
                count: 1,
            },
            DayCount {
                day: today - 1,
                kind: EventKind::Unsubscribed,
                count: 2,
            },
            DayCount {
                day: today - 1,
                kind: EventKind::Updated,
                count: 9,
            },
            DayCount {
                day: today - 40,
                kind: EventKind::Deleted,
                count: 3,
            },
        ];
        let days = buckets(&counts, Period::Day, today);
        assert_eq!(days.len(), 30);
        assert_eq!(
            days[29],
            Bucket {
                label: "Nov 29".into(),
                new: 6,
                gone: 0
            }
        );
        assert_eq!(days[28].gone, 2);
        let weeks = buckets(&counts, Period::Week, today);
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[11].label, "week of Nov 23");
        assert_eq!((weeks[11].new, weeks[11].gone), (6, 2));
        assert_eq!(weeks.iter().map(|w| w.gone).sum::<u64>(), 5);
        let months = buckets(&counts, Period::Month, today);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].label, "Dec 2025");
        assert_eq!(months[11].label, "Nov 2026");
        assert_eq!(months[10].gone, 3, "Oct 20");
    }

    #[test]
    fn a_week_starts_on_monday() {
        assert_eq!(monday_of(day(2026, 11, 29)), day(2026, 11, 23));
        assert_eq!(monday_of(day(2026, 11, 23)), day(2026, 11, 23));
        assert_eq!(monday_of(0), day(1969, 12, 29));
    }
}
