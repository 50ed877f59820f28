//! Who is asking and what they may do: server-side sessions behind an HttpOnly cookie
//! ([`session`]), the CSRF token every form carries ([`csrf`]), password hashing and
//! strength rules ([`password`]), throttling of guessable forms ([`throttle`]) with the
//! device cookies of browsers an account trusts ([`devices`]), random
//! tokens ([`token`]), the client behind trusted proxies ([`forwarded`]) and the one
//! authorization policy ([`policy`]).

pub mod csrf;
pub mod devices;
pub mod forwarded;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod token;

pub use policy::{Action, CityRole, SiteRole};
pub use session::{SessionUser, Visitor};
