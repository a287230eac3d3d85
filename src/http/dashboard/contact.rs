//! One contact's page: every field, its suppression state and history from the change
//! feed with each event's evidence (`contact_consent`), and (for a key that may write) the edit form, the unsubscribe or resubscribe button and the way to the
//! confirmation step of deleting it (the actions are `contact_actions`).

use super::contact_consent::{
    ConsentRecord, consent_record, history_table, short, suppression_state,
};
use super::contact_form::{self, ContactDraft, FormError};
use super::form;
use super::layout::{Frame, Section, csrf_field, notice, page, when};
use super::response::{error_page, html_page, not_found_page, read_only_page};
use super::session::SignedIn;
use crate::domain::contact::Contact;
use crate::domain::ids::ContactId;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

/// The workspace and contact a path names, when the key may see both and the contact is
/// in that workspace; else the not-found page.
pub(super) async fn find(
    state: &AppState,
    signed_in: &SignedIn,
    workspace: &str,
    id: &str,
) -> Result<(Workspace, Contact), Response> {
    let workspace = signed_in.workspace(state, workspace).await?;
    let id = ContactId::parse(id).ok_or_else(not_found_page)?;
    let contact = state
        .store
        .get_contact(&id, &signed_in.key.grant)
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?
        .filter(|c| c.workspace_id == workspace.id)
        .ok_or_else(not_found_page)?;
    Ok((workspace, contact))
}

fn done_message(query: Option<&str>) -> Option<&'static str> {
    match form::FormFields::parse(query.unwrap_or("").as_bytes()).get("done") {
        Some("created") => Some("The contact was added."),
        Some("saved") => Some("Your changes were saved."),
        Some("unsubscribed") => Some("The contact was unsubscribed."),
        Some("resubscribed") => Some("The contact was subscribed again."),
        _ => None,
    }
}

/// What a contact's page shows.
pub(super) struct ContactView<'a> {
    /// The workspace.
    pub workspace: &'a Workspace,
    /// The contact as stored.
    pub contact: &'a Contact,
    /// Its history and suppression.
    pub consent: &'a ConsentRecord,
    /// The edit form's values.
    pub draft: ContactDraft,
    /// What is wrong with the posted form.
    pub error: Option<FormError>,
    /// A confirmation line.
    pub done: Option<&'static str>,
}

pub(super) fn contact_page(signed_in: &SignedIn, view: &ContactView<'_>) -> Markup {
    let c = view.contact;
    let base = format!("/admin/w/{}/contacts/{}", view.workspace.id, c.id);
    page(
        c.email.as_str(),
        Frame::of(signed_in, Section::Contacts).in_workspace(view.workspace),
        html! {
            p { a href={"/admin/w/" (view.workspace.id.as_str()) "/contacts"} { "← All contacts" } }
            h1 { (c.email.as_str()) }
            (notice(view.done))
            div.card {
                dl.fields {
                    dt { "Subscription" }
                    dd { @if c.subscribed { "Subscribed" } @else { "Unsubscribed" } }
                    dt { "Suppression" }
                    (suppression_state(view.consent.suppression.as_ref()))
                    dt { "Name" } dd { (c.name) }
                    dt { "First name" } dd { (c.first_name) }
                    dt { "Last name" } dd { (c.last_name) }
                    @for (key, value) in c.custom_fields.as_map() {
                        dt { (key) } dd { (short(value)) }
                    }
                    dt { "Id" } dd { code { (c.id.as_str()) } }
                    dt { "Added" } dd { (when(c.created_at)) }
                    dt { "Last changed" } dd { (when(c.updated_at)) }
                    dt { "Version" } dd { (c.version) }
                }
            }
            @if signed_in.may_write() {
                div.actions {
                    @if c.subscribed {
                        form method="post" action={(base) "/unsubscribe"} {
                            (csrf_field(signed_in))
                            button.secondary type="submit" { "Unsubscribe" }
                        }
                    } @else if view.consent.suppression.is_some() {
                        // No button that would be refused: a suppression is lifted first.
                        p {
                            "Its address is suppressed, so it cannot be resubscribed here; lift the suppression on the "
                            a href={"/admin/w/" (view.workspace.id) "/suppressions"} { "Suppressions" }
                            " page first (only when the person asked again)."
                        }
                    } @else {
                        form method="post" action={(base) "/resubscribe"} {
                            (csrf_field(signed_in))
                            button.secondary type="submit" { "Resubscribe" }
                        }
                    }
                    a.button.secondary href={(base) "/delete"} { "Delete…" }
                }
                h2 id="edit" { "Edit" }
                div.card {
                    (contact_form::render(signed_in, &view.draft, view.error.as_ref(), &base, "Save changes", Some(c.version)))
                }
            }
            h2 { "Consent history" }
            (history_table(&view.consent.events))
        },
    )
}

/// `GET /admin/w/{workspace}/contacts/{id}`: the contact's page.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (workspace, contact) = match find(&state, &signed_in, &workspace, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let consent = match consent_record(&state, &contact).await {
        Ok(consent) => consent,
        Err(page) => return page,
    };
    let view = ContactView {
        workspace: &workspace,
        contact: &contact,
        consent: &consent,
        draft: ContactDraft::of(&contact),
        error: None,
        done: done_message(query.as_deref()),
    };
    html_page(StatusCode::OK, contact_page(&signed_in, &view))
}

/// `GET …/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
) -> Response {
    let (workspace, contact) = match find(&state, &signed_in, &workspace, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if !signed_in.may_write() {
        return read_only_page();
    }
    let base = format!("/admin/w/{}/contacts/{}", workspace.id, contact.id);
    html_page(
        StatusCode::OK,
        page(
            "Delete contact",
            Frame::of(&signed_in, Section::Contacts).in_workspace(&workspace),
            html! {
                h1 { "Delete " (contact.email.as_str()) "?" }
                p { "The contact and its custom fields are deleted for good. The feed keeps a \
                     record that it was deleted." }
                div.actions {
                    form method="post" action={(base) "/delete"} {
                        (csrf_field(&signed_in))
                        button.danger type="submit" { "Delete contact" }
                    }
                    a.button.secondary href=(base) { "Cancel" }
                }
            },
        ),
    )
}
