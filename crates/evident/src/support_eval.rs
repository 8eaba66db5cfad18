//! `evident eval support`: does the sentence-support checker tell claims their cited passage
//! supports from claims it does not?
//!
//! Each line of the file (JSON Lines, `eval/support/dev.jsonl`; fields in
//! `eval/support/README.md`) is a claim, the passage it cites and a gold `label`. The checker
//! (`evident_answer::check`) judges each; no index is needed. Printed: pairs, accuracy, and the
//! precision and recall of `unsupported` (the positive class: the checker's job is to catch
//! them), then per `change` the share caught: flagged unsupported for a corruption, kept
//! supported for a `paraphrase`. The figures are a measurement: the command exits 0 whatever
//! they are, and only a malformed file (reported with its line) is an error.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use evident_answer::check::check_claim;
use serde::{Deserialize, Serialize};

#[derive(Args)]
pub struct SupportArgs {
    /// Claim/passage pairs labelled supported or unsupported, JSON Lines (see
    /// eval/support/README.md).
    #[arg(long, default_value = "eval/support/dev.jsonl")]
    pub file: PathBuf,
    /// Write one JSON line per pair, in input order, with the checker's verdict and reason.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One line of the file.
#[derive(Debug, Deserialize)]
struct Pair {
    #[serde(default)]
    id: Option<String>,
    claim: String,
    passage: Passages,
    label: Label,
    #[serde(default)]
    change: Option<String>,
}

/// One cited passage, or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Passages {
    One(String),
    Many(Vec<String>),
}

impl Passages {
    fn texts(&self) -> Vec<&str> {
        match self {
            Passages::One(p) => vec![p.as_str()],
            Passages::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Label {
    Supported,
    Unsupported,
}

/// The checker's answer on one pair, as `--out` writes it.
#[derive(Debug, Serialize)]
struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    verdict: Label,
    reason: Option<String>,
}

/// Caught and total, per change kind.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    caught: usize,
    total: usize,
}

/// The figures of one run.
#[derive(Debug, Default)]
struct Report {
    pairs: usize,
    correct: usize,
    /// Unsupported pairs flagged unsupported.
    true_positive: usize,
    /// Supported pairs flagged unsupported.
    false_positive: usize,
    /// Unsupported pairs let through.
    false_negative: usize,
    by_change: BTreeMap<String, Count>,
    /// Id (or line) and reason of each wrong verdict.
    errors: Vec<(String, Label, Option<String>)>,
}

fn parse(text: &str) -> Result<Vec<Pair>> {
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let pair: Pair = serde_json::from_str(line)
            .with_context(|| format!("line {}: not a claim/passage pair", i + 1))?;
        if pair.claim.trim().is_empty() {
            bail!("line {}: the claim is empty", i + 1);
        }
        pairs.push(pair);
    }
    Ok(pairs)
}

