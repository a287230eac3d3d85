//! `GET /docs`: the API reference for people, rendered from the same OpenAPI document the
//! machines read, plus the error-code table of docs/api.md; no external assets.

use super::document;
use axum::response::Html;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, RefOr};

/// The error table of docs/api.md, compiled in so the page and the docs never differ.
const API_DOC: &str = include_str!("../../../docs/api.md");

/// `GET /docs`.
pub async fn reference_page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| render(document())).as_str())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes `text` and turns Markdown `code` spans into `<code>`.
fn inline(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

fn anchor(method: &str, path: &str) -> String {
    format!("{method}{path}")
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
}

fn operations(doc: &OpenApi) -> Vec<(String, &'static str, &Operation)> {
    let mut all = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                all.push((path.clone(), method, op));
            }
        }
    }
    all
}

fn render_operation(out: &mut String, path: &str, method: &str, op: &Operation) {
    let text = op
        .description
        .as_deref()
        .or(op.summary.as_deref())
        .unwrap_or("");
    out.push_str(&format!(
        "<section id=\"{}\"><h3><code>{method} {}</code></h3><p>{}</p>",
        anchor(method, path),
        escape(path),
        inline(text)
    ));
    if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
        out.push_str("<h4>Parameters</h4><ul>");
        for p in params {
            out.push_str(&format!(
                "<li><code>{}</code> — {}</li>",
                escape(&p.name),
                inline(p.description.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("<h4>Answers</h4><ul>");
    for (status, response) in &op.responses.responses {
        let text = match response {
            RefOr::T(r) => r.description.clone(),
            RefOr::Ref(r) => r.ref_location.clone(),
        };
        out.push_str(&format!(
            "<li><b>{}</b> {}</li>",
            escape(status),
            inline(&text)
        ));
    }
    out.push_str("</ul></section>");
}

/// The rows of the error table in docs/api.md: (code, status, when).
fn error_rows() -> Vec<(&'static str, &'static str, &'static str)> {
    API_DOC
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(str::trim)
                .collect();
            match cells.as_slice() {
                [code, status, when] if code.starts_with('`') && status.parse::<u16>().is_ok() => {
                    Some((code.trim_matches('`'), *status, *when))
                }
                _ => None,
            }
        })
        .collect()
}

fn render(doc: &OpenApi) -> String {
    let ops = operations(doc);
    let tags: Vec<(String, String)> = doc
        .tags
        .iter()
        .flatten()
        .map(|t| (t.name.clone(), t.description.clone().unwrap_or_default()))
        .collect();
    let mut contents = String::new();
    let mut body = String::new();
    for (tag, description) in &tags {
        let in_tag: Vec<_> = ops
            .iter()
            .filter(|(_, _, op)| op.tags.iter().flatten().any(|t| t == tag))
            .collect();
        if in_tag.is_empty() {
            continue;
        }
        body.push_str(&format!(
            "<h2 id=\"tag-{tag}\">{}</h2><p>{}</p>",
            escape(tag),
            inline(description)
        ));
        contents.push_str(&format!(
            "<li><a href=\"#tag-{tag}\">{}</a><ul>",
            escape(tag)
        ));
        for (path, method, op) in in_tag {
            contents.push_str(&format!(
                "<li><a href=\"#{}\"><code>{method} {}</code></a></li>",
                anchor(method, path),
                escape(path)
            ));
            render_operation(&mut body, path, method, op);
        }
        contents.push_str("</ul></li>");
    }
    let errors: String = error_rows()
        .into_iter()
        .map(|(code, status, when)| {
            format!(
                "<tr><td><code>{code}</code></td><td>{status}</td><td>{}</td></tr>",
                inline(when)
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>purrlist API reference</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}\
         code{{background:#f0f0f0;padding:0 .2em;border-radius:3px}}h3 code{{font-size:1.05em}}\
         section{{border-top:1px solid #ddd;margin-top:1.5rem}}a{{color:#0b57d0}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}}\
         </style></head><body><h1>purrlist API reference</h1>\
         <p>The Notocat v1 contacts API, self-hosted. Authenticate with \
         <code>Authorization: Bearer &lt;key&gt;</code> on every <code>/v1</code> path. Every error has \
         one envelope: <code>{{\"code\", \"message\", \"field\"?, \"details\"?}}</code>. The machine-readable \
         document is <a href=\"/v1/openapi.json\">/v1/openapi.json</a>.</p>\
         <nav><h2>Contents</h2><ul>{contents}<li><a href=\"#errors\">Error codes</a></li></ul></nav>\
         {body}<h2 id=\"errors\">Error codes</h2><table><tr><th>code</th><th>status</th><th>when</th></tr>{errors}</table>\
         </body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::error::ErrorCode;

    #[test]
    fn the_page_lists_every_operation_and_every_error_code() {
        let page = render(document());
        for (path, method, _) in operations(document()) {
            assert!(
                page.contains(&format!("<code>{method} {}</code>", escape(&path))),
                "{method} {path}"
            );
        }
        for code in ErrorCode::ALL.iter().map(|c| c.as_str()) {
            assert!(
                page.contains(&format!("<td><code>{code}</code></td>")),
                "{code}"
            );
        }
    }
}
