//! Section templates and kind cues: the headings an answer is arranged under for each kind of
//! question, and the words that pull a sentence into a heading or mark it as on the kind asked.
//!
//! The tables are data (`data/sections.tsv`), written in plain words. They are parsed and
//! validated once per process ([`table`]), and stemmed with the library's own analyzer when a
//! composer first needs them ([`Sections::stem`]), so the cues match exactly the stems the index
//! gives sentences, whatever its stemmer does.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use evident_core::{Audience, QuestionKind};
use evident_index::{query, Library};

use crate::error::Result;

/// The section table shipped with Evident.
pub const BUILTIN_TSV: &str = include_str!("../../data/sections.tsv");

/// The heading of sentences that match no section of the template; always last.
pub const OTHER_HEADING: &str = "Other key points";

/// Templates by name, and the question kinds that use each; `patient` is added to every
/// template in answers for patients.
const TEMPLATES: &[&str] = &[
    "treatment",
    "screening",
    "diagnosis",
    "dosing",
    "monitoring",
    "prognosis",
    "prevention",
    "general",
    PATIENT_TEMPLATE,
];
const PATIENT_TEMPLATE: &str = "patient";

/// The kinds that have cue words, by their name in the data.
const CUE_KINDS: &[(&str, QuestionKind)] = &[
    ("treatment", QuestionKind::Treatment),
    ("screening", QuestionKind::Screening),
    ("diagnosis", QuestionKind::Diagnosis),
    ("dosing", QuestionKind::Dosing),
    ("monitoring", QuestionKind::Monitoring),
    ("prognosis", QuestionKind::Prognosis),
    ("prevention", QuestionKind::Prevention),
    ("side_effects", QuestionKind::SideEffects),
    ("causes", QuestionKind::Causes),
    ("symptoms", QuestionKind::Symptoms),
];

/// The template a kind of question is answered with.
fn template_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Treatment => "treatment",
        QuestionKind::Screening => "screening",
        QuestionKind::Diagnosis => "diagnosis",
        QuestionKind::Dosing | QuestionKind::SideEffects => "dosing",
        QuestionKind::Monitoring => "monitoring",
        QuestionKind::Prognosis => "prognosis",
        QuestionKind::Prevention => "prevention",
        _ => "general",
    }
}

/// One line of the table, as written: words unstemmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Template name (`section` lines) or kind name (`cues` lines).
    pub key: String,
    /// The heading; `None` for a kind's cue words.
    pub heading: Option<String>,
    pub words: Vec<String>,
    /// A sentence of ours the entry must match (see the data file's header).
    pub example: String,
}

/// The parsed table: sections in file order, then cue lists.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub sections: Vec<Entry>,
    pub cues: Vec<Entry>,
}

/// The built-in table, parsed and validated once. Invalid built-in data is a bug of this crate
/// (the tests parse it), so it panics with the line at fault.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| match parse(BUILTIN_TSV) {
        Ok(t) => t,
        Err(e) => panic!("data/sections.tsv: {e}"),
    })
}

