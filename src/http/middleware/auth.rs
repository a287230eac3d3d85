//! Authentication before routing, and the access rules of a key.

use crate::domain::api_key::{ApiKey, ApiKeySecret};
use crate::domain::events::Actor;
use crate::domain::ids::WorkspaceId;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// The key that authenticated this request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key, without its secret.
    pub key: ApiKey,
}

/// The one `/v1` path that needs no key.
const PUBLIC_V1_PATHS: &[&str] = &["/v1/openapi.json"];

/// Whether `path` is answered only with a valid key.
pub fn needs_key(path: &str) -> bool {
    (path == "/v1" || path.starts_with("/v1/")) && !PUBLIC_V1_PATHS.contains(&path)
}

/// Checks the bearer key on every `/v1` path before the router looks at it, so an
/// unknown path with a bad key is 401, as Notocat clients expect.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !needs_key(req.uri().path()) {
        return Ok(next.run(req).await);
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token else {
        return Err(ApiError::unauthorized(
            "Send an API key as `Authorization: Bearer <key>`.",
        ));
    };
    if token.starts_with(crate::domain::form_key::FORM_KEY_PREFIX) {
        return Err(ApiError::unauthorized(
            "A form key (`pk_…`) only works on `POST /f/<key>`; the API needs an API key.",
        ));
    }
    let Some(secret) = ApiKeySecret::parse(token) else {
        return Err(ApiError::unauthorized("The API key is not valid."));
    };
    let key = state.keys.lookup(&*state.store, &secret).await?;
    match key {
        Some(key) if key.revoked_at.is_none() => {
            tracing::Span::current().record("key_id", key.id.as_str());
            req.extensions_mut().insert(Caller { key });
            Ok(next.run(req).await)
        }
        _ => Err(ApiError::unauthorized(
            "The API key is not valid or has been revoked.",
        )),
    }
}

impl Caller {
    /// The actor the change feed records for this caller's writes.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey(self.key.id.clone())
    }

    /// 403 unless the key may write.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.key.read_only {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "This API key is read-only.",
            ));
        }
        Ok(())
    }

    /// The workspace a request is about: `newsletter_id` when given (403 unless the key
    /// may use it and it exists), else the key's only workspace, else 400.
    pub async fn workspace(
        &self,
        state: &AppState,
        newsletter_id: Option<&str>,
    ) -> Result<WorkspaceId, ApiError> {
        let Some(given) = newsletter_id.filter(|s| !s.is_empty()) else {
            return self.key.sole_workspace().cloned().ok_or_else(|| {
                ApiError::new(
                    ErrorCode::MissingField,
                    "`newsletter_id` is required: this API key is not limited to exactly one workspace.",
                )
                .with_field("newsletter_id")
            });
        };
        let id = WorkspaceId::parse(given).ok_or_else(ApiError::no_access)?;
        if !self.key.grants(&id) || !state.workspace_exists(&id).await? {
            return Err(ApiError::no_access());
        }
        Ok(id)
    }
}
