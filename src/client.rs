//! Who a client is: the ID every request and socket carries (proven by the signed cookie, see
//! [`crate::identity`]), and the name colour it gets everywhere.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A client's ID: one browser (all its tabs), as proven by the signed cookie.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, poem_openapi::NewType,
)]
#[serde(transparent)]
pub struct ClientId(pub Uuid);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A stable colour for a client, the same on every page: a hue from the ID, fixed saturation and
/// lightness so every name is readable on the dark chat panel.
pub fn color_of(client: ClientId) -> String {
    let hue = client.0.as_bytes().iter().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(*b))
    }) % 360;
    format!("hsl({hue}, 70%, 68%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stable_per_client() {
        let a = ClientId(Uuid::from_u128(1));
        let b = ClientId(Uuid::from_u128(2));
        assert_eq!(color_of(a), color_of(a));
        assert_ne!(color_of(a), color_of(b));
        assert!(color_of(a).starts_with("hsl("));
    }
}
