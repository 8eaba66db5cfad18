//! The one interface every backend implements: a request in, streamed text and a [`Generation`]
//! out.

use std::ops::ControlFlow;
use std::time::Duration;

use crate::error::Result;

/// What to generate: a system and a user message, and the limits of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The system message (instructions); may be empty.
    pub system: String,
    /// The user message (question and evidence).
    pub user: String,
    /// The most tokens the answer may have.
    pub max_tokens: u32,
    /// Sampling temperature; 0 (or less) is greedy, the same answer every time.
    pub temperature: f32,
    /// Strings that end the answer; the first one met is not part of the text.
    pub stop: Vec<String>,
}

impl Request {
    /// A greedy request for at most `max_tokens` tokens, with no stop strings.
    pub fn new(system: impl Into<String>, user: impl Into<String>, max_tokens: u32) -> Request {
        Request {
            system: system.into(),
            user: user.into(),
            max_tokens,
            temperature: 0.0,
            stop: Vec::new(),
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its answer, or a stop string was met.
    Stop,
    /// `max_tokens` was reached (or the model's context was full).
    Length,
    /// The caller's callback returned [`ControlFlow::Break`].
    Cancelled,
    /// The server gave another reason (`content_filter`, …), kept as it said it.
    Other(String),
}

/// A finished generation: the whole text and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The answer, as streamed to the callback (without stop strings or special tokens).
    pub text: String,
    /// The model that wrote it, as the backend names it.
    pub model: String,
    /// Tokens in the prompt; 0 when a server did not report usage.
    pub prompt_tokens: u32,
    /// Tokens generated; when a server does not report usage, the number of streamed chunks
    /// (one token each on vLLM and llama.cpp).
    pub completion_tokens: u32,
    /// From the call to the first text (prompt reading, queueing and the first token).
    pub time_to_first_token: Duration,
    /// From the call to the end.
    pub elapsed: Duration,
    pub finish: Finish,
}

impl Generation {
    /// Generated tokens per second after the first one (the writing speed), or `None` when fewer
    /// than two tokens were generated.
    pub fn tokens_per_second(&self) -> Option<f64> {
        let writing = self.elapsed.saturating_sub(self.time_to_first_token);
        if self.completion_tokens < 2 || writing.is_zero() {
            return None;
        }
        Some(f64::from(self.completion_tokens - 1) / writing.as_secs_f64())
    }

    /// Prompt tokens per second up to the first token (the reading speed, an upper bound on
    /// the time since it includes the first token), or `None` when usage is unknown.
    pub fn prompt_tokens_per_second(&self) -> Option<f64> {
        if self.prompt_tokens == 0 || self.time_to_first_token.is_zero() {
            return None;
        }
        Some(f64::from(self.prompt_tokens) / self.time_to_first_token.as_secs_f64())
    }
}

/// A text generator: a server we call or a model we run.
///
/// `generate` calls `on_text` with each piece of the answer as it is produced (every piece
/// non-empty; together they are [`Generation::text`]); returning [`ControlFlow::Break`] stops
/// generation early, which then ends with [`Finish::Cancelled`] and the text so far. A
/// generator may be shared between threads; backends limit how many calls run at once.
pub trait Generator: Send + Sync {
    /// Generates an answer to `req`, streaming it to `on_text`.
    fn generate(
        &self,
        req: &Request,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation>;

    /// A short name of the backend and model, for logs and stored articles
    /// (`openai:<model>`, `embedded:<file name>`).
    fn describe(&self) -> String;
}

/// Holds back text that may be the start of a stop string, so that no part of a stop string is
/// ever streamed.
#[derive(Debug)]
pub(crate) struct StopScanner {
    stops: Vec<String>,
    /// All text seen, emitted or not.
    text: String,
    /// Bytes of `text` already handed out.
    emitted: usize,
}

impl StopScanner {
    pub(crate) fn new(stops: &[String]) -> StopScanner {
        StopScanner {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            text: String::new(),
            emitted: 0,
        }
    }

