//! SRT (SubRip) to WebVTT. SRT files in the wild vary: CRLF line ends, a missing blank line at the
//! end (or between cues), index lines or none, `,` or `.` before the milliseconds, `<font>` tags
//! and ASS overrides. Cues that cannot be read are skipped; a file without one readable cue is
//! refused.

use super::{
    SubtitleError,
    cue::{Cue, Tags, clean_line, parse_timing, write_webvtt},
};

/// `text` (newlines normalised) as a WebVTT file.
pub fn to_webvtt(text: &str) -> Result<String, SubtitleError> {
    let cues = parse(text);
    if cues.is_empty() {
        return Err(SubtitleError::NoCues);
    }
    Ok(write_webvtt(&cues))
}

/// Every readable cue with some text.
pub fn parse(text: &str) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut current: Option<Cue> = None;
    for line in text.lines() {
        if let Some((start, end, _position)) = parse_timing(line) {
            if let Some(mut cue) = current.take() {
                // No blank line before this cue: its index line went into the previous cue.
                if cue
                    .text
                    .last()
                    .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
                {
                    cue.text.pop();
                }
                push(&mut cues, cue);
            }
            current = Some(Cue {
                start,
                end,
                settings: String::new(),
                text: Vec::new(),
            });
        } else if line.trim().is_empty() {
            if let Some(cue) = current.take() {
                push(&mut cues, cue);
            }
        } else if let Some(cue) = current.as_mut() {
            let clean = clean_line(line, Tags::Srt);
            if !clean.is_empty() {
                cue.text.push(clean);
            }
        }
        // Anything else (index lines, stray text) belongs to no cue.
    }
    if let Some(cue) = current {
        push(&mut cues, cue);
    }
    cues
}

fn push(cues: &mut Vec<Cue>, cue: Cue) {
    if !cue.text.is_empty() {
        cues.push(cue);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subtitles::cue::normalize_newlines;

    #[test]
    fn a_plain_file() {
        let srt = "1\n00:00:01,000 --> 00:00:04,250\nHello, world.\nSecond line\n\n\
                   2\n00:01:02,5 --> 00:01:03,000\n<i>Italic</i>\n";
        assert_eq!(
            to_webvtt(srt).unwrap(),
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.250\nHello, world.\nSecond line\n\n\
             00:01:02.500 --> 00:01:03.000\n<i>Italic</i>\n"
        );
    }

    #[test]
    fn crlf_no_final_blank_line_no_indexes_and_dots() {
        let srt = normalize_newlines(
            "00:00:01.000 --> 00:00:02.000\r\nOne\r\n\r\n00:00:03,000 --> 00:00:04,000\r\nTwo",
        );
        let cues = parse(&srt);
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[1].start, cues[1].end), (3000, 4000));
        assert_eq!(cues[1].text, ["Two"]);
    }

    #[test]
    fn cues_run_together_and_broken_cues_are_skipped() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n\n\
                   3\n00:00:09,000 --> 00:00:05,000\nEnds before it starts\n\n\
                   4\nnot a timing\nLost\n\n\
                   5\n00:00:06,000 --> 00:00:07,000\n<font color=red></font>\n";
        let cues = parse(srt);
        let texts: Vec<_> = cues.iter().map(|cue| cue.text.join("|")).collect();
        assert_eq!(texts, ["One", "Two"]);
    }

    #[test]
    fn markup_cannot_get_through() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\n<script>x</script><b>bold</b> -->\n";
        let vtt = to_webvtt(srt).unwrap();
        assert!(vtt.ends_with("\nx<b>bold</b> --&gt;\n"), "{vtt}");
    }

    #[test]
    fn garbage_has_no_cues() {
        assert_eq!(to_webvtt("hello\nworld\n"), Err(SubtitleError::NoCues));
        assert_eq!(to_webvtt(""), Err(SubtitleError::NoCues));
        assert_eq!(
            to_webvtt("1\n00:00:01,000 --> 00:00:02,000\n\n"),
            Err(SubtitleError::NoCues)
        );
    }
}
