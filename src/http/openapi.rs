//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a human
//! reference page rendered from it with no external assets.

use super::bulk::{BulkItemResult, BulkRequest, BulkResponse};
use super::contact_json::{ContactBody, ContactList, ContactWrite, ContactsRemoved};
use super::error::{ErrorBody, ErrorDetail};
use super::events::{ActorBody, EventBody, EventPage};
use super::openapi_responses::{CommonResponses, install_links};
use super::openapi_schemas;
use super::{bulk, contacts, events, health, unsubscribe};
use axum::Json;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from `purrlist key create`, sent as `Authorization: Bearer <key>`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "purrlist",
        description = "The Notocat v1 contacts API, self-hosted. Every error uses one envelope \
            `{\"code\", \"message\", \"field\"?, \"details\"?}`; the codes are listed in docs/api.md.",
        license(name = "MIT")
    ),
    paths(
        contacts::list_contacts,
        bulk::upsert_contacts,
        contacts::delete_contacts,
        contacts::get_contact,
        contacts::put_contact,
        contacts::delete_contact,
        events::list_events,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        unsubscribe::resubscribe,
        health::healthz,
        health::readyz,
        super::metrics::metrics,
    ),
    components(schemas(
        ContactBody, ContactWrite, ContactList, ContactsRemoved, BulkRequest, BulkResponse,
        BulkItemResult, ErrorBody, ErrorDetail, EventPage, EventBody, ActorBody
    )),
    modifiers(&BearerScheme, &CommonResponses),
    tags(
        (name = "contacts", description = "Notocat-compatible contacts endpoints, plus single-contact GET and DELETE."),
        (name = "events", description = "The change feed of a workspace, which is also its consent record."),
        (name = "unsubscribe", description = "The public unsubscribe link in every email: HTML pages, no API key (the token is the capability)."),
        (name = "operations", description = "Health and readiness."),
    )
)]
struct ApiDoc;

/// The OpenAPI document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// The document as served: the generated one with the hand-written request schemas.
pub fn document_json() -> &'static serde_json::Value {
    static JSON: OnceLock<serde_json::Value> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(document()).unwrap_or_default();
        openapi_schemas::install(&mut doc);
        openapi_schemas::drop_null_from_parameters(&mut doc);
        install_links(&mut doc);
        doc
    })
}

/// `GET /v1/openapi.json` (public).
pub async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(document_json())
}
