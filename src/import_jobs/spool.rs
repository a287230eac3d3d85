//! Where import bodies wait for their job: one private file (0600) per job in a private
//! directory (0700), written as the body arrives (never held in memory whole), within the
//! import size and time limits, and removed when the job ends.

use crate::domain::ids::ImportId;
use crate::http::request_body::BodyError;
use crate::store::ImportStore;
use axum::body::Body;
use http_body_util::BodyExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

/// Why a body could not be spooled.
#[derive(Debug)]
pub enum SpoolError {
    /// The body itself: too large, too slow, unreadable.
    Body(BodyError),
    /// The disk: full, or not writable.
    Disk(std::io::Error),
}

impl Spool {
    /// Uses (making it, private, if needed) the directory `dir`.
    pub fn open(dir: PathBuf) -> std::io::Result<Spool> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        Ok(Spool { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a job's body.
    pub fn path_of(&self, id: &ImportId) -> PathBuf {
        self.dir.join(format!("{id}.upload"))
    }

    /// Removes a job's body; a body already gone is no error.
    pub fn remove(&self, id: &ImportId) {
        let path = self.path_of(id);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a spooled import body");
        }
    }

    /// Removes the bodies of jobs that are over: those a stopped server left. Bodies of open
    /// jobs stay (another node may share the directory), and so do bodies of no job yet
    /// (being received) unless they are a day old (left by an upload that died).
    pub async fn clear_ended(&self, store: &dyn ImportStore) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".upload"))
                .and_then(ImportId::parse)
            else {
                continue;
            };
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(86_400));
            match store.find_import(&id).await {
                Ok(Some(job)) if job.status.is_final() => self.remove(&id),
                Ok(None) if stale => self.remove(&id),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot look up a spooled import"),
            }
        }
    }

    /// Writes `body` into a new private file for `id`, at most `limit` bytes, all of it
    /// within `timeout`, handing each piece to `seen` (a hash) as it goes. Returns the
    /// size. On any failure the file is removed.
    pub async fn receive(
        &self,
        id: &ImportId,
        body: Body,
        limit: u64,
        timeout: Duration,
        seen: impl FnMut(&[u8]),
    ) -> Result<u64, SpoolError> {
        let path = self.path_of(id);
        let file = crate::store::sqlite::create_private(&path).map_err(SpoolError::Disk)?;
        let written = match tokio::time::timeout(timeout, copy(body, file, limit, seen)).await {
            Err(_) => Err(SpoolError::Body(BodyError::TimedOut(timeout))),
            Ok(result) => result,
        };
        if written.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        written
    }
}

async fn copy(
    mut body: Body,
    file: std::fs::File,
    limit: u64,
    mut seen: impl FnMut(&[u8]),
) -> Result<u64, SpoolError> {
    // Writes of one frame (tens of KiB) into the page cache: short enough to do in place.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| SpoolError::Body(BodyError::Unreadable))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        size += data.len() as u64;
        if size > limit {
            return Err(SpoolError::Body(BodyError::TooLarge(limit as usize)));
        }
        seen(&data);
        out.write_all(&data).map_err(SpoolError::Disk)?;
    }
    out.flush().map_err(SpoolError::Disk)?;
    Ok(size)
}
