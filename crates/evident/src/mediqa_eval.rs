//! `evident eval mediqa`: ranking MEDIQA 2019 Task 3 candidate answers.
//!
//! Each question of a MEDIQA 2019 question-answering set comes with the answers NLM's CHiQA
//! system retrieved for it, in CHiQA's order (`SystemRank`), and the order and grade experts gave
//! them (`ReferenceRank`; `ReferenceScore` 4 excellent, 3 correct but incomplete, 2 related,
//! 1 incorrect). Every answer of the file is indexed as one document; each question is searched
//! as the retrieval benchmark searches, and its own answers are kept in the order found (those
//! the search does not reach follow in CHiQA's order). The ranking is scored against the experts'
//! grades — nDCG@10 (gain = grade − 1), MRR@10 and P@1 with grade ≥ 3 counting as correct, and
//! Spearman's rank correlation with the reference order — beside CHiQA's own ranking. A check
//! of the retrieval weights on questions they were not tuned on, not a set to tune on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use evident_core::{DocumentBuilder, Source};
use evident_index::eval::{evaluate, Qrels, Run};
use evident_index::{Library, SearchMode, SearchOptions};
use evident_ingest::{chunk, ChunkOptions};
use quick_xml::events::{BytesStart, Event};

use crate::eval::QueryForm;

#[derive(Args)]
pub struct MediqaArgs {
    /// A MEDIQA 2019 Task 3 XML file (questions, each with its candidate answers and their
    /// SystemRank, ReferenceRank and ReferenceScore).
    #[arg(long)]
    pub file: PathBuf,
    /// Ranking: bm25, dense, hybrid or all. Default: all when the embedding model is installed,
    /// else bm25.
    #[arg(long)]
    pub mode: Option<String>,
    /// How a question becomes a query (as in `eval retrieval`).
    #[arg(long, default_value = "raw")]
    pub query: QueryForm,
}

/// One candidate answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub system_rank: u32,
    pub reference_rank: u32,
    pub reference_score: i32,
    pub text: String,
}

/// One question and its candidates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub answers: Vec<Candidate>,
}

