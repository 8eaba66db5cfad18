//! The warning-sign table, `data/warning-signs.yaml`: read, checked and compiled once.
//!
//! The table holds the rules (a sign, its category and its patterns), the pattern groups they
//! share and the word lists that decide whether a question describes someone's situation.
//! [`Table::parse`] checks everything an editor can get wrong — a pattern that cannot match, an
//! unknown group or category, a `replaces` naming no sign, a rule that does not fire on its own
//! example or does fire on its look-alike — and names the rule in the error.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use evident_core::Audience;
use serde::Deserialize;

use super::patterns::{is_token, Grammar, Pattern};

/// The table shipped with Evident.
pub(crate) const BUILTIN_YAML: &str = include_str!("../../data/warning-signs.yaml");

/// The built-in table, parsed and checked once.
pub(crate) fn builtin() -> &'static Table {
    static TABLE: LazyLock<Table> = LazyLock::new(|| {
        Table::parse(BUILTIN_YAML).unwrap_or_else(|e| panic!("data/warning-signs.yaml: {e}"))
    });
    &TABLE
}

/// Kinds of emergency, for the advice added to the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Category {
    Heart,
    Stroke,
    Bleeding,
    Breathing,
    Allergy,
    Suicide,
    Poisoning,
    Seizure,
    Unconscious,
    Infection,
    Abdomen,
    Pregnancy,
    Diabetes,
    Spine,
    Testicle,
}

/// Why a table was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TableError {
    /// Not YAML of the table's shape; the message has the line and column.
    #[error("not a warning-sign table: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("rule {number} ({sign:?}{}): {why}", at_line(*line))]
    Rule {
        /// 1-based position in `rules`.
        number: usize,
        sign: String,
        /// Where the rule starts in the file, when it is written `- sign: …` as usual.
        line: Option<usize>,
        why: String,
    },
    #[error("group {name:?}: {why}")]
    Group { name: String, why: String },
    #[error("word list {list:?}: {why}")]
    Words { list: &'static str, why: String },
}

/// ", line 12", or nothing when the line is not known.
fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

/// A list of question words (see [`is_token`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct WordList(Vec<String>);

impl WordList {
    pub fn contains(&self, w: &str) -> bool {
        self.0.iter().any(|x| x == w)
    }

    /// Whether `w` starts with one of the list's words.
    pub fn any_prefix_of(&self, w: &str) -> bool {
        self.0.iter().any(|x| w.starts_with(x.as_str()))
    }
}

/// The table's word lists; `data/warning-signs.yaml` says what each is for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Words {
    gap_stops: WordList,
    negations: WordList,
    hypotheticals: WordList,
    doubts: WordList,
    pub clause_breaks: WordList,
    pub keep_clause: WordList,
    pub case_markers: WordList,
    pub numeral_before: WordList,
    pub asks_for: WordList,
    pub clinical_verbs: WordList,
    pub modals: WordList,
    pub professions: WordList,
    pub workplace: WordList,
    pub relations: WordList,
    pub body: WordList,
    pub third_person_verbs: WordList,
    pub measures: WordList,
    pub persons: WordList,
    pub statement_markers: WordList,
    pub general_starts: WordList,
    pub general_words: WordList,
}

impl Words {
    pub fn grammar(&self) -> Grammar<'_> {
        Grammar {
            gap_stops: &self.gap_stops.0,
            negations: &self.negations.0,
            hypotheticals: &self.hypotheticals.0,
            doubts: &self.doubts.0,
        }
    }

    fn lists(&self) -> [(&'static str, &WordList); 21] {
        [
            ("gap_stops", &self.gap_stops),
            ("negations", &self.negations),
            ("hypotheticals", &self.hypotheticals),
            ("doubts", &self.doubts),
            ("clause_breaks", &self.clause_breaks),
            ("keep_clause", &self.keep_clause),
            ("case_markers", &self.case_markers),
            ("numeral_before", &self.numeral_before),
            ("asks_for", &self.asks_for),
            ("clinical_verbs", &self.clinical_verbs),
            ("modals", &self.modals),
            ("professions", &self.professions),
            ("workplace", &self.workplace),
            ("relations", &self.relations),
            ("body", &self.body),
            ("third_person_verbs", &self.third_person_verbs),
            ("measures", &self.measures),
            ("persons", &self.persons),
            ("statement_markers", &self.statement_markers),
            ("general_starts", &self.general_starts),
            ("general_words", &self.general_words),
        ]
    }
}

