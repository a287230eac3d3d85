//! `PATCH /v1/workspaces/{id}`: rename a workspace, the name its subscribers see on the
//! unsubscribe page (extension; the dashboard will use it too).

use super::body::JsonObject;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::{MAX_NAME_CHARS, Workspace, parse_workspace_name};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use axum::Json;
use axum::extract::{Extension, Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A workspace (Notocat's newsletter).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceBody {
    /// `wks_` + 21 characters.
    #[schema(
        example = "wks_Tj4fTx-GWT0kCkKc375tG",
        pattern = "^wks_[A-Za-z0-9_-]{21}$"
    )]
    pub id: String,
    /// The name subscribers see ("Unsubscribe from …").
    #[schema(example = "Cat Facts Weekly", min_length = 1, max_length = 200)]
    pub name: String,
    /// RFC 3339, UTC, milliseconds.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime, example = "2023-04-25T14:34:03.000Z")]
    pub created_at: Timestamp,
}

impl From<Workspace> for WorkspaceBody {
    fn from(w: Workspace) -> WorkspaceBody {
        WorkspaceBody {
            id: w.id.as_str().to_owned(),
            name: w.name,
            created_at: w.created_at,
        }
    }
}

/// The body of `PATCH /v1/workspaces/{id}`; other fields are ignored.
#[derive(Debug, ToSchema)]
pub struct WorkspaceRename {
    /// At most 200 characters as sent, not blank, no control characters once leading and
    /// trailing white space (Unicode White_Space, which the server trims) is taken off.
    // The pattern spells white space out: `\s` means other things to other regex engines.
    #[schema(
        example = "Cat Facts Weekly",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
}

fn invalid_name(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field("name")
}

/// Rename a workspace.
#[utoipa::path(
    patch, path = "/v1/workspaces/{id}", tag = "workspaces",
    params(
        ("id" = String, Path, description = "The workspace id (`wks_…`); one the key may not use, that does not exist, or of another shape is `403`."),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`."),
    ),
    request_body(content = WorkspaceRename, content_type = "application/json"),
    responses(
        (status = 200, description = "The workspace after the change.", body = WorkspaceBody),
        (status = 400, description = "`name` missing (`missing_field`) or not a valid name (`invalid_field`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use (or that does not exist).", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running.", body = ErrorBody),
        (status = 413, description = "Body over the limit.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rename_workspace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<WorkspaceBody>, ApiError> {
    caller.require_write()?;
    let id = caller.workspace(&state, Some(&id)).await?;
    let name = match body.get("name") {
        None | Some(Value::Null) => {
            return Err(
                ApiError::new(ErrorCode::MissingField, "`name` is required.").with_field("name"),
            );
        }
        Some(Value::String(name)) => parse_workspace_name(name).map_err(invalid_name)?,
        Some(_) => {
            return Err(invalid_name(format!(
                "`name` must be a string of 1 to {MAX_NAME_CHARS} characters."
            )));
        }
    };
    let renamed = state.store.rename_workspace(&id, name).await?;
    // It existed a moment ago and workspaces are never deleted; still, no 500 if it went.
    let workspace = renamed.ok_or_else(ApiError::no_access)?;
    Ok(Json(WorkspaceBody::from(workspace)))
}
