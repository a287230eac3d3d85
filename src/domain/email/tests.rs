//! Unit and property tests of `domain::email`.

use super::*;
use proptest::prelude::*;

fn ok(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect(s)
}

fn err(s: &str) -> EmailError {
    EmailAddress::parse(s).expect_err(s)
}

#[test]
fn accepts_valid_addresses() {
    for s in [
        "a@b.co",
        "noto+news@example.com",
        "first.last@mail.sub.example.co.uk",
        "用户@例子.广告",
        "josé@exämple.de",
        "x!#$%&'*+/=?^_`{|}~-y@a-b.c1",
        "a@123.com",
        "a@ab--cd.com",
        "a@हिन्दी.com",
    ] {
        assert_eq!(ok(s).as_str(), s);
    }
}

#[test]
fn trims_and_normalizes() {
    let e = ok("  Noto.Cat@Example.COM\t\n");
    assert_eq!(e.as_str(), "Noto.Cat@Example.COM");
    assert_eq!(e.normalized(), "noto.cat@example.com");
    assert_eq!(e.clone().into_string(), "Noto.Cat@Example.COM");
    assert_eq!(normal_form("  FoO@ "), "foo@");
    let stored = EmailAddress::from_stored("A@B.C".into(), "a@b.c".into());
    assert_eq!((stored.as_str(), stored.normalized()), ("A@B.C", "a@b.c"));
}

#[test]
fn every_spelling_of_a_domain_is_one_mailbox() {
    for s in [
        "user@bücher.de",
        "user@BÜCHER.DE",
        "user@xn--bcher-kva.de",
        "USER@XN--BCHER-KVA.DE",
        "user@bu\u{308}cher.de",
        "user@ｂücher.de",
    ] {
        assert_eq!(ok(s).normalized(), "user@xn--bcher-kva.de", "{s}");
        assert_eq!(normal_form(s), "user@xn--bcher-kva.de", "{s}");
    }
    // U+3002 IDEOGRAPHIC FULL STOP is a dot in a domain; the local part stays as given.
    let cjk = ok("用户@例子。广告");
    assert_eq!(cjk.normalized(), ok("用户@例子.广告").normalized());
    assert_eq!(cjk.normalized(), "用户@xn--fsqu00a.xn--4rr70v");
}

#[test]
fn the_local_part_folds_ascii_case_only() {
    let kelvin = ok("\u{212A}ate@example.com");
    assert_eq!(kelvin.normalized(), "\u{212A}ate@example.com");
    assert_ne!(kelvin.normalized(), ok("kate@example.com").normalized());
    assert_eq!(ok("JOSÉ@x.com").normalized(), "josÉ@x.com");
    assert_eq!(ok("İnci@x.com").normalized(), "İnci@x.com");
    assert_eq!(
        normal_form("\u{212A}ate@EXAMPLE.com"),
        "\u{212A}ate@example.com"
    );
}

#[test]
fn lengths_count_octets_of_the_wire_forms() {
    let [a64, b63, c63] = [('a', 64), ('b', 63), ('c', 63)].map(|(c, n)| c.to_string().repeat(n));
    let max = format!("{a64}@{b63}.{c63}.{}", "d".repeat(61));
    assert_eq!(max.len(), 254);
    ok(&max);
    assert_eq!(err(&format!("{max}x")), EmailError::TooLong);
    assert_eq!(err(&format!("{a64}x@b.c")), EmailError::LocalPartTooLong);
    ok(&format!("{a64}@b.c"));
    ok(&format!("a@{b63}.c"));
    assert_eq!(err(&format!("a@{b63}x.c")), EmailError::InvalidDomain);
    // 32 two-byte characters fill the local part; 33 do not fit, nor 64.
    ok(&format!("{}@b.c", "é".repeat(32)));
    assert_eq!(
        err(&format!("{}@b.c", "é".repeat(33))),
        EmailError::LocalPartTooLong
    );
    // 251 characters, 495 bytes: accepted by the old character count.
    let wide = format!(
        "{}@{}.{}.{}.de",
        "é".repeat(32),
        "ü".repeat(60),
        "ö".repeat(60),
        "ä".repeat(60)
    );
    assert_eq!(err(&wide), EmailError::TooLong);
    // Short in UTF-8 (171 octets), long as A-labels (40 + 1 + 14 * 16 + 2 = 267).
    let ascii_long = format!("{}@{}de", "a".repeat(40), "bücher.".repeat(16));
    assert!(ascii_long.len() <= 254);
    assert_eq!(err(&ascii_long), EmailError::TooLong);
    // A label of 63 octets only as A-label: 60 non-ASCII characters are too many.
    assert_eq!(
        err(&format!("a@{}.de", "ü".repeat(60))),
        EmailError::InvalidDomain
    );
}

