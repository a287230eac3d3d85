//! The frame of every dashboard page: the document head (the embedded stylesheet, no
//! script), a skip link, the navigation of the signed-in key and its workspace, sign out.

use super::assets::stylesheet_path;
use super::session::SignedIn;
use crate::domain::workspace::Workspace;
use maud::{DOCTYPE, Markup, html};

/// Which part of the dashboard a page belongs to (marked in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// No section (sign-in, errors).
    None,
    /// The workspace list.
    Workspaces,
    /// A workspace's overview.
    Overview,
    /// A workspace's contacts.
    Contacts,
    /// A workspace's webhooks.
    Webhooks,
    /// A workspace's suppressions.
    Suppressions,
    /// A workspace's imports.
    Imports,
    /// API keys.
    Keys,
}

/// What surrounds a page's content.
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    /// The session, when someone is signed in.
    pub signed_in: Option<&'a SignedIn>,
    /// The workspace the page is about.
    pub workspace: Option<&'a Workspace>,
    /// The part of the dashboard.
    pub section: Section,
}

impl<'a> Frame<'a> {
    /// No navigation: sign-in and error pages.
    pub fn bare() -> Frame<'static> {
        Frame {
            signed_in: None,
            workspace: None,
            section: Section::None,
        }
    }

    /// A page of the signed-in dashboard.
    pub fn of(signed_in: &'a SignedIn, section: Section) -> Frame<'a> {
        Frame {
            signed_in: Some(signed_in),
            workspace: None,
            section,
        }
    }

    /// The same frame about `workspace`.
    pub fn in_workspace(mut self, workspace: &'a Workspace) -> Frame<'a> {
        self.workspace = Some(workspace);
        self
    }
}

/// The hidden CSRF field every form of a session carries.
pub fn csrf_field(signed_in: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed_in.csrf_token()); }
}

fn nav_link(href: &str, label: &str, current: bool) -> Markup {
    html! {
        li { a href=(href) aria-current=[current.then_some("page")] { (label) } }
    }
}

/// A whole page: `title` in the tab, the frame around `content`.
pub fn page(title: &str, frame: Frame<'_>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) " · purrlist" }
                link rel="stylesheet" href=(stylesheet_path());
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.top-inner {
                        a.brand href="/admin" { "purrlist" }
                        @if let Some(signed_in) = frame.signed_in {
                            nav aria-label="Dashboard" {
                                ul.nav {
                                    (nav_link("/admin", "Workspaces", frame.section == Section::Workspaces))
                                    @if let Some(w) = frame.workspace {
                                        (nav_link(&format!("/admin/w/{}", w.id), "Overview", frame.section == Section::Overview))
                                        (nav_link(&format!("/admin/w/{}/contacts", w.id), "Contacts", frame.section == Section::Contacts))
                                        (nav_link(&format!("/admin/w/{}/imports", w.id), "Import", frame.section == Section::Imports))
                                        (nav_link(&format!("/admin/w/{}/suppressions", w.id), "Suppressions", frame.section == Section::Suppressions))
                                        (nav_link(&format!("/admin/w/{}/webhooks", w.id), "Webhooks", frame.section == Section::Webhooks))
                                    }
                                    @if signed_in.may_manage_keys() {
                                        (nav_link("/admin/keys", "API keys", frame.section == Section::Keys))
                                    }
                                }
                            }
                            span.who {
                                "Signed in with “" (signed_in.key.name) "”"
                                @if signed_in.key.read_only { " (read-only)" }
                            }
                            form method="post" action="/admin/logout" {
                                (csrf_field(signed_in))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" {
                    @if let Some(w) = frame.workspace {
                        p.muted { "Workspace: " strong { (w.name) } }
                    }
                    (content)
                }
            }
        }
    }
}

/// A time for people: `2026-11-29 14:05 UTC`.
pub fn when(at: crate::domain::timestamp::Timestamp) -> String {
    let text = at.to_rfc3339();
    format!(
        "{} UTC",
        text.get(..16).unwrap_or(&text).replacen('T', " ", 1)
    )
}

/// A confirmation line after a form redirected here (`?done=…`): only fixed sentences,
/// never text from the URL.
pub fn notice(sentence: Option<&'static str>) -> Markup {
    html! {
        @if let Some(sentence) = sentence {
            p.notice role="status" { (sentence) }
        }
    }
}

/// A text field with its label, its value, an optional hint and the error at fault, wired
/// for screen readers (`aria-invalid`, `aria-describedby`).
pub struct TextField<'a> {
    /// `id` and `name`.
    pub name: &'a str,
    /// The visible label.
    pub label: &'a str,
    /// `text`, `email`, `search`, `url` or `password`.
    pub kind: &'a str,
    /// The value shown.
    pub value: &'a str,
    /// Help under the field.
    pub hint: Option<&'a str>,
    /// What is wrong with the value, in words.
    pub error: Option<&'a str>,
    /// Whether the field must be filled.
    pub required: bool,
}

impl TextField<'_> {
    /// The field as HTML.
    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            self.error.map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div.field {
                label for=(self.name) { (self.label) }
                input id=(self.name) name=(self.name) type=(self.kind) value=(self.value)
                    required[self.required]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[described];
                @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
                @if let Some(error) = self.error { p.error id=(error_id) { (error) } }
            }
        }
    }
}
