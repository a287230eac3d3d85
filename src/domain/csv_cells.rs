//! Cell text of contact CSV files: the words for a boolean (query strings accept the same
//! ones), and the escaping that keeps a spreadsheet from running an exported cell as a
//! formula (OWASP, "CSV Injection").
//!
//! Escaping, decided with docs/import.md: on export, a value that begins with `=`, `+`, `-`,
//! `@`, TAB or CR gets one `'` in front, unless it is a plain number (`-5`, `+1.5e3`: a
//! spreadsheet reads a number, never a formula); a value that begins with `'` gets one too,
//! so that the escaping can be undone exactly. On import, a cell that begins with `'`
//! followed by one of those characters or another `'` loses that first `'`. So every value
//! purrlist exports imports as it was, and a cell from another tool that applies the same
//! OWASP advice comes back unescaped too; a `'` before anything else (`'Tis`) is kept.

use std::borrow::Cow;

/// The words accepted for a boolean, trimmed and in any case.
pub const BOOLEAN_WORDS: &str = "true, false, 1, 0, yes or no";

/// `true`/`false`, `1`/`0`, `yes`/`no`, trimmed and in any case; `None` for anything else.
pub fn parse_boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// What a spreadsheet may read as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// Marks an escaped cell.
const ESCAPE: char = '\'';

/// A value as an export writes it: `'` in front when it could start a formula or begins
/// with `'` (module documentation).
pub fn escape_formula(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some(c) if c == ESCAPE || (FORMULA_STARTS.contains(&c) && !is_plain_number(value)) => {
            Cow::Owned(format!("{ESCAPE}{value}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// A cell as an import reads it: the `'` that [`escape_formula`] adds is removed.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix(ESCAPE) {
        Some(rest)
            if rest
                .chars()
                .next()
                .is_some_and(|c| c == ESCAPE || FORMULA_STARTS.contains(&c)) =>
        {
            rest
        }
        _ => cell,
    }
}

/// A sign, digits, an optional fraction and an optional exponent: `-5`, `+1.5e3`.
fn is_plain_number(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    digits(whole) && digits(fraction) && exponent.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn boolean_words() {
        for (word, value) in [
            ("TRUE", true),
            (" 1 ", true),
            ("Yes", true),
            ("False", false),
        ] {
            assert_eq!(parse_boolean(word), Some(value), "{word}");
        }
        for (word, value) in [("0", false), ("no", false), ("true", true)] {
            assert_eq!(parse_boolean(word), Some(value), "{word}");
        }
        for word in ["", "maybe", "2", "truee", "t", "on"] {
            assert_eq!(parse_boolean(word), None, "{word}");
        }
    }

    #[test]
    fn formulas_are_escaped_and_numbers_are_not() {
        for (value, written) in [
            ("=1+1", "'=1+1"),
            ("+47 22 00 00 00", "'+47 22 00 00 00"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'quoted", "''quoted"),
            ("'=1", "''=1"),
            ("-", "'-"),
            ("-5", "-5"),
            ("+1.5e3", "+1.5e3"),
            ("-0.25", "-0.25"),
            ("-1e", "'-1e"),
            ("-.5", "'-.5"),
            ("Noto", "Noto"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(escape_formula(value), written, "{value:?}");
        }
        assert_eq!(unescape_formula("'Tis"), "'Tis");
        assert_eq!(unescape_formula("'"), "'");
        assert_eq!(unescape_formula("'=1"), "=1");
    }

    proptest! {
        #[test]
        fn unescaping_undoes_escaping(value in "['=+@\\t\\r-]{0,3}\\PC{0,8}") {
            let written = escape_formula(&value);
            prop_assert_eq!(unescape_formula(&written), value.as_str());
        }

        #[test]
        fn escaped_values_never_start_a_formula(value in "[=+@\\t\\r0-9.e-]{1,6}\\PC{0,4}") {
            let written = escape_formula(&value);
            let first = written.chars().next();
            prop_assert!(
                !first.is_some_and(|c| FORMULA_STARTS.contains(&c)) || is_plain_number(&written)
            );
        }
    }
}
