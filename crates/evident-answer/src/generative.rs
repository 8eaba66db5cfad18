//! The generative composer: a language model writes the article from the evidence the grounded
//! composer chose, and every sentence it writes is checked against the passages it cites before
//! anyone sees it ([`crate::check`]).
//!
//! The flow, for one audience's grounded answer (which already passed the concept focus, the
//! topic gate and evidence selection):
//!
//! 1. **Evidence**: the passages the grounded answer quotes, in its reading order (lead first),
//!    at most [`GenerativeOptions::max_passages`], each cut to
//!    [`GenerativeOptions::passage_words`] words at a sentence end, numbered \[1\]…\[n\].
//! 2. **Prompt**: the question, the audience, the section plan (the grounded answer's headings)
//!    and the numbered passages; the model is asked for short sentences, each ending with the
//!    numbers of the passages it comes from, doses and numbers as the passage states them.
//! 3. **Parsing, as the text streams**: a sentence ends at its citation bracket (or a line end);
//!    list markers and emphasis are removed; a sentence without a valid citation number is
//!    withheld ("no citation").
//! 4. **Checking**: each sentence against the *whole* text of the passages it cites; one that
//!    fails is withheld with the reason (kept in [`GenerationReport::withheld`] for reviewers,
//!    never published); one that passes is published at once (the `on_published` callback: the
//!    server streams it) as a [`Statement`] with `model_written` and its [`SupportCheck`].
//! 5. **Arranging**: the first sentences form the lead, the rest go under the section in which
//!    the grounded answer quotes the passage they cite; citations are renumbered by first use and
//!    the article is verified ([`Answer::verify`] requires every model sentence's check to have
//!    passed).
//!
//! When the model fails, or fewer than [`GenerativeOptions::min_published`] sentences pass, the
//! grounded answer is returned with [`GenerationReport::fallback`] saying why (shown as a note).

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::time::Instant;

use evident_core::review::StatementKey;
use evident_core::text::{normalize_for_match, sentences, word_count};
use evident_core::{
    Answer, AnswerSection, Audience, Citation, GenerationReport, Statement, SupportCheck,
    WithheldStatement,
};
use evident_generate::{Generator, Request};

use crate::check::{check_claim, Verdict};

/// The composer name an answer written by the model carries.
pub const COMPOSER: &str = "generative";

/// The clinician disclaimer of a model-written article (the grounded one says every statement
/// is quoted, which is not so here).
pub const DISCLAIMER_GENERATED: &str = "For health professionals. The statements above were written by a language model from the cited source passages, and each was checked automatically against the passage it cites; check the sources and use clinical judgement before applying them to a patient. Evident does not replace professional judgement or current local guidance.";

/// Tuning of the generative composer.
#[derive(Debug, Clone)]
pub struct GenerativeOptions {
    /// Passages given to the model at most (a small model's prompt stays near 1,000 tokens).
    pub max_passages: usize,
    /// Words of each passage given to the model at most, cut at a sentence end.
    pub passage_words: usize,
    /// Tokens the model may write.
    pub max_tokens: u32,
    /// Published sentences below which the grounded answer is served instead.
    pub min_published: usize,
    /// Published sentences at most; generation stops when they are reached.
    pub max_statements: usize,
    /// Published sentences that form the lead.
    pub lead_statements: usize,
}

impl Default for GenerativeOptions {
    fn default() -> Self {
        GenerativeOptions {
            max_passages: 6,
            passage_words: 120,
            max_tokens: 400,
            min_published: 3,
            max_statements: 12,
            lead_statements: 2,
        }
    }
}

/// A passage as the model sees it: its number in the prompt and the citation it stands for.
struct Evidence<'a> {
    citation: &'a Citation,
    /// The grounded answer's section that first quotes it, if a section does.
    home: Option<usize>,
    /// What the prompt shows: the passage's first sentences, up to the word budget.
    shown: String,
}

