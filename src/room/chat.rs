//! Chat rules: what a message and a display name may be. (How fast a client may send is a rate
//! limit: `crate::limits`.)

pub const MAX_MESSAGE_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 32;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the message is empty")]
    EmptyMessage,
    #[error("messages are at most {MAX_MESSAGE_CHARS} characters")]
    MessageTooLong,
    #[error("names are 1 to {MAX_NAME_CHARS} characters")]
    BadNameLength,
    #[error("names cannot contain control characters")]
    ControlInName,
}

/// A chat message's text, trimmed: 1 to 2,000 characters. Line breaks are kept; other control
/// characters are dropped.
pub fn clean_message(raw: &str) -> Result<String, TextError> {
    let text: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    match text.chars().count() {
        0 => Err(TextError::EmptyMessage),
        n if n > MAX_MESSAGE_CHARS => Err(TextError::MessageTooLong),
        _ => Ok(text),
    }
}

/// A display name, trimmed: 1 to 32 characters, no control characters.
pub fn clean_name(raw: &str) -> Result<String, TextError> {
    let name = raw.trim();
    if name.chars().any(char::is_control) {
        return Err(TextError::ControlInName);
    }
    match name.chars().count() {
        1..=MAX_NAME_CHARS => Ok(name.to_string()),
        _ => Err(TextError::BadNameLength),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(clean_message("  hello  "), Ok("hello".into()));
        assert_eq!(clean_message("two\nlines"), Ok("two\nlines".into()));
        assert_eq!(clean_message("bell\u{7}"), Ok("bell".into()));
        assert_eq!(clean_message("   "), Err(TextError::EmptyMessage));
        assert_eq!(
            clean_message(&"é".repeat(2000)).map(|t| t.chars().count()),
            Ok(2000)
        );
        assert_eq!(
            clean_message(&"a".repeat(2001)),
            Err(TextError::MessageTooLong)
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Ada  "), Ok("Ada".into()));
        assert_eq!(
            clean_name("<b>Ada</b>"),
            Ok("<b>Ada</b>".into()),
            "kept as text"
        );
        assert_eq!(clean_name(""), Err(TextError::BadNameLength));
        assert_eq!(clean_name(&"n".repeat(33)), Err(TextError::BadNameLength));
        assert_eq!(
            clean_name(&"ü".repeat(32)).map(|n| n.chars().count()),
            Ok(32)
        );
        assert_eq!(clean_name("a\u{0}b"), Err(TextError::ControlInName));
        assert_eq!(clean_name("a\nb"), Err(TextError::ControlInName));
    }
}
