//! Room passwords, kept only as Argon2id hashes. Hashing and checking take tens of milliseconds
//! of CPU on purpose: callers run them on the blocking pool, never in a room's task.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// Longest password accepted (characters): enough for a passphrase, short enough to hash cheaply.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The PHC string (`$argon2id$v=19$...`) of `password`, with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

/// Whether `password` matches `hash` (false for a hash that does not parse).
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_checks_its_password_only_and_is_salted() {
        let first = hash("open sesame").unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert!(!first.contains("open sesame"));
        assert!(verify("open sesame", &first));
        assert!(!verify("open sesame!", &first));
        assert_ne!(hash("open sesame").unwrap(), first, "a new salt each time");
        assert!(!verify("anything", "not a hash"));
    }
}