/// Writes `grounded`'s article with `generator`; see the module docs. `on_published` receives
/// each sentence as it passes the check (before the article is arranged). An abstention, or an
/// answer with nothing quoted, is returned as it is.
pub fn compose_generative(
    grounded: &Answer,
    generator: &dyn Generator,
    opts: &GenerativeOptions,
    on_published: &mut dyn FnMut(&Statement),
) -> Answer {
    if grounded.abstained || grounded.citations.is_empty() {
        return grounded.clone();
    }
    let started = Instant::now();
    let evidence = evidence(grounded, opts);
    let request = prompt(grounded, &evidence, opts);
    let mut report = GenerationReport {
        model: generator.describe(),
        ..GenerationReport::default()
    };
    let mut published: Vec<(Statement, usize)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut splitter = Splitter::default();
    let mut judge = |raw: &str, report: &mut GenerationReport| -> ControlFlow<()> {
        if published.len() >= opts.max_statements {
            return ControlFlow::Break(());
        }
        let Some(mut sentence) = parse_sentence(raw, evidence.len()) else {
            return ControlFlow::Continue(());
        };
        // Small models echo the prompt's "Title: passage" form: the title is not a claim.
        if let Some((head, rest)) = sentence.text.split_once(": ") {
            let head = head.trim().to_lowercase();
            let echoed = evidence.iter().any(|e| {
                let title = e.citation.title.to_lowercase();
                !head.is_empty() && (title.starts_with(&head) || head.starts_with(&title))
            });
            if echoed && word_count(rest) >= 4 {
                // "Title: - item": the list mark goes with the title.
                sentence.text = capitalized(rest.trim_start_matches(LIST_MARKS));
            }
        }
        if !seen.insert(normalize_for_match(&sentence.text)) {
            return ControlFlow::Continue(()); // the model repeated itself
        }
        report.proposed += 1;
        let passage_ids = sentence
            .cites
            .iter()
            .map(|&i| evidence[i].citation.passage_id.clone())
            .collect();
        // Refused before the checker reads it: no citation, or not a whole sentence.
        let refused = if sentence.cites.is_empty() {
            Some(refusal(
                "no_citation",
                "cites no passage given to the model".into(),
            ))
        } else {
            fragment(&sentence.text)
                .map(|why| refusal("fragment", format!("not a whole sentence: {why}")))
        };
        let check = refused.unwrap_or_else(|| {
            let passages: Vec<&str> = sentence
                .cites
                .iter()
                .map(|&i| evidence[i].citation.passage.as_str())
                .collect();
            support(&check_claim(&sentence.text, &passages))
        });
        if !check.supported {
            report.withheld.push(WithheldStatement {
                text: sentence.text,
                passage_ids,
                check,
            });
            return ControlFlow::Continue(());
        }
        let mut numbers: Vec<u32> = sentence
            .cites
            .iter()
            .map(|&i| evidence[i].citation.number)
            .collect();
        numbers.dedup();
        let statement = Statement {
            text: sentence.text,
            citations: numbers,
            glosses: Vec::new(),
            editor_written: false,
            model_written: true,
            check: Some(check),
        };
        if report.first_sentence_ms.is_none() {
            report.first_sentence_ms = Some(started.elapsed().as_secs_f64() * 1e3);
        }
        on_published(&statement);
        published.push((statement, sentence.cites[0]));
        if published.len() >= opts.max_statements {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let result = generator.generate(&request, &mut |piece| {
        for raw in splitter.push(piece) {
            judge(&raw, &mut report)?;
        }
        ControlFlow::Continue(())
    });
    if let Some(rest) = splitter.finish() {
        let _ = judge(&rest, &mut report);
    }
    report.published = published.len() as u32;
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    match &result {
        Ok(g) => {
            report.prompt_tokens = g.prompt_tokens;
            report.completion_tokens = g.completion_tokens;
            report.prompt_tokens_per_second = g.prompt_tokens_per_second();
            report.tokens_per_second = g.tokens_per_second();
            report.first_token_ms = g.time_to_first_token.as_secs_f64() * 1e3;
            if !g.model.is_empty() && !report.model.contains(&g.model) {
                report.model = format!("{} ({})", report.model, g.model);
            }
        }
        Err(e) => {
            report.fallback = Some(format!(
                "the model failed ({e}); the quoted article is shown"
            ));
        }
    }
    if report.fallback.is_none() && published.len() < opts.min_published {
        report.fallback = Some(format!(
            "only {} of the model's {} sentences passed the support check; the quoted article is shown",
            published.len(),
            report.proposed
        ));
    }
    if report.fallback.is_some() {
        let mut answer = grounded.clone();
        answer.generation = Some(report);
        return answer;
    }
    let mut answer = arrange(grounded, &evidence, published, opts);
    answer.generation = Some(report);
    if let Err(errors) = answer.verify() {
        // Cannot happen by construction; never publish an article that fails verification.
        let mut fallback = grounded.clone();
        let mut report = answer.generation.take().unwrap_or_default();
        report.fallback = Some(format!(
            "the written article failed verification ({}); the quoted article is shown",
            errors[0]
        ));
        fallback.generation = Some(report);
        return fallback;
    }
    answer
}

/// The checker's verdict as stored with a statement.
pub fn support(verdict: &Verdict) -> SupportCheck {
    SupportCheck {
        supported: verdict.supported,
        reason_code: verdict.reason.as_ref().map(|r| r.code().to_string()),
        reason: verdict.reason.as_ref().map(|r| r.to_string()),
    }
}

/// Checks every statement an editor wrote or revised against the passages it cites (of its
/// references) and records the result in [`Statement::check`]; quoted statements are left as
/// they are. The review workspace shows the result beside the statement.
pub fn check_edited(answer: &mut Answer) {
    let Answer {
        citations,
        lead,
        sections,
        ..
    } = answer;
    let check = |s: &mut Statement| {
        if !s.editor_written {
            return;
        }
        let passages: Vec<&str> = citations
            .iter()
            .filter(|c| s.citations.contains(&c.number))
            .map(|c| c.passage.as_str())
            .collect();
        s.check = Some(support(&check_claim(&s.text, &passages)));
    };
    lead.iter_mut().for_each(check);
    for section in sections.iter_mut() {
        section.statements.iter_mut().for_each(check);
    }
}

/// The passages the grounded answer quotes, in reading order (lead first), each once: read off
/// its reference list, which matches each statement to the passage it quotes.
fn evidence<'a>(grounded: &'a Answer, opts: &GenerativeOptions) -> Vec<Evidence<'a>> {
    let mut quoted: Vec<(StatementKey, Option<usize>, &Citation)> = grounded
        .references()
        .into_iter()
        .flat_map(|r| r.passages)
        .filter_map(|p| {
            let first = *p.statements.iter().min()?;
            // The section that quotes it first: where sentences citing it belong.
            let home = p.statements.iter().find_map(|k| match k {
                StatementKey::Section { section, .. } => Some(*section),
                StatementKey::Lead(_) => None,
            });
            Some((first, home, p.citation))
        })
        .collect();
    quoted.sort_by_key(|(first, _, _)| *first);
    quoted
        .into_iter()
        .take(opts.max_passages)
        .map(|(_, home, citation)| Evidence {
            citation,
            home,
            shown: first_words(&citation.passage, opts.passage_words),
        })
        .collect()
}

