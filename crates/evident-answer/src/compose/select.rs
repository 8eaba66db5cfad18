//! Evidence selection: which scored sentences become statements. Greedy, with diversity: each
//! pick is the best-scoring candidate after a penalty for overlap with what is already chosen,
//! so no two statements say the same thing; after the lead, no section takes more than its cap,
//! so one facet cannot crowd out the rest.

use std::collections::{HashMap, HashSet};

use super::candidates::Candidate;

/// How the greedy selection trades score against repetition, and when it stops.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Diversity {
    /// Stem Jaccard above which a candidate counts as a repeat of a chosen one and is skipped.
    pub max_overlap: f32,
    /// Score lost per unit of the largest overlap with a chosen statement.
    pub overlap_penalty: f32,
    /// Statements chosen before the stopping rule applies.
    pub min_statements: usize,
    /// Selection stops when the best remaining candidate scores below this share of the
    /// first statement's score: it would no longer add a point worth reading.
    pub stop_ratio: f32,
    /// Added, per unit of [`Candidate::own`], to a candidate's score for a lead place: the
    /// lead is the sentence that says the answer in its own words, not one that leans on
    /// its headings.
    pub lead_own: f32,
}

/// The chosen candidates, in selection order; the first `lead` of them open the answer.
#[derive(Debug, PartialEq)]
pub(crate) struct Selection {
    pub chosen: Vec<usize>,
    /// At most the `lead` asked for: fewer when fewer candidates are fit to lead.
    pub lead: usize,
}

