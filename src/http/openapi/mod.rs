//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a human
//! reference page rendered from it with no external assets.

pub mod opt_in;
pub mod parameters;
pub mod reference_page;
pub mod responses;
pub mod schemas;

use crate::http::api::bulk::{BulkItemResult, BulkRequest, BulkResponse};
use crate::http::api::contact_json::{ContactBody, ContactList, ContactWrite, ContactsRemoved};
use crate::http::api::events::{ActorBody, EventBody, EventPage};
use crate::http::api::health::{Alive, Ready};
use crate::http::api::import_json::{BadRowBody, ImportBody, ImportList};
use crate::http::api::inbound::InboundAnswer;
use crate::http::api::inbound_secrets::{InboundSecretBody, InboundSecretRequest};
use crate::http::api::privacy_export::{PrivacyExport, PrivacyExportRequest};
use crate::http::api::webhook_json::{
    DeliveryBody, DeliveryList, Queued, SecretBody, WebhookBody, WebhookCreate, WebhookList,
};
use crate::http::api::workspaces::{WorkspaceBody, WorkspaceRename};
use crate::http::api::{
    bulk, contact_list, contacts, contacts_export, events, health, imports, webhook_actions,
    webhooks, workspaces,
};
use crate::http::api::{inbound, inbound_secrets, privacy_export};
use crate::http::error::{ErrorBody, ErrorDetail};
use crate::http::pages::unsubscribe;
use axum::Json;
use responses::{CommonResponses, install_links};
use schemas as openapi_schemas;
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
        contact_list::list_contacts,
        bulk::upsert_contacts,
        contacts::delete_contacts,
        contacts_export::export_contacts,
        contacts::get_contact,
        contacts::put_contact,
        contacts::delete_contact,
        events::list_events,
        imports::create_import,
        imports::list_imports,
        imports::get_import,
        workspaces::rename_workspace,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::get_webhook,
        webhooks::patch_webhook,
        webhooks::delete_webhook,
        webhook_actions::rotate_secret,
        webhook_actions::list_deliveries,
        webhook_actions::replay,
        webhook_actions::send_test,
        unsubscribe::show,
        unsubscribe::unsubscribe,
        unsubscribe::resubscribe,
        health::healthz,
        health::readyz,
        crate::http::middleware::metrics::metrics,
        privacy_export::privacy_export,
        inbound_secrets::create_inbound_secret,
        inbound::postmark_webhook,
        inbound::ses_webhook,
        crate::http::api::consent::get_consent,
        crate::http::api::suppressions::list_suppressions,
        crate::http::api::suppressions::create_suppression,
        crate::http::api::suppressions::delete_suppression,
        crate::http::api::privacy::erase,
    ),
    components(schemas(
        ContactBody, ContactWrite, ContactList, ContactsRemoved, BulkRequest, BulkResponse,
        BulkItemResult, ErrorBody, ErrorDetail, EventPage, EventBody, ActorBody, WorkspaceBody,
        WorkspaceRename, Alive, Ready, ImportBody, ImportList, BadRowBody, WebhookBody,
        WebhookList, WebhookCreate, SecretBody, DeliveryBody, DeliveryList, Queued,
        PrivacyExport, PrivacyExportRequest, InboundSecretBody, InboundSecretRequest, InboundAnswer,
        crate::http::api::consent::ConsentBody, crate::http::api::consent::ConsentSuppression,
        crate::http::api::consent::LastChange, crate::http::api::suppressions::SuppressionBody,
        crate::http::api::suppressions::SuppressionList,
        crate::http::api::suppressions::SuppressionCreate,
        crate::http::api::privacy::ErasureRequest, crate::http::api::privacy::ErasureBody
    )),
    modifiers(&BearerScheme, &CommonResponses),
    tags(
        (name = "contacts", description = "Notocat-compatible contacts endpoints, plus single-contact GET and DELETE."),
        (name = "events", description = "The change feed of a workspace, which is also its consent record."),
        (name = "imports", description = "Moving in: a CSV or NDJSON file imported in the background (the engine of `purrlist import`), and its job read back."),
        (name = "workspaces", description = "Workspaces (Notocat's newsletters): renaming one (extension)."),
        (name = "webhooks", description = "Webhooks: the change feed pushed to your endpoints, signed per Standard Webhooks (docs/webhooks.md)."),
        (name = "unsubscribe", description = "The public unsubscribe link in every email: HTML pages, no API key (the token is the capability)."),
        (name = "operations", description = "Health and readiness."),
        (name = "inbound", description = "Bounces and complaints from the sending service (Postmark, Amazon SES through SNS), at per-workspace URLs with a secret (docs/consent.md)."),
        (name = "suppressions", description = "Suppressed addresses (bounced, complained, erased, manual): listing, adding and lifting them (extension, docs/consent.md)."),
        (name = "privacy", description = "Privacy requests: everything kept about one address, and its erasure (extension, docs/consent.md)."),
    )
)]
struct ApiDoc;

/// The OpenAPI document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.merge(opt_in::OptInDoc::openapi());
        doc
    })
}

/// The document as served: the generated one with the hand-written request schemas and
/// the parameter patterns.
pub fn document_json() -> &'static serde_json::Value {
    static JSON: OnceLock<serde_json::Value> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(document()).unwrap_or_default();
        openapi_schemas::install(&mut doc);
        opt_in::install(&mut doc);
        install_import_body(&mut doc);
        parameters::install(&mut doc);
        install_links(&mut doc);
        doc
    })
}

/// The body of `POST /v1/imports` is a file: bytes (`format: binary`), so clients send it
/// as it is; the route takes it as `application/octet-stream` as well as `text/csv` or
/// `application/x-ndjson` (docs/api.md, "Imports over HTTP").
fn install_import_body(doc: &mut serde_json::Value) {
    if let Some(content) = doc.pointer_mut("/paths/~1v1~1imports/post/requestBody/content") {
        *content = serde_json::json!({
            "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}}
        });
    }
}

/// `GET /v1/openapi.json` (public).
pub async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(document_json())
}
