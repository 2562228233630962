//! Text fields whose rules the handler checks itself, so that a refusal keeps its own code and a
//! message people can read (`bad_name`, not a regular expression), while the OpenAPI document
//! still declares each rule. Unlike poem-openapi's `String`, only JSON strings are accepted (not
//! numbers or booleans turned into text).

use std::{borrow::Cow, marker::PhantomData, ops::Deref};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// What the spec says about one kind of text; the handler enforces the same.
pub trait TextRule: Send + Sync + 'static {
    fn declare(schema: &mut MetaSchema);
}

pub struct Text<R>(String, PhantomData<R>);

impl<R> Deref for Text<R> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<R: TextRule> Type for Text<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        R::declare(&mut schema);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<R: TextRule> ParseFromJSON for Text<R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Self(text, PhantomData)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl<R: TextRule> ToJSON for Text<R> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// Whitespace as Rust's `str::trim` sees it (Unicode `White_Space`), in a regular expression both
/// Rust's `regex` and the JSON Schema tools (ECMA-262, Python) read alike.
const SPACE: &str = r"[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Neither whitespace nor a control character (`char::is_control`).
const SOLID: &str = r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
/// Not a control character.
const PLAIN: &str = r"[^\x00-\x1F\x7F-\x9F]";

/// Text that, trimmed, has `min` to `max` characters and no control characters (min 0 or 1).
fn trimmed_pattern(min: usize, max: usize) -> String {
    let text = format!("{SOLID}(?:{PLAIN}{{0,{}}}{SOLID})?", max - 2);
    let text = if min == 0 {
        format!("(?:{text})?")
    } else {
        text
    };
    format!("^{SPACE}*{text}{SPACE}*$")
}

/// A display name: 1 to 32 characters after trimming, no control characters.
pub struct DisplayNameRule;

impl TextRule for DisplayNameRule {
    fn declare(schema: &mut MetaSchema) {
        schema.min_length = Some(1);
        schema.pattern = Some(trimmed_pattern(1, crate::room::chat::MAX_NAME_CHARS));
    }
}

/// A room name: up to 64 characters after trimming, no control characters; empty clears it.
pub struct RoomNameRule;

impl TextRule for RoomNameRule {
    fn declare(schema: &mut MetaSchema) {
        schema.pattern = Some(trimmed_pattern(
            0,
            crate::http::api::rooms::MAX_ROOM_NAME_CHARS,
        ));
    }
}

/// A link: an http(s) URL of at most 2,048 characters. What a schema cannot say (that the URL
/// parses, that a YouTube link names a video, that the host is not a private address) the
/// handler answers with 400.
pub struct LinkRule;

impl TextRule for LinkRule {
    fn declare(schema: &mut MetaSchema) {
        schema.max_length = Some(crate::room::video::MAX_LINK_LEN);
        schema.pattern = Some(format!("^{SPACE}*[Hh][Tt][Tt][Pp][Ss]?://"));
    }
}

/// A room's password: 1 to 128 characters, taken as typed.
pub struct PasswordRule;

impl TextRule for PasswordRule {
    fn declare(schema: &mut MetaSchema) {
        schema.min_length = Some(1);
        schema.max_length = Some(crate::password::MAX_PASSWORD_CHARS);
    }
}

/// Whether `password` keeps [`PasswordRule`].
pub fn password_ok(password: &str) -> bool {
    (1..=crate::password::MAX_PASSWORD_CHARS).contains(&password.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::chat::clean_name;

    /// The check poem-openapi itself makes of a `pattern`.
    fn matches(pattern: &str, text: &str) -> bool {
        use poem_openapi::validation::{Pattern, Validator};
        let pattern: &'static str = Box::leak(pattern.to_string().into_boxed_str());
        Validator::<&str>::check(&Pattern::new(pattern), &text)
    }

    #[test]
    fn the_declared_name_pattern_agrees_with_the_rule() {
        let pattern = trimmed_pattern(1, crate::room::chat::MAX_NAME_CHARS);
        for name in [
            "Sam",
            " Sam ",
            "\tSam\n",
            "Alice 🎬",
            "a",
            &"n".repeat(32),
            &format!("  {}  ", "n".repeat(32)),
            "\u{3000}x\u{a0}",
            "",
            "   ",
            &"n".repeat(33),
            "tab\there",
            "new\nline",
            "x\u{85}y",
            "\u{1c}x",
        ] {
            assert_eq!(
                matches(&pattern, name),
                clean_name(name).is_ok(),
                "{name:?}"
            );
        }
    }

    #[test]
    fn the_declared_room_name_pattern_allows_empty() {
        let pattern = trimmed_pattern(0, crate::http::api::rooms::MAX_ROOM_NAME_CHARS);
        for (name, ok) in [
            ("", true),
            ("   ", true),
            ("Friday film club", true),
            (&"r".repeat(64) as &str, true),
            (&"r".repeat(65), false),
            ("a\u{7}b", false),
        ] {
            assert_eq!(matches(&pattern, name), ok, "{name:?}");
        }
    }
}
