//! `POST /v1/imports`, `GET /v1/imports/{id}` and `GET /v1/imports`: a CSV or NDJSON file
//! imported in the background by the engine of `purrlist import` (`crate::import_jobs`),
//! and the job read back while it runs and after.

use super::import_json::{ImportBody, ImportList};
use super::query::QueryParams;
use crate::domain::ids::ImportId;
use crate::domain::import_format::Format;
use crate::domain::import_job::{ImportJob, ImportSettings};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use crate::http::middleware::idempotency::{RequestHasher, idempotency_key, run_once};
use crate::http::request_body::BodyError;
use crate::import_jobs::SpoolError;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, Ordering};

/// Most jobs in one page of `GET /v1/imports`.
pub const MAX_LISTED: u64 = 100;
/// Jobs in a page when `limit` is left out.
pub const DEFAULT_LISTED: u64 = 20;

/// Media types an import body may be sent as (the engine tells CSV from NDJSON by the
/// first line, so these only keep other bodies out).
const IMPORT_TYPES: &[&str] = &[
    "text/csv",
    "application/csv",
    "text/plain",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/octet-stream",
];

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// 415 unless the body is sent as CSV or NDJSON, uncompressed; 413 when its declared
/// length is over the limit (before any of it is read).
fn check_body_headers(headers: &HeaderMap, limit: usize) -> Result<(), ApiError> {
    if !media_type(headers).is_some_and(|t| IMPORT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the file as `Content-Type: text/csv` (CSV), `application/x-ndjson` (NDJSON) or `application/octet-stream`.",
        ));
    }
    for coding in headers.get_all(header::CONTENT_ENCODING) {
        let coding = String::from_utf8_lossy(coding.as_bytes());
        if coding
            .split(',')
            .map(str::trim)
            .any(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "`Content-Encoding: {coding}` is not supported here; send the file uncompressed."
                ),
            ));
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit).into());
    }
    Ok(())
}

/// The settings the query asks for.
fn settings(params: &QueryParams) -> Result<ImportSettings, ApiError> {
    let format = match params
        .text("format")
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => None,
        Some(name) => Some(
            Format::from_name(name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    ApiError::bad_parameter(
                        "format",
                        format!("`format` must be one of {}.", names.join(", ")),
                    )
                })?
                .name()
                .to_owned(),
        ),
    };
    Ok(ImportSettings {
        format,
        dry_run: params.boolean("dry_run")?.unwrap_or(false),
        resubscribe: params.boolean("resubscribe")?.unwrap_or(false),
        skip_invalid: params.boolean("skip_invalid")?.unwrap_or(false),
        override_suppression: params.boolean("override_suppression")?.unwrap_or(false),
    })
}

fn spool_error(e: SpoolError) -> ApiError {
    match e {
        SpoolError::Body(e) => e.into(),
        SpoolError::Disk(e) => ApiError::from(ErrorCode::SpoolUnavailable)
            .with_cause(format!("cannot spool an import body: {e}"))
            .with_retry_after(60),
    }
}