/// The passage's first sentences, as many as fit in `budget` words (at least one).
fn first_words(passage: &str, budget: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for s in sentences(passage) {
        let n = word_count(s);
        if used > 0 && used + n > budget {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(s.trim());
        used += n;
        if used >= budget {
            break;
        }
    }
    out
}

/// The request: instructions, question, audience, section plan and numbered passages.
fn prompt(grounded: &Answer, evidence: &[Evidence<'_>], opts: &GenerativeOptions) -> Request {
    let reader = match grounded.audience {
        Audience::Patient => "a patient: plain words, short sentences, no jargon",
        Audience::Student => "a medical student: clear terms, explained briefly",
        _ => "a clinician: precise clinical language",
    };
    let system = "You write answers for a clinical reference from the numbered passages you are given, and from nothing else. \
Write short sentences. End every sentence with the number of the passage it comes from in square brackets, \
such as [1] or [2]. \
State doses, numbers, ages, intervals and grades exactly as the passage states them. \
If the passages do not say something, do not write it.";
    let plan: Vec<&str> = grounded
        .sections
        .iter()
        .map(|s| s.heading.as_str())
        .collect();
    let mut user = format!("Question: {}\n", grounded.question);
    user.push_str(&format!("Write for {reader}.\n"));
    if !plan.is_empty() {
        user.push_str(&format!("Cover, in this order: {}.\n", plan.join("; ")));
    }
    user.push_str("\nPassages:\n");
    for (i, e) in evidence.iter().enumerate() {
        user.push_str(&format!("[{}] {}: {}\n", i + 1, e.citation.title, e.shown));
    }
    user.push_str(&format!(
        "\nAnswer the question in at most {} sentences, each ending with its passage number in square brackets.\n",
        opts.max_statements
    ));
    let mut req = Request::new(system, user, opts.max_tokens);
    req.temperature = 0.0;
    req
}

/// One sentence the model wrote: its text without citation marks, and the (0-based) passages it
/// cites that exist.
#[derive(Debug, PartialEq)]
struct Parsed {
    text: String,
    cites: Vec<usize>,
}

/// Reads one raw sentence: citation groups (`[2]`, `[1, 3]`, `[2][4]`, `[1-2]`) out and collected,
/// list markers and emphasis off. `None` for a heading, a fragment or nothing.
/// A check that refused a sentence for `code`, with its reason.
fn refusal(code: &str, reason: String) -> SupportCheck {
    SupportCheck {
        supported: false,
        reason_code: Some(code.into()),
        reason: Some(reason),
    }
}

/// Why a model sentence is not a whole sentence a reader can take on its own, if it is not: too
/// short or broken off mid-sentence (a lower-case start was capitalised, and a list item run
/// into its lead-in, "… include: - Watchful waiting", joined to it, by [`parse_sentence`]). The support
/// check passes such pieces (they claim nothing the passage lacks), but they read as litter.
fn fragment(text: &str) -> Option<&'static str> {
    /// Words a sentence does not end on.
    const DANGLING: &[&str] = &[
        "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "than", "the",
        "to", "with",
    ];
    if word_count(text) < 5 {
        return Some("too short");
    }
    let last = text
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    if DANGLING.contains(&last.as_str()) {
        return Some("it breaks off mid-sentence");
    }
    None
}

/// What opens a list item ("- ", "• ", "– ").
const LIST_MARKS: [char; 4] = ['-', '•', '–', ' '];

fn parse_sentence(raw: &str, passages: usize) -> Option<Parsed> {
    let mut text = String::new();
    let mut cites: Vec<usize> = Vec::new();
    let mut rest = raw;
    while let Some(open) = rest.find('[') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if is_citation_group(&after[..close]) => {
                for n in citation_numbers(&after[..close]) {
                    if n >= 1 && n <= passages && !cites.contains(&(n - 1)) {
                        cites.push(n - 1);
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                text.push('[');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    let text = text.replace("**", "").replace('*', " ").replace('`', "");
    let mut text = text.trim();
    // List markers: "- ", "• ", "1. ", "2) ".
    text = text.trim_start_matches(LIST_MARKS);
    if let Some(pos) = text.find(['.', ')']) {
        if pos > 0 && pos <= 2 && text[..pos].chars().all(|c| c.is_ascii_digit()) {
            text = text[pos + 1..].trim_start();
        }
    }
    let mut text = text
        .trim()
        .trim_end_matches([' ', ',', ';'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // "… at 81 mg [2]." leaves "… at 81 mg ." behind.
    while text.contains(" .") {
        text = text.replace(" .", ".");
    }
    if text.ends_with(':') || word_count(&text) < 4 {
        return None; // a heading ("Treatment:") or a fragment
    }
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    // A list's lead-in and its first item on one line: "… include: - Watchful waiting."
    for mark in [": - ", ": • ", ": – "] {
        text = text.replace(mark, ": ");
    }
    Some(Parsed {
        text: capitalized(&text),
        cites,
    })
}

/// `text` with its first letter upper-case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text.to_string(),
    }
}

/// Whether `text` holds a citation group anywhere.
fn has_citation_group(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if is_citation_group(&after[..close]) => return true,
            Some(close) => rest = &after[close + 1..],
            None => return false,
        }
    }
    false
}

fn is_citation_group(inner: &str) -> bool {
    !inner.trim().is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '-' | '–'))
        && inner.chars().any(|c| c.is_ascii_digit())
}

