//! The overview's chart: subscribers gained above the line and lost below it (from the
//! daily counts, `domain::activity`), one pair of bars per day, week or month, drawn as
//! inline SVG (no script, colours from the stylesheet), with every count in a table for
//! screen readers and for reading exact values.
//!
//! It is drawn twice, at two widths, and the stylesheet shows the one that fits: on a
//! phone the wide drawing would shrink its text to a few pixels, so the narrow one has
//! half the width at the same text size and fewer labels. The last bucket (today's) is
//! always labelled (a week by its Monday); the value below the line is the loss, written
//! with a minus sign.

use crate::domain::activity::{Bucket, Period};
use maud::{Markup, html};

const HEIGHT: u64 = 240;
const LEFT: u64 = 52;
const BASELINE: u64 = 110;
/// Half the plot's height: the tallest bar.
const REACH: u64 = 90;

/// One drawing of the chart: its width and how many bucket labels fit under it.
struct Drawing {
    class: &'static str,
    width: u64,
    labels: usize,
}

const WIDE: Drawing = Drawing {
    class: "chart chart-wide",
    width: 720,
    labels: 6,
};
const NARROW: Drawing = Drawing {
    class: "chart chart-narrow",
    width: 360,
    labels: 3,
};

/// Whether bucket `i` of `n` gets a label: every `step`-th counting back from the last, so
/// the newest is always labelled.
fn labelled(i: usize, n: usize, labels: usize) -> bool {
    let step = n.div_ceil(labels).max(1);
    (n - 1 - i).is_multiple_of(step)
}

fn drawing(d: &Drawing, buckets: &[Bucket], summary: &str) -> Markup {
    let most = buckets
        .iter()
        .map(|b| b.tally.gained.max(b.tally.lost))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = buckets.len().max(1);
    let slot = (d.width - LEFT) / n as u64;
    let bar = (slot * 2 / 5).max(1);
    let scale = |v: u64| v * REACH / most;
    html! {
        svg class=(d.class) viewBox={"0 0 " (d.width) " " (HEIGHT)} role="img" aria-label=(summary) {
            title { (summary) }
            line x1=(LEFT) y1=(BASELINE) x2=(d.width) y2=(BASELINE) stroke="currentColor" {}
            text x=(LEFT - 6) y=(BASELINE - REACH + 4) text-anchor="end" { (most) }
            text x=(LEFT - 6) y=(BASELINE + 4) text-anchor="end" { "0" }
            text x=(LEFT - 6) y=(BASELINE + REACH + 4) text-anchor="end" { "\u{2212}" (most) }
            @for (i, b) in buckets.iter().enumerate() {
                @let x = LEFT + i as u64 * slot;
                @let up = scale(b.tally.gained);
                @let down = scale(b.tally.lost);
                rect.bar-new x=(x) y=(BASELINE - up) width=(bar) height=(up) {
                    title { (b.label) ": " (b.tally.gained) " gained" }
                }
                rect.bar-gone x=(x + bar) y=(BASELINE) width=(bar) height=(down) {
                    title { (b.label) ": " (b.tally.lost) " lost" }
                }
                @let label = b.label.trim_start_matches("week of ");
                @if i + 1 == buckets.len() {
                    text x=(x + slot) y=(HEIGHT - 8) text-anchor="end" { (label) }
                } @else if labelled(i, n, d.labels) {
                    text x=(x) y=(HEIGHT - 8) { (label) }
                }
            }
        }
    }
}

/// The chart of `buckets` (oldest first); `subscribed` is the number subscribed now, from
/// which each bucket's closing number is counted back.
pub fn render(buckets: &[Bucket], period: Period, subscribed: u64) -> Markup {
    let (gained, lost): (u64, u64) = buckets
        .iter()
        .fold((0, 0), |(g, l), b| (g + b.tally.gained, l + b.tally.lost));
    let summary = format!(
        "{gained} gained and {lost} lost over the last {} {}s",
        buckets.len(),
        period.name()
    );
    let mut closing = Vec::with_capacity(buckets.len());
    let mut at_end = subscribed as i64;
    for b in buckets.iter().rev() {
        closing.push(at_end);
        at_end -= b.tally.gained as i64 - b.tally.lost as i64;
    }
    html! {
        figure {
            (drawing(&WIDE, buckets, &summary))
            (drawing(&NARROW, buckets, &summary))
            figcaption.muted { "Blue: subscribers gained (created subscribed, resubscribed or confirmed). Red: lost (unsubscribed, suppressed, erased or deleted while subscribed)." }
        }
        details {
            summary { "The numbers" }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { (period.name()) }
                        th scope="col" { "Subscribed at its end" }
                        th scope="col" { "Gained" } th scope="col" { "Lost" }
                        th scope="col" { "Created" } th scope="col" { "Unsubscribed" }
                        th scope="col" { "Bounced" } th scope="col" { "Deleted" }
                    } }
                    tbody {
                        @for (b, subscribed) in buckets.iter().rev().zip(&closing) {
                            tr {
                                td data-label=(period.name()) { (b.label) }
                                td data-label="Subscribed at its end" { (subscribed) }
                                td data-label="Gained" { (b.tally.gained) }
                                td data-label="Lost" { (b.tally.lost) }
                                td data-label="Created" { (b.tally.created) }
                                td data-label="Unsubscribed" { (b.tally.unsubscribed) }
                                td data-label="Bounced" { (b.tally.bounced) }
                                td data-label="Deleted" { (b.tally.deleted) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::labelled;

    #[test]
    fn the_newest_bucket_is_always_labelled() {
        for n in [1, 12, 30] {
            for labels in [3, 6] {
                assert!(labelled(n - 1, n, labels));
                let count = (0..n).filter(|&i| labelled(i, n, labels)).count();
                assert!(count <= labels, "{n} buckets, {labels} labels: {count}");
            }
        }
    }
}
