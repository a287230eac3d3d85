//! The Notocat contacts endpoints on one contact, and the bulk delete (the list is
//! `contact_list`).

use super::body::JsonObject;
use super::conditional::{precondition, with_etag};
use super::confirm_requests::ask_to_confirm;
use super::contact_json::{ContactBody, ContactWrite, ContactsRemoved};
use super::query::QueryParams;
use crate::domain::confirmation::{wants_confirmation, without_subscription};
use crate::domain::evidence::{parse_consent, sources};
use crate::domain::ids::ContactId;
use crate::domain::patch_input::{EmailRule, parse_contact_patch};
use crate::domain::target::Target;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::store::DeleteScope;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

fn contact_id(raw: &str) -> Result<ContactId, ApiError> {
    ContactId::parse(raw).ok_or_else(ApiError::contact_not_found)
}

/// Delete contacts of a workspace in bulk: by default only unsubscribed ones;
/// `subscribed=true` deletes every contact (Notocat's rule).
#[utoipa::path(
    delete, path = "/v1/contacts", tag = "contacts",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace; may be left out when the key grants exactly one."),
        ("subscribed" = Option<bool>, Query, description = "`true` deletes every contact, subscribed ones included; otherwise only unsubscribed contacts are deleted. `1`/`0` and `yes`/`no`, in any case, are read the same way."),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`."),
    ),
    responses(
        (status = 200, description = "How many contacts were deleted.", body = ContactsRemoved),
        (status = 400, description = "A bad parameter.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running (PUT also: `email_taken`).", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_contacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: ClientEvidence,
    RawQuery(raw): RawQuery,
) -> Result<Json<ContactsRemoved>, ApiError> {
    caller.require_write()?;
    let params = QueryParams::parse(raw.as_deref())?;
    let scope = match params.boolean("subscribed")? {
        Some(true) => DeleteScope::Everyone,
        _ => DeleteScope::UnsubscribedOnly,
    };
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let removed = state
        .store
        .delete_contacts(
            workspace,
            scope,
            Timestamp::now(),
            client.origin(&caller, sources::BULK),
        )
        .await?;
    Ok(Json(ContactsRemoved {
        contacts_removed: removed,
    }))
}

/// Read one contact.
#[utoipa::path(
    get, path = "/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "The contact id (`con_…`); an id of another shape is `404`.")),
    responses(
        (status = 200, description = "The contact.", body = ContactBody,
            headers(("ETag" = String, description = "The contact's version, a strong ETag such as `\"3\"`; changes exactly when the contact does."))),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 404, description = "No such contact in a workspace the key may use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_contact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = contact_id(&id)?;
    let contact = state
        .store
        .get_contact(&id, &caller.key.grant)
        .await?
        .ok_or_else(ApiError::contact_not_found)?;
    let version = contact.version;
    Ok(with_etag(Json(ContactBody::from(contact)), version))
}

/// Update one contact: given fields are set, left-out fields keep their value.
#[utoipa::path(
    put, path = "/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "The contact id (`con_…`); an id of another shape is `404`."), ("If-Match" = Option<String>, Header, description = "`*` or ETags (`\"3\"`); the write happens only if the contact is still at one of them, else 412."), ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = ContactWrite, content_type = "application/json"),
    responses(
        (status = 200, description = "The whole contact after the write.", body = ContactBody,
            headers(("ETag" = String, description = "The contact's version after the write."))),
        (status = 400, description = "Missing `email`, a bad value (the field is named), a malformed `If-Match` or `Idempotency-Key`, or custom fields past 100 keys or 16 KiB once merged with the stored ones.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "No such contact in a workspace the key may use.", body = ErrorBody),
        (status = 409, description = "`email_taken`: another contact of the workspace has this email; `suppressed`: the write would subscribe a suppressed address (or take an erased one) without `\"override_suppression\": true`; or `idempotency_key_in_flight`.", body = ErrorBody),
        (status = 412, description = "`precondition_failed`: the contact changed since the `If-Match` version.", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body-read time limit; the connection closes.", body = ErrorBody),
        (status = 413, description = "Body over the limit, as sent or once decoded.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`, or has a `Content-Encoding` other than gzip, deflate or br.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_contact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    client: ClientEvidence,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    caller.require_write()?;
    let id = contact_id(&id)?;
    let confirm = wants_confirmation(&body)?;
    let mut patch = parse_contact_patch(&body, EmailRule::Required)?;
    if confirm {
        patch = without_subscription(patch);
    }
    let consent = match body.get("consent") {
        Some(value) => parse_consent(value)?,
        None => None,
    };
    let mut origin = client.origin(&caller, sources::API);
    origin.evidence.consent = consent;
    let target = Target {
        id,
        grant: caller.key.grant.clone(),
        precondition: precondition(&headers)?,
    };
    let outcome = if confirm {
        let ask = ask_to_confirm(&state, &caller, "api");
        let (outcome, _) = state
            .store
            .update_and_ask(target, patch, Timestamp::now(), origin, ask)
            .await?;
        outcome
    } else {
        state
            .store
            .update_contact(target, patch, Timestamp::now(), origin)
            .await?
    };
    let version = outcome.contact.version;
    Ok(with_etag(Json(ContactBody::from(outcome.contact)), version))
}

/// Delete one contact.
#[utoipa::path(
    delete, path = "/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "The contact id (`con_…`); an id of another shape is `404`."), ("If-Match" = Option<String>, Header, description = "`*` or ETags (`\"3\"`); the write happens only if the contact is still at one of them, else 412."), ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`invalid_header`: a malformed `If-Match` or `Idempotency-Key`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "No such contact in a workspace the key may use.", body = ErrorBody),
        (status = 412, description = "`precondition_failed`: the contact changed since the `If-Match` version.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running (PUT also: `email_taken`).", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_contact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    client: ClientEvidence,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    caller.require_write()?;
    let id = contact_id(&id)?;
    let target = Target {
        id,
        grant: caller.key.grant.clone(),
        precondition: precondition(&headers)?,
    };
    if state
        .store
        .delete_contact(
            target,
            Timestamp::now(),
            client.origin(&caller, sources::API),
        )
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::contact_not_found())
    }
}
