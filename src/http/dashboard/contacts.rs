//! The contacts of a workspace: search by email or name, filter by subscription and
//! suppression (`contacts_query` reads what was asked), newest first, paged by keyset ("Next page" starts after the last row shown), so a page deep in
//! a million contacts costs what the first one does; and adding a contact.

use super::contact_form::{self, ContactDraft, FormError};
use super::contacts_query::ListQuery;
use super::form;
use super::layout::{Frame, Section, notice, page, when};
use super::response::{error_page, html_page, see_other};
use super::session::SignedIn;
use crate::domain::bulk::parse_bulk_item;
use crate::domain::contact::Contact;
use crate::domain::email::{EmailAddress, normal_form};
use crate::domain::list_position::ContactCursor;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::{ContactQuery, ContactSearch};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

/// Contacts on one page.
pub const PAGE_SIZE: u32 = 50;

/// One page and whether another follows. A whole email is looked up exactly (the unique
/// index); other text is searched in emails and names.
async fn find(
    state: &AppState,
    workspace: &Workspace,
    query: &ListQuery,
) -> Result<(Vec<Contact>, bool), ApiError> {
    if EmailAddress::parse(&query.text).is_ok()
        && query.before.is_none()
        && query.suppressed.is_none()
    {
        let mut exact = ContactQuery::count_of(workspace.id.clone());
        exact.email = Some(normal_form(&query.text));
        exact.subscribed = query.subscribed;
        let found = state.store.list_contacts(exact).await?;
        if !found.contacts.is_empty() {
            return Ok((found.contacts, false));
        }
    }
    let mut contacts = state
        .store
        .search_contacts(ContactSearch {
            workspace: workspace.id.clone(),
            text: (!query.text.is_empty()).then(|| query.text.to_lowercase()),
            subscribed: query.subscribed,
            suppressed: query.suppressed,
            before: query.before.clone(),
            limit: PAGE_SIZE + 1,
        })
        .await?;
    let more = contacts.len() > PAGE_SIZE as usize;
    contacts.truncate(PAGE_SIZE as usize);
    Ok((contacts, more))
}

fn subscription_badge(subscribed: bool) -> Markup {
    html! {
        @if subscribed { span.badge.on { "subscribed" } } @else { span.badge.off { "unsubscribed" } }
    }
}

fn list_page(
    signed_in: &SignedIn,
    workspace: &Workspace,
    query: &ListQuery,
    contacts: &[Contact],
    more: bool,
    add_form: Option<Markup>,
) -> Markup {
    let base = format!("/admin/w/{}/contacts", workspace.id);
    let selected = |value: Option<bool>| query.subscribed == value;
    let suppression = |value: Option<bool>| query.suppressed == value;
    page(
        "Contacts",
        Frame::of(signed_in, Section::Contacts).in_workspace(workspace),
        html! {
            h1 { "Contacts" }
            (notice(query.done))
            form.inline method="get" action=(base) role="search" {
                div.field {
                    label for="q" { "Search email or name" }
                    input id="q" type="search" name="q" value=(query.text);
                }
                div.field {
                    label for="subscribed" { "Subscription" }
                    select id="subscribed" name="subscribed" {
                        option value="" selected[selected(None)] { "All" }
                        option value="yes" selected[selected(Some(true))] { "Subscribed" }
                        option value="no" selected[selected(Some(false))] { "Unsubscribed" }
                    }
                }
                div.field {
                    label for="suppression" { "Suppression" }
                    select id="suppression" name="suppression" {
                        option value="" selected[suppression(None)] { "All" }
                        option value="yes" selected[suppression(Some(true))] { "Suppressed" }
                        option value="no" selected[suppression(Some(false))] { "Not suppressed" }
                    }
                }
                div { button type="submit" { "Search" } }
            }
            @if contacts.is_empty() {
                p { "No contacts match." }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { "Contacts, newest first" }
                        thead { tr {
                            th scope="col" { "Email" }
                            th scope="col" { "Name" }
                            th scope="col" { "Subscription" }
                            th scope="col" { "Added" }
                        } }
                        tbody {
                            @for c in contacts {
                                tr {
                                    td data-label="Email" { a href={(base) "/" (c.id.as_str())} { (c.email.as_str()) } }
                                    td data-label="Name" { (c.name) }
                                    td data-label="Subscription" { (subscription_badge(c.subscribed)) }
                                    td data-label="Added" { (when(c.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label="Pages" {
                @if query.before.is_some() {
                    a href={(base) "?" (query.first())} { "First page" }
                }
                @if more {
                    @if let Some(last) = contacts.last() {
                        a href={(base) "?" (query.next(&ContactCursor::after(last)))} rel="next" { "Next page" }
                    }
                }
            }
            @if let Some(add_form) = add_form {
                h2 id="add" { "Add a contact" }
                div.card { (add_form) }
            }
        },
    )
}

fn add_form(
    signed_in: &SignedIn,
    workspace: &Workspace,
    draft: &ContactDraft,
    error: Option<&FormError>,
) -> Option<Markup> {
    signed_in.may_write().then(|| {
        contact_form::render(
            signed_in,
            draft,
            error,
            &format!("/admin/w/{}/contacts", workspace.id),
            "Add contact",
            None,
        )
    })
}

/// `GET /admin/w/{workspace}/contacts`: search and list.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let query = ListQuery::parse(raw.as_deref());
    match find(&state, &workspace, &query).await {
        Ok((contacts, more)) => html_page(
            StatusCode::OK,
            list_page(
                &signed_in,
                &workspace,
                &query,
                &contacts,
                more,
                add_form(&signed_in, &workspace, &ContactDraft::default(), None),
            ),
        ),
        Err(e) => error_page(&e),
    }
}

/// `POST /admin/w/{workspace}/contacts`: adds a contact (the bulk upsert's rules, one
/// item); an email the workspace holds already is refused next to the field rather than
/// changing that contact.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace) =
        match form::write_in_workspace(&state, &signed_in, &workspace, &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let draft = ContactDraft::posted(&fields);
    match add(&state, &signed_in, &workspace, &draft).await {
        Ok(id) => see_other(&format!(
            "/admin/w/{}/contacts/{id}?done=created",
            workspace.id
        )),
        Err(e) => match FormError::of(&e) {
            Some(error) => html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(
                    &signed_in,
                    &workspace,
                    &ListQuery::default(),
                    &[],
                    false,
                    add_form(&signed_in, &workspace, &draft, Some(&error)),
                ),
            ),
            None => error_page(&e),
        },
    }
}

async fn add(
    state: &AppState,
    signed_in: &SignedIn,
    workspace: &Workspace,
    draft: &ContactDraft,
) -> Result<String, ApiError> {
    let item = parse_bulk_item(&Value::Object(draft.to_write(None)))?;
    if let Some(email) = &item.patch.email {
        let mut holder = ContactQuery::count_of(workspace.id.clone());
        holder.email = Some(email.normalized().to_owned());
        if state.store.list_contacts(holder).await?.total > 0 {
            return Err(crate::domain::patch_input::FieldError::new(
                "email",
                crate::domain::patch_input::FieldErrorKind::EmailTaken,
                "A contact with this email is in this workspace already: search for it to edit it.",
            )
            .into());
        }
    }
    let outcome = state
        .store
        .upsert_contacts(
            workspace.id.clone(),
            vec![item],
            Timestamp::now(),
            signed_in.origin(),
        )
        .await?;
    outcome
        .results
        .first()
        .map(|r| r.id.to_string())
        .ok_or_else(|| ApiError::from(crate::http::error::ErrorCode::InvalidContacts))
}