/// Picks up to `n` candidates: up to `lead` fit to lead (any section), then the rest at most
/// `cap` per section (`section_of[i]` is candidate `i`'s section; candidates beyond it are not
/// considered). When the candidates fit to lead run out, the lead is shorter, not the answer.
pub(crate) fn select(
    candidates: &[Candidate],
    n: usize,
    lead: usize,
    lead_ok: &dyn Fn(&Candidate) -> bool,
    section_of: &[usize],
    cap: usize,
    diversity: Diversity,
) -> Selection {
    let Diversity {
        max_overlap,
        overlap_penalty,
        min_statements,
        stop_ratio,
        lead_own,
    } = diversity;
    // Candidates fit to lead: if none is, any candidate may.
    let any_lead_ok = candidates.iter().take(section_of.len()).any(lead_ok);
    let mut first_score: Option<f32> = None;
    let pool = candidates.len().min(section_of.len());
    let candidates = &candidates[..pool];
    // Texts lowercased once, and stems as sorted ids, so that the overlaps below are merges of
    // integer lists rather than hash lookups of strings.
    let lower: Vec<String> = candidates.iter().map(|c| c.text.to_lowercase()).collect();
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let stems: Vec<Vec<u32>> = candidates
        .iter()
        .map(|c| {
            let mut v: Vec<u32> = c
                .stems
                .iter()
                .map(|s| {
                    let next = ids.len() as u32;
                    *ids.entry(s.as_str()).or_insert(next)
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut taken = vec![false; pool];
    // The largest overlap of each candidate with anything chosen so far.
    let mut overlap = vec![0.0f32; pool];
    let mut per_section: HashMap<usize, usize> = HashMap::new();
    let mut seen_text: HashSet<&str> = HashSet::new();
    let mut lead = lead;
    while chosen.len() < n {
        let in_lead = chosen.len() < lead;
        // (rank key, score, index): a lead place ranks by score plus the sentence's own
        // coverage; the stopping rule reads the score alone.
        let mut best: Option<(f32, f32, usize)> = None;
        for (i, c) in candidates.iter().enumerate() {
            if taken[i] || overlap[i] > max_overlap || seen_text.contains(lower[i].as_str()) {
                continue;
            }
            let full = per_section.get(&section_of[i]).copied().unwrap_or(0) >= cap;
            if !in_lead && full {
                continue;
            }
            if in_lead && any_lead_ok && !lead_ok(c) {
                continue;
            }
            let s = c.score - overlap_penalty * overlap[i];
            let key = if in_lead { s + lead_own * c.own } else { s };
            if best.is_none_or(|(b, _, _)| key > b) {
                best = Some((key, s, i));
            }
        }
        let Some((_, score, k)) = best else {
            if in_lead && !chosen.is_empty() {
                // No candidate fit to lead is left: the lead ends here, the body goes on.
                lead = chosen.len();
                continue;
            }
            break;
        };
        let first = *first_score.get_or_insert(score);
        if chosen.len() >= min_statements.max(lead) && score < stop_ratio * first {
            break;
        }
        seen_text.insert(lower[k].as_str());
        if !in_lead {
            *per_section.entry(section_of[k]).or_default() += 1;
        }
        chosen.push(k);
        taken[k] = true;
        for i in 0..pool {
            if !taken[i] && overlap[i] <= max_overlap {
                overlap[i] = overlap[i].max(jaccard_sorted(&stems[i], &stems[k]));
            }
        }
    }
    let lead = lead.min(chosen.len());
    Selection { chosen, lead }
}

/// Jaccard similarity of two sorted, duplicate-free id lists.
fn jaccard_sorted(a: &[u32], b: &[u32]) -> f32 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sorted_ids_matches_the_set_definition() {
        let cases: [(&[u32], &[u32], f32); 5] = [
            (&[], &[], 0.0),
            (&[1, 2, 3], &[], 0.0),
            (&[1, 2, 3], &[1, 2, 3], 1.0),
            (&[1, 3, 5, 7], &[2, 3, 7, 8, 9], 2.0 / 7.0),
            (&[0, 10], &[5], 0.0),
        ];
        for (a, b, want) in cases {
            assert!((jaccard_sorted(a, b) - want).abs() < 1e-6, "{a:?} {b:?}");
            assert!((jaccard_sorted(b, a) - want).abs() < 1e-6, "{b:?} {a:?}");
        }
    }

    fn candidate(text: &str, score: f32) -> Candidate {
        Candidate {
            text: text.to_string(),
            hit: 0,
            stems: text.split_whitespace().map(str::to_lowercase).collect(),
            score,
            support: 0.0,
            own: 0.0,
            on_kind: false,
        }
    }

    #[test]
    fn selection_skips_repeats_and_near_duplicates_and_caps_sections() {
        let c = [
            candidate("alpha beta gamma delta", 1.0),
            candidate("Alpha beta gamma delta", 0.95), // the same text: never twice
            candidate("alpha beta gamma delta epsilon", 0.9), // overlap 0.8: a near duplicate
            candidate("zeta eta theta", 0.5),
            candidate("iota kappa lambda", 0.4),
            candidate("mu nu xi", 0.3),
        ];
        let diversity = Diversity {
            max_overlap: 0.6,
            overlap_penalty: 0.5,
            min_statements: 1,
            stop_ratio: 0.0,
            lead_own: 0.0,
        };
        // Lead 1, then at most one per section; candidates 3 and 4 share section 1.
        let any = |_: &Candidate| true;
        let chosen = select(&c, 5, 1, &any, &[0, 0, 0, 1, 1, 2], 1, diversity);
        assert_eq!(chosen.chosen, vec![0, 3, 5]);
        // Selection stops once the best left scores under the share of the first.
        let stopping = Diversity {
            stop_ratio: 0.45,
            ..diversity
        };
        assert_eq!(
            select(&c, 5, 1, &any, &[0, 0, 0, 1, 1, 2], 1, stopping).chosen,
            vec![0, 3]
        );
        // The lead comes from candidates fit to lead when there are any.
        let only_last = |c: &Candidate| c.text.starts_with("mu");
        assert_eq!(
            select(&c, 2, 1, &only_last, &[0, 0, 0, 1, 1, 2], 1, diversity).chosen[0],
            5
        );
        // Two lead places but one candidate fit to lead: the lead is one statement and the
        // body still fills (it used to stop at the empty lead place).
        let picked = select(&c, 5, 2, &only_last, &[0, 0, 0, 1, 1, 2], 1, diversity);
        assert_eq!(picked.lead, 1);
        assert_eq!(picked.chosen, vec![5, 0, 3]);
    }
}
