//! The block converter: turns a token stream into headings, paragraphs and list items,
//! dropping non-text elements and handling bold sub-headings and `<sup>` markers.

use evident_core::model::collapse_ws;

use super::{decode_entities, Block, Token};

/// Elements whose whole contents are dropped.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
    "canvas", "nav", "select", "button", "audio", "video", "map",
];

/// Tags that end the current block (before and after them).
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "hr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "address",
    "figure",
    "figcaption",
    "center",
    "form",
    "fieldset",
    "legend",
    "details",
    "summary",
    "body",
    "html",
    "img",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paragraph,
    ListItem,
    Heading(u8),
}

#[derive(Debug)]
enum Raw {
    Block(Block),
    /// A bold paragraph used as a heading; its level is set after the whole fragment is read.
    SubHeading(String),
}

#[derive(Debug)]
pub(super) struct Converter {
    out: Vec<Raw>,
    cur: String,
    kind: Kind,
    /// One entry per open list: whether a list item is open in it.
    lists: Vec<bool>,
    /// A list item outside any list is open.
    loose_li: bool,
    strong: usize,
    has_strong: bool,
    has_plain: bool,
    /// A table cell started after text in this row: the next text is preceded by ` | `.
    pending_cell: bool,
    row: bool,
    skip: Vec<String>,
    sup: Option<String>,
}

impl Default for Converter {
    fn default() -> Self {
        Converter {
            out: Vec::new(),
            cur: String::new(),
            kind: Kind::Paragraph,
            lists: Vec::new(),
            loose_li: false,
            strong: 0,
            has_strong: false,
            has_plain: false,
            pending_cell: false,
            row: false,
            skip: Vec::new(),
            sup: None,
        }
    }
}

impl Converter {
    pub(super) fn token(&mut self, token: Token<'_>) {
        match token {
            Token::Text(t) => {
                if self.skip.is_empty() {
                    self.text(&decode_entities(t));
                }
            }
            Token::Start {
                name, self_closing, ..
            } => self.start(&name, self_closing),
            Token::End { name } => self.end(&name),
        }
    }

    fn start(&mut self, name: &str, self_closing: bool) {
        if name == "body" {
            // A body start closes an unclosed head.
            if let Some(i) = self.skip.iter().position(|s| s == "head") {
                self.skip.truncate(i);
            }
        }
        if SKIP.contains(&name) {
            if !self_closing {
                self.skip.push(name.to_string());
            }
            return;
        }
        if !self.skip.is_empty() {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.kind = Kind::Heading(name.as_bytes()[1] - b'0');
            }
            "li" => {
                self.flush();
                self.set_li(true);
                self.kind = Kind::ListItem;
            }
            "ul" | "ol" => {
                self.flush();
                self.lists.push(false);
                self.kind = Kind::Paragraph;
            }
            "td" | "th" => {
                self.end_sup();
                if !self.cur.trim().is_empty() {
                    self.pending_cell = true;
                    self.row = true;
                } else if !self.cur.is_empty() {
                    self.cur.push(' ');
                }
            }
            "strong" | "b" if !self_closing => self.strong += 1,
            "sup" if !self_closing => {
                self.end_sup();
                self.sup = Some(String::new());
            }
            _ if BLOCK.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if let Some(i) = self.skip.iter().rposition(|s| s == name) {
            self.skip.truncate(i);
            return;
        }
        if !self.skip.is_empty() {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.kind = self.body_kind();
            }
            "li" => {
                self.flush();
                self.set_li(false);
                self.kind = Kind::Paragraph;
            }
            "ul" | "ol" => {
                self.flush();
                self.lists.pop();
                self.kind = self.body_kind();
            }
            "strong" | "b" => self.strong = self.strong.saturating_sub(1),
            "sup" => self.end_sup(),
            "td" | "th" => self.end_sup(),
            _ if BLOCK.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn set_li(&mut self, open: bool) {
        match self.lists.last_mut() {
            Some(top) => *top = open,
            None => self.loose_li = open,
        }
    }

    fn body_kind(&self) -> Kind {
        if self.lists.last().copied().unwrap_or(self.loose_li) {
            Kind::ListItem
        } else {
            Kind::Paragraph
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(sup) = self.sup.as_mut() {
            sup.push_str(t);
            return;
        }
        self.push_text(t);
    }

    fn push_text(&mut self, t: &str) {
        if t.trim().is_empty() {
            if !t.is_empty() {
                self.cur.push(' ');
            }
            return;
        }
        if self.pending_cell {
            self.cur.push_str(" | ");
            self.pending_cell = false;
        }
        if self.strong > 0 {
            self.has_strong = true;
        } else {
            self.has_plain = true;
        }
        self.cur.push_str(t);
    }

    /// Ends a `<sup>`: drops citation markers, keeps exponents and other text.
    fn end_sup(&mut self) {
        let Some(sup) = self.sup.take() else { return };
        let content = collapse_ws(&sup);
        if content.is_empty() {
            return;
        }
        let citation_like = content.chars().any(|c| c.is_ascii_digit())
            && content
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | '–' | '—' | ' '));
        let footnote_letter =
            content.chars().count() == 1 && content.chars().all(|c| c.is_ascii_lowercase());
        if footnote_letter {
            return;
        }
        if citation_like {
            if content.len() == 1 && self.looks_like_base_of_exponent() {
                let t = format!("^{content}");
                self.push_text(&t);
            }
            return;
        }
        self.push_text(&content);
    }

    /// True when the text before a `<sup>` looks like a unit or number (`kg/m`, `mL`, `I`, `10`).
    fn looks_like_base_of_exponent(&self) -> bool {
        if self.cur.ends_with(char::is_whitespace) {
            return false;
        }
        let word = self.cur.split_whitespace().last().unwrap_or("");
        word == "I"
            || word.contains('/')
            || word.ends_with(|c: char| c.is_ascii_digit())
            || ((word.ends_with('m') || word.ends_with('L')) && word.chars().count() <= 3)
    }

    fn flush(&mut self) {
        self.end_sup();
        let text = collapse_ws(&self.cur);
        if !text.is_empty() {
            let raw = match self.kind {
                Kind::Heading(l) => Raw::Block(Block::Heading(l, text)),
                Kind::ListItem => Raw::Block(Block::ListItem(text)),
                Kind::Paragraph
                    if self.has_strong
                        && !self.has_plain
                        && !self.row
                        && text.split_whitespace().count() <= 12
                        && !text.ends_with('.') =>
                {
                    Raw::SubHeading(text)
                }
                Kind::Paragraph => Raw::Block(Block::Paragraph(text)),
            };
            self.out.push(raw);
        }
        self.cur.clear();
        self.has_strong = false;
        self.has_plain = false;
        self.pending_cell = false;
        self.row = false;
    }

    pub(super) fn finish(mut self) -> Vec<Block> {
        self.flush();
        let min_real = self
            .out
            .iter()
            .filter_map(|r| match r {
                Raw::Block(Block::Heading(l, _)) => Some(*l),
                _ => None,
            })
            .min();
        let mut last_real: Option<u8> = None;
        self.out
            .into_iter()
            .map(|r| match r {
                Raw::Block(Block::Heading(l, t)) => {
                    last_real = Some(l);
                    Block::Heading(l, t)
                }
                Raw::Block(b) => b,
                Raw::SubHeading(t) => {
                    let level = match (last_real, min_real) {
                        (Some(l), _) => l.saturating_add(1),
                        (None, Some(m)) => m,
                        (None, None) => 1,
                    };
                    Block::Heading(level, t)
                }
            })
            .collect()
    }
}
