//! Choosing retrieval weights by k-fold cross-validation (`evident eval retrieval --cv K
//! --grid …`).
//!
//! Every point of the grid ranks all queries once; the judged queries are dealt into K folds
//! (a fixed shuffle, so a run repeats); for each fold the point that scores best on the other
//! folds is chosen and scored on the held-out one. The mean held-out score is what the tuning
//! is worth on queries it never saw. Among points within [`TIE`] of the best training score, the
//! one that changes fewest weights from the defaults wins: a setting that needs many knobs to
//! gain a little is more likely fitted to the training queries than right.

use anyhow::{bail, Result};
use evident_index::eval::{evaluate, Metrics, Qrels, Run};
use evident_index::{Fusion, QueryWeights};

/// Training scores this close to the best count as a tie (nDCG@10).
pub const TIE: f64 = 0.002;

/// The tunable weights: the query layer's and the hybrid fusion's dense weight.
pub const NAMES: [&str; 9] = [
    "title",
    "trail",
    "body",
    "expansion",
    "repeat",
    "focus",
    "correction",
    "filler",
    "dense",
];

/// One weight's candidate values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: String,
    pub values: Vec<f32>,
}

/// Parses `name=v1,v2;name=v1,…` (names from [`NAMES`]).
pub fn parse_grid(s: &str) -> Result<Vec<Axis>> {
    let mut axes: Vec<Axis> = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, values)) = part.split_once('=') else {
            bail!(
                "grid {part:?}: write name=v1,v2 (names: {})",
                NAMES.join(", ")
            );
        };
        let name = name.trim().to_ascii_lowercase();
        if !NAMES.contains(&name.as_str()) {
            bail!(
                "grid: unknown weight {name:?} (names: {})",
                NAMES.join(", ")
            );
        }
        if axes.iter().any(|a| a.name == name) {
            bail!("grid: {name} is given twice");
        }
        let mut vs = Vec::new();
        for v in values.split(',').map(str::trim) {
            let x: f32 = v
                .parse()
                .map_err(|_| anyhow::anyhow!("grid: {name}: {v:?} is not a number"))?;
            if !x.is_finite() || x < 0.0 || (name == "dense" && x > 1.0) {
                bail!("grid: {name}: {v} is out of range");
            }
            vs.push(x);
        }
        axes.push(Axis { name, values: vs });
    }
    if axes.is_empty() {
        bail!("grid: no weights given");
    }
    Ok(axes)
}

/// Every combination of the axes' values, as (name, value) lists in axis order.
pub fn points(axes: &[Axis]) -> Vec<Vec<(String, f32)>> {
    let mut out: Vec<Vec<(String, f32)>> = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push((axis.name.clone(), v));
                    q
                })
            })
            .collect();
    }
    out
}

/// The weights and fusion of `point` applied on top of `weights` and `fusion`.
pub fn apply(point: &[(String, f32)], weights: &mut QueryWeights, fusion: &mut Fusion) {
    for (name, v) in point {
        let v = *v;
        match name.as_str() {
            "title" => weights.title = v,
            "trail" => weights.trail = v,
            "body" => weights.body = v,
            "expansion" => weights.expansion = v,
            "repeat" => weights.repeat = v,
            "focus" => weights.focus = v,
            "correction" => weights.correction = v,
            "filler" => weights.filler = v,
            "dense" => match fusion {
                Fusion::Rrf { dense_weight, .. } | Fusion::Convex { dense_weight } => {
                    *dense_weight = v
                }
            },
            _ => {}
        }
    }
}

/// How many of `point`'s values differ from the defaults.
pub fn changes(point: &[(String, f32)]) -> usize {
    let mut w = QueryWeights::default();
    let mut f = Fusion::default();
    let (w0, f0) = (w.clone(), f);
    apply(point, &mut w, &mut f);
    let pairs = [
        (w.title, w0.title),
        (w.trail, w0.trail),
        (w.body, w0.body),
        (w.expansion, w0.expansion),
        (w.repeat, w0.repeat),
        (w.focus, w0.focus),
        (w.correction, w0.correction),
        (w.filler, w0.filler),
        (dense(f), dense(f0)),
    ];
    pairs.iter().filter(|(a, b)| (a - b).abs() > 1e-6).count()
}

fn dense(f: Fusion) -> f32 {
    match f {
        Fusion::Rrf { dense_weight, .. } | Fusion::Convex { dense_weight } => dense_weight,
    }
}