/// A rule as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    sign: String,
    category: Category,
    patterns: Vec<String>,
    #[serde(default)]
    with: Vec<RawGroup>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    personal: bool,
    #[serde(default)]
    even_if: bool,
    #[serde(default)]
    replaces: Vec<String>,
    example: String,
    look_alike: Option<String>,
}

/// A `with` entry: a list of patterns, or the name of a shared group.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawGroup {
    Named(String),
    Inline(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    words: Words,
    #[serde(default)]
    past: Vec<String>,
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    rules: Vec<RawRule>,
}

/// One warning sign and how to find it.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Names the sign in the notice.
    pub sign: String,
    pub category: Category,
    /// The wording is itself first-person ("kill myself"): no need for other signs that the
    /// question describes a person's situation.
    pub personal: bool,
    /// The sign counts even as a supposition ("if I went home I would kill myself").
    even_if: bool,
    /// Signs of less specific rules that this one makes redundant.
    pub replaces: Vec<String>,
    /// Any one of these finds the sign.
    patterns: Vec<Pattern>,
    /// Each group must also match somewhere in the question.
    with: Vec<Vec<Pattern>>,
    /// The sign is not counted when any of these occurs ("heavy menstrual bleeding").
    unless: Vec<Pattern>,
    /// A question of ours the rule fires on.
    pub example: String,
    /// A similar question it must not fire on.
    pub look_alike: Option<String>,
}

impl Rule {
    /// Whether the rule's words are in `tokens`: a pattern, every `with` group, no `unless`.
    /// Whether the question describes a case is the caller's concern.
    pub fn matches(&self, tokens: &[String], grammar: Grammar<'_>) -> bool {
        let grammar = if self.even_if {
            Grammar {
                hypotheticals: &[],
                ..grammar
            }
        } else {
            grammar
        };
        let any = |ps: &[Pattern]| ps.iter().any(|p| p.find(tokens, grammar));
        any(&self.patterns) && self.with.iter().all(|g| any(g)) && !any(&self.unless)
    }
}

/// The checked table.
#[derive(Debug)]
pub(crate) struct Table {
    /// In the file's order, which is the order of signs in a notice.
    pub rules: Vec<Rule>,
    pub words: Words,
    /// A clause with one of these is about a past event or someone's history.
    past: Vec<Pattern>,
}

impl Table {
    /// Parses and checks a table; see the module docs for what is checked.
    pub fn parse(yaml: &str) -> Result<Table, TableError> {
        let raw: RawTable = serde_yaml_ng::from_str(yaml)?;
        for (list, words) in raw.words.lists() {
            if let Some(w) = words.0.iter().find(|w| !is_token(w)) {
                return Err(TableError::Words {
                    list,
                    why: format!(
                        "{w:?} can never match; write lowercase letters and digits, apostrophes \
                         dropped"
                    ),
                });
            }
        }
        let mut groups = BTreeMap::new();
        for (name, patterns) in &raw.groups {
            let parsed = parse_all(patterns).map_err(|why| TableError::Group {
                name: name.clone(),
                why,
            })?;
            groups.insert(name.as_str(), parsed);
        }
        let past = parse_all(&raw.past).map_err(|why| TableError::Group {
            name: "past".to_string(),
            why,
        })?;
        let signs: Vec<&str> = raw.rules.iter().map(|r| r.sign.as_str()).collect();
        let rule_error = |i: usize, why: String| TableError::Rule {
            number: i + 1,
            sign: signs[i].to_string(),
            line: rule_line(yaml, i, signs[i]),
            why,
        };
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.iter().enumerate() {
            rules.push(compile(r, &groups, &signs).map_err(|why| rule_error(i, why))?);
        }
        let table = Table {
            rules,
            words: raw.words,
            past,
        };
        for (i, rule) in table.rules.iter().enumerate() {
            table
                .check_examples(rule)
                .map_err(|why| rule_error(i, why))?;
        }
        Ok(table)
    }