/// "1, 3" → 1, 3; "2-4" → 2, 3, 4 (a range of at most 10).
fn citation_numbers(inner: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        if let Some((a, b)) = part.split_once(['-', '–']) {
            if let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                if a <= b && b - a < 10 {
                    out.extend(a..=b);
                }
            }
        } else if let Ok(n) = part.parse::<usize>() {
            out.push(n);
        }
    }
    out
}

/// Cuts streamed text into sentences as they complete: after a citation group that is followed
/// by the end of the sentence, or at a line end.
struct Splitter {
    buffer: String,
    /// The citation group that opened the current line ("[2] Colchicine … . Low doses …"): it
    /// labels the line, so the line's later sentences without a group of their own cite it too.
    line_group: Option<String>,
    /// Whether the next sentence starts a line.
    at_line_start: bool,
}

impl Default for Splitter {
    fn default() -> Splitter {
        Splitter {
            buffer: String::new(),
            line_group: None,
            at_line_start: true,
        }
    }
}

impl Splitter {
    /// Adds a piece; returns the sentences it completed.
    fn push(&mut self, piece: &str) -> Vec<String> {
        self.buffer.push_str(piece);
        let mut out = Vec::new();
        while let Some(end) = self.boundary() {
            let sentence: String = self.buffer.drain(..end).collect();
            if let Some(s) = self.label(sentence) {
                out.push(s);
            }
        }
        out
    }