fn measure(pairs: &[Pair]) -> (Report, Vec<Outcome>) {
    let mut report = Report::default();
    let mut outcomes = Vec::with_capacity(pairs.len());
    for (n, pair) in pairs.iter().enumerate() {
        let verdict = check_claim(&pair.claim, &pair.passage.texts());
        let said = if verdict.supported {
            Label::Supported
        } else {
            Label::Unsupported
        };
        let reason = verdict.reason.map(|r| r.to_string());
        report.pairs += 1;
        match (pair.label, said) {
            (Label::Unsupported, Label::Unsupported) => report.true_positive += 1,
            (Label::Supported, Label::Unsupported) => report.false_positive += 1,
            (Label::Unsupported, Label::Supported) => report.false_negative += 1,
            (Label::Supported, Label::Supported) => {}
        }
        if pair.label == said {
            report.correct += 1;
        } else {
            let name = pair.id.clone().unwrap_or_else(|| format!("pair {}", n + 1));
            report.errors.push((name, pair.label, reason.clone()));
        }
        if let Some(change) = &pair.change {
            let c = report.by_change.entry(change.clone()).or_default();
            c.total += 1;
            c.caught += usize::from(pair.label == said);
        }
        outcomes.push(Outcome {
            id: pair.id.clone(),
            verdict: said,
            reason,
        });
    }
    (report, outcomes)
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// The figures as text.
fn summary(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Pairs:     {}", r.pairs);
    let _ = writeln!(
        s,
        "Accuracy:  {:.3} ({}/{})",
        share(r.correct, r.pairs),
        r.correct,
        r.pairs
    );
    let flagged = r.true_positive + r.false_positive;
    let unsupported = r.true_positive + r.false_negative;
    let _ = writeln!(
        s,
        "Precision: {:.3} ({}/{} flagged unsupported are)",
        share(r.true_positive, flagged),
        r.true_positive,
        flagged
    );
    let _ = writeln!(
        s,
        "Recall:    {:.3} ({}/{} unsupported flagged)",
        share(r.true_positive, unsupported),
        r.true_positive,
        unsupported
    );
    if !r.by_change.is_empty() {
        let _ = writeln!(s, "\n{:<12} {:>8} {:>7}", "change", "caught", "share");
        for (change, c) in &r.by_change {
            let _ = writeln!(
                s,
                "{change:<12} {:>8} {:>7.3}",
                format!("{}/{}", c.caught, c.total),
                share(c.caught, c.total)
            );
        }
        let _ = writeln!(
            s,
            "(caught: flagged unsupported; for paraphrase, kept supported)"
        );
    }
    if !r.errors.is_empty() {
        let _ = writeln!(s, "\nWrong verdicts:");
        for (id, gold, reason) in &r.errors {
            match (gold, reason) {
                (Label::Supported, Some(why)) => {
                    let _ = writeln!(s, "  {id}: supported, flagged: {why}");
                }
                _ => {
                    let _ = writeln!(s, "  {id}: unsupported, let through");
                }
            }
        }
    }
    s
}

pub fn run(args: &SupportArgs) -> Result<()> {
    let path = &args.file;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let pairs = parse(&text).with_context(|| format!("{}", path.display()))?;
    let (report, outcomes) = measure(&pairs);
    if let Some(out) = &args.out {
        let mut lines = String::new();
        for o in &outcomes {
            lines.push_str(&serde_json::to_string(o)?);
            lines.push('\n');
        }
        std::fs::write(out, lines).with_context(|| format!("cannot write {}", out.display()))?;
    }
    print!("{}", summary(&report));
    if let Some(out) = &args.out {
        println!("Verdicts written to {}", out.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = concat!(
        r#"{"id":"a","claim":"Adults aged 50 to 75 years should be screened for colorectal cancer.","passage":"Screening for colorectal cancer is recommended for adults aged 50 to 75 years.","label":"supported","change":"paraphrase"}"#,
        "\n",
        r#"{"id":"b","claim":"Adults aged 40 to 75 years should be screened for colorectal cancer.","passage":"Screening for colorectal cancer is recommended for adults aged 50 to 75 years.","label":"unsupported","change":"age"}"#,
        "\n\n",
        r#"{"claim":"Screening for colorectal cancer is recommended for adults aged 50 to 75 years.","passage":["Screening for colorectal cancer is recommended for adults aged 50 to 75 years."],"label":"unsupported"}"#,
    );

    #[test]
    fn figures_count_unsupported_as_the_positive_class() {
        let pairs = parse(SET).unwrap();
        let (r, outcomes) = measure(&pairs);
        assert_eq!((r.pairs, r.correct), (3, 2));
        assert_eq!(
            (r.true_positive, r.false_positive, r.false_negative),
            (1, 0, 1)
        );
        assert_eq!(r.by_change["paraphrase"].caught, 1);
        assert_eq!(r.by_change["age"].caught, 1);
        let s = summary(&r);
        assert!(s.contains("Accuracy:  0.667 (2/3)"), "{s}");
        assert!(
            s.contains("Recall:    0.500 (1/2 unsupported flagged)"),
            "{s}"
        );
        assert!(s.contains("pair 3: unsupported, let through"), "{s}");
        let line = serde_json::to_string(&outcomes[1]).unwrap();
        assert_eq!(
            line,
            r#"{"id":"b","verdict":"unsupported","reason":"number 40 year not in the cited passage"}"#
        );
        assert!(serde_json::to_string(&outcomes[2])
            .unwrap()
            .starts_with(r#"{"verdict":"supported""#));
    }

    #[test]
    fn a_malformed_line_is_named() {
        let e = format!("{:#}", parse("{\"claim\":\"x\"}\n").unwrap_err());
        assert!(e.contains("line 1: not a claim/passage pair"), "{e}");
        let e = format!(
            "{:#}",
            parse(&format!("{}\n{{oops\n", SET.lines().next().unwrap())).unwrap_err()
        );
        assert!(e.starts_with("line 2:"), "{e}");
        let bad_label = r#"{"claim":"a","passage":"b","label":"maybe"}"#;
        assert!(parse(bad_label).is_err());
    }
}
