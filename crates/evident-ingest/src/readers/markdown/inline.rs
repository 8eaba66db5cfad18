//! Inline Markdown to plain text: links keep their text, except links to images ("Enlarge");
//! images, comments, tags, emphasis markers and backticks go; HTML entities are decoded as the HTML reader decodes them.

/// Inline Markdown to plain text.
pub(crate) fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    inline_into(&chars, &mut out);
    out
}

fn inline_into(chars: &[char], out: &mut String) {
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        match c {
            '\\' if i + 1 < n && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let run = run_len(chars, i, '`');
                match find_run(chars, i + run, '`', run) {
                    Some(close) => {
                        let code: String = chars[i + run..close].iter().collect();
                        out.push_str(code.trim());
                        i = close + run;
                    }
                    None => i += run,
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => match link(chars, i + 1) {
                Some((_, end)) => i = end, // images are dropped, alt text and all
                None => {
                    out.push('!');
                    i += 1;
                }
            },
            '[' => {
                if chars.get(i + 1) == Some(&'^') {
                    if let Some(close) = chars[i..].iter().position(|&x| x == ']') {
                        i += close + 1; // footnote reference
                        continue;
                    }
                }
                match link(chars, i) {
                    // A link to an image ("[Enlarge](figure.jpg)") is a prompt to view it.
                    Some((_, end)) if links_to_image(&chars[i..end]) => i = end,
                    Some(((s, e), end)) => {
                        inline_into(&chars[s..e], out);
                        i = end;
                    }
                    // A `[` never closed opens a link whose text runs over several paragraphs
                    // (cards on cancer.gov pages): drop it, as its `](url)` end is dropped below.
                    None if matching(chars, i, '[', ']').is_none() => i += 1,
                    None => {
                        out.push('[');
                        i += 1;
                    }
                }
            }
            ']' if chars.get(i + 1) == Some(&'(') => match matching(chars, i + 1, '(', ')') {
                Some(end) if !chars[i + 2..end - 1].iter().any(|c| c.is_whitespace()) => i = end,
                _ => {
                    out.push(']');
                    i += 1;
                }
            },
            '<' => match angle(chars, i) {
                Some((end, keep)) => {
                    match keep {
                        Angle::Autolink(s, e) => out.extend(&chars[s..e]),
                        Angle::InlineTag => {}
                        Angle::BlockTag => out.push(' '),
                    }
                    i = end;
                }
                None => {
                    out.push('<');
                    i += 1;
                }
            },
            '&' => match entity(chars, i) {
                Some((decoded, end)) => {
                    out.push_str(&decoded);
                    i = end;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            '*' | '_' | '~' => {
                let run = run_len(chars, i, c);
                let prev = i.checked_sub(1).map(|p| chars[p]);
                let next = chars.get(i + run).copied();
                let opens = next.is_some_and(|x| !x.is_whitespace())
                    && prev.is_none_or(|x| !x.is_alphanumeric());
                let closes = prev.is_some_and(|x| !x.is_whitespace())
                    && next.is_none_or(|x| !x.is_alphanumeric());
                // `**` also works inside words (`**Bold**text`), single `*` and `_` do not.
                let intraword = c == '*'
                    && run >= 2
                    && prev.is_some_and(|x| !x.is_whitespace())
                    && next.is_some_and(|x| !x.is_whitespace());
                let strip = (opens || closes || intraword) && (c != '~' || run >= 2);
                if !strip {
                    out.extend(std::iter::repeat_n(c, run));
                }
                i += run;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Whether a whole link `[text](url)` points at an image file.
fn links_to_image(link: &[char]) -> bool {
    let s: String = link.iter().collect();
    let Some(url) = s.rsplit_once("](").map(|(_, u)| u.trim_end_matches(')')) else {
        return false;
    };
    let path = url
        .split(['?', '#', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

fn run_len(chars: &[char], i: usize, c: char) -> usize {
    chars[i..].iter().take_while(|&&x| x == c).count()
}

/// The start of the next run of exactly `len` `c`s at or after `from`.
fn find_run(chars: &[char], from: usize, c: char, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == c {
            let run = run_len(chars, j, c);
            if run == len {
                return Some(j);
            }
            j += run;
        } else {
            j += 1;
        }
    }
    None
}

/// The index just after the bracket matching the opener at `i` (`[`/`]` or `(`/`)`).
fn matching(chars: &[char], i: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < chars.len() {
        let c = chars[j];
        if c == '\\' {
            j += 2;
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
        j += 1;
    }
    None
}

/// A link `[text](url)` or `[text][ref]` starting at `i`: the text's range and the end.
fn link(chars: &[char], i: usize) -> Option<((usize, usize), usize)> {
    let after_text = matching(chars, i, '[', ']')?;
    let text = (i + 1, after_text - 1);
    match chars.get(after_text) {
        Some('(') => Some((text, matching(chars, after_text, '(', ')')?)),
        Some('[') => Some((text, matching(chars, after_text, '[', ']')?)),
        _ => None,
    }
}

enum Angle {
    Autolink(usize, usize),
    InlineTag,
    BlockTag,
}

/// `<https://…>` autolinks and HTML tags starting at `i`.
fn angle(chars: &[char], i: usize) -> Option<(usize, Angle)> {
    let close = i + 1 + chars[i + 1..].iter().take(2000).position(|&x| x == '>')?;
    let inner: String = chars[i + 1..close].iter().collect();
    if inner.contains('<') || inner.is_empty() {
        return None;
    }
    let lower = inner.to_ascii_lowercase();
    if ["http://", "https://", "ftp://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (inner.contains('@') && !inner.contains(char::is_whitespace))
    {
        if inner.contains(char::is_whitespace) {
            return None;
        }
        return Some((close + 1, Angle::Autolink(i + 1, close)));
    }
    let name: String = lower
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let first = lower.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    if name.is_empty() && first != '!' {
        return None;
    }
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "cite", "code", "em", "i", "mark", "small", "span", "strong", "sub",
        "sup", "u", "s", "del", "ins", "kbd", "var", "font",
    ];
    let kind = if INLINE.contains(&name.as_str()) {
        Angle::InlineTag
    } else {
        Angle::BlockTag
    };
    Some((close + 1, kind))
}

/// An HTML character reference starting at `i` (the `&`), decoded as the HTML reader decodes
/// them: its text and the index after the `;`.
fn entity(chars: &[char], i: usize) -> Option<(String, usize)> {
    let after: String = chars[i + 1..]
        .iter()
        .take(crate::html::MAX_REFERENCE_BYTES)
        .collect();
    let (decoded, used) = crate::html::decode_reference(&after)?;
    Some((decoded, i + 1 + after[..used].chars().count()))
}