    /// The rest, when the stream ends.
    fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffer);
        self.label(rest)
    }

    /// Applies the line's opening group to a sentence that has none, and keeps track of lines.
    fn label(&mut self, sentence: String) -> Option<String> {
        if self.at_line_start {
            let lead = leading_group_end(&sentence);
            self.line_group = (lead > 0).then(|| sentence[..lead].trim().to_string());
        }
        self.at_line_start = sentence.ends_with('\n');
        let ends_line = self.at_line_start;
        let out = if sentence.trim().is_empty() {
            None
        } else if has_citation_group(&sentence) {
            Some(sentence)
        } else if let Some(group) = &self.line_group {
            Some(format!("{group} {sentence}"))
        } else {
            Some(sentence)
        };
        if ends_line {
            self.line_group = None;
        }
        out
    }

    /// Where the first complete sentence of the buffer ends, if one is complete.
    fn boundary(&self) -> Option<usize> {
        let b = &self.buffer;
        let newline = b.find('\n').map(|i| i + 1);
        if let Some(end) = self.uncited_end() {
            if newline.is_none_or(|n| end < n) {
                return Some(end);
            }
        }
        let mut search = 0;
        while let Some(close) = b[search..].find(']').map(|i| search + i) {
            search = close + 1;
            if newline.is_some_and(|n| n <= close) {
                break;
            }
            let Some(open) = b[..close].rfind('[') else {
                continue;
            };
            if !is_citation_group(&b[open + 1..close]) {
                continue;
            }
            // After the group: more groups, a full stop, spaces; then the next sentence.
            let tail = &b[close + 1..];
            let trimmed = tail.trim_start_matches(['.', ' ', ',', ';']);
            if trimmed.starts_with('[') {
                continue; // "[1][2]": the next group belongs to this sentence
            }
            if trimmed.is_empty() {
                return None; // wait: a group or the full stop may follow
            }
            let consumed = tail.len() - trimmed.len();
            let before_next = &tail[..consumed];
            // A sentence ends here only if a full stop came before or after the group.
            let stop_before = b[..open].trim_end().ends_with(['.', '!', '?']);
            if stop_before || before_next.contains('.') || trimmed.starts_with('\n') {
                return Some(close + 1 + consumed);
            }
        }
        newline
    }

    /// The end of a sentence that came with no citation before the next one starts ("… weeks.
    /// Then …" with no bracket in between): so that prose without citations is withheld one
    /// sentence at a time, not as one block.
    fn uncited_end(&self) -> Option<usize> {
        let b = &self.buffer;
        // A group that opens the sentence ("[1] Allopurinol is …") belongs to it.
        let start = leading_group_end(b);
        let bytes = b.as_bytes();
        for i in start..bytes.len() {
            let c = bytes[i];
            if c == b'[' {
                return None;
            }
            let next_starts = |j: usize| {
                bytes.get(j).is_some_and(|n| n.is_ascii_uppercase())
                    || (bytes.get(j) == Some(&b'-') && bytes.get(j + 1) == Some(&b' '))
            };
            if matches!(c, b'.' | b'!' | b'?')
                && bytes.get(i + 1) == Some(&b' ')
                && next_starts(i + 2)
                && word_count(&b[start..i]) >= 4
            {
                return Some(i + 2);
            }
        }
        None
    }
}

