//! Answers every operation can give whatever its handler does (401 before routing, 429
//! from the rate limiter, 503 from the load cap or time limit, 500 on a bug), added to the
//! OpenAPI document once here so no handler can forget one.

use utoipa::Modify;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::{
    ContentBuilder, Object, ObjectBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Type,
};

/// Adds the shared responses and the `x-request-id` header to every operation.
pub struct CommonResponses;

fn integer_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some(description))
        .build()
}

fn string_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Object::with_type(Type::String))
        .description(Some(description))
        .build()
}

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    )
}

fn rate_limit_headers(response: ResponseBuilder) -> ResponseBuilder {
    response
        .header(
            "RateLimit-Limit",
            integer_header("Requests a key may send in a burst (only when rate limiting is on)."),
        )
        .header(
            "RateLimit-Remaining",
            integer_header(
                "Requests left in the key's bucket now (only when rate limiting is on).",
            ),
        )
        .header(
            "RateLimit-Reset",
            integer_header(
                "Seconds until the key's bucket is full again (only when rate limiting is on).",
            ),
        )
}

fn shared_responses(authenticated: bool) -> Vec<(&'static str, Response)> {
    let retry_after = || integer_header("Seconds to wait before retrying.");
    let mut list = vec![
        (
            "500",
            error_response("`internal_error`: a bug; logged with the request id.").build(),
        ),
        (
            "503",
            error_response(
                "`overloaded` (too many requests in flight), `request_timeout` (the time limit \
                 passed; a write may have been applied) or `database_unavailable`; retry.",
            )
            .header("Retry-After", retry_after())
            .build(),
        ),
    ];
    if authenticated {
        list.push((
            "401",
            error_response("`unauthorized`: missing, malformed, unknown or revoked key.")
                .header("WWW-Authenticate", string_header("Always `Bearer`."))
                .build(),
        ));
        list.push((
            "429",
            rate_limit_headers(
                error_response("`rate_limited`: this key used up its rate limit.")
                    .header("Retry-After", retry_after()),
            )
            .build(),
        ));
    }
    list
}

/// What every operation that takes an `Idempotency-Key` can answer because of it, whatever
/// else it answers: a malformed key, the same key in flight, the same key for another request.
fn idempotency_responses() -> Vec<(&'static str, Response)> {
    vec![
        (
            "400",
            error_response(
                "`invalid_header`: a malformed `Idempotency-Key` (or another invalid request).",
            )
            .build(),
        ),
        (
            "409",
            error_response(
                "`idempotency_key_in_flight`: the same key's first request is still running.",
            )
            .build(),
        ),
        (
            "422",
            error_response("`idempotency_key_reused`: this key was used with another request.")
                .build(),
        ),
    ]
}

fn takes_idempotency_key(operation: &Operation) -> bool {
    operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "Idempotency-Key")
}

fn add_to(operation: &mut Operation, authenticated: bool) {
    let idempotent = takes_idempotency_key(operation);
    let responses = &mut operation.responses.responses;
    let mut shared = shared_responses(authenticated);
    if idempotent {
        shared.extend(idempotency_responses());
    }
    for (status, response) in shared {
        responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    }
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.insert(
                "x-request-id".to_owned(),
                string_header("The request id, also in the server's log."),
            );
            if authenticated {
                let with_limits = rate_limit_headers(ResponseBuilder::new()).build();
                for (name, header) in with_limits.headers {
                    response.headers.entry(name).or_insert(header);
                }
            }
        }
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == "/healthz" || path == "/metrics" {
                continue;
            }
            let authenticated = path.starts_with("/v1/");
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_to(operation, authenticated);
            }
        }
    }
}

/// Links from the answers that return contact ids to the operations that take one, so
/// clients and stateful fuzzers can follow a created contact through read, update, delete.
/// Written into the JSON because utoipa 5 serializes `operationId` of a link as `operation_id`.
pub fn install_links(doc: &mut serde_json::Value) {
    let sources = [
        (
            "/paths/~1v1~1contacts/post/responses/200",
            "$response.body#/results/0/id",
        ),
        (
            "/paths/~1v1~1contacts~1{id}/put/responses/200",
            "$response.body#/id",
        ),
    ];
    for (pointer, id_expression) in sources {
        let Some(response) = doc.pointer_mut(pointer).and_then(|r| r.as_object_mut()) else {
            continue;
        };
        let link = |operation_id: &str| {
            serde_json::json!({
                "operationId": operation_id,
                "parameters": {"id": id_expression},
                "description": "The contact this answer names."
            })
        };
        response.insert(
            "links".to_owned(),
            serde_json::json!({
                "GetContact": link("get_contact"),
                "UpdateContact": link("put_contact"),
                "DeleteContact": link("delete_contact"),
            }),
        );
    }
}
