//! Email addresses: validation, and the normal form that decides when two addresses are one
//! mailbox (uniqueness in a workspace, matching, search).
//!
//! Validation (a pragmatic subset of RFC 5321/5322 plus RFC 6531 internationalised addresses):
//! - Leading and trailing whitespace is trimmed first; an empty result is rejected.
//! - Exactly one `@` separates local part and domain. Display names (`Noto <a@b.c>`),
//!   quoted local parts (`"a b"@c.d`) and domain literals (`a@[1.2.3.4]`) are rejected.
//! - No whitespace or control characters anywhere.
//! - The local part is a dot-atom: atoms of RFC 5322 `atext` or non-ASCII characters,
//!   separated by single dots, with no leading, trailing or double dot.
//! - The domain is labels of ASCII letters, digits and hyphens or non-ASCII characters, none
//!   starting or ending with a hyphen, that UTS 46 (IDNA, with the STD3 rules) maps to ASCII
//!   without error. In that ASCII form (A-labels, `xn--…`, as DNS and every MTA take it) it
//!   has at least two labels of 1–63 octets (so `user@localhost` is rejected), at most 253
//!   octets, and a last label that is not all digits.
//! - Lengths are octets of the forms that go on the wire (RFC 5321 §4.5.3.1), not characters:
//!   the local part at most 64 in UTF-8; the address at most 254, both in UTF-8 as given (as
//!   SMTPUTF8 sends it) and with the domain as A-labels.
//!
//! The normal form: the local part with ASCII letters lower-cased and nothing else changed,
//! `@`, the domain's A-label form. So `User@Bücher.DE`, `user@bücher.de` and
//! `user@xn--bcher-kva.de` are one mailbox, while `\u{212A}ate@example.com` (KELVIN SIGN) and
//! `kate@example.com` are two. Why: a domain has one standard equivalence (UTS 46 maps case,
//! width and compatibility forms, and DNS resolves the A-label), so every spelling of it
//! reaches the same host. A local part means whatever its host decides (RFC 5321 §2.4): ASCII
//! case is ignored in practice everywhere, but no standard defines Unicode case mapping or
//! normalisation for local parts, and both fold distinct characters into ASCII ones (KELVIN
//! SIGN and `İ` lower-case to ASCII letters; NFC turns KELVIN SIGN into `K`). Taking two
//! mailboxes for one lets a write to one replace the other's address; taking one for two costs
//! a duplicate. So beyond ASCII case, a local part is compared as given.

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use std::borrow::Cow;
use thiserror::Error;

/// Longest accepted address, in octets (UTF-8, and with the domain as A-labels).
pub const MAX_EMAIL_OCTETS: usize = 254;
/// Longest accepted local part, in octets of UTF-8.
pub const MAX_LOCAL_OCTETS: usize = 64;

/// A syntactically valid email address, trimmed, with its normal form (module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    original: String,
    normalized: String,
}

/// Why an email address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Nothing but whitespace was given.
    #[error("The email address is empty.")]
    Empty,
    /// More than 254 octets.
    #[error(
        "The email address is longer than 254 bytes (in UTF-8, or with its domain in ASCII form)."
    )]
    TooLong,
    /// Local part of more than 64 octets.
    #[error("The part of the email address before the @ is longer than 64 bytes (in UTF-8).")]
    LocalPartTooLong,
    /// No `@`, or nothing on one side of it.
    #[error("The email address must have the form local@domain.")]
    MissingAt,
    /// More than one `@`.
    #[error("The email address must contain exactly one @.")]
    MultipleAt,
    /// A display name such as `Noto <a@b.c>` was given.
    #[error("The email address must be given without a display name or angle brackets.")]
    DisplayName,
    /// A quoted local part such as `"a b"@c.d`.
    #[error("Quoted local parts in email addresses are not supported.")]
    QuotedLocalPart,
    /// A domain literal such as `a@[1.2.3.4]`.
    #[error("IP-address domains in email addresses are not supported.")]
    DomainLiteral,
    /// Whitespace or a control character inside the address.
    #[error("The email address must not contain spaces or control characters.")]
    WhitespaceOrControl,
    /// The part before the `@` is not a valid dot-atom.
    #[error("The part of the email address before the @ is not valid.")]
    InvalidLocalPart,
    /// The part after the `@` is not a valid domain name.
    #[error("The domain part of the email address is not valid.")]
    InvalidDomain,
}

