//! The public sign-up form (`/f/{form key}`): no API key, a publishable form key that can
//! only ask to subscribe an address, always with double opt-in. Rooms: `signup` (the
//! handlers), `cors` (which pages may call it), `evidence` (what a public request leaves
//! on its event, shared with the confirmation pages).

pub mod cors;
pub mod evidence;
pub mod signup;
