//! Line diffs between two versions of an article: headings and statements of the default
//! rendering, aligned by a minimal line diff (`similar`'s Myers diff).

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

/// A minimal diff of two line lists: common lines as [`Change::Same`], and in each changed
/// stretch the removed lines before the added ones.
pub fn diff_lines(old: &[String], new: &[String]) -> Vec<DiffLine> {
    use similar::{Algorithm, DiffTag};
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let mut push = |change, lines: &[String]| {
        out.extend(lines.iter().map(|text| DiffLine {
            change,
            text: text.clone(),
        }))
    };
    for op in similar::capture_diff_slices(Algorithm::Myers, old, new) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => push(Change::Same, &old[old_range]),
            DiffTag::Delete => push(Change::Removed, &old[old_range]),
            DiffTag::Insert => push(Change::Added, &new[new_range]),
            DiffTag::Replace => {
                push(Change::Removed, &old[old_range]);
                push(Change::Added, &new[new_range]);
            }
        }
    }
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

    /// Length of a longest common subsequence, the textbook O(n·m) way: the oracle for
    /// minimality.
    fn lcs_len(old: &[String], new: &[String]) -> usize {
        let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
        for i in (0..old.len()).rev() {
            for j in (0..new.len()).rev() {
                lcs[i][j] = if old[i] == new[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        lcs[0][0]
    }

    proptest::proptest! {
        /// The diff rebuilds both versions and keeps as many lines as any alignment can.
        #[test]
        fn diff_is_minimal_and_rebuilds_both_sides(
            old in proptest::collection::vec("[abc]", 0..12),
            new in proptest::collection::vec("[abc]", 0..12),
        ) {
            let d = diff_lines(&old, &new);
            let side = |keep: Change| -> Vec<String> {
                d.iter()
                    .filter(|l| l.change == Change::Same || l.change == keep)
                    .map(|l| l.text.clone())
                    .collect()
            };
            proptest::prop_assert_eq!(side(Change::Removed), old.clone());
            proptest::prop_assert_eq!(side(Change::Added), new.clone());
            let same = d.iter().filter(|l| l.change == Change::Same).count();
            proptest::prop_assert_eq!(same, lcs_len(&old, &new));
        }
    }
}
