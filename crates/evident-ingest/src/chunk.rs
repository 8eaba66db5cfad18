//! Cutting documents into passages: whole sentences, one section at a time, ~60–250 words.

use evident_core::text::split_sentences;
use evident_core::{Document, Passage};

/// Passage size limits, in words.
#[derive(Debug, Clone)]
pub struct ChunkOptions {
    /// A passage ends at the first sentence end after this many words.
    pub target_words: usize,
    /// No passage is longer, except that a longer single sentence is cut at word boundaries.
    pub max_words: usize,
    /// A shorter tail is merged into the passage before it when that stays within `max_words`.
    pub min_words: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions {
            target_words: 150,
            max_words: 250,
            min_words: 60,
        }
    }
}

/// Cuts `doc` into passages. Passages never cross a section boundary, are in document order,
/// do not overlap, and together cover every non-whitespace character of every section body.
pub fn chunk(doc: &Document, opts: &ChunkOptions) -> Vec<Passage> {
    let max = opts.max_words.max(1);
    let mut out: Vec<Passage> = Vec::new();
    for section in &doc.sections {
        let body = doc.section_text(section);
        // Units: (start, end, words) in document byte offsets, each at most `max` words.
        let mut units: Vec<(usize, usize, usize)> = Vec::new();
        for r in split_sentences(body) {
            let (s, e) = (section.start + r.start, section.start + r.end);
            split_long(&doc.text, s, e, max, &mut units);
        }
        let first_in_section = out.len();
        let mut group: Option<(usize, usize, usize)> = None;
        for (s, e, w) in units {
            match group {
                Some((gs, _, gw)) if gw + w <= max && gw < opts.target_words => {
                    group = Some((gs, e, gw + w));
                }
                Some(g) => {
                    out.push(passage(doc, section, g, out.len()));
                    group = Some((s, e, w));
                }
                None => group = Some((s, e, w)),
            }
        }
        if let Some((gs, ge, gw)) = group {
            let prev_words = out
                .last()
                .filter(|_| out.len() > first_in_section)
                .map(|p| p.text.split_whitespace().count());
            match prev_words {
                Some(pw) if gw < opts.min_words && pw + gw <= max => {
                    let prev = out.last_mut().expect("checked above");
                    prev.end = ge;
                    prev.text = doc.text[prev.start..ge].to_string();
                }
                _ => out.push(passage(doc, section, (gs, ge, gw), out.len())),
            }
        }
    }
    out
}

fn passage(
    doc: &Document,
    section: &evident_core::Section,
    (start, end, _): (usize, usize, usize),
    ordinal: usize,
) -> Passage {
    Passage {
        id: format!("{}#{}", doc.source.id, ordinal),
        source_id: doc.source.id.clone(),
        ordinal: ordinal as u32,
        trail: section.trail.clone(),
        text: doc.text[start..end].to_string(),
        start,
        end,
        grade: section.grade.clone(),
        anchor: section.anchor.clone(),
    }
}

/// Pushes `text[start..end]` as one unit, or as several of at most `max` words when longer.
fn split_long(
    text: &str,
    start: usize,
    end: usize,
    max: usize,
    out: &mut Vec<(usize, usize, usize)>,
) {
    let s = &text[start..end];
    let words = s.split_whitespace().count();
    if words <= max {
        out.push((start, end, words));
        return;
    }
    let mut piece_start: Option<usize> = None;
    let mut last_end = start;
    let mut count = 0;
    for (i, w) in word_spans(s) {
        let ws = start + i;
        if piece_start.is_none() {
            piece_start = Some(ws);
        }
        count += 1;
        last_end = ws + w.len();
        if count == max {
            out.push((piece_start.take().expect("set above"), last_end, count));
            count = 0;
        }
    }
    if let Some(ps) = piece_start {
        out.push((ps, last_end, count));
    }
}

fn word_spans(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_core::{DocumentBuilder, Source};
    use proptest::prelude::*;

    fn doc_of(blocks: &[(Option<&str>, &str)]) -> Document {
        let mut b = DocumentBuilder::new(Source::new("t:1", "T"));
        for (h, p) in blocks {
            if let Some(h) = h {
                b.heading(2, h);
            }
            b.paragraph(p);
        }
        b.finish()
    }

    fn sentence(n: usize, words: usize) -> String {
        let mut s = format!("Sentence{n}");
        for _ in 1..words {
            s.push_str(" word");
        }
        s.push('.');
        s
    }

    #[test]
    fn passages_respect_sections_and_sentence_ends() {
        let long: Vec<String> = (0..20).map(|i| sentence(i, 20)).collect();
        let doc = doc_of(&[(Some("A"), &long.join(" ")), (Some("B"), "Short one.")]);
        let ps = chunk(&doc, &ChunkOptions::default());
        assert!(ps.len() >= 3);
        for p in &ps[..ps.len() - 1] {
            assert_eq!(p.trail, ["A"]);
            assert!(p.text.ends_with('.'));
            let w = p.text.split_whitespace().count();
            assert!((60..=250).contains(&w), "{w} words");
        }
        assert_eq!(ps.last().unwrap().trail, ["B"]);
        assert_eq!(ps.last().unwrap().text, "Short one.");
        assert_eq!(ps[1].id, "t:1#1");
    }

    #[test]
    fn a_short_tail_joins_the_passage_before_it() {
        let text: Vec<String> = (0..8).map(|i| sentence(i, 20)).collect();
        let text = format!("{} Tail sentence here.", text.join(" "));
        let ps = chunk(&doc_of(&[(None, &text)]), &ChunkOptions::default());
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert!(ps[0].text.ends_with("Tail sentence here."));
    }

    #[test]
    fn an_overlong_sentence_is_cut_at_words() {
        let text = vec!["w"; 600].join(" ");
        let ps = chunk(&doc_of(&[(None, &text)]), &ChunkOptions::default());
        assert_eq!(ps.len(), 3);
        assert!(ps.iter().all(|p| p.text.split_whitespace().count() <= 250));
    }

    proptest! {
        #[test]
        fn passages_cover_sections_in_order_without_loss(
            paras in prop::collection::vec(("[A-Za-z]{0,8}", "(?s)[a-zA-Z0-9 .,!?\n-]{0,400}"), 0..8)
        ) {
            let blocks: Vec<(Option<&str>, &str)> = paras
                .iter()
                .map(|(h, p)| (Some(h.as_str()).filter(|h| !h.is_empty()), p.as_str()))
                .collect();
            let doc = doc_of(&blocks);
            let ps = chunk(&doc, &ChunkOptions { target_words: 20, max_words: 40, min_words: 8 });
            let strip = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            let want: String = doc.sections.iter().map(|s| strip(doc.section_text(s))).collect();
            let got: String = ps.iter().map(|p| strip(&p.text)).collect();
            prop_assert_eq!(got, want);
            let mut last = 0;
            for (i, p) in ps.iter().enumerate() {
                prop_assert!(p.start >= last);
                prop_assert_eq!(&doc.text[p.start..p.end], p.text.as_str());
                prop_assert_eq!(p.ordinal as usize, i);
                prop_assert!(p.text.split_whitespace().count() <= 40);
                last = p.end;
            }
        }
    }
}