/// Reads a MEDIQA 2019 Task 3 file.
pub fn parse(text: &str) -> Result<Vec<Question>> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out: Vec<Question> = Vec::new();
    let mut field: Option<&'static str> = None;
    loop {
        let event = reader
            .read_event()
            .with_context(|| format!("malformed XML near byte {}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                let name = name_of(&e);
                match name.as_str() {
                    "question" => out.push(Question {
                        id: attr(&e, "QID").unwrap_or_default(),
                        ..Question::default()
                    }),
                    "answer" => {
                        let Some(q) = out.last_mut() else {
                            bail!("an <Answer> outside any <Question>");
                        };
                        let num = |n: &str| attr(&e, n).and_then(|v| v.trim().parse().ok());
                        q.answers.push(Candidate {
                            id: attr(&e, "AID").unwrap_or_default(),
                            system_rank: num("SystemRank").unwrap_or(u32::MAX),
                            reference_rank: num("ReferenceRank").unwrap_or(u32::MAX),
                            reference_score: attr(&e, "ReferenceScore")
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0),
                            text: String::new(),
                        });
                    }
                    "questiontext" => field = Some("question"),
                    "answertext" => field = Some("answer"),
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "questiontext" || name == "answertext" {
                    field = None;
                }
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(&t);
                let text = evident_ingest::html::decode_entities(&raw);
                if let Some(q) = out.last_mut() {
                    match field {
                        Some("question") => q.text.push_str(&text),
                        Some("answer") => {
                            if let Some(a) = q.answers.last_mut() {
                                a.text.push_str(&text);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

fn name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase()
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.html_attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name.as_bytes())
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// Spearman's rank correlation of two orderings of the same items (ranks 1..n, no ties);
/// `None` for fewer than two items.
pub fn spearman(a: &[usize], b: &[usize]) -> Option<f64> {
    let n = a.len();
    if n < 2 || b.len() != n {
        return None;
    }
    let d2: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum();
    let n = n as f64;
    Some(1.0 - 6.0 * d2 / (n * (n * n - 1.0)))
}

/// Scores of one ranking over the questions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RerankScores {
    pub questions: usize,
    pub ndcg10: f64,
    pub mrr10: f64,
    pub p1: f64,
    pub spearman: f64,
}

/// Scores `orders` (question id → candidate ids, best first) against the experts' grades.
pub fn score(questions: &[Question], orders: &HashMap<String, Vec<String>>) -> RerankScores {
    let mut qrels = Qrels::new();
    let mut run = Run::new();
    let mut p1 = (0usize, 0usize);
    let mut rho = (0.0, 0usize);
    for q in questions {
        let Some(order) = orders.get(&q.id) else {
            continue;
        };
        let grades: HashMap<&str, i32> = q
            .answers
            .iter()
            .map(|a| (a.id.as_str(), a.reference_score))
            .collect();
        qrels.insert(
            q.id.clone(),
            q.answers
                .iter()
                .map(|a| (a.id.clone(), (a.reference_score - 1).max(0)))
                .collect(),
        );
        let n = order.len() as f32;
        run.insert(
            q.id.clone(),
            order
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), n - i as f32))
                .collect(),
        );
        if q.answers.iter().any(|a| a.reference_score >= 3) {
            p1.1 += 1;
            if order
                .first()
                .is_some_and(|id| grades.get(id.as_str()).is_some_and(|&g| g >= 3))
            {
                p1.0 += 1;
            }
        }
        // Our rank and the reference rank of each answer, both as 1..n.
        let mut by_ref: Vec<&Candidate> = q.answers.iter().collect();
        by_ref.sort_by_key(|a| (a.reference_rank, a.id.clone()));
        let ref_pos: HashMap<&str, usize> = by_ref
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i + 1))
            .collect();
        let ours: Vec<usize> = (1..=order.len()).collect();
        let theirs: Vec<usize> = order
            .iter()
            .map(|id| ref_pos.get(id.as_str()).copied().unwrap_or(order.len()))
            .collect();
        if let Some(r) = spearman(&ours, &theirs) {
            rho.0 += r;
            rho.1 += 1;
        }
    }
    // Grade 3 or more (gain 2 or more) is correct.
    let m = evaluate(&qrels, &run, 2);
    RerankScores {
        questions: m.queries,
        ndcg10: m.ndcg10,
        mrr10: m.mrr10,
        p1: p1.0 as f64 / p1.1.max(1) as f64,
        spearman: rho.0 / rho.1.max(1) as f64,
    }
}

