//! Importing a file from the dashboard: upload (multipart, the file streamed to the import
//! spool as `POST /v1/imports` does), a dry run by default, then the job's page: the
//! detected format, progress while it runs (the page reloads itself every two seconds, with
//! no script), and the result with every bad row by its line. The engine and its rules are
//! `crate::import_jobs`, the same as the API's and `purrlist import`'s.

use super::layout::{Frame, Section, csrf_field, page, when};
use super::response::{
    error_page, html_page, message_page, not_found_page, read_only_page, see_other,
};
use super::session::SignedIn;
use crate::domain::ids::ImportId;
use crate::domain::import_job::{ImportJob, ImportSettings};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::api::import_json::ImportBody;
use crate::http::error::ApiError;
use crate::import_jobs::SpoolError;
use axum::body::{Body, Bytes};
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

/// Longest value of a form field other than the file.
const MAX_FIELD_BYTES: usize = 4096;
/// Jobs listed on the upload page.
const JOBS_LISTED: u32 = 20;

fn upload_page(
    signed_in: &SignedIn,
    workspace: &Workspace,
    jobs: &[ImportJob],
    error: Option<&str>,
) -> Markup {
    let base = format!("/admin/w/{}/imports", workspace.id);
    page(
        "Import",
        Frame::of(signed_in, Section::Imports).in_workspace(workspace),
        html! {
            h1 { "Import" }
            p { "A CSV or NDJSON file exported from Mailchimp, Substack, Ghost, listmonk, Buttondown, Kit, beehiiv, Resend or purrlist; the format is told from the header row." }
            @if signed_in.may_write() {
                div.card {
                    form.stack method="post" action=(base) enctype="multipart/form-data" {
                        (csrf_field(signed_in))
                        label.check {
                            input type="checkbox" name="dry_run" value="yes" checked;
                            "Dry run: write nothing, report what a real run would do"
                        }
                        label.check {
                            input type="checkbox" name="skip_invalid" value="yes";
                            "Write the good rows even if some are bad (they are listed)"
                        }
                        label.check {
                            input type="checkbox" name="resubscribe" value="yes";
                            "Let the file subscribe contacts that unsubscribed (only with their consent)"
                        }
                        label.check {
                            input type="checkbox" name="override_suppression" value="yes";
                            "Let the file subscribe suppressed addresses (bounced, complained or suppressed by hand) and lift their suppressions (only when the people asked again)"
                        }
                        div.field {
                            label for="file" { "File" }
                            input id="file" type="file" name="file" required accept=".csv,.ndjson,.jsonl,.txt,text/csv"
                                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "file-error")];
                            @if let Some(error) = error { p.error id="file-error" { (error) } }
                        }
                        div { button type="submit" { "Upload" } }
                    }
                }
            }
            h2 { "Recent imports" }
            @if jobs.is_empty() {
                p.muted { "None yet." }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { "Newest first" }
                        thead { tr { th scope="col" { "Started" } th scope="col" { "Status" } th scope="col" { "Rows" } } }
                        tbody {
                            @for job in jobs {
                                tr {
                                    td data-label="Started" { a href={(base) "/" (job.id.as_str())} { (when(job.created_at)) } }
                                    td data-label="Status" { span { (job.status.as_str()) @if job.settings.dry_run { " (dry run)" } } }
                                    td data-label="Rows" { (job.counts.rows_read) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn recent(state: &AppState, workspace: &Workspace) -> Result<Vec<ImportJob>, Response> {
    state
        .store
        .list_imports(&workspace.id, JOBS_LISTED)
        .await
        .map_err(|e| error_page(&ApiError::from(e)))
}

/// `GET /admin/w/{workspace}/imports`: the upload form and the recent jobs.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    match recent(&state, &workspace).await {
        Ok(jobs) => html_page(
            StatusCode::OK,
            upload_page(&signed_in, &workspace, &jobs, None),
        ),
        Err(page) => page,
    }
}

/// A short text field, read whole (at most [`MAX_FIELD_BYTES`]).
async fn small_text(mut field: Field<'_>) -> Option<String> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_FIELD_BYTES {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

/// Streams the file field into the spool for `id`; its size.
async fn spool_file(
    state: &AppState,
    id: &ImportId,
    mut field: Field<'_>,
) -> Result<u64, SpoolError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    }));
    let pump = async move {
        loop {
            let piece = match field.chunk().await {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => break,
                Err(e) => Err(std::io::Error::other(e.body_text())),
            };
            let failed = piece.is_err();
            if tx.send(piece).await.is_err() || failed {
                break;
            }
        }
    };
    let limits = &state.limits;
    let receive = state.imports.spool().receive(
        id,
        body,
        limits.import_body_bytes as u64,
        limits.import_body_read_timeout,
        |_| {},
    );
    let ((), size) = tokio::join!(pump, receive);
    size
}

/// `POST /admin/w/{workspace}/imports`: the form's fields (the CSRF token first, as the
/// form orders them), then the file, spooled; the job starts and its page follows.
pub async fn upload(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let mut csrf_ok = false;
    let mut settings = ImportSettings::default();
    let id = ImportId::generate();
    let mut size = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return message_page(
                    e.status(),
                    Frame::bare(),
                    "The upload could not be read",
                    &e.body_text(),
                );
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if !csrf_ok {
                return super::form::refused();
            }
            if !signed_in.may_write() {
                return read_only_page();
            }
            match spool_file(&state, &id, field).await {
                Ok(bytes) => size = Some(bytes),
                Err(SpoolError::Body(e)) => {
                    return message_page(
                        e.status(),
                        Frame::bare(),
                        "The upload could not be read",
                        &e.message(),
                    );
                }
                Err(SpoolError::Disk(e)) => {
                    tracing::warn!(error = %e, "cannot spool an uploaded import");
                    return error_page(&ApiError::from(
                        crate::http::error::ErrorCode::SpoolUnavailable,
                    ));
                }
            }
            break;
        }
        let Some(value) = small_text(field).await else {
            return super::form::refused();
        };
        match name.as_str() {
            "csrf" => csrf_ok = signed_in.csrf_matches(&value),
            "dry_run" => settings.dry_run = value == "yes",
            "skip_invalid" => settings.skip_invalid = value == "yes",
            "resubscribe" => settings.resubscribe = value == "yes",
            "override_suppression" => settings.override_suppression = value == "yes",
            _ => {}
        }
    }
    if !csrf_ok {
        return super::form::refused();
    }
    let size = match size {
        Some(size) if size > 0 => size,
        other => {
            if other.is_some() {
                state.imports.spool().remove(&id);
            }
            return match recent(&state, &workspace).await {
                Ok(jobs) => html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    upload_page(
                        &signed_in,
                        &workspace,
                        &jobs,
                        Some("Choose a file that is not empty."),
                    ),
                ),
                Err(page) => page,
            };
        }
    };
    let job = ImportJob::queued(
        id.clone(),
        workspace.id.clone(),
        signed_in.key.id.clone(),
        settings,
        size,
        Timestamp::now(),
    );
    if let Err(e) = state.store.create_import(&job).await {
        state.imports.spool().remove(&id);
        return error_page(&ApiError::from(e));
    }
    state.imports.start(job, Some(signed_in.origin().evidence));
    see_other(&format!("/admin/w/{}/imports/{id}", workspace.id))
}

