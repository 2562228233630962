//! What SRT and WebVTT share: cue timings and cue text. Cue text is rebuilt character by
//! character, so only the styling tags a format allows reach the page; any other tag is dropped
//! and a stray `<`, `>` or `&` is escaped. (Browsers render WebVTT cues as text and a few
//! elements, never as HTML, but a file made here must be valid WebVTT whatever came in.)

use std::fmt::Write;

/// One cue, times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start: u64,
    pub end: u64,
    /// WebVTT cue settings (`line:0 align:start`), already checked; empty for none.
    pub settings: String,
    /// Clean cue text, one or more non-empty lines.
    pub text: Vec<String>,
}

/// CRLF and lone CR become LF.
pub fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A timestamp: `[hh:]mm:ss[.,]fff` (the fraction may be shorter, or missing in SRT files);
/// None when it is not one.
pub fn parse_timestamp(text: &str) -> Option<u64> {
    let text = text.trim();
    let (clock, fraction) = match text.find([',', '.']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] => ("0", *m, *s),
        _ => return None,
    };
    let number = |digits: &str, max_len: usize| -> Option<u64> {
        (!digits.is_empty()
            && digits.len() <= max_len
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
    };
    let hours = number(hours, 6)?;
    let minutes = number(minutes, 2).filter(|m| *m < 60)?;
    let seconds = number(seconds, 2).filter(|s| *s < 60)?;
    let millis = match fraction {
        None => 0,
        Some(fraction) => {
            let value = number(fraction, 3)?;
            value * 10u64.pow(3 - fraction.len() as u32)
        }
    };
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// `hh:mm:ss.fff`, as WebVTT writes a time.
pub fn format_timestamp(ms: u64) -> String {
    let (hours, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    format!(
        "{hours:02}:{minutes:02}:{:02}.{:03}",
        rest / 1000,
        rest % 1000
    )
}

/// A timing line: start, end and whatever follows the end (settings); None when the line is not
/// one, or the cue would end before it starts.
pub fn parse_timing(line: &str) -> Option<(u64, u64, &str)> {
    let (start, rest) = line.split_once("-->")?;
    let rest = rest.trim_start();
    let (end, settings) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (start, end) = (parse_timestamp(start)?, parse_timestamp(end)?);
    (end >= start).then_some((start, end, settings.trim()))
}

/// Which tags a format keeps in cue text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tags {
    /// Italic, bold, underline: what SRT players show.
    Srt,
    /// Those, plus WebVTT's classes, voices, language spans, ruby and karaoke timestamps.
    WebVtt,
}

impl Tags {
    fn allows(self, name: &str) -> bool {
        match self {
            Tags::Srt => matches!(name, "i" | "b" | "u"),
            Tags::WebVtt => matches!(name, "i" | "b" | "u" | "c" | "v" | "lang" | "ruby" | "rt"),
        }
    }
}

/// One line of cue text, cleaned: allowed tags kept (names in lower case), others dropped, ASS
/// override blocks (`{\an8}`) dropped, stray `<`, `>` and `&` escaped. May come out empty.
pub fn clean_line(line: &str, tags: Tags) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            // A tag starts with a name, a slash or (a timestamp) a digit: `a < b` is text.
            '<' => match rest[1..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/')
                .then(|| rest.find('>'))
                .flatten()
            {
                Some(close) => {
                    if let Some(tag) = clean_tag(&rest[1..close], tags) {
                        out.push_str(&tag);
                    }
                    rest = &rest[close + 1..];
                    continue;
                }
                None => out.push_str("&lt;"),
            },
            '>' => out.push_str("&gt;"),
            '&' => match entity_length(rest) {
                Some(length) => {
                    out.push_str(&rest[..length]);
                    rest = &rest[length..];
                    continue;
                }
                None => out.push_str("&amp;"),
            },
            '{' if rest.starts_with("{\\") => {
                if let Some(close) = rest.find('}') {
                    rest = &rest[close + 1..];
                    continue;
                }
                out.push('{');
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.trim().to_string()
}

/// The tag to write for the inside of `<...>`, or None to drop it.
fn clean_tag(inside: &str, tags: Tags) -> Option<String> {
    if tags == Tags::WebVtt && parse_timestamp(inside).is_some() && inside.contains(':') {
        return Some(format!("<{}>", format_timestamp(parse_timestamp(inside)?)));
    }
    if let Some(name) = inside.strip_prefix('/') {
        let name = name.trim().to_ascii_lowercase();
        return tags.allows(&name).then(|| format!("</{name}>"));
    }
    let (head, annotation) = inside.split_once([' ', '\t']).unwrap_or((inside, ""));
    let mut parts = head.split('.');
    let name = parts.next().unwrap_or_default().to_ascii_lowercase();
    if !tags.allows(&name) {
        return None;
    }
    let mut tag = format!("<{name}");
    if tags == Tags::WebVtt {
        for class in parts.filter(|class| {
            !class.is_empty()
                && class
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }) {
            let _ = write!(tag, ".{class}");
        }
        let annotation = annotation.trim();
        if matches!(name.as_str(), "v" | "lang") && !annotation.is_empty() {
            tag.push(' ');
            tag.push_str(&annotation.replace('&', "&amp;"));
        }
    }
    tag.push('>');
    Some(tag)
}

/// The length of the character reference at the start of `text` (`&amp;`, `&#233;`, `&#xE9;`),
/// or None when it does not start with one.
fn entity_length(text: &str) -> Option<usize> {
    let body = &text[1..];
    let end = body.find(';').filter(|end| (1..=10).contains(end))?;
    let name = &body[..end];
    let valid = match name.strip_prefix('#') {
        Some(number) => match number.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        },
        None => name.chars().all(|c| c.is_ascii_alphanumeric()),
    };
    valid.then_some(end + 2)
}

/// A WebVTT file of `cues`.
pub fn write_webvtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in cues {
        out.push('\n');
        out.push_str(&format_timestamp(cue.start));
        out.push_str(" --> ");
        out.push_str(&format_timestamp(cue.end));
        if !cue.settings.is_empty() {
            out.push(' ');
            out.push_str(&cue.settings);
        }
        out.push('\n');
        for line in &cue.text {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_either_notation() {
        assert_eq!(parse_timestamp("00:00:01,500"), Some(1500));
        assert_eq!(parse_timestamp("00:00:01.500"), Some(1500));
        assert_eq!(parse_timestamp("01:02:03,004"), Some(3_723_004));
        assert_eq!(parse_timestamp("02:03.4"), Some(123_400));
        assert_eq!(parse_timestamp("0:00:05"), Some(5000));
        assert_eq!(parse_timestamp(" 100:00:00.000 "), Some(360_000_000));
        for bad in [
            "",
            "abc",
            "00:60:00,000",
            "00:00:61,000",
            "00:00:01,0000",
            "1,5",
            "-1:00:00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        assert_eq!(format_timestamp(3_723_004), "01:02:03.004");
        assert_eq!(format_timestamp(5), "00:00:00.005");
    }

    #[test]
    fn timing_lines() {
        assert_eq!(
            parse_timing("00:00:01,000 --> 00:00:02,500 X1:10 X2:20"),
            Some((1000, 2500, "X1:10 X2:20"))
        );
        assert_eq!(
            parse_timing("00:00:01.000-->00:00:02.000"),
            Some((1000, 2000, ""))
        );
        assert_eq!(parse_timing("00:00:03,000 --> 00:00:02,000"), None);
        assert_eq!(parse_timing("just text"), None);
    }

    #[test]
    fn srt_keeps_styling_and_drops_the_rest() {
        let clean = |line| clean_line(line, Tags::Srt);
        assert_eq!(
            clean("<i>Hello</i> <B>there</B>"),
            "<i>Hello</i> <b>there</b>"
        );
        assert_eq!(clean("<font color=\"red\">Red</font>"), "Red");
        assert_eq!(clean("<script>alert(1)</script>"), "alert(1)");
        assert_eq!(clean("<img src=x onerror=alert(1)>hi"), "hi");
        assert_eq!(clean("{\\an8}Top"), "Top");
        assert_eq!(clean("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(
            clean("caf&eacute; &#233; &#xE9;"),
            "caf&eacute; &#233; &#xE9;"
        );
        assert_eq!(clean("not --> a timing"), "not --&gt; a timing");
        assert_eq!(clean("<c.yellow>x</c>"), "x");
    }

    #[test]
    fn webvtt_keeps_its_own_tags() {
        let clean = |line| clean_line(line, Tags::WebVtt);
        assert_eq!(
            clean("<v Roger Bingham>We are <c.loud.x>here</c>"),
            "<v Roger Bingham>We are <c.loud.x>here</c>"
        );
        assert_eq!(
            clean("<lang en-GB>colour</lang>"),
            "<lang en-GB>colour</lang>"
        );
        assert_eq!(clean("one <00:00:01.000>two"), "one <00:00:01.000>two");
        assert_eq!(clean("<b.x onclick=y>bold</b>"), "<b.x>bold</b>");
        assert_eq!(clean("<iframe src=x>"), "");
    }
}
