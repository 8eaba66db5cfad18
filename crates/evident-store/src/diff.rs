//! Line diffs between two versions of an article: headings and statements of the default
//! rendering, aligned by longest common subsequence.

use evident_core::Answer;

use crate::{Change, DiffLine};

/// The lines a reviewer compares: the title, the lead, then each section's heading and
/// statements. Citations are shown as their numbers so a re-cited statement shows as changed.
pub fn lines(answer: &Answer) -> Vec<String> {
    let statement = |s: &evident_core::Statement| {
        let refs: Vec<String> = s.citations.iter().map(|n| n.to_string()).collect();
        if refs.is_empty() {
            s.text.clone()
        } else {
            format!("{} [{}]", s.text, refs.join(", "))
        }
    };
    let mut out = vec![format!("# {}", answer.title)];
    out.extend(answer.lead.iter().map(statement));
    for section in &answer.sections {
        out.push(format!("## {}", section.heading));
        out.extend(section.statements.iter().map(statement));
    }
    out
}

/// A longest-common-subsequence diff of two line lists.
pub fn diff_lines(old: &[String], new: &[String]) -> Vec<DiffLine> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: length of the LCS of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    let line = |change, text: &String| DiffLine {
        change,
        text: text.clone(),
    };
    while i < n && j < m {
        if old[i] == new[j] {
            out.push(line(Change::Same, &old[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(line(Change::Removed, &old[i]));
            i += 1;
        } else {
            out.push(line(Change::Added, &new[j]));
            j += 1;
        }
    }
    out.extend(old[i..].iter().map(|t| line(Change::Removed, t)));
    out.extend(new[j..].iter().map(|t| line(Change::Added, t)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diff_keeps_common_lines_and_marks_the_rest() {
        let d = diff_lines(&v(&["a", "b", "c"]), &v(&["a", "x", "c", "d"]));
        let got: Vec<(Change, &str)> = d.iter().map(|l| (l.change, l.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Change::Same, "a"),
                (Change::Removed, "b"),
                (Change::Added, "x"),
                (Change::Same, "c"),
                (Change::Added, "d"),
            ]
        );
    }
}
