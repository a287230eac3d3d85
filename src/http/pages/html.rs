//! Server-rendered HTML for people (the unsubscribe and confirmation pages, the sign-up
//! form's answers): no external assets, no
//! JavaScript, escaped user data, readable on a phone and on a desktop, keyboard-usable.

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Colours checked for contrast (WCAG AA needs 4.5:1): text #1f2328 on #ffffff 15.8:1,
/// muted #59636e 6.1:1, button #ffffff on #0a58ca 6.4:1; dark scheme: text 15.9:1, muted
/// 5.9:1, button 6.1:1 (hover states 5.0:1 or more).
const STYLE: &str = "\
*,*::before,*::after{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;min-height:100vh;display:flex;align-items:flex-start;justify-content:center;\
padding:1.5rem 1rem;background:#f6f8fa;color:#1f2328;\
font:1.0625rem/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\
main{width:100%;max-width:30rem;background:#fff;border:1px solid #d1d9e0;border-radius:.75rem;\
padding:2rem 1.5rem;box-shadow:0 1px 3px rgba(31,35,40,.08)}\
h1{font-size:1.5rem;line-height:1.3;margin:0 0 .75rem;overflow-wrap:anywhere}\
p{margin:0 0 1.25rem;overflow-wrap:anywhere}\
.muted{color:#59636e;font-size:.9375rem;margin:1.25rem 0 0}\
form{margin:0}main>:last-child{margin-bottom:0}\
button{display:block;width:100%;min-height:3rem;padding:.75rem 1.25rem;font:inherit;font-weight:600;\
color:#fff;background:#0a58ca;border:2px solid #0a58ca;border-radius:.5rem;cursor:pointer}\
button:hover{background:#084298;border-color:#084298}\
button.secondary{color:#0a58ca;background:#fff}\
button.secondary:hover{background:#eef4fd}\
button:focus-visible{outline:3px solid #1f2328;outline-offset:3px}\
@media (min-width:40rem){body{align-items:center}main{padding:2.5rem 2.5rem}button{width:auto;min-width:12rem}}\
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#f0f6fc}\
main{background:#151b23;border-color:#3d444d}.muted{color:#9198a1}\
button{background:#4493f8;border-color:#4493f8;color:#0d1117}button:hover{background:#2f81f7;border-color:#2f81f7}\
button.secondary{background:#151b23;color:#4493f8}button.secondary:hover{background:#1b2430}\
button:focus-visible{outline-color:#f0f6fc}}";

/// A button that POSTs to `action` (a URL relative to the page).
pub struct FormButton<'a> {
    /// Where the form posts.
    pub action: &'a str,
    /// The button's text, which is also its accessible name.
    pub label: &'a str,
    /// Drawn as the less prominent, outlined button.
    pub secondary: bool,
}

/// One whole page: a heading, paragraphs of text (escaped here), an optional button
/// and an optional muted note.
pub fn render(
    title: &str,
    heading: &str,
    paragraphs: &[String],
    button: Option<FormButton<'_>>,
    note: Option<&str>,
) -> String {
    let mut body = format!("<h1>{}</h1>", escape(heading));
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if let Some(b) = button {
        let class = if b.secondary {
            " class=\"secondary\""
        } else {
            ""
        };
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><button type=\"submit\"{class}>{}</button></form>",
            escape(b.action),
            escape(b.label)
        ));
    }
    if let Some(note) = note {
        body.push_str(&format!("<p class=\"muted\">{}</p>", escape(note)));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex, nofollow\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_is_escaped_everywhere() {
        let evil = "<script>alert(\"x\")</script>&'";
        let page = render(
            evil,
            evil,
            &[evil.to_owned()],
            Some(FormButton {
                action: evil,
                label: evil,
                secondary: false,
            }),
            Some(evil),
        );
        assert!(!page.contains("<script>"));
        assert!(!page.contains("\"x\""));
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
    }

    #[test]
    fn pages_declare_language_and_viewport() {
        let page = render("t", "h", &[], None, None);
        assert!(page.contains("<html lang=\"en\">"));
        assert!(page.contains("name=\"viewport\""));
        assert!(!page.contains("<script"));
    }
}
