//! The dashboard's stylesheet, embedded in the binary and served under a name that holds a
//! hash of its content, so browsers may keep it for a year and still get a changed one.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const STYLESHEET: &str = include_str!("assets/dashboard.css");

/// `/admin/assets/dashboard.<hash>.css`.
pub fn stylesheet_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
        format!("/admin/assets/dashboard.{}.css", &digest[..16])
    })
}

/// `GET /admin/assets/{name}`: the stylesheet under its current name; 404 otherwise.
pub async fn serve(Path(name): Path<String>) -> Response {
    if stylesheet_path().strip_prefix("/admin/assets/") != Some(name.as_str()) {
        return super::response::not_found_page();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}