    /// Whether the clause `words` is about a past event or someone's history.
    pub fn is_past(&self, words: &[String]) -> bool {
        let grammar = self.words.grammar();
        self.past.iter().any(|p| p.find(words, grammar))
    }

    /// A rule fires on its example and not on its look-alike, both read as a patient's.
    fn check_examples(&self, rule: &Rule) -> Result<(), String> {
        let grammar = self.words.grammar();
        let fires = |q: &str| {
            let reading = super::Reading::new(q, self);
            rule.matches(&reading.live, grammar)
                && (rule.personal
                    || super::case::describes_a_case(&reading.all, Audience::Patient, &self.words))
        };
        if !fires(&rule.example) {
            return Err(format!(
                "does not fire on its example {:?}; fix the patterns or the example",
                rule.example
            ));
        }
        match &rule.look_alike {
            Some(q) if fires(q) => Err(format!(
                "fires on its look-alike {q:?}; narrow the patterns or add an `unless`"
            )),
            _ => Ok(()),
        }
    }
}

/// The 1-based line where rule `index` starts, if the rules are written `- sign: …` and that
/// line names `sign`.
fn rule_line(yaml: &str, index: usize, sign: &str) -> Option<usize> {
    let rules_start = yaml.lines().position(|l| l.trim_end() == "rules:")?;
    let (n, line) = yaml
        .lines()
        .enumerate()
        .skip(rules_start)
        .filter(|(_, l)| l.trim_start().starts_with("- sign:"))
        .nth(index)?;
    line.contains(sign).then_some(n + 1)
}

fn parse_all(patterns: &[String]) -> Result<Vec<Pattern>, String> {
    patterns.iter().map(|p| Pattern::parse(p)).collect()
}

