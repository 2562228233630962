//! Subtitle files come in whatever encoding their author's editor used. A byte order mark says
//! which (UTF-8, UTF-16 LE or BE); without one, text that is valid UTF-8 is UTF-8, and anything
//! else is taken as Windows-1252, the superset of Latin-1 that old Western subtitle files use.

use encoding_rs::{Encoding, WINDOWS_1252};

/// The text of `bytes`, BOM removed.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Café für 5 €";

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let pair = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            bytes.extend_from_slice(&pair);
        }
        bytes
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode(TEXT.as_bytes()), TEXT);
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], TEXT.as_bytes()].concat();
        assert_eq!(decode(&with_bom), TEXT);
    }

    #[test]
    fn utf16_both_byte_orders_by_their_bom() {
        assert_eq!(decode(&utf16(TEXT, false)), TEXT);
        assert_eq!(decode(&utf16(TEXT, true)), TEXT);
    }

    #[test]
    fn anything_else_is_windows_1252() {
        // "Café für 5 €" in Windows-1252: é = E9, ü = FC, € = 80.
        let latin = b"Caf\xE9 f\xFCr 5 \x80";
        assert_eq!(decode(latin), TEXT);
        assert_eq!(decode(b"S\xE9ance \xE0 l'\xE9cole"), "Séance à l'école");
    }
}
