//! `POST /f/{form key}` (and its CORS preflight): a sign-up from a public web page, always
//! with double opt-in. The answer is the same whether the address is new, pending,
//! subscribed or suppressed, caught by the honeypot or over its per-address budget: a 303
//! to the key's thank-you page for a form post, `{"ok": true, …}` for `fetch()`.

use super::cors::{OriginCheck, check_origin, with_cors};
use super::evidence::{client_ip, form_evidence};
use crate::domain::bulk::BulkItem;
use crate::domain::confirmation::{RequestEvidence, without_subscription};
use crate::domain::contact::ContactPatch;
use crate::domain::events::Actor;
use crate::domain::form_key::{FormKey, FormKeyId, parse_signup};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::api::body::parse_object;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::pages::html::render;
use crate::http::pages::response::page;
use crate::http::request_body;
use crate::store::{AskToConfirm, ContactQuery};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// What a sign-up answers when it worked (or looks as if it did).
const THANKS: &str = "Thanks! Check your inbox and press the button in the email we sent to confirm your subscription.";

/// How the caller wants its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `fetch()`: JSON.
    Json,
    /// A form post: a redirect, or a page.
    Page,
}

fn mime(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn answer_kind(headers: &HeaderMap) -> Answer {
    let accepts_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if mime(headers) == "application/json" || accepts_json {
        Answer::Json
    } else {
        Answer::Page
    }
}

/// An error, as JSON for `fetch()` or as a page for a person.
fn refusal(kind: Answer, error: ApiError) -> Response {
    if kind == Answer::Json {
        return error.into_response();
    }
    let status = error.status();
    let text = match error.code() {
        ErrorCode::InvalidEmail | ErrorCode::MissingField => {
            "Please go back and check the email address.".to_owned()
        }
        ErrorCode::RateLimited => {
            "Too many sign-ups from your network. Please try again later.".to_owned()
        }
        _ => error.body().message.clone(),
    };
    let mut response = page(
        status,
        render("Sign-up failed", "Sign-up failed", &[text], None, None),
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    response
}

fn success(kind: Answer, key: &FormKey) -> Response {
    match (kind, &key.settings.redirect_url) {
        (Answer::Json, _) => Json(SignupAnswer {
            ok: true,
            message: THANKS.to_owned(),
        })
        .into_response(),
        (Answer::Page, Some(url)) => match HeaderValue::from_str(url) {
            Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
            Err(_) => thanks_page(),
        },
        (Answer::Page, None) => thanks_page(),
    }
}

fn thanks_page() -> Response {
    page(
        StatusCode::OK,
        render(
            "Check your inbox",
            "Check your inbox",
            &[THANKS.to_owned()],
            None,
            None,
        ),
    )
}

/// The live key a path names, or the refusal (unknown, malformed and revoked alike).
async fn live_key(state: &AppState, raw: &str) -> Result<FormKey, ApiError> {
    let id = FormKeyId::parse(raw).ok_or(ErrorCode::FormKeyNotFound)?;
    match state.store.get_form_key(&id).await? {
        Some(key) if key.revoked_at.is_none() => Ok(key),
        _ => Err(ErrorCode::FormKeyNotFound.into()),
    }
}

/// The body's fields: a JSON object, or form fields (each as a string; the last wins).
async fn read_fields(req: Request, state: &AppState) -> Result<Map<String, Value>, ApiError> {
    let (parts, body) = req.into_parts();
    let kind = mime(&parts.headers);
    let is_form = kind == "application/x-www-form-urlencoded";
    if !is_form && kind != "application/json" {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the sign-up as a form post (application/x-www-form-urlencoded) or as JSON.",
        ));
    }
    let limits = &state.limits;
    let bytes = request_body::read(
        &parts.headers,
        body,
        limits.body_bytes,
        limits.body_read_timeout,
    )
    .await
    .map_err(ApiError::from)?;
    if !is_form {
        return parse_object(&bytes);
    }
    Ok(form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect())
}

/// The contact holding the address in the workspace, if any.
async fn holder_of(
    state: &AppState,
    workspace: &WorkspaceId,
    email: &str,
) -> Result<Option<ContactId>, ApiError> {
    let found = state
        .store
        .list_contacts(ContactQuery {
            email: Some(email.to_owned()),
            ..ContactQuery::count_of(workspace.clone())
        })
        .await?;
    Ok(found.contacts.into_iter().next().map(|c| c.id))
}