/// Import a CSV or NDJSON file in the background.
#[utoipa::path(
    post, path = "/v1/imports", tag = "imports",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("format" = Option<String>, Query, description = "Force a format: `purrlist`, `mailchimp`, `substack`, `ghost`, `listmonk`, `buttondown`, `kit` (or `convertkit`), `beehiiv`, `resend`, `csv`, `ndjson`. Left out: detected from the header."),
        ("dry_run" = Option<bool>, Query, description = "Write nothing; report exactly what a real run would do."),
        ("resubscribe" = Option<bool>, Query, description = "Let rows re-subscribe contacts that are unsubscribed (never by default)."),
        ("skip_invalid" = Option<bool>, Query, description = "Write the good rows and list the bad ones, instead of refusing the whole file."),
        ("override_suppression" = Option<bool>, Query, description = "Let rows subscribe suppressed addresses and lift their suppressions (with `resubscribe` for unsubscribed contacts); only when the people asked again. Without it such rows are counted in `report.kept_suppressed`."),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true` (the same job, not a second one)."),
    ),
    request_body(content = String, description = "The file as exported by the other tool, CSV or NDJSON, uncompressed, up to 64 MiB by default; sent as `application/octet-stream`, `text/csv` or `application/x-ndjson`.", content_type = "application/octet-stream"),
    responses(
        (status = 202, description = "Accepted: the job, `queued`. `Location` is its URL; poll it until `status` is final.", body = ImportBody,
            headers(("Location" = String, description = "`/v1/imports/{id}`"))),
        (status = 400, description = "A bad parameter, an empty body, or `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use (or that does not exist).", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the import body time limit.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running.", body = ErrorBody),
        (status = 413, description = "Body over the import limit.", body = ErrorBody),
        (status = 415, description = "Body not sent as CSV or NDJSON, or compressed.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
    client: ClientEvidence,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let limit = state.limits.import_body_bytes;
    check_body_headers(&parts.headers, limit)?;
    let params = QueryParams::parse(raw.as_deref())?;
    let settings = settings(&params)?;
    let idempotency = idempotency_key(&parts.headers)?;
    caller.require_write()?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;

    let id = ImportId::generate();
    let mut hash = RequestHasher::new(&parts.method, &parts.uri);
    let spool = state.imports.spool();
    let size = spool
        .receive(
            &id,
            body,
            limit as u64,
            state.limits.import_body_read_timeout,
            |piece| hash.update(piece),
        )
        .await
        .map_err(spool_error)?;
    if size == 0 {
        spool.remove(&id);
        return Err(ApiError::new(
            ErrorCode::InvalidBody,
            "The request body is empty; send the CSV or NDJSON file.",
        ));
    }

    let job = ImportJob::queued(
        id.clone(),
        workspace,
        caller.key.id.clone(),
        settings,
        size,
        Timestamp::now(),
    );
    let started = AtomicBool::new(false);
    let start = async {
        if let Err(e) = state.store.create_import(&job).await {
            return ApiError::from(e).into_response();
        }
        // The source becomes `import:<format>` once the format is known.
        state
            .imports
            .start(job.clone(), Some(client.evidence("import")));
        started.store(true, Ordering::Relaxed);
        accepted(job.clone())
    };
    let response = match idempotency {
        Some(key) => run_once(&state, caller.key.id.clone(), key, hash.finish(), start).await,
        None => start.await,
    };
    if !started.load(Ordering::Relaxed) {
        // Replayed, refused or failed: no job will read this body.
        spool.remove(&id);
    }
    Ok(response)
}

/// 202 with the job and its `Location`.
fn accepted(job: ImportJob) -> Response {
    let location = format!("/v1/imports/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(ImportBody::from(job))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// One import job, while it runs and after.
#[utoipa::path(
    get, path = "/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "The import id (`imp_…`); one of a workspace the key may not use, or of another shape, is `404`.")),
    responses(
        (status = 200, description = "The job: status, progress, counts, and the bad rows by their line in the file.", body = ImportBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 404, description = "`import_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<ImportBody>, ApiError> {
    let not_found = || ApiError::from(ErrorCode::ImportNotFound);
    let id = ImportId::parse(&id).ok_or_else(not_found)?;
    let job = state
        .store
        .find_import(&id)
        .await?
        .filter(|job| caller.key.grants(&job.workspace))
        .ok_or_else(not_found)?;
    Ok(Json(ImportBody::from(job)))
}

/// The imports of a workspace, newest first.
#[utoipa::path(
    get, path = "/v1/imports", tag = "imports",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Most jobs, default 20."),
    ),
    responses(
        (status = 200, description = "The workspace's import jobs, newest first.", body = ImportList),
        (status = 400, description = "A bad parameter, or `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "The key may not use this workspace, or it does not exist.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_imports(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ImportList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let limit = params.integer("limit", 1, MAX_LISTED, DEFAULT_LISTED)?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let jobs = state.store.list_imports(&workspace, limit as u32).await?;
    Ok(Json(ImportList {
        data: jobs.into_iter().map(ImportBody::from).collect(),
    }))
}
