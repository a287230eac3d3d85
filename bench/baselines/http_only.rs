//! Baseline 1, the HTTP ceiling: the same stack (tokio + axum), the same JSON parse
//! (`serde_json::Value` → `parse_contact_patch` → merge) and the same serialisation
//! (`ContactBody`), a fixed bearer check, and no database.
//!
//! `bench-http-only --listen ADDR --key SECRET`

/// The allocator purrlist runs on (src/main.rs), for Rust and SQLite alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use purrlist::domain::contact::Contact;
use purrlist::domain::custom_fields::CustomFields;
use purrlist::domain::email::EmailAddress;
use purrlist::domain::ids::{ContactId, UnsubToken, WorkspaceId};
use purrlist::domain::patch_input::{EmailRule, parse_contact_patch};
use purrlist::domain::timestamp::Timestamp;
use purrlist::http::api::contact_json::{ContactBody, ContactList};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

struct Baseline {
    bearer: String,
    template: Contact,
}

type Shared = State<Arc<Baseline>>;

fn authorised(state: &Baseline, headers: &HeaderMap) -> Result<(), StatusCode> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == state.bearer);
    if ok {
        Ok(())
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

fn contact_with_id(state: &Baseline, id: &str) -> Contact {
    Contact {
        id: ContactId::from_stored(id.to_owned()),
        ..state.template.clone()
    }
}

async fn put_contact(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ContactBody>, StatusCode> {
    authorised(&state, &headers)?;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return Err(StatusCode::BAD_REQUEST);
    };
    let patch =
        parse_contact_patch(&map, EmailRule::Required).map_err(|_| StatusCode::BAD_REQUEST)?;
    let current = contact_with_id(&state, &id);
    let next = current
        .merged(&patch, Timestamp::now())
        .map_err(|_| StatusCode::BAD_REQUEST)?
        .unwrap_or(current);
    Ok(Json(next.into()))
}

async fn get_contact(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ContactBody>, StatusCode> {
    authorised(&state, &headers)?;
    Ok(Json(contact_with_id(&state, &id).into()))
}

async fn list_contacts(
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Json<ContactList>, StatusCode> {
    authorised(&state, &headers)?;
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let data = (0..limit).map(|_| state.template.clone().into()).collect();
    Ok(Json(ContactList {
        data,
        total: 1_000_000,
        page: Some(1),
        offset: Some(0),
        next_after: None,
    }))
}

fn template() -> anyhow::Result<Contact> {
    let email = EmailAddress::parse("user1@example.com").map_err(|e| anyhow::anyhow!("{e}"))?;
    let fields = CustomFields::from_stored_json(r#"{"plan":"pro","seq":1}"#)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Timestamp::now();
    Ok(Contact {
        id: ContactId::generate(),
        workspace_id: WorkspaceId::generate(),
        name: "Contact 1".to_owned(),
        first_name: "Contact".to_owned(),
        last_name: "N1".to_owned(),
        email,
        subscribed: true,
        unsub_token: UnsubToken::generate(),
        custom_fields: fields,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

fn main() -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:8081".to_owned();
    let mut key = String::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match (flag.as_str(), it.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--key", Some(v)) => key = v,
            _ => anyhow::bail!("usage: bench-http-only --listen ADDR --key SECRET"),
        }
    }
    let state = Arc::new(Baseline {
        bearer: format!("Bearer {key}"),
        template: template()?,
    });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/contacts", get(list_contacts))
        .route("/v1/contacts/{id}", get(get_contact).put(put_contact))
        .with_state(state);
    // The same runtime purrlist serve builds: multi-threaded, one worker per allowed core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        println!(
            "http-only baseline listening on http://{}",
            listener.local_addr()?
        );
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}
