//! The double opt-in part of `purrlist copy`: form keys and pending confirmations, copied
//! as they are (keys, tokens, deadlines) after the contacts they belong to, then counted.

use crate::store::SharedStore;
use anyhow::{Context, bail};

/// Copies every form key and pending confirmation; returns (form keys, confirmations).
pub async fn copy_opt_in(
    source: &SharedStore,
    target: &SharedStore,
) -> anyhow::Result<(usize, usize)> {
    let keys = source.list_form_keys(None).await?;
    for key in &keys {
        target
            .create_form_key(key.clone())
            .await
            .context("cannot copy form keys")?;
    }
    let pending = source.export_confirmations().await?;
    target
        .import_confirmations(pending.clone())
        .await
        .context("cannot copy pending confirmations")?;
    let copied_keys = target.list_form_keys(None).await?.len();
    if copied_keys < keys.len() {
        bail!(
            "verification failed: form keys: source {}, target {copied_keys}",
            keys.len()
        );
    }
    let copied = target.export_confirmations().await?.len();
    if copied < pending.len() {
        bail!(
            "verification failed: pending confirmations: source {}, target {copied}",
            pending.len()
        );
    }
    Ok((keys.len(), pending.len()))
}
