//! `GET /v1/contacts/export`: every contact of a workspace as CSV or NDJSON, streamed one
//! page at a time (`store::ContactPages`), and [`ExportEncoder`], which `purrlist export`
//! shares so the two give the same bytes. Each page also carries the suppression of each
//! contact's address (`domain::contact_export`), read with one store call per page
//! (`TransferStore::suppressions_of_emails`).
//!
//! The status and headers go out before the first page is read. A failure after that (the
//! store, or a custom-field key that appeared during a CSV export,
//! `domain::contact_export::NewCustomKey`) is logged and ends the body early: the
//! connection is reset, so a client never holds a cut-off file that looks complete.

use super::contact_json::ContactBody;
use super::query::QueryParams;
use crate::domain::contact::Contact;
use crate::domain::contact_export::{
    CsvLayout, CustomKeys, ExportFormat, NewCustomKey, suppression_of,
};
use crate::domain::ids::WorkspaceId;
use crate::domain::suppression::SuppressionReason;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::store::{ContactPages, ServerStore, StoreError, TransferStore};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;

/// Contacts read a page.
pub const EXPORT_PAGE: u32 = 1000;

/// Why an export stopped part way.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the contacts failed.
    #[error("cannot read the contacts: {0}")]
    Store(#[from] StoreError),
    /// The workspace gained a custom-field key after the CSV header was written.
    #[error(transparent)]
    NewCustomKey(#[from] NewCustomKey),
    /// A contact could not be written as JSON.
    #[error("cannot write a contact as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Turns pages of contacts into the bytes of an export.
#[derive(Debug, Clone)]
pub enum ExportEncoder {
    /// CSV under a header of every custom-field key.
    Csv(CsvLayout),
    /// One [`NdjsonLine`] a line.
    Ndjson,
}

/// One contact of an NDJSON export: the API's contact shape (`unsub_token` and both times
/// included), then `suppression`.
#[derive(Debug, Serialize)]
pub struct NdjsonLine {
    /// The contact, as `GET /v1/contacts/{id}` shows it.
    #[serde(flatten)]
    contact: ContactBody,
    /// `bounced`, `complained` or `manual`; `null` when the address is not suppressed.
    suppression: Option<&'static str>,
}

impl ExportEncoder {
    /// Ready to write `format` for `workspace`. A CSV one first reads every page for the
    /// custom-field keys of its header, telling `on_page` how many contacts each page held.
    pub async fn prepare(
        format: ExportFormat,
        store: &dyn TransferStore,
        workspace: &WorkspaceId,
        mut on_page: impl FnMut(u64) + Send,
    ) -> Result<ExportEncoder, StoreError> {
        match format {
            ExportFormat::Ndjson => Ok(ExportEncoder::Ndjson),
            ExportFormat::Csv => {
                let mut keys = CustomKeys::default();
                let mut pages = ContactPages::new(workspace.clone(), EXPORT_PAGE);
                loop {
                    let page = pages.next(store).await?;
                    if page.is_empty() {
                        return Ok(ExportEncoder::Csv(keys.layout()));
                    }
                    on_page(page.len() as u64);
                    keys.add(&page);
                }
            }
        }
    }

    /// What comes before the first contact: the CSV header row, nothing for NDJSON.
    pub fn header(&self) -> Vec<u8> {
        match self {
            ExportEncoder::Csv(layout) => layout.header_bytes(),
            ExportEncoder::Ndjson => Vec::new(),
        }
    }

    /// One page of contacts of `workspace`, in order, each with the suppression of its
    /// address (looked up for the whole page in one store call).
    pub async fn page(
        &self,
        store: &dyn TransferStore,
        workspace: &WorkspaceId,
        contacts: Vec<Contact>,
    ) -> Result<Vec<u8>, ExportError> {
        let emails: Vec<&str> = contacts.iter().map(|c| c.email.normalized()).collect();
        let suppressions = store.suppressions_of_emails(workspace, &emails).await?;
        match self {
            ExportEncoder::Csv(layout) => Ok(layout.rows_bytes(&contacts, &suppressions)?),
            ExportEncoder::Ndjson => {
                let mut out = Vec::with_capacity(contacts.len() * 400);
                for contact in contacts {
                    let suppression = suppression_of(&contact, &suppressions);
                    let line = NdjsonLine {
                        contact: ContactBody::from(contact),
                        suppression: suppression.map(SuppressionReason::as_str),
                    };
                    serde_json::to_writer(&mut out, &line)?;
                    out.push(b'\n');
                }
                Ok(out)
            }
        }
    }
}

/// Export every contact of a workspace (an extension): CSV or NDJSON, streamed.
#[utoipa::path(
    get, path = "/v1/contacts/export", tag = "contacts",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("format" = Option<String>, Query, description = "`csv` (the default) or `ndjson`, exactly."),
    ),
    responses(
        (status = 200, description = "Every contact of the workspace in list order (`createdAt`, then `id`), as a download (`Content-Disposition: attachment`), streamed page by page. CSV: the columns `id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,suppression`, then `custom.<key>` for every custom-field key, cells that a spreadsheet would run as a formula escaped with a leading `'`; `suppression` is the reason the contact's address is suppressed (`bounced`, `complained`, `manual`), empty when it is not. NDJSON: one contact per line in the shape of `GET /v1/contacts/{id}` plus `suppression` (the reason, or `null`). Either imports into another purrlist keeping ids, unsubscribe links and suppressions (`purrlist import`). A failure once the answer has started resets the connection, so a cut-off file never looks complete.",
            content(
                (String = "text/csv"),
                (String = "application/x-ndjson"),
            ),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"contacts-<workspace>.<csv|ndjson>\"`"))),
        (status = 400, description = "A bad `format`, or `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "The key may not use this workspace, or it does not exist.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export_contacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let format = match params.text("format") {
        None => ExportFormat::Csv,
        Some(text) => ExportFormat::parse(text).ok_or_else(|| {
            ApiError::bad_parameter(
                "format",
                format!("`format` must be {}.", ExportFormat::NAMES),
            )
        })?,
    };
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let disposition = format!(
        "attachment; filename=\"contacts-{workspace}.{}\"",
        format.extension()
    );
    let mut response = Response::new(Body::from_stream(stream(
        state.store.clone(),
        workspace,
        format,
    )));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    // The file holds personal data.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// Where a streamed export is: before the header (no encoder yet), or between pages.
struct Streaming {
    store: Arc<dyn ServerStore>,
    workspace: WorkspaceId,
    format: ExportFormat,
    pages: ContactPages,
    encoder: Option<ExportEncoder>,
}

impl Streaming {
    /// The next piece of the body; `None` once every contact was written.
    async fn next(&mut self) -> Result<Option<Bytes>, ExportError> {
        let Some(encoder) = &self.encoder else {
            let encoder =
                ExportEncoder::prepare(self.format, &*self.store, &self.workspace, |_| {}).await?;
            let header = encoder.header();
            self.encoder = Some(encoder);
            return Ok(Some(Bytes::from(header)));
        };
        let page = self.pages.next(&*self.store).await?;
        if page.is_empty() {
            return Ok(None);
        }
        let bytes = encoder.page(&*self.store, &self.workspace, page).await?;
        Ok(Some(Bytes::from(bytes)))
    }
}

/// The body: one page read per step, so memory holds one page whatever the workspace's size
/// (the dashboard's download streams it too).
pub(crate) fn stream(
    store: Arc<dyn ServerStore>,
    workspace: WorkspaceId,
    format: ExportFormat,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let state = Streaming {
        store,
        pages: ContactPages::new(workspace.clone(), EXPORT_PAGE),
        workspace,
        format,
        encoder: None,
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        match state.next().await {
            Ok(Some(bytes)) => Ok(Some((bytes, state))),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::error!(workspace = %state.workspace, error = %e, "export stopped part way");
                Err(std::io::Error::other(e.to_string()))
            }
        }
    })
}