/// Records the sign-up: the contact (made unsubscribed, with the form's fields, when
/// there is none) and its request to confirm, in one transaction. An existing contact is
/// never changed by a form, only asked to confirm.
async fn sign_up(
    state: &AppState,
    key: &FormKey,
    patch: ContactPatch,
    evidence: RequestEvidence,
) -> Result<(), ApiError> {
    let Some(email) = &patch.email else {
        return Ok(());
    };
    let actor = Actor::Form(key.id.as_str().to_owned());
    let workspace = key.workspace_id.clone();
    let ask = AskToConfirm {
        public_base: state.opt_in.public_base.clone(),
        ttl_millis: state.opt_in.ttl_millis(),
        actor: actor.clone(),
        evidence,
        now: Timestamp::now(),
    };
    if let Some(id) = holder_of(state, &workspace, email.normalized()).await? {
        let request = ask.in_workspace(workspace);
        state.store.request_confirmations(vec![id], request).await?;
        return Ok(());
    }
    let item = BulkItem {
        id: None,
        malformed_id: false,
        patch: without_subscription(patch),
        invalid: None,
        confirm: true,
        consent: None,
    };
    let now = ask.now;
    state
        .store
        .upsert_and_ask(workspace, vec![item], now, actor.into(), ask)
        .await?;
    Ok(())
}

/// The answer to a `fetch()` sign-up (the same for every address).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignupAnswer {
    /// Always true: nothing tells a known address from a new one.
    pub ok: bool,
    /// A sentence to show the person.
    #[schema(
        example = "Thanks! Check your inbox and press the button in the email we sent to confirm your subscription."
    )]
    pub message: String,
}

/// A sign-up from a public page.
#[utoipa::path(
    post, path = "/f/{form_key}", tag = "signup",
    params(("form_key" = String, Path, description = "A publishable form key (`pk_…`).")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`email` (required), `first_name`, `last_name`, `name`, the custom fields the key allows, and the honeypot `_gotcha` (leave empty). The same fields as a JSON object work too."),
    responses(
        (status = 200, description = "JSON for a JSON request or one with `Accept: application/json`; otherwise a small HTML page (when the key has no thank-you URL). The same answer for every address, known or not.",
            content((SignupAnswer = "application/json"), (String = "text/html"))),
        (status = 303, description = "A form post, when the key has a thank-you URL: to it.",
            headers(("Location" = String, description = "The key's `redirect_url`."))),
        (status = 400, description = "No valid `email` (`invalid_email`, `missing_field`), or a body that is not valid JSON: JSON for `fetch()`, an HTML page for a form post.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 403, description = "`origin_not_allowed`: a page on an origin the key does not list; nothing written, no CORS headers.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "`form_key_not_found`: unknown, malformed or revoked key.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 408, description = "`body_timeout`: the body did not arrive in time.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 413, description = "`payload_too_large`: a body over 64 KiB.",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 415, description = "Neither a form post nor JSON (or an unknown `Content-Encoding`).",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 429, description = "`rate_limited`: too many sign-ups from this client address; `Retry-After` says when to retry.",
            content((ErrorBody = "application/json"), (String = "text/html")),
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
pub async fn sign_up_form(
    State(state): State<AppState>,
    Path(key): Path<String>,
    req: Request,
) -> Response {
    let kind = answer_kind(req.headers());
    let key = match live_key(&state, &key).await {
        Ok(key) => key,
        Err(e) => return refusal(kind, e),
    };
    let origin = check_origin(req.headers(), &key);
    let answer = async {
        if origin == OriginCheck::Refused {
            return Err(ApiError::from(ErrorCode::OriginNotAllowed));
        }
        let client = client_ip(req.extensions()).unwrap_or_default();
        if state.opt_in.throttle.client(&client).is_err() {
            return Err(ApiError::rate_limited().with_retry_after(60));
        }
        let evidence = form_evidence(req.headers(), req.extensions());
        let fields = read_fields(req, &state).await?;
        let signup = parse_signup(&fields, &key)?;
        let address = signup
            .patch
            .email
            .as_ref()
            .map(|e| e.normalized().to_owned())
            .unwrap_or_default();
        // A bot, or an address asked for too often: the same answer, nothing written.
        if !signup.bot
            && state
                .opt_in
                .throttle
                .address(key.workspace_id.as_str(), &address)
        {
            sign_up(&state, &key, signup.patch, evidence).await?;
        }
        Ok::<Response, ApiError>(success(kind, &key))
    }
    .await;
    let response = answer.unwrap_or_else(|e| refusal(kind, e));
    with_cors(response, &origin, false)
}

/// The CORS preflight of a `fetch()` with JSON.
#[utoipa::path(
    options, path = "/f/{form_key}", tag = "signup", operation_id = "sign_up_preflight",
    params(("form_key" = String, Path, description = "A publishable form key (`pk_…`).")),
    responses(
        (status = 204, description = "The origin is listed: `Access-Control-Allow-Origin` and friends."),
        (status = 403, description = "`origin_not_allowed`: no CORS headers.", body = ErrorBody),
        (status = 404, description = "`form_key_not_found`.", body = ErrorBody),
    )
)]
pub async fn preflight(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let key = match live_key(&state, &key).await {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    match check_origin(&headers, &key) {
        check @ OriginCheck::Allowed(_) => {
            with_cors(StatusCode::NO_CONTENT.into_response(), &check, true)
        }
        _ => with_cors(
            ApiError::from(ErrorCode::OriginNotAllowed).into_response(),
            &OriginCheck::Refused,
            true,
        ),
    }
}
