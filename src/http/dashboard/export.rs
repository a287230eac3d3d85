//! Downloading every contact of a workspace from the dashboard: the same streamed CSV or
//! NDJSON file as `GET /v1/contacts/export` (and `purrlist export`), for any key that may
//! read the workspace.

use super::response::not_found_page;
use super::session::SignedIn;
use crate::domain::contact_export::ExportFormat;
use crate::http::AppState;
use crate::http::api::contacts_export::stream;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// `GET /admin/w/{workspace}/export/{file}`: `contacts.csv` or `contacts.ndjson`.
pub async fn download(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, file)): Path<(String, String)>,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let Some(format) = file.strip_prefix("contacts.").and_then(ExportFormat::parse) else {
        return not_found_page();
    };
    let disposition = format!(
        "attachment; filename=\"contacts-{}.{}\"",
        workspace.id,
        format.extension()
    );
    let mut response = Response::new(Body::from_stream(stream(
        state.store.clone(),
        workspace.id,
        format,
    )));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