    /// Adds `piece`; returns the text now safe to emit, and whether a stop string was met (the
    /// text is then cut before it).
    pub(crate) fn push(&mut self, piece: &str) -> (&str, bool) {
        // A stop string can only end inside the new piece, so search from where it could start.
        let longest = self.stops.iter().map(String::len).max().unwrap_or(0);
        let mut from = self.text.len().saturating_sub(longest);
        while !self.text.is_char_boundary(from) {
            from -= 1;
        }
        self.text.push_str(piece);
        let hit = self
            .stops
            .iter()
            .filter_map(|s| self.text[from..].find(s.as_str()).map(|i| from + i))
            .min();
        if let Some(at) = hit {
            self.text.truncate(at);
            let start = self.emitted.min(at);
            self.emitted = at;
            return (&self.text[start..at], true);
        }
        // Keep back the longest tail that is a prefix of some stop string.
        let mut safe = self.text.len();
        for stop in &self.stops {
            for (i, _) in stop.char_indices().skip(1) {
                if self.text.ends_with(&stop[..i]) {
                    safe = safe.min(self.text.len() - i);
                }
            }
        }
        let start = self.emitted.min(safe);
        self.emitted = self.emitted.max(safe);
        (&self.text[start..self.emitted], false)
    }

    /// The text held back at the end (no stop string followed it).
    pub(crate) fn finish(&mut self) -> &str {
        let start = self.emitted;
        self.emitted = self.text.len();
        &self.text[start..]
    }

    /// Everything kept (emitted or held back), stop strings excluded.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (Vec<String>, bool, String) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut scanner = StopScanner::new(&stops);
        let mut out = Vec::new();
        for piece in pieces {
            let (text, hit) = scanner.push(piece);
            if !text.is_empty() {
                out.push(text.to_string());
            }
            if hit {
                return (out, true, scanner.text().to_string());
            }
        }
        let tail = scanner.finish().to_string();
        if !tail.is_empty() {
            out.push(tail);
        }
        (out, false, scanner.text().to_string())
    }

    #[test]
    fn a_stop_string_split_across_pieces_is_never_emitted() {
        let (out, hit, text) = run(&["\n\n"], &["Take it", " daily.\n", "\nMore"]);
        assert!(hit);
        assert_eq!(out.concat(), "Take it daily.");
        assert_eq!(text, "Take it daily.");
    }

    #[test]
    fn a_held_back_partial_match_is_released_when_it_does_not_complete() {
        let (out, hit, _) = run(&["END"], &["the EN", "ZYMES"]);
        assert!(!hit);
        assert_eq!(out, ["the ", "ENZYMES"]);
        let (out, hit, _) = run(&["END"], &["the EN", "D-stage"]);
        assert!(hit);
        assert_eq!(out.concat(), "the ");
    }

    #[test]
    fn without_stops_every_piece_passes_through() {
        let (out, hit, text) = run(&[], &["a", "é", "b"]);
        assert!(!hit);
        assert_eq!(out, ["a", "é", "b"]);
        assert_eq!(text, "aéb");
    }

    #[test]
    fn speeds_need_enough_tokens_and_time() {
        let mut g = Generation {
            text: String::new(),
            model: "m".into(),
            prompt_tokens: 100,
            completion_tokens: 11,
            time_to_first_token: Duration::from_secs(2),
            elapsed: Duration::from_secs(4),
            finish: Finish::Stop,
        };
        assert_eq!(g.tokens_per_second(), Some(5.0));
        assert_eq!(g.prompt_tokens_per_second(), Some(50.0));
        g.completion_tokens = 1;
        g.prompt_tokens = 0;
        assert_eq!(g.tokens_per_second(), None);
        assert_eq!(g.prompt_tokens_per_second(), None);
    }
}
