//! A file read row by row, streaming: CSV through its format's columns
//! (`domain::import_format::FormatColumns`), or NDJSON a line at a time. Each row comes
//! with the physical line it starts on and the bytes read so far.

use super::ImportError;
use super::lines::LineCounter;
use crate::domain::import_format::{
    ColumnMapping, Format, FormatColumns, Renaming, detect, is_ndjson, ndjson,
};
use crate::domain::import_plan::ImportItem;
use crate::domain::patch_input::FieldError;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// One data row.
pub(super) struct Row {
    /// The physical line it starts on.
    pub(super) line: u64,
    /// Bytes of the file read up to it.
    pub(super) bytes: u64,
    /// The row as an import item, or why it cannot be one.
    pub(super) item: Result<ImportItem, FieldError>,
}

enum Reader {
    Csv {
        reader: Box<csv::Reader<BufReader<File>>>,
        columns: FormatColumns,
        lines: LineCounter,
        record: csv::ByteRecord,
    },
    Ndjson {
        reader: BufReader<File>,
        line: u64,
        bytes: u64,
        buffer: Vec<u8>,
    },
}

/// An open file in its format.
pub(super) struct Source {
    format: Format,
    reader: Reader,
}

fn open(path: &Path) -> Result<File, ImportError> {
    File::open(path).map_err(|e| ImportError::io(path, e))
}

/// The first line that is not blank, to tell NDJSON from CSV.
fn first_line(path: &Path) -> Result<String, ImportError> {
    let mut reader = BufReader::new(open(path)?);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| ImportError::io(path, e))?;
        let text = String::from_utf8_lossy(&line);
        if read == 0 || !text.trim_start_matches('\u{feff}').trim().is_empty() {
            return Ok(text.into_owned());
        }
    }
}

impl Source {
    /// Opens `path` in `format`, or the format its first line and header say.
    pub(super) fn open(
        path: &Path,
        format: Option<Format>,
        mapping: &ColumnMapping,
    ) -> Result<Source, ImportError> {
        let first = first_line(path)?;
        if first.trim().is_empty() {
            return Err(ImportError::Empty);
        }
        let ndjson = match format {
            Some(format) => format == Format::Ndjson,
            None => is_ndjson(&first),
        };
        if ndjson {
            return Ok(Source {
                format: Format::Ndjson,
                reader: Reader::Ndjson {
                    reader: BufReader::with_capacity(1 << 20, open(path)?),
                    line: 0,
                    bytes: 0,
                    buffer: Vec::new(),
                },
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 20, open(path)?));
        let header = reader
            .headers()
            .map_err(|e| ImportError::csv(path, &e))?
            .clone();
        let format = format.unwrap_or_else(|| detect(header.iter()));
        let columns = FormatColumns::new(format, header.iter(), mapping)?;
        let mut lines = LineCounter::new(open(path)?);
        // Step over the header and any blank lines before it.
        lines.line_at(0).map_err(|e| ImportError::io(path, e))?;
        Ok(Source {
            format,
            reader: Reader::Csv {
                reader: Box::new(reader),
                columns,
                lines,
                record: csv::ByteRecord::new(),
            },
        })
    }

    pub(super) fn format(&self) -> Format {
        self.format
    }

    /// The columns renamed to valid custom-field keys (none for NDJSON).
    pub(super) fn renamings(&self) -> Vec<Renaming> {
        match &self.reader {
            Reader::Csv { columns, .. } => columns.renamings().to_vec(),
            Reader::Ndjson { .. } => Vec::new(),
        }
    }

    /// The next data row, `None` at the end of the file.
    pub(super) fn next_row(&mut self, path: &Path) -> Result<Option<Row>, ImportError> {
        match &mut self.reader {
            Reader::Csv {
                reader,
                columns,
                lines,
                record,
            } => {
                if !reader
                    .read_byte_record(record)
                    .map_err(|e| ImportError::csv(path, &e))?
                {
                    return Ok(None);
                }
                let byte = record.position().map_or(0, |p| p.byte());
                let line = lines.line_at(byte).map_err(|e| ImportError::io(path, e))?;
                let cells: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
                let item = match cells {
                    Ok(cells) => columns.contact(cells).and_then(|c| c.item()),
                    Err(_) => Err(not_utf8()),
                };
                Ok(Some(Row {
                    line,
                    bytes: byte,
                    item,
                }))
            }
            Reader::Ndjson {
                reader,
                line,
                bytes,
                buffer,
            } => loop {
                buffer.clear();
                let read = reader
                    .read_until(b'\n', buffer)
                    .map_err(|e| ImportError::io(path, e))?;
                if read == 0 {
                    return Ok(None);
                }
                *line += 1;
                *bytes += read as u64;
                let item = match std::str::from_utf8(buffer) {
                    Ok(text) if text.trim_start_matches('\u{feff}').trim().is_empty() => continue,
                    Ok(text) => ndjson::contact(text).and_then(|c| c.item()),
                    Err(_) => Err(not_utf8()),
                };
                return Ok(Some(Row {
                    line: *line,
                    bytes: *bytes,
                    item,
                }));
            },
        }
    }
}

fn not_utf8() -> FieldError {
    FieldError::invalid("row", "The row is not valid UTF-8.")
}