#[test]
fn rejects_invalid_addresses() {
    use EmailError::*;
    let cases = [
        (Empty, "|   "),
        (MissingAt, "plain|@b.c|a@"),
        (MultipleAt, "a@b@c.d"),
        (DisplayName, "Noto <a@b.c>|<a@b.c>"),
        (QuotedLocalPart, "\"a b\"@c.d|\"a\"@c.d"),
        (DomainLiteral, "a@[1.2.3.4]"),
        (WhitespaceOrControl, "a b@c.d|a@c\u{7}.d|a@c.d\u{a0}x"),
        (InvalidLocalPart, ".a@b.c|a.@b.c|a..b@c.d|a(b)@c.d|a,b@c.d"),
        (InvalidDomain, "user@localhost|a@b..c|a@.b.c|a@b.c.|a@-b.c"),
        (
            InvalidDomain,
            "a@b-.c|a@b_c.d|a@1.2.3.4|a@b.c!|a@xn--.com|a@xn--a.com",
        ),
        (InvalidDomain, "a@b\u{3002}.com|a@\u{ad}.com"),
    ];
    for (expected, inputs) in cases {
        for input in inputs.split('|') {
            assert_eq!(
                EmailAddress::parse(input),
                Err(expected.clone()),
                "{input:?}"
            );
        }
    }
}

#[test]
fn error_messages_are_sentences() {
    assert_eq!(
        EmailError::TooLong.to_string(),
        "The email address is longer than 254 bytes (in UTF-8, or with its domain in ASCII form)."
    );
    assert_eq!(
        EmailError::MissingAt.to_string(),
        "The email address must have the form local@domain."
    );
    assert_eq!(
        EmailError::InvalidDomain.to_string(),
        "The domain part of the email address is not valid."
    );
}

fn valid_address() -> impl Strategy<Value = String> {
    let atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}";
    let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?";
    (
        prop::collection::vec(atom, 1..4),
        prop::collection::vec(label, 1..4),
        "[A-Za-z][A-Za-z0-9]{0,5}",
    )
        .prop_map(|(atoms, labels, tld)| format!("{}@{}.{tld}", atoms.join("."), labels.join(".")))
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = EmailAddress::parse(&s);
        let _ = normal_form(&s);
    }

    #[test]
    fn parse_never_panics_on_email_like(s in "[ a-zA-Z0-9@.\\-\"<>\\[\\]İé]{0,40}") {
        let _ = EmailAddress::parse(&s);
    }

    #[test]
    fn accepted_addresses_are_stable(s in prop_oneof![
        "\\PC{0,20}@\\PC{0,20}",
        "[a-zA-Z0-9İıßΣσςéÉ\u{212A}.+-]{1,70}@[a-zA-Z0-9İıßΣéÉK\u{212A}ｂ-]{1,70}\\.[a-zA-ZİΣÉ]{1,5}",
    ]) {
        if let Ok(e) = EmailAddress::parse(&s) {
            prop_assert!(e.as_str().len() <= MAX_EMAIL_OCTETS);
            prop_assert!(e.normalized().len() <= MAX_EMAIL_OCTETS);
            prop_assert_eq!(e.as_str().matches('@').count(), 1);
            prop_assert_eq!(normal_form(&s), e.normalized());
            let again = EmailAddress::parse(e.normalized());
            prop_assert_eq!(again.as_ref().map(EmailAddress::normalized), Ok(e.normalized()));
            // No non-ASCII character of the local part turns into an ASCII one.
            let (local, _) = e.normalized().split_once('@').expect("@");
            let given = e.as_str().split_once('@').expect("@").0;
            prop_assert_eq!(local.chars().filter(char::is_ascii).count(), given.chars().filter(char::is_ascii).count());
        }
    }

    #[test]
    fn generated_valid_addresses_are_accepted(s in valid_address(), pre in "[ \t\n]{0,3}", post in "[ \t\r\n]{0,3}") {
        let e = EmailAddress::parse(&s);
        prop_assert!(e.is_ok(), "{:?} rejected: {:?}", s, e);
        let lower = s.to_ascii_lowercase();
        prop_assert_eq!(e.as_ref().map(EmailAddress::normalized), Ok(lower.as_str()));
        prop_assert_eq!(EmailAddress::parse(&format!("{pre}{s}{post}")), e);
    }
}