/// Where a citation group at the very start of `text` (after spaces and list marks) ends; 0 when
/// the text does not start with one.
fn leading_group_end(text: &str) -> usize {
    let trimmed = text.trim_start_matches([' ', '-', '*', '•']);
    let offset = text.len() - trimmed.len();
    if let Some(rest) = trimmed.strip_prefix('[') {
        if let Some(close) = rest.find(']') {
            if is_citation_group(&rest[..close]) {
                return offset + close + 2;
            }
        }
    }
    0
}

/// The published sentences as an article: the lead first, the rest under the section in which
/// the grounded answer quotes the passage they cite first, citations renumbered by first use.
fn arrange(
    grounded: &Answer,
    evidence: &[Evidence<'_>],
    published: Vec<(Statement, usize)>,
    opts: &GenerativeOptions,
) -> Answer {
    let mut answer = grounded.clone();
    answer.composer = COMPOSER.to_string();
    if answer.disclaimer == crate::compose::DISCLAIMER_CLINICIAN {
        answer.disclaimer = DISCLAIMER_GENERATED.to_string();
    }
    answer.lead.clear();
    let headings: Vec<String> = grounded
        .sections
        .iter()
        .map(|s| s.heading.clone())
        .collect();
    let mut sections: Vec<AnswerSection> = headings
        .iter()
        .map(|h| AnswerSection {
            heading: h.clone(),
            statements: Vec::new(),
        })
        .collect();
    let mut extra = AnswerSection {
        heading: "More from the sources".to_string(),
        statements: Vec::new(),
    };
    for (i, (statement, first)) in published.into_iter().enumerate() {
        if i < opts.lead_statements {
            answer.lead.push(statement);
            continue;
        }
        let home = evidence[first].home;
        match home {
            Some(h) => sections[h].statements.push(statement),
            None => extra.statements.push(statement),
        }
    }
    sections.push(extra);
    sections.retain(|s| !s.statements.is_empty());
    answer.sections = sections;
    // Keep only the passages given to the model that a published sentence cites.
    let cited: HashSet<u32> = answer
        .statements()
        .flat_map(|s| s.citations.iter().copied())
        .collect();
    let given: HashSet<&str> = evidence
        .iter()
        .map(|e| e.citation.passage_id.as_str())
        .collect();
    answer
        .citations
        .retain(|c| cited.contains(&c.number) && given.contains(c.passage_id.as_str()));
    answer.renumber();
    answer.reading_grade = Some(crate::readability::flesch_kincaid_grade(
        &answer
            .statements()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    ));
    answer
}

#[cfg(test)]
mod tests;
