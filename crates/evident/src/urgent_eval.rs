//! `evident eval urgent`: does the urgent-care notice come up for emergencies, and stay away
//! from questions that only share their words?
//!
//! Each question of the set (JSON Lines, `eval/urgent.jsonl`; fields and rules in
//! `eval/README.md`) is marked `urgent` or not and belongs to a red-flag group (`sign`). The
//! detector (`evident_answer::safety`) reads each for its audience; no index is needed. Printed:
//! emergencies flagged, false alarms, the same per group, then each miss and false alarm by id.
//! Misses are a measurement, not a failure: the command exits 0 whatever the figures.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use evident_answer::safety::eval_set::{self, Count, Report};

#[derive(Args)]
pub struct UrgentArgs {
    /// Questions marked urgent or not, JSON Lines (see eval/README.md).
    #[arg(long, default_value = "eval/urgent.jsonl")]
    pub file: PathBuf,
    /// Print the figures as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write one JSON line per question with the detector's verdict and the signs it found.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &UrgentArgs) -> Result<()> {
    let path = &args.file;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let set = eval_set::parse_set(&text).with_context(|| format!("{}", path.display()))?;
    let report = eval_set::measure(&set);
    if let Some(out) = &args.out {
        let mut lines = String::new();
        for v in &report.verdicts {
            lines.push_str(&serde_json::to_string(v)?);
            lines.push('\n');
        }
        std::fs::write(out, lines).with_context(|| format!("cannot write {}", out.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
    } else {
        print!("{}", summary(&report));
    }
    if let Some(out) = &args.out {
        if !args.json {
            println!("Verdicts written to {}", out.display());
        }
    }
    Ok(())
}

fn ratio(c: Count) -> String {
    format!("{}/{}", c.flagged, c.total)
}

/// The figures as text: totals, then per group, then each miss and false alarm.
fn summary(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Emergencies flagged: {}", ratio(report.emergencies));
    let _ = writeln!(s, "False alarms:        {}", ratio(report.look_alikes));
    let _ = writeln!(
        s,
        "\n{:<22} {:>11} {:>12}",
        "sign", "flagged", "false alarms"
    );
    for (sign, (urgent, look_alike)) in &report.by_sign {
        let _ = writeln!(
            s,
            "{sign:<22} {:>11} {:>12}",
            ratio(*urgent),
            ratio(*look_alike)
        );
    }
    for (title, list) in [
        ("Missed emergencies", report.misses().collect::<Vec<_>>()),
        ("False alarms", report.false_alarms().collect()),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}:");
        for v in list {
            let found = if v.signs_found.is_empty() {
                String::new()
            } else {
                format!(" → {}", v.signs_found.join(", "))
            };
            let _ = writeln!(s, "  {} [{}, {}]{found}", v.id, v.sign, v.audience);
        }
    }
    s
}

fn report_json(report: &Report) -> serde_json::Value {
    let ids = |it: &mut dyn Iterator<Item = &eval_set::Verdict>| -> Vec<String> {
        it.map(|v| v.id.clone()).collect()
    };
    let by_sign: serde_json::Map<String, serde_json::Value> = report
        .by_sign
        .iter()
        .map(|(sign, (u, l))| {
            (
                sign.clone(),
                serde_json::json!({ "emergencies": u, "false_alarms": l }),
            )
        })
        .collect();
    serde_json::json!({
        "emergencies": report.emergencies,
        "false_alarms": report.look_alikes,
        "by_sign": by_sign,
        "misses": ids(&mut report.misses()),
        "false_alarm_ids": ids(&mut report.false_alarms()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lines: &str) -> Report {
        eval_set::measure(&eval_set::parse_set(lines).unwrap())
    }

    #[test]
    fn misses_and_false_alarms_are_listed_by_id() {
        let r = report(concat!(
            r#"{"id":"m1","question":"What is asthma?","audience":"patient","urgent":true,"sign":"asthma","note":""}"#,
            "\n",
            r#"{"id":"f1","question":"I can't breathe","audience":"patient","urgent":false,"sign":"asthma","note":""}"#,
        ));
        let s = summary(&r);
        assert!(s.contains("Emergencies flagged: 0/1"), "{s}");
        assert!(s.contains("False alarms:        1/1"), "{s}");
        assert!(
            s.contains("Missed emergencies:\n  m1 [asthma, patient]"),
            "{s}"
        );
        assert!(
            s.contains("False alarms:\n  f1 [asthma, patient] → trouble breathing"),
            "{s}"
        );
        let j = report_json(&r);
        assert_eq!(j["misses"], serde_json::json!(["m1"]));
        assert_eq!(j["false_alarm_ids"], serde_json::json!(["f1"]));
        assert_eq!(j["by_sign"]["asthma"]["emergencies"]["total"], 1);
    }

    #[test]
    fn a_malformed_file_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("set.jsonl");
        std::fs::write(
            &file,
            "{\"id\":\"a\",\"question\":\"q\",\"audience\":\"patient\",\"urgent\":true,\"sign\":\"s\"}\n{oops\n",
        )
        .unwrap();
        let args = UrgentArgs {
            file,
            json: false,
            out: None,
        };
        let e = format!("{:#}", run(&args).unwrap_err());
        assert!(e.contains("set.jsonl: line 2: not a question"), "{e}");
    }
}
