//! `GET /v1/contacts`: a page of a workspace's contacts in list order (`createdAt`, then
//! `id`), by page number as Notocat pages, or by keyset after a contact (`after`, an
//! extension, docs/api.md "Keyset pages"), which costs the same at any depth.

use super::contact_json::{ContactBody, ContactList};
use super::query::QueryParams;
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::email::normal_form;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::list_position::ContactCursor;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::store::{ContactPage, ContactQuery};
use axum::Json;
use axum::extract::{Extension, RawQuery, State};

/// Largest `limit`.
pub const MAX_PAGE_SIZE: u64 = 1000;
/// `limit` when not given.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Largest `page` (keeps `offset` far from overflow).
pub const MAX_PAGE: u64 = 10_000_000;

/// Where the asked page starts.
enum Start {
    /// `page` (Notocat's): `(page - 1) * limit` contacts in.
    Page(u64),
    /// `after` (purrlist's): at the start of the list (`after=` empty), or just after the
    /// contact named.
    After(Option<ContactId>),
}

/// Reads `page` and `after`. They do not go together: a keyset page has no number.
fn start(params: &QueryParams) -> Result<Start, ApiError> {
    let page = params.integer("page", 1, MAX_PAGE, 1)?;
    let Some(after) = params.text("after") else {
        return Ok(Start::Page(page));
    };
    if page > 1 {
        return Err(ApiError::bad_parameter(
            "page",
            "`page` cannot go with `after`: a keyset page starts after the contact `after` names. Leave `page` out.",
        ));
    }
    if after.is_empty() {
        return Ok(Start::After(None));
    }
    ContactId::parse(after)
        .map(|id| Start::After(Some(id)))
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "after",
                "`after` must be a contact id (`con_…`), such as `next_after` of the page before, or empty for the start of the list.",
            )
        })
}

/// The place in list order of the contact `id` names, when it is one of `workspace`'s
/// (`domain::list_position` says what a cursor is; a miss is `400 invalid_cursor`).
async fn place_of(
    state: &AppState,
    id: &ContactId,
    workspace: &WorkspaceId,
) -> Result<ContactCursor, ApiError> {
    let named = state.store.get_contact(id, &WorkspaceGrant::All).await?;
    Ok(ContactCursor::start_after(named, workspace)?)
}

/// List and search the contacts of a workspace.
#[utoipa::path(
    get, path = "/v1/contacts", tag = "contacts",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100."),
        ("page" = Option<u64>, Query, minimum = 1, maximum = 10000000, description = "Page number, default 1. Not with `after` (only `1` is taken with it)."),
        ("after" = Option<String>, Query, description = "Extension: a keyset page, the `limit` contacts just after this contact in list order (`next_after` of the page before), at the same cost at any depth; empty: from the start of the list. The answer's `page` and `offset` are then null. `400 invalid_parameter` with a `page` over 1 or for an id of another shape; `400 invalid_cursor` when it names no contact of the workspace (deleted since: continue after an earlier contact of the page you have)."),
        ("email" = Option<String>, Query, description = "Exact match on the email in its normal form (ASCII case ignored, the domain in any IDNA spelling). A `+` here is a plus sign, not a space."),
        ("subscribed" = Option<bool>, Query, description = "Only subscribed (`true`) or unsubscribed (`false`) contacts. `1`/`0` and `yes`/`no`, in any case, are read the same way (as CSV import reads them)."),
    ),
    responses(
        (status = 200, description = "A page of contacts, `createdAt` then `id` ascending.", body = ContactList),
        (status = 400, description = "A bad parameter (`page` with `after` included), `newsletter_id` missing with a key for several workspaces, or an `after` that names no contact of the workspace (`invalid_cursor`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "The key may not use this workspace, or it does not exist.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_contacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ContactList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let limit = params.integer("limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?;
    let start = start(&params)?;
    let subscribed = params.boolean("subscribed")?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let email = params
        .text("email")
        .map(normal_form)
        .filter(|e| !e.is_empty());
    let mut query = ContactQuery {
        workspace,
        email,
        subscribed,
        limit: limit as u32,
        after: None,
        offset: 0,
    };
    let list = match start {
        Start::Page(page) => {
            let offset = (page - 1) * limit;
            query.offset = offset;
            let found = state.store.list_contacts(query).await?;
            ContactList {
                data: found.contacts.into_iter().map(ContactBody::from).collect(),
                total: found.total,
                page: Some(page),
                offset: Some(offset),
                next_after: None,
            }
        }
        Start::After(named) => {
            if let Some(id) = named {
                query.after = Some(place_of(&state, &id, &query.workspace).await?);
            }
            // One contact more than the page says whether another page follows.
            query.limit += 1;
            keyset_page(state.store.list_contacts(query).await?, limit)
        }
    };
    Ok(Json(list))
}

/// A keyset answer from up to `limit + 1` contacts: the first `limit`, and `next_after`
/// naming the last of them when the one more shows another page follows.
fn keyset_page(found: ContactPage, limit: u64) -> ContactList {
    let mut contacts = found.contacts;
    let more = contacts.len() as u64 > limit;
    contacts.truncate(limit as usize);
    let next_after = contacts
        .last()
        .filter(|_| more)
        .map(|last| last.id.to_string());
    ContactList {
        data: contacts.into_iter().map(ContactBody::from).collect(),
        total: found.total,
        page: None,
        offset: None,
        next_after: Some(next_after),
    }
}