/// `name=v name=v` for printing.
pub fn label(point: &[(String, f32)]) -> String {
    point
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The judged queries (those with a document graded `threshold` or more) dealt into `k` folds,
/// in a fixed pseudo-random order (by a hash of the query id, so the folds do not follow the
/// file's order).
pub fn folds(qrels: &Qrels, k: usize, threshold: i32) -> Vec<Vec<String>> {
    let mut ids: Vec<&String> = qrels
        .iter()
        .filter(|(_, j)| j.values().any(|&g| g >= threshold))
        .map(|(id, _)| id)
        .collect();
    ids.sort_by_key(|id| (fnv(id), (*id).clone()));
    let mut out = vec![Vec::new(); k.max(1)];
    for (i, id) in ids.into_iter().enumerate() {
        out[i % k.max(1)].push(id.clone());
    }
    out
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The qrels of `ids` only.
pub fn subset(qrels: &Qrels, ids: &[String]) -> Qrels {
    ids.iter()
        .filter_map(|id| qrels.get(id).map(|j| (id.clone(), j.clone())))
        .collect()
}

/// One fold's outcome.
#[derive(Debug, Clone)]
pub struct FoldResult {
    pub test_queries: usize,
    /// Index of the chosen grid point.
    pub chosen: usize,
    pub train: f64,
    pub test: Metrics,
    /// The defaults (the first point when no point is all defaults: see [`cross_validate`]) on
    /// the held-out fold.
    pub baseline_test: f64,
}

/// Cross-validates the grid: `runs[i]` is point `i`'s ranking of every query, `baseline` the
/// index of the reference point (the defaults).
pub fn cross_validate(
    qrels: &Qrels,
    runs: &[Run],
    point_changes: &[usize],
    baseline: usize,
    k: usize,
    threshold: i32,
) -> Vec<FoldResult> {
    let folds = folds(qrels, k, threshold);
    let mut out = Vec::new();
    for (f, test_ids) in folds.iter().enumerate() {
        if test_ids.is_empty() {
            continue;
        }
        let train_ids: Vec<String> = folds
            .iter()
            .enumerate()
            .filter(|&(g, _)| g != f)
            .flat_map(|(_, ids)| ids.iter().cloned())
            .collect();
        let train_q = subset(qrels, &train_ids);
        let test_q = subset(qrels, test_ids);
        let train: Vec<f64> = runs
            .iter()
            .map(|r| evaluate(&train_q, r, threshold).ndcg10)
            .collect();
        let best = train.iter().cloned().fold(f64::MIN, f64::max);
        let chosen = (0..runs.len())
            .filter(|&i| train[i] >= best - TIE)
            .min_by(|&a, &b| {
                point_changes[a]
                    .cmp(&point_changes[b])
                    .then(train[b].total_cmp(&train[a]))
            })
            .unwrap_or(baseline);
        out.push(FoldResult {
            test_queries: test_q.len(),
            chosen,
            train: train[chosen],
            test: evaluate(&test_q, &runs[chosen], threshold),
            baseline_test: evaluate(&test_q, &runs[baseline], threshold).ndcg10,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qrels(ids: &[&str]) -> Qrels {
        let mut q = Qrels::new();
        for id in ids {
            q.entry(id.to_string())
                .or_default()
                .insert(format!("d{id}"), 1);
        }
        q
    }

    #[test]
    fn grid_parses_names_and_values_and_rejects_the_rest() {
        let axes = parse_grid("correction=0,1; dense=0.5,0.7").unwrap();
        assert_eq!(axes.len(), 2);
        assert_eq!(axes[1].values, vec![0.5, 0.7]);
        assert_eq!(points(&axes).len(), 4);
        assert!(parse_grid("speed=1").is_err());
        assert!(parse_grid("dense=1.5").is_err());
        assert!(parse_grid("title=a").is_err());
        assert!(parse_grid("title=1;title=2").is_err());
        assert!(parse_grid("").is_err());
    }

    #[test]
    fn a_point_counts_only_the_weights_it_changes() {
        let d = QueryWeights::default();
        assert_eq!(changes(&[("title".into(), d.title)]), 0);
        assert_eq!(
            changes(&[("title".into(), d.title + 1.0), ("dense".into(), 0.1)]),
            2
        );
    }

    #[test]
    fn folds_cover_every_judged_query_once() {
        let q = qrels(&["1", "2", "3", "4", "5", "6", "7"]);
        let f = folds(&q, 3, 1);
        assert_eq!(f.len(), 3);
        let mut all: Vec<String> = f.concat();
        all.sort();
        assert_eq!(all, vec!["1", "2", "3", "4", "5", "6", "7"]);
        assert!(f.iter().all(|fold| fold.len() >= 2));
        assert_eq!(folds(&q, 3, 1), f, "the folds repeat");
    }

    #[test]
    fn each_fold_chooses_on_the_others_and_scores_on_its_own() {
        let ids = ["1", "2", "3", "4", "5", "6"];
        let q = qrels(&ids);
        // Point 0 finds every relevant document, point 1 none.
        let good: Run = ids
            .iter()
            .map(|id| (id.to_string(), vec![(format!("d{id}"), 1.0)]))
            .collect();
        let bad: Run = ids
            .iter()
            .map(|id| (id.to_string(), vec![("nothing".to_string(), 1.0)]))
            .collect();
        let results = cross_validate(&q, &[bad, good], &[0, 1], 0, 3, 1);
        assert_eq!(results.len(), 3);
        for r in &results {
            assert_eq!(r.chosen, 1);
            assert!((r.test.ndcg10 - 1.0).abs() < 1e-9);
            assert!(r.baseline_test.abs() < 1e-9);
        }
    }

    #[test]
    fn near_ties_go_to_the_point_with_fewer_changes() {
        let ids = ["1", "2", "3", "4"];
        let q = qrels(&ids);
        let good: Run = ids
            .iter()
            .map(|id| (id.to_string(), vec![(format!("d{id}"), 1.0)]))
            .collect();
        let results = cross_validate(&q, &[good.clone(), good], &[2, 0], 0, 2, 1);
        assert!(results.iter().all(|r| r.chosen == 1));
    }
}
