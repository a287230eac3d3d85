//! `purrlist form-key create|list|revoke`: the publishable keys of public sign-up forms.
//! A form key is public by design (it sits in web pages), so `list` shows it in full.

use crate::domain::form_key::{FormKey, FormKeyId, parse_settings};
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{AdminStore, FormKeyStore};
use anyhow::bail;
use clap::Subcommand;
use serde_json::{Map, Value};

#[derive(Debug, Subcommand)]
pub enum FormKeyCommand {
    /// Create a form key for one workspace; prints the key (pk_…) as the last line.
    Create {
        /// The workspace sign-ups go to.
        #[arg(long = "workspace", value_name = "ID")]
        workspace: String,
        /// An origin whose pages may post with fetch() (repeat for several), e.g. https://example.com.
        #[arg(long = "origin", value_name = "ORIGIN")]
        origins: Vec<String>,
        /// Where a form post is sent after a sign-up.
        #[arg(long = "redirect", value_name = "URL")]
        redirect: Option<String>,
        /// A custom field the form may set (repeat for several).
        #[arg(long = "field", value_name = "KEY")]
        fields: Vec<String>,
        /// A label for people.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List form keys: key, workspace, created, revoked, origins, redirect, fields, name.
    List,
    /// Revoke a form key; POST /f/<key> refuses it from then on.
    Revoke {
        /// The key (pk_…).
        key: String,
    },
}

fn settings_body(
    name: String,
    origins: Vec<String>,
    redirect: Option<String>,
    fields: Vec<String>,
) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("name".into(), Value::from(name));
    body.insert("allowed_origins".into(), Value::from(origins));
    body.insert(
        "redirect_url".into(),
        redirect.map_or(Value::Null, Value::from),
    );
    body.insert("custom_fields".into(), Value::from(fields));
    body
}

pub async fn run<S: AdminStore + FormKeyStore + ?Sized>(
    command: FormKeyCommand,
    store: &S,
) -> anyhow::Result<()> {
    match command {
        FormKeyCommand::Create {
            workspace,
            origins,
            redirect,
            fields,
            name,
        } => {
            let Some(workspace) = WorkspaceId::parse(&workspace) else {
                bail!("{workspace:?} is not a workspace id (wks_ followed by 21 characters)");
            };
            if !store.workspace_exists(&workspace).await? {
                bail!("there is no workspace {workspace}");
            }
            let settings = parse_settings(&settings_body(name, origins, redirect, fields))
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let key = FormKey {
                id: FormKeyId::generate(),
                workspace_id: workspace,
                settings,
                created_at: Timestamp::now(),
                revoked_at: None,
            };
            store.create_form_key(key.clone()).await?;
            println!(
                "Created form key for {}. Its form posts to PUBLIC_URL/f/<key>:",
                key.workspace_id
            );
            println!("{}", key.id.as_str());
        }
        FormKeyCommand::List => {
            for key in store.list_form_keys(None).await? {
                let s = &key.settings;
                println!(
                    "{}\t{}\tcreated {}\t{}\torigins {}\tredirect {}\tfields {}\t{}",
                    key.id.as_str(),
                    key.workspace_id,
                    key.created_at.to_rfc3339(),
                    key.revoked_at.map_or("active".to_owned(), |t| format!(
                        "revoked {}",
                        t.to_rfc3339()
                    )),
                    if s.allowed_origins.is_empty() {
                        "-".to_owned()
                    } else {
                        s.allowed_origins.join(",")
                    },
                    s.redirect_url.as_deref().unwrap_or("-"),
                    if s.custom_fields.is_empty() {
                        "-".to_owned()
                    } else {
                        s.custom_fields.join(",")
                    },
                    s.name
                );
            }
        }
        FormKeyCommand::Revoke { key } => {
            let Some(id) = FormKeyId::parse(&key) else {
                bail!("{key:?} is not a form key (pk_ followed by 21 characters)");
            };
            if !store.revoke_form_key(&id, Timestamp::now()).await? {
                bail!("there is no form key {key}");
            }
            println!("Revoked form key {key}.");
        }
    }
    Ok(())
}
