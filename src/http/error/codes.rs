//! The error registry: every code the API answers with, its HTTP status and its default
//! message, each written once in the table below. Handlers, middleware, the bulk details,
//! the docs test and the OpenAPI document all read it; nothing else spells a code.

use crate::domain::patch_input::EMAIL_TAKEN_MESSAGE;
use axum::http::StatusCode;
use serde::{Serialize, Serializer};

/// Writes [`ErrorCode`] and its lookups from one table: `Variant: STATUS, "code", message;`.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident: $status:ident, $code:literal, $message:expr;)+) => {
        /// A stable error code of the API (the `code` of the error envelope).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the table (by status).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The snake_case code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status every answer with this code has.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }

            /// The message when the caller has nothing more precise to say.
            pub const fn message(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message,)+
                }
            }
        }
    };
}

error_codes! {
    /// The body is empty or not JSON.
    InvalidJson: BAD_REQUEST, "invalid_json", "The request body is not valid JSON.";
    /// The body is JSON but not an object.
    InvalidBody: BAD_REQUEST, "invalid_body", "The request body must be a JSON object.";
    /// A required field or parameter is absent.
    MissingField: BAD_REQUEST, "missing_field", "A required field is missing.";
    /// `email` is not a valid address or not a string.
    InvalidEmail: BAD_REQUEST, "invalid_email", "`email` must be a valid email address.";
    /// A field has the wrong type or breaks a limit.
    InvalidField: BAD_REQUEST, "invalid_field", "A field has the wrong type or breaks a limit.";
    /// `custom_fields` breaks a rule.
    InvalidCustomFields: BAD_REQUEST, "invalid_custom_fields", "`custom_fields` breaks a rule.";
    /// A query parameter is malformed, out of range, or given twice.
    InvalidParameter: BAD_REQUEST, "invalid_parameter", "A query parameter is malformed, out of range, or given twice.";
    /// `after=<contact id>` names no contact of the workspace listed (deleted since, or
    /// never one of it).
    InvalidCursor: BAD_REQUEST, "invalid_cursor", "`after` names no contact of this workspace (it may have been deleted since): continue after an earlier contact of the page you have, or start again without `after`.";
    /// A malformed `If-Match` or `Idempotency-Key`.
    InvalidHeader: BAD_REQUEST, "invalid_header", "A request header is malformed.";
    /// Some bulk items cannot be applied; `details` lists each one.
    InvalidContacts: BAD_REQUEST, "invalid_contacts", "Some of the contacts cannot be applied; nothing was written. See `details`.";
    /// Missing, malformed, unknown or revoked key.
    Unauthorized: UNAUTHORIZED, "unauthorized", "Send a valid API key as `Authorization: Bearer <key>`.";
    /// A workspace the key may not use, or a write with a read-only key.
    Forbidden: FORBIDDEN, "forbidden", "You do not have access to this resource.";
    /// A browser page on an origin the form key does not list.
    OriginNotAllowed: FORBIDDEN, "origin_not_allowed", "This form key does not accept sign-ups from this page's origin.";
    /// No such endpoint.
    NotFound: NOT_FOUND, "not_found", "There is no such endpoint; see /v1/openapi.json.";
    /// No such contact in a workspace the key may use.
    ContactNotFound: NOT_FOUND, "contact_not_found", "No contact with this id exists.";
    /// No such import job in a workspace the key may use.
    ImportNotFound: NOT_FOUND, "import_not_found", "No import with this id exists.";
    /// No such webhook endpoint in a workspace the key may use.
    WebhookNotFound: NOT_FOUND, "webhook_not_found", "No webhook endpoint with this id exists.";
    /// An SNS message whose signature or signing certificate does not check out.
    InvalidSignature: FORBIDDEN, "invalid_signature", "The message's signature does not verify against an Amazon SNS certificate; nothing was done.";
    /// Amazon SNS could not be reached (certificate or subscription URL).
    SnsUnavailable: BAD_GATEWAY, "sns_unavailable", "Amazon SNS could not be reached to check or confirm the message; nothing was done. SNS retries it.";
    /// No such suppression in a workspace the key may use.
    SuppressionNotFound: NOT_FOUND, "suppression_not_found", "No suppression with this id exists.";
    /// A replay of one event that is not in the workspace's feed.
    EventNotFound: NOT_FOUND, "event_not_found", "No event with this id is in this workspace's feed (it may have been pruned).";
    /// No such form key, or it was revoked (`/f/{key}`, `/v1/form-keys/{id}`).
    FormKeyNotFound: NOT_FOUND, "form_key_not_found", "No form key with this id exists, or it was revoked.";
    /// The endpoint exists but not with this method.
    MethodNotAllowed: METHOD_NOT_ALLOWED, "method_not_allowed", "This endpoint does not accept this method.";
    /// The body stopped coming before it was whole (the body-read time limit).
    BodyTimeout: REQUEST_TIMEOUT, "body_timeout", "The request body did not arrive in time; send it in one go and retry.";
    /// Another contact of the workspace already has this email.
    EmailTaken: CONFLICT, "email_taken", EMAIL_TAKEN_MESSAGE;
    /// The address is suppressed: the write would subscribe it (or bring back an erased
    /// one) without the override, or the suppression cannot be lifted this way.
    Suppressed: CONFLICT, "suppressed", "This address is suppressed; the write needs `\"override_suppression\": true`.";
    /// A request with this `Idempotency-Key` is still running.
    IdempotencyKeyInFlight: CONFLICT, "idempotency_key_in_flight", "A request with this Idempotency-Key is still running; retry after it finishes.";
    /// `If-Match` names a version the contact is no longer at.
    PreconditionFailed: PRECONDITION_FAILED, "precondition_failed", "The contact changed since the version named in `If-Match`; read it again and retry.";
    /// The body is over the route's limit.
    PayloadTooLarge: PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is larger than this route accepts.";
    /// A body that is not `application/json`.
    UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Send the body as JSON with `Content-Type: application/json`.";
    /// This `Idempotency-Key` was used for a different request.
    IdempotencyKeyReused: UNPROCESSABLE_ENTITY, "idempotency_key_reused", "This Idempotency-Key was already used for a different request; use a new key.";
    /// The API key is over its rate limit.
    RateLimited: TOO_MANY_REQUESTS, "rate_limited", "This API key is sending requests too fast. Retry after the `Retry-After` seconds.";
    /// The client's address holds too many connections.
    TooManyConnections: TOO_MANY_REQUESTS, "too_many_connections", "Your address has too many connections open to this server; close one, or reuse them (keep-alive), and retry.";
    /// A bug; the cause is logged, never shown.
    InternalError: INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side; it has been logged.";
    /// The database does not answer; nothing was written.
    DatabaseUnavailable: SERVICE_UNAVAILABLE, "database_unavailable", "The database is not answering right now; nothing was written. Retry shortly.";
    /// An import body cannot be stored (disk full or not writable).
    SpoolUnavailable: SERVICE_UNAVAILABLE, "spool_unavailable", "The server cannot store the import body right now (its disk is full or not writable); nothing was imported. Retry later.";
    /// The request passed the time limit.
    RequestTimeout: SERVICE_UNAVAILABLE, "request_timeout", "The request took too long and was stopped; it may or may not have been applied. Retry it.";
    /// The server has its maximum of requests in flight.
    Overloaded: SERVICE_UNAVAILABLE, "overloaded", "The server is busy with too many requests; nothing was done. Retry shortly.";
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Every code with its status, for the OpenAPI document: (code, status, default message).
pub fn error_codes() -> impl Iterator<Item = (&'static str, StatusCode, &'static str)> {
    ErrorCode::ALL
        .iter()
        .map(|code| (code.as_str(), code.status(), code.message()))
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::BTreeMap;

    /// The rows of the error table in docs/api.md: code → status.
    fn documented() -> BTreeMap<&'static str, u16> {
        include_str!("../../../docs/api.md")
            .lines()
            .filter_map(|line| {
                let mut cells = line.trim().trim_matches('|').split(" | ").map(str::trim);
                let code = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
                let status = cells.next()?.parse().ok()?;
                Some((code, status))
            })
            .collect()
    }

    #[test]
    fn every_code_is_in_the_api_reference_table_with_its_status() {
        let documented = documented();
        for code in ErrorCode::ALL {
            assert_eq!(
                documented.get(code.as_str()),
                Some(&code.status().as_u16()),
                "{} ({}) in the error table of docs/api.md",
                code.as_str(),
                code.status()
            );
        }
    }

    #[test]
    fn the_api_reference_table_lists_no_code_the_server_cannot_send() {
        let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        for code in documented().keys() {
            assert!(
                known.contains(code),
                "{code} is documented but not in the registry"
            );
        }
    }

    #[test]
    fn codes_are_unique_snake_case_and_messages_are_sentences() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s} is not snake_case"
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(code.message().ends_with('.'), "{s}: {}", code.message());
        }
    }
}
