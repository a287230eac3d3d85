//! Headers refused, mappings applied, and any row read without a panic.
use super::*;
use serde_json::Value;

fn columns(
    format: Format,
    header: &[&str],
    mapping: &ColumnMapping,
) -> Result<FormatColumns, HeaderError> {
    FormatColumns::new(format, header.iter().copied(), mapping)
}

#[test]
fn headers_that_cannot_be_read_refuse_the_file() {
    let none = ColumnMapping::new();
    assert_eq!(
        columns(Format::Csv, &["name"], &none).err(),
        Some(HeaderError::MissingEmail)
    );
    let two = columns(Format::Csv, &["email", "E-mail"], &none).err();
    assert_eq!(
        two,
        Some(HeaderError::Duplicate(
            "email".into(),
            "E-mail".into(),
            "email"
        ))
    );
    let mut typo = ColumnMapping::new();
    typo.ignore("LEIDD").expect("ignore");
    let unknown = columns(Format::Csv, &["email"], &typo).err();
    assert_eq!(unknown, Some(HeaderError::UnknownColumn("LEIDD".into())));
    assert_eq!(
        columns(Format::Ndjson, &["email"], &none).err(),
        Some(HeaderError::NotCsv)
    );
}

#[test]
fn map_and_ignore_override_the_format() {
    let mut mapping = ColumnMapping::new();
    mapping.map("Opted out=unsubscribed").expect("map");
    mapping.map("Mail=email").expect("map");
    mapping.map("Zip=custom_fields.postcode").expect("map");
    mapping.ignore("email").expect("ignore");
    let header = ["email", "Mail", "Opted out", "Zip", "??"];
    let c = columns(Format::Csv, &header, &mapping).expect("columns");
    let row = c
        .contact(["old@example.com", "new@example.com", "yes", "0150", "x"])
        .expect("row");
    assert_eq!(
        (row.email.as_str(), row.subscribed),
        ("new@example.com", Some(false))
    );
    let fields: Vec<(&str, Option<&Value>)> = row
        .custom_fields
        .entries()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_ref()))
        .collect();
    let (postcode, fifth) = (Value::from("0150"), Value::from("x"));
    assert_eq!(
        fields,
        [("postcode", Some(&postcode)), ("column 5", Some(&fifth))]
    );
    assert_eq!(
        c.renamings().len(),
        1,
        "the unnamed fifth column is reported"
    );
    let extra = c
        .contact(["a@example.com", "", "", "", "", "6th"])
        .expect_err("extra");
    assert_eq!(extra.field, "row");
    let bad_time = columns(
        Format::Ghost,
        &["email", "created_at"],
        &ColumnMapping::new(),
    )
    .expect("ghost")
    .contact(["a@example.com", "last tuesday"])
    .expect_err("time");
    assert_eq!(bad_time.field, "created_at");
}

proptest::proptest! {
    #[test]
    fn any_row_in_any_format_is_a_contact_or_a_field_error(
        cells in proptest::collection::vec("\\PC{0,12}|true|active|2024-01-02|a@example.com", 0..8)
    ) {
        for format in Format::ALL.into_iter().filter(|f| *f != Format::Ndjson) {
            let mut header: Vec<&str> = vec!["email"];
            header.extend(format.columns().iter().map(|(name, _)| *name).take(7));
            if let Ok(c) = columns(format, &header, &ColumnMapping::new()) {
                let _ = c.contact(cells.iter().map(String::as_str));
            }
        }
    }
}

#[test]
fn a_generic_text_column_saying_opted_out_refuses_its_row_unless_mapped() {
    let none = ColumnMapping::new();
    let header = ["email", "state", "custom.status"];
    let c = columns(Format::Csv, &header, &none).expect("columns");
    let refused = c
        .contact(["a@example.com", "Cancelled", ""])
        .expect_err("an opt-out kept as text");
    assert_eq!(refused.field, "state");
    assert!(refused.message.contains("--format"), "{}", refused.message);
    // A US state, and an opt-out under a column the file itself calls a custom field.
    assert!(c.contact(["b@example.com", "NY", "cancelled"]).is_ok());
    let mut mapping = ColumnMapping::new();
    mapping.map("state=custom_fields.state").expect("map");
    let mapped = columns(Format::Csv, &header, &mapping).expect("columns");
    let row = mapped
        .contact(["a@example.com", "Cancelled", ""])
        .expect("mapped: kept as text");
    let state = Value::from("Cancelled");
    assert_eq!(
        row.custom_fields.entries(),
        [("state".to_owned(), Some(state))]
    );
    // A tool's format reads its own status column; the guard is the generic format's.
    let kit = columns(Format::Kit, &["email_address", "state"], &none).expect("kit");
    let cancelled = kit
        .contact(["a@example.com", "cancelled"])
        .expect("kit row");
    assert_eq!(cancelled.subscribed, Some(false));
}
