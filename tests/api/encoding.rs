//! `Content-Encoding` of request bodies (gzip, deflate, br decoded within the size limits,
//! anything else refused, never parsed as JSON), a UTF-8 byte order mark before JSON, and
//! compressed answers for clients that accept them (api.md, "Bodies and encodings").

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{Read, Write};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

fn br(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &Default::default()).expect("br");
    out
}

/// `method path` with a JSON body sent as `bytes` under `encoding`.
async fn send_encoded(
    app: &TestApp,
    method: Method,
    path: &str,
    encoding: &str,
    bytes: Vec<u8>,
) -> Reply {
    send(
        app.req(method, path)
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(bytes),
    )
    .await
}

backend_test!(
    gzip_deflate_and_br_bodies_are_decoded_on_bulk_and_put,
    |app| async move {
        let bulk = json!({"newsletter_id": app.workspace, "contacts": [{"email": "zip@example.com", "name": "Zip"}]});
        let body = serde_json::to_vec(&bulk).expect("json");
        let reply = send_encoded(&app, Method::POST, "/v1/contacts", "gzip", gzip(&body)).await;
        reply.expect_status(200);
        let id = reply.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("/v1/contacts/{id}");
        for (encoding, encode) in [("deflate", deflate as fn(&[u8]) -> Vec<u8>), ("br", br)] {
            let put = json!({"email": "zip@example.com", "name": format!("Zip {encoding}")});
            let body = serde_json::to_vec(&put).expect("json");
            let reply = send_encoded(&app, Method::PUT, &path, encoding, encode(&body)).await;
            reply.expect_status(200);
            assert_eq!(reply.json["name"], json!(format!("Zip {encoding}")));
        }
    }
);

#[tokio::test]
async fn unknown_stacked_or_mislabelled_encodings_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let contact = app.new_contact(json!({"email": "keep@example.com"})).await;
    let path = format!("/v1/contacts/{}", id_of(&contact));
    let plain =
        serde_json::to_vec(&json!({"email": "keep@example.com", "name": "Changed"})).expect("json");
    let before = app.snapshot().await;
    for (encoding, status, code, named) in [
        ("zstd", 415, "unsupported_media_type", "zstd"),
        ("gzip, br", 415, "unsupported_media_type", "gzip, br"),
        ("br", 400, "invalid_body", "br"),
        ("gzip", 400, "invalid_body", "gzip"),
        ("deflate", 400, "invalid_body", "deflate"),
    ] {
        let reply = send_encoded(&app, Method::PUT, &path, encoding, plain.clone()).await;
        reply.expect_error(status, code);
        assert!(
            reply.json["message"]
                .as_str()
                .is_some_and(|m| m.contains(named)),
            "{}",
            reply.text
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_small_body_that_decodes_past_the_limit_is_413() {
    let app = TestApp::spawn().await;
    let contact = app.new_contact(json!({"email": "bomb@example.com"})).await;
    // Valid JSON that grows to 9 MiB: past the PUT limit (64 KiB) and the bulk limit (8 MiB).
    let mut json = br#"{"email": "bomb@example.com", "name": ""#.to_vec();
    json.extend(std::iter::repeat_n(b' ', 9 * 1024 * 1024));
    json.extend(br#""}"#);
    let bomb = gzip(&json);
    assert!(bomb.len() < 64 * 1024, "the bomb is small: {}", bomb.len());
    let before = app.snapshot().await;
    let path = format!("/v1/contacts/{}", id_of(&contact));
    for (method, path) in [(Method::PUT, path.as_str()), (Method::POST, "/v1/contacts")] {
        let reply = send_encoded(&app, method, path, "gzip", bomb.clone()).await;
        reply.expect_error(413, "payload_too_large");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_utf8_byte_order_mark_before_the_json_is_skipped() {
    let app = TestApp::spawn().await;
    let contact = app.new_contact(json!({"email": "bom@example.com"})).await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(
        serde_json::to_vec(&json!({"email": "bom@example.com", "name": "Bom"})).expect("json"),
    );
    let reply = send(
        app.req(Method::PUT, &format!("/v1/contacts/{}", id_of(&contact)))
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    reply.expect_status(200);
    assert_eq!(reply.json["name"], json!("Bom"));
}

#[tokio::test]
async fn large_answers_are_compressed_when_accepted_and_small_or_tagged_ones_are_not() {
    let app = TestApp::spawn().await;
    let contacts: Vec<Value> = (0..50)
        .map(|i| json!({"email": format!("c{i}@example.com"), "name": format!("Contact {i}")}))
        .collect();
    app.upsert(json!(contacts)).await;
    let list = format!("/v1/contacts?newsletter_id={}&limit=1000", app.workspace);
    let plain = app.req(Method::GET, &list).send().await.expect("plain");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain: Value = plain.json().await.expect("json");
    let zipped = app
        .req(Method::GET, &list)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("gzip");
    assert_eq!(
        zipped
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let bytes = zipped.bytes().await.expect("bytes");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .expect("gunzip");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), plain);
    // One contact: small, and its ETag names the plain bytes.
    let id = id_of(&plain["data"][0]).to_owned();
    for path in [format!("/v1/contacts/{id}"), "/healthz".to_owned()] {
        let one = app
            .req(Method::GET, &path)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("one");
        assert_eq!(one.status(), 200);
        assert!(one.headers().get("content-encoding").is_none(), "{path}");
    }
}