pub fn run(data: &Path, args: &MediqaArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let questions = parse(&text)?;
    if questions.is_empty() {
        bail!("{}: no <Question> found", args.file.display());
    }
    let modes = crate::eval::modes(data, args.mode.as_deref())?;
    let lib = Library::in_memory()?;
    let mut writer = lib.writer(100_000_000)?;
    let whole = ChunkOptions {
        target_words: usize::MAX / 4,
        max_words: usize::MAX / 4,
        min_words: 0,
    };
    let mut to_embed = Vec::new();
    let mut owner: HashMap<String, String> = HashMap::new();
    for q in &questions {
        for a in &q.answers {
            let mut b = DocumentBuilder::new(Source::new(a.id.clone(), ""));
            b.paragraph(&a.text);
            let doc = b.finish();
            let ps = chunk(&doc, &whole);
            for p in &ps {
                to_embed.push((p.id.clone(), crate::ingest::embedding_text("", p)));
            }
            writer.add(&doc, &ps)?;
            owner.insert(a.id.clone(), q.id.clone());
        }
    }
    let mut note = String::new();
    if modes.iter().any(|m| *m != SearchMode::Bm25) {
        let Some(embedder) = crate::models::load(data)? else {
            bail!("dense and hybrid modes need the embedding model: run `evident models fetch`");
        };
        let (entries, n) = crate::eval::embed_with_cache(data, &args.file, &embedder, &to_embed)?;
        writer.add_vectors(entries)?;
        lib.set_encoder(std::sync::Arc::new(crate::models::ModelEncoder(embedder)));
        note = n;
    }
    writer.commit()?;
    let answers: usize = questions.iter().map(|q| q.answers.len()).sum();
    println!(
        "{}: {} questions, {answers} candidate answers{note}",
        args.file.display(),
        questions.len()
    );
    let system: HashMap<String, Vec<String>> = questions
        .iter()
        .map(|q| (q.id.clone(), system_order(q)))
        .collect();
    print_scores("CHiQA SystemRank", &score(&questions, &system));
    for &form in args.query.forms() {
        for &mode in &modes {
            let mut orders = HashMap::new();
            for q in &questions {
                let mut opts = SearchOptions {
                    k: answers,
                    priors: false,
                    snippets: false,
                    mode,
                    ids_only: true,
                    ..SearchOptions::default()
                };
                if form == QueryForm::Focused {
                    opts.focus = crate::eval::focus_of(&lib, &q.text)?;
                }
                let hits = match lib.search(&q.text, &opts) {
                    Ok(h) => h,
                    Err(evident_index::Error::EmptyQuery(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                let mut order: Vec<String> = Vec::new();
                for h in hits {
                    let id = h.passage.source_id;
                    if owner.get(&id) == Some(&q.id) && !order.contains(&id) {
                        order.push(id);
                    }
                }
                for id in system_order(q) {
                    if !order.contains(&id) {
                        order.push(id);
                    }
                }
                orders.insert(q.id.clone(), order);
            }
            let form_name = if form == QueryForm::Focused {
                " focused"
            } else {
                ""
            };
            let label = format!("evident {}{form_name}", format!("{mode:?}").to_lowercase());
            print_scores(&label, &score(&questions, &orders));
        }
    }
    Ok(())
}

/// A question's candidates in CHiQA's order.
fn system_order(q: &Question) -> Vec<String> {
    let mut a: Vec<&Candidate> = q.answers.iter().collect();
    a.sort_by_key(|c| (c.system_rank, c.id.clone()));
    a.into_iter().map(|c| c.id.clone()).collect()
}

fn print_scores(label: &str, s: &RerankScores) {
    println!(
        "[{label}] {} questions with a correct answer\tnDCG@10 {:.4}\tMRR@10 {:.4}\tP@1 {:.4}\tSpearman {:.4}",
        s.questions, s.ndcg10, s.mrr10, s.p1, s.spearman
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Set>
  <Question QID="7">
    <QuestionText>what helps gout &amp; pain</QuestionText>
    <AnswerList>
      <Answer AID="7_Answer1" SystemRank="1" ReferenceRank="2" ReferenceScore="2">
        <AnswerURL>u</AnswerURL><AnswerText>Diet notes.</AnswerText></Answer>
      <Answer AID="7_Answer2" SystemRank="2" ReferenceRank="1" ReferenceScore="4">
        <AnswerURL>u</AnswerURL><AnswerText>Colchicine treats gout flares.</AnswerText></Answer>
    </AnswerList>
  </Question>
</Set>"#;

    #[test]
    fn a_set_parses_with_its_ranks_grades_and_entities() {
        let qs = parse(SET).unwrap();
        assert_eq!(qs.len(), 1);
        assert_eq!(qs[0].text, "what helps gout & pain");
        assert_eq!(qs[0].answers.len(), 2);
        assert_eq!(qs[0].answers[1].reference_score, 4);
        assert_eq!(qs[0].answers[1].reference_rank, 1);
        assert_eq!(qs[0].answers[0].text, "Diet notes.");
    }

    #[test]
    fn the_reference_order_scores_best_and_its_reverse_worst() {
        let qs = parse(SET).unwrap();
        let right = HashMap::from([(
            "7".to_string(),
            vec!["7_Answer2".into(), "7_Answer1".into()],
        )]);
        let wrong = HashMap::from([(
            "7".to_string(),
            vec!["7_Answer1".into(), "7_Answer2".into()],
        )]);
        let r = score(&qs, &right);
        let w = score(&qs, &wrong);
        assert_eq!(r.questions, 1);
        assert!((r.p1 - 1.0).abs() < 1e-9 && w.p1.abs() < 1e-9);
        assert!((r.spearman - 1.0).abs() < 1e-9 && (w.spearman + 1.0).abs() < 1e-9);
        assert!((r.mrr10 - 1.0).abs() < 1e-9 && (w.mrr10 - 0.5).abs() < 1e-9);
        assert!(r.ndcg10 > w.ndcg10);
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(parse("<Set><Question QID=\"1\"><Answer AID=\"1_A\"></Set>").is_err());
    }
}