/// Parses and validates the table: five TAB-separated fields a line, known templates and
/// kinds, every template present, no repeated heading or cue kind, words that are single runs
/// of letters or digits (so the analyzer makes exactly one token of each).
pub fn parse(tsv: &str) -> Result<Table, String> {
    let mut t = Table::default();
    for (n, line) in tsv.lines().enumerate() {
        let at = |msg: String| format!("line {}: {msg}", n + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [record, key, heading, words, example] = f[..] else {
            return Err(at(format!(
                "expected 5 TAB-separated fields, found {}",
                f.len()
            )));
        };
        let words: Vec<String> = words.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            return Err(at("no words".into()));
        }
        if let Some(w) = words
            .iter()
            .find(|w| w.len() > 40 || !w.chars().all(|c| c.is_alphanumeric() && !c.is_uppercase()))
        {
            return Err(at(format!(
                "{w:?} is not one lowercase word of letters or digits"
            )));
        }
        if example.trim().is_empty() {
            return Err(at("no example".into()));
        }
        let entry = |heading: Option<String>| Entry {
            key: key.to_string(),
            heading,
            words: words.clone(),
            example: example.to_string(),
        };
        match record {
            "section" => {
                if !TEMPLATES.contains(&key) {
                    return Err(at(format!("unknown template {key:?}")));
                }
                let heading = heading.trim();
                if heading.is_empty() || heading == OTHER_HEADING {
                    return Err(at(format!("a section cannot be headed {heading:?}")));
                }
                let repeated = t
                    .sections
                    .iter()
                    .any(|s| s.key == key && s.heading.as_deref() == Some(heading));
                if repeated {
                    return Err(at(format!("{key}: heading {heading:?} appears twice")));
                }
                t.sections.push(entry(Some(heading.to_string())));
            }
            "cues" => {
                if !CUE_KINDS.iter().any(|(k, _)| *k == key) {
                    return Err(at(format!("unknown kind {key:?}")));
                }
                if heading != "-" {
                    return Err(at("the heading of a cues line is \"-\"".into()));
                }
                if t.cues.iter().any(|c| c.key == key) {
                    return Err(at(format!("cues for {key} appear twice")));
                }
                t.cues.push(entry(None));
            }
            other => return Err(at(format!("unknown record {other:?}"))),
        }
    }
    if let Some(missing) = TEMPLATES
        .iter()
        .find(|name| !t.sections.iter().any(|s| s.key == **name))
    {
        return Err(format!("template {missing:?} has no sections"));
    }
    Ok(t)
}

/// A heading and the stems that pull a sentence into it.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub stems: Vec<String>,
}

/// The table stemmed by one library's analyzer.
#[derive(Debug, Clone)]
pub struct Sections {
    templates: HashMap<String, Vec<Section>>,
    cues: HashMap<QuestionKind, Vec<String>>,
}

impl Sections {
    /// Stems every word of `table` with `lib`'s analyzer (the one its index uses).
    pub fn stem(lib: &Library, table: &Table) -> Result<Sections> {
        let mut analyzer = lib.analyzer()?;
        let mut stem_all = |words: &[String]| -> Vec<String> {
            words
                .iter()
                .flat_map(|w| query::analyze(&mut analyzer, w))
                .collect()
        };
        let mut templates: HashMap<String, Vec<Section>> = HashMap::new();
        for s in &table.sections {
            let section = Section {
                heading: s.heading.clone().unwrap_or_default(),
                stems: stem_all(&s.words),
            };
            templates.entry(s.key.clone()).or_default().push(section);
        }
        let mut cues = HashMap::new();
        for c in &table.cues {
            if let Some((_, kind)) = CUE_KINDS.iter().find(|(k, _)| *k == c.key) {
                cues.insert(*kind, stem_all(&c.words));
            }
        }
        Ok(Sections { templates, cues })
    }

    /// The sections of an answer to this kind of question, for this audience, in order.
    pub fn template(&self, kind: QuestionKind, audience: Audience) -> Vec<&Section> {
        let mut templ: Vec<&Section> = self.named(template_name(kind)).iter().collect();
        if audience == Audience::Patient {
            templ.extend(self.named(PATIENT_TEMPLATE));
        }
        templ
    }

    fn named(&self, name: &str) -> &[Section] {
        self.templates.get(name).map_or(&[], Vec::as_slice)
    }

    /// Stems that show a sentence is about the kind of thing asked (none for some kinds).
    pub fn kind_cues(&self, kind: QuestionKind) -> &[String] {
        self.cues.get(&kind).map_or(&[], Vec::as_slice)
    }
}