fn compile(
    r: &RawRule,
    groups: &BTreeMap<&str, Vec<Pattern>>,
    signs: &[&str],
) -> Result<Rule, String> {
    if r.sign.trim().is_empty() {
        return Err("the sign is empty; it names the sign in the notice".into());
    }
    if r.patterns.is_empty() {
        return Err("no patterns; a rule needs at least one".into());
    }
    let mut with = Vec::with_capacity(r.with.len());
    for g in &r.with {
        with.push(match g {
            RawGroup::Named(name) => groups.get(name.as_str()).cloned().ok_or_else(|| {
                let known: Vec<&str> = groups.keys().copied().collect();
                format!(
                    "`with` names no group {name:?} (groups: {})",
                    known.join(", ")
                )
            })?,
            RawGroup::Inline(ps) if ps.is_empty() => {
                return Err("an empty `with` group can never match".into())
            }
            RawGroup::Inline(ps) => parse_all(ps)?,
        });
    }
    if let Some(s) = r
        .replaces
        .iter()
        .find(|s| *s == &r.sign || !signs.contains(&s.as_str()))
    {
        return Err(format!("`replaces` {s:?} is not the sign of another rule"));
    }
    Ok(Rule {
        sign: r.sign.clone(),
        category: r.category,
        personal: r.personal,
        even_if: r.even_if,
        replaces: r.replaces.clone(),
        patterns: parse_all(&r.patterns)?,
        with,
        unless: parse_all(&r.unless)?,
        example: r.example.clone(),
        look_alike: r.look_alike.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small table's words and groups, then `rules` (its first rule starts on line 26).
    fn with_rules(rules: &str) -> String {
        let words = [
            "gap_stops: [and]",
            "negations: [no]",
            "hypotheticals: [if]",
            "doubts: [sure]",
            "clause_breaks: [but]",
            "keep_clause: [just]",
            "case_markers: [ago]",
            "numeral_before: [stage]",
            "asks_for: [tell]",
            "clinical_verbs: [treat]",
            "modals: [should]",
            "professions: [nurse]",
            "workplace: [clinic]",
            "relations: [son]",
            "body: [face]",
            "third_person_verbs: [has]",
            "measures: [hr]",
            "persons: [man]",
            "statement_markers: [now]",
            "general_starts: [what]",
            "general_words: [treatment]",
        ];
        format!(
            "words:\n  {}\ngroups:\n  fever: [fever*]\nrules:\n{rules}",
            words.join("\n  ")
        )
    }

    #[test]
    fn every_rule_parses_and_fires_on_its_own_example() {
        let table = Table::parse(BUILTIN_YAML).unwrap_or_else(|e| panic!("{e}"));
        assert!(table.rules.len() >= 30, "{} rules", table.rules.len());
        let grammar = table.words.grammar();
        for rule in &table.rules {
            let tokens = crate::safety::normalize(&rule.example);
            assert!(rule.matches(&tokens, grammar), "{:?}", rule.example);
            let signs = crate::safety::warning_signs(&rule.example, Audience::Patient);
            let replaced = table
                .rules
                .iter()
                .any(|r| r.replaces.contains(&rule.sign) && signs.contains(&r.sign.as_str()));
            assert!(
                signs.contains(&rule.sign.as_str()) || replaced,
                "{:?} → {signs:?}, expected {:?}",
                rule.example,
                rule.sign
            );
            if let Some(q) = &rule.look_alike {
                let tokens = crate::safety::normalize(q);
                assert!(
                    !rule.matches(&tokens, grammar),
                    "{:?} fires on {q:?}",
                    rule.sign
                );
            }
        }
    }

    #[test]
    fn a_broken_table_is_refused_with_the_rule_named() {
        let rule = |patterns: &str, rest: &str| {
            format!(
                "  - sign: chest pain or pressure\n    category: heart\n    patterns: \
                 [{patterns}]\n    example: I have chest pain\n{rest}"
            )
        };
        let cases = [
            (rule("chest pain", ""), None),
            (
                rule("chest pain", "") + &rule("can't breathe", ""),
                Some("rule 2 (\"chest pain or pressure\", line 30): \"can't breathe\": \"can't\""),
            ),
            (
                rule("", ""),
                Some("rule 1 (\"chest pain or pressure\", line 26): no patterns"),
            ),
            (
                rule("chest ..", ""),
                Some("rule 1 (\"chest pain or pressure\", line 26): \"chest ..\": a `..` gap"),
            ),
            (
                rule("chest pain", "    with: [feverish]\n"),
                Some("rule 1 (\"chest pain or pressure\", line 26): `with` names no group \"feverish\""),
            ),
            (
                rule("chest pain", "    with: [[]]\n"),
                Some("an empty `with` group"),
            ),
            (
                rule("chest pain", "    replaces: [severe bleeding]\n"),
                Some("`replaces` \"severe bleeding\" is not the sign of another rule"),
            ),
            (
                rule("heart attack", ""),
                Some("rule 1 (\"chest pain or pressure\", line 26): does not fire on its example"),
            ),
            (
                rule("chest pain", "    look_alike: My chest pain is gone\n"),
                Some("rule 1 (\"chest pain or pressure\", line 26): fires on its look-alike"),
            ),
            (
                rule("chest pain", "").replace("heart", "hart"),
                Some("unknown variant `hart`"),
            ),
            (
                rule("chest pain", "    unles: [cold]\n"),
                Some("unknown field `unles`"),
            ),
            (
                rule("chest pain", "").replace("    example: I have chest pain\n", ""),
                Some("missing field `example`"),
            ),
        ];
        for (rules, expected) in &cases {
            let result = Table::parse(&with_rules(rules));
            match (expected, result) {
                (None, Ok(table)) => assert_eq!(table.rules.len(), 1),
                (None, Err(e)) => panic!("{rules}: {e}"),
                (Some(want), Ok(_)) => panic!("{rules}: accepted, expected {want:?}"),
                (Some(want), Err(e)) => assert!(e.to_string().contains(want), "{e}\n{want}"),
            }
        }
    }

    #[test]
    fn yaml_errors_give_the_line() {
        let e = Table::parse(&with_rules("  - sign: [unclosed\n")).unwrap_err();
        assert!(e.to_string().contains("line "), "{e}");
    }

    #[test]
    fn broken_groups_and_word_lists_are_named() {
        let bad_group = BUILTIN_YAML.replace("  fever: [fever*,", "  fever: [.. fever*,");
        let e = Table::parse(&bad_group).unwrap_err().to_string();
        assert!(e.starts_with("group \"fever\": "), "{e}");
        let bad_words = BUILTIN_YAML.replace("[no, not, without,", "[No, not, without,");
        let e = Table::parse(&bad_words).unwrap_err().to_string();
        assert!(e.starts_with("word list \"negations\": \"No\""), "{e}");
    }
}
