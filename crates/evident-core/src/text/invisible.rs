//! Characters that change what text looks like without being seen: bidirectional controls and
//! zero-width characters ([`strip_invisible`]), and the control characters and escape sequences
//! a terminal obeys ([`strip_terminal_controls`]).
//!
//! A right-to-left override in a title shows "txt.exe" as "exe.txt"; a zero-width space inside
//! "warfarin" hides the word from search and from the citation check while it reads the same.
//! An escape sequence in source text printed by the CLI can clear the operator's screen or
//! retitle the window.

use std::borrow::Cow;

/// Whether `c` is a bidirectional formatting control (U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069) or a zero-width character (U+200B–U+200D, U+2060, U+FEFF).
///
/// Zero-width joiners and non-joiners count too, so an emoji sequence joined by U+200D falls
/// apart into its emoji, and a Persian or Indic word written with U+200C loses that
/// shaping hint; the letters themselves stay.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// `text` without bidirectional controls and zero-width characters (see [`is_invisible`]).
/// Borrowed when there were none.
///
/// ```
/// use evident_core::text::strip_invisible;
///
/// assert_eq!(strip_invisible("war\u{200B}farin \u{202E}gnp.exe"), "warfarin gnp.exe");
/// assert_eq!(strip_invisible("高血压 – ارتفاع ضغط الدم"), "高血压 – ارتفاع ضغط الدم");
/// ```
pub fn strip_invisible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|&c| !is_invisible(c)).collect())
}

/// `text` made safe to print to a terminal: escape sequences (CSI `ESC [ … final`, OSC
/// `ESC ] … BEL` or `… ESC \`, the string commands DCS, SOS, PM and APC up to their terminator,
/// and two-character `ESC x`) are removed whole, and every other C0 or C1 control character
/// and DEL is removed, except newline and tab. Borrowed when there was nothing to remove.
///
/// ```
/// use evident_core::text::strip_terminal_controls;
///
/// assert_eq!(strip_terminal_controls("a\x1b[2J\x1b]0;pwned\x07b\r\n"), "ab\n");
/// ```
pub fn strip_terminal_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !is_terminal_control(c) {
            out.push(c);
            continue;
        }
        // The 7-bit escape `ESC x` and its 8-bit C1 equivalent start the same sequences.
        let introducer = match c {
            '\x1b' => match chars.peek() {
                Some(&n) if ('\x40'..='\x5f').contains(&n) => {
                    chars.next();
                    Some(char::from_u32(n as u32 + 0x40).expect("C1 range"))
                }
                Some(&('\x20'..='\x2f')) => {
                    // `ESC SP F`, `ESC ( B`: intermediates, then one final character.
                    while chars.next_if(|n| ('\x20'..='\x2f').contains(n)).is_some() {}
                    chars.next_if(|n| ('\x30'..='\x7e').contains(n));
                    None
                }
                Some(&('\x30'..='\x7e')) => {
                    chars.next(); // `ESC 7`, `ESC c`
                    None
                }
                _ => None,
            },
            '\u{80}'..='\u{9f}' => Some(c),
            _ => None,
        };
        match introducer {
            // CSI: parameters and intermediates, then one final character.
            Some('\u{9b}') => {
                while chars.next_if(|n| ('\x20'..='\x3f').contains(n)).is_some() {}
                chars.next_if(|n| ('\x40'..='\x7e').contains(n));
            }
            // OSC, DCS, SOS, PM, APC: a string ended by BEL (OSC), ST, or `ESC \`.
            Some('\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}') => {
                while let Some(n) = chars.next() {
                    if n == '\x07' || n == '\u{9c}' {
                        break;
                    }
                    if n == '\x1b' {
                        chars.next_if_eq(&'\\');
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}

fn is_terminal_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Finding 11 of issue 13: bidi controls and zero-width characters are removed, other text
    /// of any script is kept.
    #[test]
    fn invisible_characters_are_stripped_and_scripts_kept() {
        let every = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\
                     \u{200E}\u{200F}\u{061C}\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}";
        assert_eq!(strip_invisible(&format!("a{every}b")), "ab");
        assert_eq!(
            strip_invisible("Gout \u{202E}txt.exe\u{202C} and war\u{200B}farin"),
            "Gout txt.exe and warfarin"
        );
        for kept in [
            "Hypertension – 高血压 – ارتفاع ضغط الدم – Гипертония – उच्च रक्तचाप",
            "café naïve µg ≥ 5 °C ½ tab 🙂",
            "tabs\tand\nnewlines",
        ] {
            assert!(matches!(strip_invisible(kept), Cow::Borrowed(_)), "{kept}");
        }
        // A ZWJ emoji sequence falls apart into its emoji (documented on `is_invisible`).
        assert_eq!(strip_invisible("👩\u{200D}⚕️"), "👩⚕️");
    }

    /// Finding 12 of issue 13: escape sequences and control characters do not reach a terminal.
    #[test]
    fn terminal_controls_are_stripped() {
        let cases = [
            ("a\x1b[2J\x1b]0;pwned\x07b", "ab"),
            ("\x1b[1;31mred\x1b[0m", "red"),
            ("x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),
            ("bell\x07 back\x08space\rover", "bell backspaceover"),
            ("c1 \u{9b}2J csi \u{9d}0;t\u{9c}osc", "c1  csi osc"),
            ("dcs \x1bPq#0;2;0;0;0\x1b\\end", "dcs end"),
            ("keep\tthe\nlayout ✓", "keep\tthe\nlayout ✓"),
            ("\x1b7saved\x1b8 \x1b(Bcharset \x7fdel", "saved charset del"),
            ("cut at the end \x1b[", "cut at the end "),
            ("unterminated \x1b]0;title", "unterminated "),
        ];
        for (input, want) in cases {
            assert_eq!(strip_terminal_controls(input), want, "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn nothing_a_terminal_obeys_survives(s in "\\PC{0,40}|[\\x00-\\x1f\\x7f-\\x9fa\\[\\]\\\\;0-9]{0,40}") {
            let out = strip_terminal_controls(&s);
            prop_assert!(!out.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            let invisible = strip_invisible(&s);
            prop_assert!(!invisible.chars().any(is_invisible));
        }
    }
}
