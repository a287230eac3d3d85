//! Public pages for people, reached from a link in an email with no API key: the
//! unsubscribe pages and the confirmation pages of double opt-in.

pub mod confirm;
pub mod html;
pub mod response;
pub mod unsubscribe;

pub use response::{error_page, is_page};
