//! The file's own physical line numbers. The csv crate's record line numbers drift after
//! blank lines and CRLF line ends, so lines are counted here from the record's byte offset:
//! a second, sequential reader over the same file counts the LF bytes before it.

use std::fs::File;
use std::io::{BufRead, BufReader};

/// Counts lines up to byte offsets that only grow.
pub(super) struct LineCounter {
    file: BufReader<File>,
    offset: u64,
    newlines: u64,
}

impl LineCounter {
    pub(super) fn new(file: File) -> LineCounter {
        LineCounter {
            file: BufReader::with_capacity(1 << 16, file),
            offset: 0,
            newlines: 0,
        }
    }

    /// The line the record found at `byte` starts on. The csv crate may place a record at
    /// the line end (or the blank lines) before it, so CR and LF bytes there are stepped over.
    pub(super) fn line_at(&mut self, byte: u64) -> std::io::Result<u64> {
        while self.offset < byte {
            let buf = self.file.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min((byte - self.offset) as usize);
            self.newlines += buf[..take].iter().filter(|b| **b == b'\n').count() as u64;
            self.file.consume(take);
            self.offset += take as u64;
        }
        loop {
            let buf = self.file.fill_buf()?;
            let blank = buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            if blank == 0 {
                break;
            }
            self.newlines += buf[..blank].iter().filter(|b| **b == b'\n').count() as u64;
            self.file.consume(blank);
            self.offset += blank as u64;
        }
        Ok(self.newlines + 1)
    }
}
