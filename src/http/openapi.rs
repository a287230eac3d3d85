//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a human
//! reference page rendered from it with no external assets.

use super::bulk::{BulkItemResult, BulkRequest, BulkResponse};
use super::contact_json::{ContactBody, ContactList, ContactWrite, ContactsRemoved};
use super::error::{ERROR_CODES, ErrorBody, ErrorDetail};
use super::events::{ActorBody, EventBody, EventPage};
use super::openapi_responses::{CommonResponses, install_links};
use super::openapi_schemas;
use super::{bulk, contacts, events, health, unsubscribe};
use axum::Json;
use axum::response::Html;
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /docs`: the API reference for people, from the same document.
pub async fn reference_page() -> Html<String> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(render_reference).clone())
}

fn render_reference() -> String {
    let doc = document();
    let mut body = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            body.push_str(&format!(
                "<section><h2><code>{method} {}</code></h2><p>{}</p>",
                escape(path),
                escape(
                    op.description
                        .as_deref()
                        .or(op.summary.as_deref())
                        .unwrap_or("")
                )
            ));
            if let Some(params) = &op.parameters {
                body.push_str("<h3>Parameters</h3><ul>");
                for p in params {
                    body.push_str(&format!(
                        "<li><code>{}</code> — {}</li>",
                        escape(&p.name),
                        escape(p.description.as_deref().unwrap_or(""))
                    ));
                }
                body.push_str("</ul>");
            }
            body.push_str("<h3>Responses</h3><ul>");
            for (status, response) in &op.responses.responses {
                let text = match response {
                    utoipa::openapi::RefOr::T(r) => r.description.clone(),
                    utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
                };
                body.push_str(&format!(
                    "<li><b>{}</b> {}</li>",
                    escape(status),
                    escape(&text)
                ));
            }
            body.push_str("</ul></section>");
        }
    }
    let codes: String = ERROR_CODES
        .iter()
        .map(|c| format!("<li><code>{c}</code></li>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>purrlist API reference</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:50rem;\
         margin:2rem auto;padding:0 1rem;color:#1a1a1a}}code{{background:#f2f2f2;padding:0 .2em}}\
         section{{border-top:1px solid #ddd}}</style></head><body><h1>purrlist API reference</h1>\
         <p>Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>. The machine-readable \
         document is <a href=\"/v1/openapi.json\">/v1/openapi.json</a>.</p>{body}\
         <section><h2>Error codes</h2><ul>{codes}</ul></section></body></html>"
    )
}
