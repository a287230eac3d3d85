//! `--map "COLUMN=field"` and `--ignore COLUMN`: what the person importing says about
//! columns, over whatever the format knows. Columns are named as in the header (trimmed,
//! any case); naming a column the header does not have refuses the file, so a typo is
//! never silently ignored.

use thiserror::Error;

/// What a mapped column becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `email`.
    Email,
    /// `name`.
    Name,
    /// `first_name`.
    FirstName,
    /// `last_name`.
    LastName,
    /// `subscribed`: `true`/`1`/`yes` is subscribed.
    Subscribed,
    /// `unsubscribed`: the opposite polarity, `true`/`1`/`yes` is unsubscribed.
    Unsubscribed,
    /// `createdAt`: the original sign-up time.
    SignedUpAt,
    /// `tags`: a list of tags.
    Tags,
    /// `custom_fields.KEY`: the custom field `KEY` (a valid key).
    Custom(String),
}

/// A `--map` argument that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MappingError {
    /// No `=` in the argument.
    #[error("--map {0:?} must have the form COLUMN=field")]
    NoEquals(String),
    /// Empty column name.
    #[error("--map {0:?} names no column")]
    NoColumn(String),
    /// The field is not one a column can become.
    #[error(
        "--map {0:?}: the field must be email, name, first_name, last_name, subscribed, \
         unsubscribed, createdAt, tags or custom_fields.KEY"
    )]
    UnknownField(String),
    /// `custom_fields.KEY` with a key that is not valid.
    #[error(
        "--map {0:?}: a custom-field key is 1 to 64 letters, digits, \"_\", \"-\", \".\" or spaces"
    )]
    InvalidKey(String),
    /// The same column mapped or ignored twice.
    #[error("the column {0:?} is mapped or ignored twice")]
    Twice(String),
}

/// The `--map` and `--ignore` arguments of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    rules: Vec<(String, Option<Target>)>,
}

impl ColumnMapping {
    /// No rules: every column means what the format says.
    pub fn new() -> ColumnMapping {
        ColumnMapping::default()
    }

    /// Adds one `--map "COLUMN=field"` (split at the last `=`, so a column may hold one).
    pub fn map(&mut self, argument: &str) -> Result<(), MappingError> {
        let (column, field) = argument
            .rsplit_once('=')
            .ok_or_else(|| MappingError::NoEquals(argument.to_owned()))?;
        let column = column.trim();
        if column.is_empty() {
            return Err(MappingError::NoColumn(argument.to_owned()));
        }
        let target = match field.trim() {
            "email" => Target::Email,
            "name" => Target::Name,
            "first_name" => Target::FirstName,
            "last_name" => Target::LastName,
            "subscribed" => Target::Subscribed,
            "unsubscribed" => Target::Unsubscribed,
            "createdAt" => Target::SignedUpAt,
            "tags" => Target::Tags,
            other => match other.strip_prefix("custom_fields.") {
                Some(key) if super::values::valid_key(key).as_deref() == Some(key) => {
                    Target::Custom(key.to_owned())
                }
                Some(_) => return Err(MappingError::InvalidKey(argument.to_owned())),
                None => return Err(MappingError::UnknownField(argument.to_owned())),
            },
        };
        self.add(column, Some(target))
    }

    /// Adds one `--ignore COLUMN`.
    pub fn ignore(&mut self, column: &str) -> Result<(), MappingError> {
        let column = column.trim();
        if column.is_empty() {
            return Err(MappingError::NoColumn(column.to_owned()));
        }
        self.add(column, None)
    }

    fn add(&mut self, column: &str, target: Option<Target>) -> Result<(), MappingError> {
        if self.rule(column).is_some() {
            return Err(MappingError::Twice(column.to_owned()));
        }
        self.rules.push((column.to_owned(), target));
        Ok(())
    }

    /// The rule for a header name: `Some(None)` ignores it, `Some(Some(t))` maps it.
    pub(super) fn rule(&self, header: &str) -> Option<&Option<Target>> {
        self.rules
            .iter()
            .find(|(column, _)| column.eq_ignore_ascii_case(header.trim()))
            .map(|(_, target)| target)
    }

    /// The columns named by a rule, as given.
    pub(super) fn columns(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|(column, _)| column.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_ignores_parse() {
        let mut m = ColumnMapping::new();
        m.map("E-mail = email").expect("email");
        m.map("a=b=custom_fields.plan type")
            .expect("custom with = in column");
        m.map("Opted out=unsubscribed").expect("polarity");
        m.ignore(" LEID ").expect("ignore");
        assert_eq!(m.rule("e-MAIL"), Some(&Some(Target::Email)));
        assert_eq!(
            m.rule("a=b"),
            Some(&Some(Target::Custom("plan type".into())))
        );
        assert_eq!(m.rule("leid"), Some(&None));
        assert_eq!(m.rule("other"), None);
        assert_eq!(m.columns().count(), 4);
    }

    #[test]
    fn bad_arguments_are_refused() {
        let mut m = ColumnMapping::new();
        assert!(matches!(m.map("email"), Err(MappingError::NoEquals(_))));
        assert!(matches!(m.map("=email"), Err(MappingError::NoColumn(_))));
        assert!(matches!(
            m.map("x=phone"),
            Err(MappingError::UnknownField(_))
        ));
        assert!(matches!(
            m.map("x=custom_fields.a/b"),
            Err(MappingError::InvalidKey(_))
        ));
        m.ignore("x").expect("first");
        assert_eq!(m.map("X=email"), Err(MappingError::Twice("X".into())));
    }
}
