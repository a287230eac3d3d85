//! The overview's chart: subscribers gained (created or resubscribed) above the line and
//! lost (unsubscribed or deleted) below it, one pair of bars per day, week or month, drawn
//! as inline SVG (no script, colours from the stylesheet), with the same numbers in a table
//! for screen readers and for reading exact values.

use crate::domain::activity::{Bucket, Period};
use maud::{Markup, html};

const WIDTH: u64 = 720;
const HEIGHT: u64 = 240;
const LEFT: u64 = 40;
const BASELINE: u64 = 110;
/// Half the plot's height: the tallest bar.
const REACH: u64 = 90;

/// The chart of `buckets` (oldest first).
pub fn render(buckets: &[Bucket], period: Period) -> Markup {
    let most = buckets
        .iter()
        .map(|b| b.new.max(b.gone))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = (WIDTH - LEFT) / (buckets.len().max(1) as u64);
    let bar = (slot * 2 / 5).max(1);
    let scale = |n: u64| n * REACH / most;
    let label_every = buckets.len().div_ceil(6).max(1);
    let (gained, lost): (u64, u64) = buckets
        .iter()
        .fold((0, 0), |(g, l), b| (g + b.new, l + b.gone));
    let summary = format!(
        "{gained} gained and {lost} lost over the last {} {}s",
        buckets.len(),
        period.name()
    );
    html! {
        figure {
            svg.chart viewBox={"0 0 " (WIDTH) " " (HEIGHT)} role="img" aria-label=(summary) {
                title { (summary) }
                line x1=(LEFT) y1=(BASELINE) x2=(WIDTH) y2=(BASELINE) stroke="currentColor" {}
                text x="0" y="24" { (most) }
                text x="0" y=(BASELINE + REACH) { (most) }
                @for (i, b) in buckets.iter().enumerate() {
                    @let x = LEFT + i as u64 * slot;
                    @let up = scale(b.new);
                    @let down = scale(b.gone);
                    rect.bar-new x=(x) y=(BASELINE - up) width=(bar) height=(up) {
                        title { (b.label) ": " (b.new) " gained" }
                    }
                    rect.bar-gone x=(x + bar) y=(BASELINE) width=(bar) height=(down) {
                        title { (b.label) ": " (b.gone) " lost" }
                    }
                    @if i % label_every == 0 {
                        text x=(x) y=(HEIGHT - 8) { (b.label) }
                    }
                }
            }
            figcaption.muted { "Blue: subscribers gained (new or resubscribed). Red: lost (unsubscribed or deleted)." }
        }
        details {
            summary { "The numbers" }
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { (period.name()) } th scope="col" { "Gained" } th scope="col" { "Lost" } } }
                    tbody {
                        @for b in buckets.iter().rev() {
                            tr { td data-label=(period.name()) { (b.label) } td data-label="Gained" { (b.new) } td data-label="Lost" { (b.gone) } }
                        }
                    }
                }
            }
        }
    }
}
