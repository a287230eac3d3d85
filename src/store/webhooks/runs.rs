//! The deliveries log packed into runs, for SQLite, whose single writer shares the core
//! with the API: a worker's page of attempts that the receiver answered alike (the same
//! status and the same first 1 KiB, no error) is one row instead of one per attempt, so
//! logging an accepted page costs one insert, not hundreds. The row keeps the run's first
//! attempt in its ordinary columns and the others in `run` (a few bytes each); the
//! attempts keep ids of their own, consecutive, ending at the row's id (`span` of them),
//! so `GET /v1/webhooks/{id}/deliveries` shows every attempt exactly as if each had its
//! own row, and its `before` cursor works across runs.
//!
//! `run` holds, for each attempt after the first, relative to the one before it: the
//! event's id (a zigzag varint difference), its type (an index into the types seen so
//! far in this run, the first attempt's being 0, or the next index followed by the new
//! type's length and bytes), the attempt number, the duration in ms, and the start time
//! (a zigzag varint difference in ms). A row whose `run` is NULL is one attempt.

use super::DeliveryRecord;

/// The most attempts one row holds (a worker's page is at most 256 events).
pub const MAX_SPAN: usize = 256;

/// One row to write: the first attempt, how many the row holds, and the others packed.
pub struct PackedRow<'a> {
    /// The run's first attempt (its columns are the row's).
    pub first: &'a DeliveryRecord,
    /// How many attempts the row holds (1 when `run` is `None`).
    pub span: usize,
    /// The attempts after the first, packed; `None` for a row of one attempt.
    pub run: Option<Vec<u8>>,
}

/// Whether `d` may be in a run: a feed message (its `webhook-id` is the event's id,
/// which the run does not store) that the receiver answered without error.
fn packable(d: &DeliveryRecord) -> bool {
    d.error.is_none()
        && d.status_code.is_some()
        && d.event_seq.is_some_and(|s| d.message_id == s.to_string())
}

/// Splits attempts (oldest first) into rows, in order: a run is packable attempts answered
/// alike (the same status and answer) as its first.
pub fn pack(records: &[DeliveryRecord]) -> Vec<PackedRow<'_>> {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let first = &records[start];
        let alike = |d: &&DeliveryRecord| {
            d.status_code == first.status_code && d.response == first.response && packable(d)
        };
        let span = if packable(first) {
            1 + records[start + 1..]
                .iter()
                .take(MAX_SPAN - 1)
                .take_while(alike)
                .count()
        } else {
            1
        };
        let run = (span > 1).then(|| encode(&records[start..start + span]));
        rows.push(PackedRow { first, span, run });
        start += span;
    }
    rows
}

/// `records[1..]` packed relative to each one before (`records` is one run).
fn encode(records: &[DeliveryRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 8);
    let mut types: Vec<&str> = vec![&records[0].event_type];
    for pair in records.windows(2) {
        let (before, d) = (&pair[0], &pair[1]);
        put_signed(
            &mut out,
            d.event_seq.unwrap_or(0) - before.event_seq.unwrap_or(0),
        );
        match types.iter().position(|t| *t == d.event_type) {
            Some(i) => put(&mut out, i as u64),
            None => {
                put(&mut out, types.len() as u64);
                put(&mut out, d.event_type.len() as u64);
                out.extend_from_slice(d.event_type.as_bytes());
                types.push(&d.event_type);
            }
        }
        put(&mut out, u64::from(d.attempt));
        put_signed(&mut out, d.duration_ms);
        put_signed(&mut out, d.created_at.millis() - before.created_at.millis());
    }
    out
}

/// The attempts of a stored row, newest first, with their ids: `first` as read from the
/// row's columns (its `id` the row's, i.e. the last attempt's), `span` and `run` as stored.
pub fn unpack(
    first: DeliveryRecord,
    span: i64,
    run: Option<&[u8]>,
) -> Result<Vec<DeliveryRecord>, String> {
    let last_id = first.id;
    let mut attempts = vec![DeliveryRecord {
        id: last_id - span + 1,
        ..first
    }];
    if let Some(mut bytes) = run {
        let mut types = vec![attempts[0].event_type.clone()];
        while !bytes.is_empty() {
            let before = attempts.last().expect("the first attempt is there");
            let seq = before.event_seq.unwrap_or(0) + take_signed(&mut bytes)?;
            let index = take(&mut bytes)? as usize;
            if index == types.len() {
                let len = take(&mut bytes)? as usize;
                let text = bytes.get(..len).ok_or("a type cut short")?;
                types.push(String::from_utf8(text.to_vec()).map_err(|e| e.to_string())?);
                bytes = &bytes[len..];
            }
            let event_type = types.get(index).ok_or("a type out of range")?.clone();
            let attempt = u32::try_from(take(&mut bytes)?).map_err(|e| e.to_string())?;
            let duration_ms = take_signed(&mut bytes)?;
            let created_at = before.created_at.millis() + take_signed(&mut bytes)?;
            let d = DeliveryRecord {
                id: before.id + 1,
                message_id: seq.to_string(),
                event_seq: Some(seq),
                event_type,
                attempt,
                duration_ms,
                created_at: crate::domain::timestamp::Timestamp::from_millis(created_at),
                ..before.clone()
            };
            attempts.push(d);
        }
    }
    if attempts.len() as i64 != span {
        return Err(format!(
            "a run of {} attempts stored as {span}",
            attempts.len()
        ));
    }
    attempts.reverse();
    Ok(attempts)
}

fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_signed(out: &mut Vec<u8>, n: i64) {
    put(out, ((n << 1) ^ (n >> 63)) as u64);
}

fn take(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or("a run cut short")?;
        *bytes = rest;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err("a number too long".to_owned())
}

fn take_signed(bytes: &mut &[u8]) -> Result<i64, String> {
    let n = take(bytes)?;
    Ok((n >> 1) as i64 ^ -((n & 1) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timestamp::Timestamp;

    fn accepted(seq: i64, kind: &str, at: i64) -> DeliveryRecord {
        DeliveryRecord {
            id: 0,
            message_id: seq.to_string(),
            event_seq: Some(seq),
            event_type: kind.to_owned(),
            attempt: 1,
            status_code: Some(200),
            error: None,
            duration_ms: seq % 7,
            created_at: Timestamp::from_millis(at),
            response: "ok".to_owned(),
        }
    }

    /// Stores the rows as a backend would (ids consecutive, each row's id its last
    /// attempt's) and reads every attempt back, oldest first.
    fn round_trip(records: &[DeliveryRecord]) -> Vec<DeliveryRecord> {
        let mut next_id = 100;
        let mut back = Vec::new();
        for row in pack(records) {
            next_id += row.span as i64;
            let first = DeliveryRecord {
                id: next_id,
                ..row.first.clone()
            };
            let mut attempts = unpack(first, row.span as i64, row.run.as_deref())
                .expect("a run packed here unpacks");
            attempts.reverse();
            back.extend(attempts);
        }
        back
    }

    #[test]
    fn a_page_answered_alike_is_one_row_and_reads_back_attempt_by_attempt() {
        let mut records: Vec<_> = (0..200)
            .map(|i| {
                let kind = ["contact.updated", "contact.created", "contact.unsubscribed"][i % 3];
                accepted(1_000 + 3 * i as i64, kind, 1_700_000_000_000 + i as i64 * 5)
            })
            .collect();
        records[7].attempt = 3;
        records[9].duration_ms = 15_000;
        assert_eq!(pack(&records).len(), 1);
        let back = round_trip(&records);
        assert_eq!(back.len(), 200);
        for (i, (got, sent)) in back.iter().zip(&records).enumerate() {
            assert_eq!(got.id, 101 + i as i64);
            assert_eq!(
                DeliveryRecord {
                    id: 0,
                    ..got.clone()
                },
                *sent
            );
        }
    }

    #[test]
    fn a_different_answer_an_error_or_a_test_message_starts_a_new_row() {
        let mut records: Vec<_> = (0..6).map(|i| accepted(i, "contact.updated", i)).collect();
        records[2].status_code = Some(204);
        records[3].status_code = Some(204);
        records[4].error = Some("timed out".to_owned());
        records[4].status_code = None;
        records[5].message_id = "msg_test".to_owned();
        let spans: Vec<_> = pack(&records).iter().map(|r| r.span).collect();
        assert_eq!(spans, [2, 2, 1, 1]);
        let back = round_trip(&records);
        let sent: Vec<_> = records
            .into_iter()
            .map(|d| DeliveryRecord { id: 0, ..d })
            .collect();
        let got: Vec<_> = back
            .into_iter()
            .map(|d| DeliveryRecord { id: 0, ..d })
            .collect();
        assert_eq!(got, sent);
    }

    #[test]
    fn a_row_holds_at_most_max_span_attempts() {
        let records: Vec<_> = (0..600)
            .map(|i| accepted(i, "contact.updated", i))
            .collect();
        let spans: Vec<_> = pack(&records).iter().map(|r| r.span).collect();
        assert_eq!(spans, [MAX_SPAN, MAX_SPAN, 600 - 2 * MAX_SPAN]);
        assert_eq!(round_trip(&records).len(), 600);
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let records: Vec<_> = (0..3).map(|i| accepted(i, "contact.updated", i)).collect();
        let row = &pack(&records)[0];
        let run = row.run.clone().expect("three attempts make a run");
        let first = DeliveryRecord {
            id: 10,
            ..records[0].clone()
        };
        assert!(unpack(first.clone(), 3, Some(&run[..run.len() - 1])).is_err());
        assert!(unpack(first.clone(), 4, Some(&run)).is_err());
        assert!(unpack(first, 3, Some(&[0x80])).is_err());
    }
}