/// The template section a sentence belongs in (`templ.len()` for [`OTHER_HEADING`]): the one
/// whose cue stems it and its passage's headings share most, a heading match weighing
/// `heading_weight`; ties go to the earlier section.
pub fn assign_section(
    stems: &HashSet<String>,
    trail_stems: &HashSet<String>,
    templ: &[&Section],
    heading_weight: f32,
) -> usize {
    let mut best = (0.0, templ.len());
    for (k, section) in templ.iter().enumerate() {
        let s: f32 = section
            .stems
            .iter()
            .map(|cue| {
                stems.contains(cue) as u8 as f32
                    + heading_weight * trail_stems.contains(cue) as u8 as f32
            })
            .sum();
        if s > best.0 {
            best = (s, k);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stemmed() -> (Library, Sections) {
        let lib = Library::in_memory().unwrap();
        let s = Sections::stem(&lib, table()).unwrap();
        (lib, s)
    }

    #[test]
    fn every_word_of_the_table_stems_to_exactly_one_stem() {
        let lib = Library::in_memory().unwrap();
        for e in table().sections.iter().chain(&table().cues) {
            for w in &e.words {
                let stems = lib.stems(w).unwrap();
                assert!(
                    stems.len() == 1 && !stems[0].is_empty(),
                    "{}: {w:?} stems to {stems:?}",
                    e.key
                );
            }
        }
    }

    #[test]
    fn every_section_wins_its_own_example() {
        let (lib, sections) = stemmed();
        let none = HashSet::new();
        for name in TEMPLATES {
            let templ: Vec<&Section> = sections.named(name).iter().collect();
            for (k, section) in templ.iter().enumerate() {
                let e = table()
                    .sections
                    .iter()
                    .find(|e| e.key == *name && e.heading.as_deref() == Some(&section.heading))
                    .unwrap();
                let stems: HashSet<String> = lib.stems(&e.example).unwrap().into_iter().collect();
                let got = assign_section(&stems, &none, &templ, 1.5);
                assert_eq!(
                    got, k,
                    "{name}: the example of {:?} went to section {got}: {:?}",
                    section.heading, e.example
                );
            }
        }
    }

    #[test]
    fn every_cue_list_hits_its_own_example_twice() {
        let (lib, sections) = stemmed();
        for (name, kind) in CUE_KINDS {
            let e = table().cues.iter().find(|e| e.key == *name).unwrap();
            let stems: HashSet<String> = lib.stems(&e.example).unwrap().into_iter().collect();
            let hits = sections
                .kind_cues(*kind)
                .iter()
                .filter(|c| stems.contains(*c))
                .count();
            assert!(hits >= 2, "{name}: {hits} cue(s) in {:?}", e.example);
        }
    }

    #[test]
    fn patients_get_one_more_section() {
        let (_, sections) = stemmed();
        for kind in [QuestionKind::Treatment, QuestionKind::General] {
            let c = sections.template(kind, Audience::Clinician);
            let p = sections.template(kind, Audience::Patient);
            assert_eq!(p.len(), c.len() + 1);
            assert_eq!(p.last().unwrap().heading, "When to seek care");
        }
        assert!(sections.kind_cues(QuestionKind::Comparison).is_empty());
    }

    #[test]
    fn bad_tables_are_rejected_with_the_line() {
        let ok = "section\tgeneral\tA\ta b\tA b.\n";
        let full: String = TEMPLATES
            .iter()
            .map(|t| format!("section\t{t}\tH\tword\tAn example.\n"))
            .collect();
        assert!(parse(&full).is_ok());
        for (bad, want) in [
            (
                "section\tgeneral\tA\ta b\n",
                "expected 5 TAB-separated fields",
            ),
            ("section\tnope\tA\ta\tA.\n", "unknown template"),
            (
                "section\tgeneral\tA\tfirst-line\tA.\n",
                "not one lowercase word",
            ),
            (
                "section\tgeneral\tA\tRefractory\tA.\n",
                "not one lowercase word",
            ),
            ("section\tgeneral\tA\t \tA.\n", "no words"),
            (
                "section\tgeneral\tOther key points\ta\tA.\n",
                "cannot be headed",
            ),
            ("cues\tgeneral\t-\ta\tA.\n", "unknown kind"),
            (
                "cues\ttreatment\tHeading\ta\tA.\n",
                "heading of a cues line",
            ),
            ("row\tgeneral\tA\ta\tA.\n", "unknown record"),
        ] {
            let err = parse(&format!("{full}{bad}")).unwrap_err();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
        let twice = format!("{full}{ok}{ok}");
        assert!(parse(&twice).unwrap_err().contains("appears twice"));
        assert!(parse(ok).unwrap_err().contains("has no sections"));
    }
}