impl EmailAddress {
    /// Trim and validate `input`; see the module documentation for the rules.
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let original = input.trim();
        let (local, domain) = split(original)?;
        let ascii_domain = domain_to_ascii(domain).ok_or(EmailError::InvalidDomain)?;
        let labels: Vec<&str> = ascii_domain.split('.').collect();
        if labels.len() < 2
            || labels
                .last()
                .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(EmailError::InvalidDomain);
        }
        if local.len() + 1 + ascii_domain.len() > MAX_EMAIL_OCTETS {
            return Err(EmailError::TooLong);
        }
        Ok(EmailAddress {
            original: original.to_owned(),
            normalized: format!("{}@{ascii_domain}", local.to_ascii_lowercase()),
        })
    }

    /// For rows read back from the database: the address and the normal form it is stored
    /// under, both validated when written (an address stored by an older purrlist may keep
    /// an older normal form: docs/api.md, "Emails").
    pub fn from_stored(email: String, normalized: String) -> EmailAddress {
        EmailAddress {
            original: email,
            normalized,
        }
    }

    /// The address as the user gave it, trimmed.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The normal form, used for uniqueness and search.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The address as the user gave it, trimmed.
    pub fn into_string(self) -> String {
        self.original
    }
}

/// The normal form of any text, valid address or not (a search term, an address stored by
/// an older purrlist): trimmed, ASCII letters of the local part lower-cased, the domain as
/// A-labels, or only ASCII-lower-cased when UTS 46 cannot map it. Equals
/// [`EmailAddress::normalized`] for every valid address.
pub fn normal_form(input: &str) -> String {
    let input = input.trim();
    if input.is_ascii() {
        // A valid ASCII domain's A-label form is its lower-cased self.
        return input.to_ascii_lowercase();
    }
    match input.split_once('@') {
        Some((local, domain)) => {
            let domain =
                domain_to_ascii(domain).unwrap_or_else(|| domain.to_ascii_lowercase().into());
            format!("{}@{domain}", local.to_ascii_lowercase())
        }
        None => input.to_ascii_lowercase(),
    }
}

/// The domain in A-labels by UTS 46 (nontransitional, STD3 rules, no label starting or
/// ending with a hyphen, DNS lengths), or `None` when it has no such form.
fn domain_to_ascii(domain: &str) -> Option<Cow<'_, str>> {
    Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .ok()
}

/// The syntax checks on the address as given; returns (local part, domain).
fn split(s: &str) -> Result<(&str, &str), EmailError> {
    if s.is_empty() {
        return Err(EmailError::Empty);
    }
    if s.len() > MAX_EMAIL_OCTETS {
        return Err(EmailError::TooLong);
    }
    // Checked before whitespace so "Noto <a@b.c>" gets the more helpful message.
    if s.contains('<') || s.contains('>') {
        return Err(EmailError::DisplayName);
    }
    if s.starts_with('"') {
        return Err(EmailError::QuotedLocalPart);
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::WhitespaceOrControl);
    }
    let (local, domain) = s.split_once('@').ok_or(EmailError::MissingAt)?;
    if domain.contains('@') {
        return Err(EmailError::MultipleAt);
    }
    if local.is_empty() || domain.is_empty() {
        return Err(EmailError::MissingAt);
    }
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(EmailError::LocalPartTooLong);
    }
    if domain.starts_with('[') {
        return Err(EmailError::DomainLiteral);
    }
    if !local.split('.').all(is_atom) {
        return Err(EmailError::InvalidLocalPart);
    }
    if !domain.split('.').all(is_label) {
        return Err(EmailError::InvalidDomain);
    }
    Ok((local, domain))
}

fn is_atom(atom: &str) -> bool {
    !atom.is_empty() && atom.chars().all(is_atext)
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c) || !c.is_ascii()
}

/// A label as given; UTS 46 then decides which non-ASCII characters a domain may hold.
fn is_label(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
}

#[cfg(test)]
mod tests;
