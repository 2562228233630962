//! WebVTT uploads are checked and rewritten from their cues: the header must be there, cues must
//! have valid timings, cue text keeps WebVTT's own tags only, cue settings keep the known ones;
//! comments (`NOTE`), `STYLE` and `REGION` blocks and cue identifiers are left out.

use super::{
    SubtitleError,
    cue::{Cue, Tags, clean_line, parse_timing, write_webvtt},
};

/// Whether `text` starts with the WebVTT signature line.
pub fn has_header(text: &str) -> bool {
    text.strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n']))
}

/// `text` (newlines normalised) rewritten as a clean WebVTT file.
pub fn clean(text: &str) -> Result<String, SubtitleError> {
    if !has_header(text) {
        return Err(SubtitleError::MissingHeader);
    }
    let mut blocks = text.split("\n\n").map(|block| block.trim_matches('\n'));
    blocks.next(); // the header block
    let cues: Vec<Cue> = blocks.filter_map(cue_of).collect();
    if cues.is_empty() {
        return Err(SubtitleError::NoCues);
    }
    Ok(write_webvtt(&cues))
}

/// The cue a block holds; None for other blocks and for broken cues.
fn cue_of(block: &str) -> Option<Cue> {
    let mut lines = block.lines();
    let mut first = lines.next()?;
    if !first.contains("-->") {
        // A cue identifier, or a NOTE, STYLE or REGION block (whose second line is no timing).
        first = lines.next()?;
    }
    let (start, end, settings) = parse_timing(first)?;
    let text: Vec<String> = lines
        .map(|line| clean_line(line, Tags::WebVtt))
        .filter(|line| !line.is_empty())
        .collect();
    (!text.is_empty()).then(|| Cue {
        start,
        end,
        settings: clean_settings(settings),
        text,
    })
}

/// The cue settings WebVTT defines, with values of safe characters; regions left out (their
/// blocks are).
fn clean_settings(settings: &str) -> String {
    settings
        .split_whitespace()
        .filter(|setting| {
            setting.split_once(':').is_some_and(|(name, value)| {
                matches!(name, "vertical" | "line" | "position" | "size" | "align")
                    && !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '.' | ',' | '-'))
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_every_kind_of_block() {
        let vtt = "WEBVTT - a title\n\nNOTE a comment\nthat spans lines\n\nSTYLE\n::cue { color: red }\n\n\
                   intro\n00:01.000 --> 00:02.500 align:start line:0 region:r1 onload:x\n<v Bob>Hi</v>\n\n\
                   00:00:03.000 --> 00:00:04.000\nSecond <00:00:03.500>part\n";
        assert_eq!(
            clean(vtt).unwrap(),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.500 align:start line:0\n<v Bob>Hi</v>\n\n\
             00:00:03.000 --> 00:00:04.000\nSecond <00:00:03.500>part\n"
        );
    }

    #[test]
    fn header_and_cues_are_required() {
        assert!(has_header("WEBVTT"));
        assert!(has_header("WEBVTT\n\n"));
        assert!(!has_header("WEBVTTX\n"));
        assert!(!has_header("webvtt\n"));
        assert_eq!(
            clean("1\n00:01.000 --> 00:02.000\nx"),
            Err(SubtitleError::MissingHeader)
        );
        assert_eq!(
            clean("WEBVTT\n\nNOTE only a note\n"),
            Err(SubtitleError::NoCues)
        );
        assert_eq!(
            clean("WEBVTT\n\n00:05.000 --> 00:01.000\nbackwards\n"),
            Err(SubtitleError::NoCues)
        );
    }
}
