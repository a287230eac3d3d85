//! The OpenAPI part of double opt-in and public sign-up forms (api.md §8): the
//! confirmation pages, the sign-up form and `/v1/form-keys`, merged into the document.

use super::responses::CommonResponses;
use super::schemas::CUSTOM_FIELD_KEY_PATTERN;
use crate::http::api::form_keys::{self, FormKeyBody, FormKeyCreate, FormKeyList};
use crate::http::forms::signup::{self, SignupAnswer};
use crate::http::pages::confirm;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        form_keys::create_form_key,
        form_keys::list_form_keys,
        form_keys::revoke_form_key,
        confirm::show,
        confirm::confirm,
        signup::sign_up_form,
        signup::preflight,
    ),
    components(schemas(FormKeyBody, FormKeyList, FormKeyCreate, SignupAnswer)),
    modifiers(&CommonResponses),
    tags(
        (name = "form keys", description = "Publishable keys of public sign-up forms: each can only ask to subscribe an address to its workspace (docs/consent.md)."),
        (name = "confirmation", description = "The double opt-in link (`contact.confirmation_requested`): HTML pages, no API key (the token is the capability)."),
        (name = "signup", description = "The public sign-up form: a form post or `fetch()` with a form key, always double opt-in."),
    )
)]
pub struct OptInDoc;

/// The body of `POST /v1/form-keys` as the server reads it, written by hand: the patterns
/// are subsets of what the server accepts (ASCII URLs), so every schema-valid body is taken.
pub fn install(doc: &mut serde_json::Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    schemas["FormKeyCreate"] = serde_json::json!({
        "type": "object",
        "description": "Every field optional. Unknown fields are ignored.",
        "properties": {
            "newsletter_id": {
                "type": ["string", "null"],
                "description": "The workspace (`wks_…`); may be left out when the key grants exactly one."
            },
            "name": {
                "type": ["string", "null"],
                "maxLength": 256,
                "pattern": "^[^\\x00-\\x1F\\x7F-\\x9F]*$",
                "description": "A label for people, at most 256 characters, no control characters."
            },
            "allowed_origins": {
                "type": ["array", "null"],
                "maxItems": 50,
                "items": {"type": "string", "maxLength": 2000, "pattern": "^https?://[A-Za-z0-9.:-]+$"},
                "description": "Origins (`https://host[:port]`, no path) whose pages may call the form from a browser; an empty list takes form posts from anywhere and never answers with CORS headers."
            },
            "redirect_url": {
                "type": ["string", "null"],
                "maxLength": 2000,
                "pattern": "^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)?$",
                "description": "Where a form post goes after a sign-up (`303`); `null`: a small page of purrlist's."
            },
            "custom_fields": {
                "type": ["array", "null"],
                "maxItems": 50,
                "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": CUSTOM_FIELD_KEY_PATTERN},
                "description": "Custom field keys a form may set; other fields of a sign-up are ignored."
            }
        }
    });
}
