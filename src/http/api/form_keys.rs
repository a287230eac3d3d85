//! `/v1/form-keys`: the publishable keys of public sign-up forms (api.md §8), made, listed
//! and revoked with an API key that may write to the workspace. A form key itself is
//! refused on every `/v1` route (it is not an API key).

use super::body::JsonObject;
use super::query::QueryParams;
use crate::domain::form_key::{FormKey, FormKeyId, parse_settings};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A form key as the API shows it (it is public: shown in full every time).
#[derive(Debug, Serialize, ToSchema)]
pub struct FormKeyBody {
    /// The key (`pk_` + 21 characters), also its id.
    #[schema(example = "pk_V1StGXR8_Z5jdHi6B-myT")]
    pub id: String,
    /// The workspace it signs people up to.
    pub newsletter_id: String,
    /// A label for people.
    pub name: String,
    /// Origins whose pages may call it from a browser; empty: form posts from anywhere.
    pub allowed_origins: Vec<String>,
    /// Where a form post goes after a sign-up; `null`: a small page of purrlist's.
    pub redirect_url: Option<String>,
    /// Custom field keys a form may set.
    pub custom_fields: Vec<String>,
    /// Where the form posts: `PUBLIC_URL/f/<key>`.
    #[schema(example = "https://lists.example.com/f/pk_V1StGXR8_Z5jdHi6B-myT")]
    pub form_url: String,
    /// When it was made.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was revoked; `null` while it works.
    #[serde(rename = "revokedAt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

/// The form keys of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormKeyList {
    /// Oldest first, revoked ones too.
    pub data: Vec<FormKeyBody>,
}

/// The body of `POST /v1/form-keys` (documentation shape; read field by field).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct FormKeyCreate {
    /// The workspace; may be left out when the key grants exactly one.
    newsletter_id: Option<String>,
    /// A label.
    name: Option<String>,
    /// Origins such as `https://example.com` (no path) allowed to call it from a browser.
    allowed_origins: Option<Vec<String>>,
    /// The thank-you page of a form post (http or https).
    redirect_url: Option<String>,
    /// Custom field keys the form may set.
    custom_fields: Option<Vec<String>>,
}

fn body_of(key: FormKey, base: &str) -> FormKeyBody {
    FormKeyBody {
        form_url: format!("{base}/f/{}", key.id.as_str()),
        id: key.id.as_str().to_owned(),
        newsletter_id: key.workspace_id.as_str().to_owned(),
        name: key.settings.name,
        allowed_origins: key.settings.allowed_origins,
        redirect_url: key.settings.redirect_url,
        custom_fields: key.settings.custom_fields,
        created_at: key.created_at,
        revoked_at: key.revoked_at,
    }
}

/// Create a form key.
#[utoipa::path(
    post, path = "/v1/form-keys", tag = "form keys",
    request_body(content = FormKeyCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = FormKeyBody),
        (status = 400, description = "A bad origin (with a path, not http(s)), thank-you URL or custom field key (`invalid_field`); a body that is not a JSON object (`invalid_json`, `invalid_body`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
        (status = 408, description = "`body_timeout`: the body did not arrive in time.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: a body over 64 KiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: a body that is not JSON.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_form_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<FormKeyBody>), ApiError> {
    caller.require_write()?;
    // As for bulk: a `newsletter_id` that is not a string names no workspace the key may use.
    let newsletter_id = match body.get("newsletter_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::no_access()),
    };
    let workspace = caller.workspace(&state, newsletter_id).await?;
    let key = FormKey {
        id: FormKeyId::generate(),
        workspace_id: workspace,
        settings: parse_settings(&body)?,
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    state.store.create_form_key(key.clone()).await?;
    Ok((
        StatusCode::CREATED,
        Json(body_of(key, &state.opt_in.public_base)),
    ))
}

/// List the form keys of a workspace.
#[utoipa::path(
    get, path = "/v1/form-keys", tag = "form keys",
    params(("newsletter_id" = Option<String>, Query, description = "The workspace; may be left out when the key grants exactly one.")),
    responses(
        (status = 200, description = "Its form keys, oldest first, revoked ones too.", body = FormKeyList),
        (status = 400, description = "`newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "A workspace the key may not use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_form_keys(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<FormKeyList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let keys = state.store.list_form_keys(Some(workspace)).await?;
    let base = &state.opt_in.public_base;
    Ok(Json(FormKeyList {
        data: keys.into_iter().map(|k| body_of(k, base)).collect(),
    }))
}

/// Revoke a form key: `/f/<key>` refuses it from then on.
#[utoipa::path(
    delete, path = "/v1/form-keys/{id}", tag = "form keys",
    params(("id" = String, Path, description = "The form key (`pk_…`).")),
    responses(
        (status = 204, description = "Revoked (revoking again is the same)."),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`form_key_not_found`: no such key in a workspace the API key may use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_form_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_write()?;
    let missing = || ApiError::from(ErrorCode::FormKeyNotFound);
    let id = FormKeyId::parse(&id).ok_or_else(missing)?;
    let key = state.store.get_form_key(&id).await?.ok_or_else(missing)?;
    if !caller.key.grants(&key.workspace_id) {
        return Err(missing());
    }
    state.store.revoke_form_key(&id, Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
