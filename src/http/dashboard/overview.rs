//! A workspace's overview: its subscribed and unsubscribed counts (from the per-workspace
//! counts the stores keep), growth and churn per day, week or month (`chart`, from the
//! daily counts, caught up with the feed first by `rollup`), the export links, and
//! renaming it (the rule of `PATCH /v1/workspaces/{id}`: the name subscribers see on the
//! unsubscribe page).

use super::layout::{Frame, Section, TextField, csrf_field, notice, page, when};
use super::response::{error_page, html_page, see_other};
use super::session::SignedIn;
use super::{chart, form, rollup};
use crate::domain::activity::{Bucket, Period, buckets, day_of};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::{Workspace, parse_workspace_name};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::ContactQuery;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

fn done_message(query: Option<&str>) -> Option<&'static str> {
    let done = form::FormFields::parse(query.unwrap_or("").as_bytes());
    match done.get("done") {
        Some("renamed") => Some("The workspace was renamed."),
        Some("created") => Some("The workspace was created."),
        _ => None,
    }
}

/// The counts of the overview, from the per-workspace counts the stores keep.
struct Counts {
    contacts: u64,
    subscribed: u64,
}

async fn counts(state: &AppState, workspace: &Workspace) -> Result<Counts, Response> {
    let count = |subscribed: Option<bool>| {
        let mut query = ContactQuery::count_of(workspace.id.clone());
        query.subscribed = subscribed;
        state.store.list_contacts(query)
    };
    let all = count(None)
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
    let subscribed = count(Some(true))
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
    Ok(Counts {
        contacts: all.total,
        subscribed: subscribed.total,
    })
}

/// The overview's chart for `period`, from the daily counts once they have caught up with
/// the feed (as far as one request may count); `false` when some events are still being
/// counted in the background.
async fn activity(
    state: &AppState,
    workspace: &Workspace,
    period: Period,
) -> Result<(Vec<Bucket>, bool), Response> {
    let failed = |e| error_page(&ApiError::from(e));
    let up_to_date = rollup::catch_up(state, &workspace.id)
        .await
        .map_err(failed)?;
    let today = day_of(Timestamp::now());
    let days = state
        .store
        .daily_counts(&workspace.id, period.first_day(today))
        .await
        .map_err(failed)?;
    Ok((buckets(&days, period, today), up_to_date))
}

struct Overview<'a> {
    workspace: &'a Workspace,
    counts: Counts,
    period: Period,
    buckets: Vec<Bucket>,
    /// Whether every event of the feed is in the chart's counts.
    up_to_date: bool,
}

async fn load_overview<'a>(
    state: &AppState,
    workspace: &'a Workspace,
    period: Period,
) -> Result<Overview<'a>, Response> {
    let (buckets, up_to_date) = activity(state, workspace, period).await?;
    Ok(Overview {
        workspace,
        counts: counts(state, workspace).await?,
        period,
        buckets,
        up_to_date,
    })
}

fn overview_page(
    signed_in: &SignedIn,
    view: &Overview<'_>,
    done: Option<&'static str>,
    name: &str,
    error: Option<&str>,
) -> Markup {
    let (workspace, counts) = (view.workspace, &view.counts);
    let contacts = format!("/admin/w/{}/contacts", workspace.id);
    let here = format!("/admin/w/{}", workspace.id);
    page(
        &workspace.name,
        Frame::of(signed_in, Section::Overview).in_workspace(workspace),
        html! {
            h1 { "Overview" }
            (notice(done))
            ul.stats {
                li { strong { (counts.subscribed) } "subscribed" }
                li { strong { (counts.contacts - counts.subscribed.min(counts.contacts)) } "unsubscribed" }
                li { strong { (counts.contacts) } "contacts in all" }
            }
            h2 id="growth" { "Growth and churn" }
            nav.pager aria-label="Chart period" {
                @for p in [Period::Day, Period::Week, Period::Month] {
                    a href={(here) "?period=" (p.name()) "#growth"} aria-current=[(p == view.period).then_some("page")] {
                        "By " (p.name())
                    }
                }
            }
            @if !view.up_to_date {
                p.muted role="status" { "Recent changes are still being counted (a big import?): reload in a moment for the full chart." }
            }
            (chart::render(&view.buckets, view.period, counts.subscribed))
            p { a href=(contacts) { "Search and edit contacts" } }
            h2 { "Export" }
            p {
                "Every contact, with ids, unsubscribe tokens, suppressions and custom fields: "
                a href={"/admin/w/" (workspace.id.as_str()) "/export/contacts.csv"} download { "CSV" }
                " or "
                a href={"/admin/w/" (workspace.id.as_str()) "/export/contacts.ndjson"} download { "NDJSON" }
                " (the format of " code { "purrlist export" } ", which " code { "purrlist import" } " reads back)."
            }
            dl.fields {
                dt { "Workspace id" } dd { code { (workspace.id.as_str()) } }
                dt { "Created" } dd { (when(workspace.created_at)) }
            }
            @if signed_in.may_write() {
                h2 { "Rename" }
                div.card {
                    form.stack method="post" action={"/admin/w/" (workspace.id.as_str()) "/rename"} {
                        (csrf_field(signed_in))
                        (TextField { name: "name", label: "Name", kind: "text", value: name,
                            hint: Some("Subscribers see it on the unsubscribe page."),
                            error, required: true }.render())
                        div { button type="submit" { "Rename workspace" } }
                    }
                }
            }
        },
    )
}

/// `GET /admin/w/{workspace}`: the workspace's overview.
pub async fn overview(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let fields = form::FormFields::parse(query.as_deref().unwrap_or("").as_bytes());
    let period = Period::parse(fields.text("period")).unwrap_or(Period::Day);
    let view = match load_overview(&state, &workspace, period).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let done = done_message(query.as_deref());
    html_page(
        StatusCode::OK,
        overview_page(&signed_in, &view, done, &workspace.name, None),
    )
}

/// `POST /admin/w/{workspace}/rename`: renames it (the rule of `PATCH /v1/workspaces/{id}`).
pub async fn rename(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace) =
        match form::write_in_workspace(&state, &signed_in, &workspace, &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let given = fields.text("name");
    let name = match parse_workspace_name(given) {
        Ok(name) => name,
        Err(message) => {
            return match load_overview(&state, &workspace, Period::Day).await {
                Ok(view) => html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    overview_page(&signed_in, &view, None, given, Some(&message)),
                ),
                Err(page) => page,
            };
        }
    };
    match state.store.rename_workspace(&workspace.id, name).await {
        Ok(Some(_)) => see_other(&format!("/admin/w/{}?done=renamed", workspace.id)),
        Ok(None) => super::response::not_found_page(),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