fn job_page(signed_in: &SignedIn, workspace: &Workspace, job: ImportBody, running: bool) -> Markup {
    let base = format!("/admin/w/{}/imports", workspace.id);
    let counts = [
        ("rows read", job.rows_read),
        ("created", job.created),
        ("updated", job.updated),
        ("unchanged", job.unchanged),
        ("kept unsubscribed", job.kept_unsubscribed),
        ("bad rows", job.bad_row_count),
    ];
    page(
        "Import",
        Frame::of(signed_in, Section::Imports).in_workspace(workspace),
        html! {
            p { a href=(base) { "← Import another file" } }
            h1 { "Import " (job.status) @if job.dry_run { " (dry run)" } }
            @if running {
                p role="status" { "Working… this page reloads every two seconds." }
            }
            dl.fields.card {
                dt { "Format" } dd { (job.format.as_deref().unwrap_or(if running { "being detected" } else { "not detected" })) }
                dt { "File size" } dd { (job.body_bytes) " bytes" }
                dt { "Started" } dd { (when(job.created_at)) }
            }
            ul.stats {
                @for (label, n) in counts { li { strong { (n) } (label) } }
            }
            @if let Some(message) = &job.message { p.alert role="alert" { (message) } }
            @if job.status == "failed" && job.bad_row_count > 0 && !job.skip_invalid {
                p { "To import the good rows and skip the bad ones, upload the file again with “Write the good rows even if some are bad” ticked." }
            }
            @if job.dry_run && job.status == "succeeded" {
                p.notice { "Nothing was written. To import for real, upload the file again without “Dry run”." }
            }
            @if !job.bad_rows.is_empty() {
                h2 { "Bad rows" }
                div.table-wrap {
                    table {
                        caption.muted { "Each bad row by its line in the file" }
                        thead { tr { th scope="col" { "Line" } th scope="col" { "Field" } th scope="col" { "Problem" } } }
                        tbody {
                            @for row in &job.bad_rows {
                                tr { td data-label="Line" { (row.line) } td data-label="Field" { (row.field) } td data-label="Problem" { (row.message) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /admin/w/{workspace}/imports/{id}`: one job, reloading itself while it runs.
pub async fn job(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let Some(id) = ImportId::parse(&id) else {
        return not_found_page();
    };
    let job = match state.store.find_import(&id).await {
        Ok(Some(job)) if job.workspace == workspace.id => job,
        Ok(_) => return not_found_page(),
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let running = !job.status.is_final();
    let mut response = html_page(
        StatusCode::OK,
        job_page(&signed_in, &workspace, ImportBody::from(job), running),
    );
    if running {
        response.headers_mut().insert(
            axum::http::HeaderName::from_static("refresh"),
            axum::http::HeaderValue::from_static("2"),
        );
    }
    response
}
