//! Retrieval evaluation: TREC qrels and run files, and the metrics of the shared benchmarks
//! (nDCG@10 with linear graded gain, Recall@10/100 and MRR@10 at a relevance threshold),
//! computed exactly as `shared/tools/trec_eval.py` does; and the one percentile helper of every
//! latency and length figure the benchmarks print.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use crate::error::{Error, Result};

/// Judgements: query id → document id → grade.
pub type Qrels = BTreeMap<String, HashMap<String, i32>>;

/// A ranking: query id → (document id, score), best first.
pub type Run = BTreeMap<String, Vec<(String, f32)>>;

/// Parses TREC qrels (`qid iter docid grade`).
pub fn parse_qrels(path: &str, text: &str) -> Result<Qrels> {
    let mut qrels = Qrels::new();
    for (i, line) in text.lines().enumerate() {
        let p: Vec<&str> = line.split_whitespace().collect();
        if p.is_empty() {
            continue;
        }
        let bad = |why: String| Error::EvalInput {
            path: path.to_string(),
            line: i + 1,
            why,
        };
        if p.len() != 4 {
            return Err(bad(format!(
                "expected 4 columns (qid iter docid grade), got {}",
                p.len()
            )));
        }
        let grade: f64 = p[3]
            .parse()
            .map_err(|_| bad(format!("grade {:?} is not a number", p[3])))?;
        qrels
            .entry(p[0].to_string())
            .or_default()
            .insert(p[2].to_string(), grade as i32);
    }
    Ok(qrels)
}

/// Writes a run in TREC format (`qid Q0 docid rank score tag`).
pub fn format_run(run: &Run, tag: &str) -> String {
    let mut out = String::new();
    for (qid, docs) in run {
        for (i, (doc, score)) in docs.iter().enumerate() {
            let _ = writeln!(out, "{qid} Q0 {doc} {} {score:.6} {tag}", i + 1);
        }
    }
    out
}

/// Mean metrics over the judged queries.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub queries: usize,
    pub ndcg10: f64,
    pub recall10: f64,
    pub recall100: f64,
    pub mrr10: f64,
    pub judged10: f64,
}

/// The `p`-th quantile (0–1) of `sorted` (ascending) by the nearest rank on `len - 1`, as every
/// latency and length figure of `evident eval` and `evident bench` is reported; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Scores `run` against `qrels`. Queries with no document at or above `threshold` are left out;
/// judged queries missing from the run score 0. Ties are broken by docid descending, as
/// trec_eval does; repeated docids count once.
pub fn evaluate(qrels: &Qrels, run: &Run, threshold: i32) -> Metrics {
    let mut m = Metrics::default();
    let empty = Vec::new();
    for (qid, judg) in qrels {
        let rel: HashSet<&str> = judg
            .iter()
            .filter(|(_, &g)| g >= threshold)
            .map(|(d, _)| d.as_str())
            .collect();
        if rel.is_empty() {
            continue;
        }
        let mut hits: Vec<&(String, f32)> = run.get(qid).unwrap_or(&empty).iter().collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        let mut seen = HashSet::new();
        let ranked: Vec<&str> = hits
            .into_iter()
            .map(|(d, _)| d.as_str())
            .filter(|d| seen.insert(*d))
            .collect();
        let top10 = &ranked[..ranked.len().min(10)];
        let dcg: f64 = top10
            .iter()
            .enumerate()
            .map(|(i, d)| (*judg.get(*d).unwrap_or(&0)).max(0) as f64 / ((i + 2) as f64).log2())
            .sum();
        let mut ideal: Vec<i32> = judg.values().copied().filter(|&g| g > 0).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, &g)| g as f64 / ((i + 2) as f64).log2())
            .sum();
        let found = |n: usize| ranked.iter().take(n).filter(|d| rel.contains(*d)).count();
        m.queries += 1;
        m.ndcg10 += if idcg > 0.0 { dcg / idcg } else { 0.0 };
        m.recall10 += found(10) as f64 / rel.len() as f64;
        m.recall100 += found(100) as f64 / rel.len() as f64;
        m.mrr10 += top10
            .iter()
            .position(|d| rel.contains(*d))
            .map_or(0.0, |i| 1.0 / (i + 1) as f64);
        if !top10.is_empty() {
            m.judged10 +=
                top10.iter().filter(|d| judg.contains_key(**d)).count() as f64 / top10.len() as f64;
        }
    }
    if m.queries > 0 {
        let n = m.queries as f64;
        m.ndcg10 /= n;
        m.recall10 /= n;
        m.recall100 /= n;
        m.mrr10 /= n;
        m.judged10 /= n;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_takes_the_nearest_rank() {
        let ms: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(percentile(&ms, 0.5), 51.0);
        assert_eq!(percentile(&ms, 0.95), 96.0);
        assert_eq!(percentile(&ms, 0.99), 100.0);
        assert_eq!(percentile(&ms, 1.0), 101.0);
        assert_eq!(percentile(&[3.0, 7.0], 0.25), 3.0);
        assert_eq!(percentile(&[3.0, 7.0], 0.5), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    fn run_of(rows: &[(&str, &str, f32)]) -> Run {
        let mut run = Run::new();
        for (q, d, s) in rows {
            run.entry(q.to_string())
                .or_default()
                .push((d.to_string(), *s));
        }
        run
    }

    #[test]
    fn metrics_match_hand_computation() {
        let qrels = parse_qrels("q", "1 0 a 3\n1 0 b 1\n1 0 c 2\n2 0 x 1\n").unwrap();
        // Query 2 has nothing at grade >= 2 and is left out.
        let run = run_of(&[
            ("1", "b", 3.0),
            ("1", "a", 2.0),
            ("1", "z", 1.0),
            ("1", "c", 0.5),
        ]);
        let m = evaluate(&qrels, &run, 2);
        assert_eq!(m.queries, 1);
        let dcg = 1.0 + 3.0 / 3f64.log2() + 0.0 + 2.0 / 5f64.log2();
        let idcg = 3.0 + 2.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((m.ndcg10 - dcg / idcg).abs() < 1e-12);
        assert_eq!(m.mrr10, 0.5);
        assert_eq!(m.recall10, 1.0);
        assert_eq!(m.judged10, 0.75);
    }

    #[test]
    fn ties_break_by_docid_descending_and_missing_queries_score_zero() {
        let qrels = parse_qrels("q", "1 0 a 2\n2 0 b 2\n").unwrap();
        let run = run_of(&[("1", "a", 1.0), ("1", "b", 1.0)]);
        let m = evaluate(&qrels, &run, 2);
        assert_eq!(m.queries, 2);
        assert_eq!(m.mrr10, 0.25); // "b" ranks first on the tie; query 2 is absent.
    }

    #[test]
    fn bad_qrels_lines_are_reported_with_line_numbers() {
        let err = parse_qrels("qrels.txt", "1 0 a 2\n1 0 b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "qrels.txt:2: expected 4 columns (qid iter docid grade), got 3"
        );
    }

    #[test]
    fn run_format_round_trips_ranks() {
        let run = run_of(&[("7", "d1", 2.5), ("7", "d2", 1.25)]);
        assert_eq!(
            format_run(&run, "evident"),
            "7 Q0 d1 1 2.500000 evident\n7 Q0 d2 2 1.250000 evident\n"
        );
    }
}
