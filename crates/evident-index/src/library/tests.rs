//! Unit tests of fusion, the stored content hash and the result cache.

use super::writer::content_hash;
use super::*;

#[test]
fn fusion_rewards_agreement_and_keeps_score_gaps() {
    let list = |xs: &[(&str, f32)]| -> Vec<(String, f32)> {
        xs.iter().map(|(id, s)| (id.to_string(), *s)).collect()
    };
    let lexical = list(&[("a", 9.0), ("b", 8.0), ("c", 1.0)]);
    let dense = list(&[("b", 0.8), ("d", 0.79), ("a", 0.2)]);
    let rrf = fuse(&lexical, &dense, "rrf:60".parse().unwrap());
    assert_eq!(rrf[0].0, "b");
    let convex = fuse(&lexical, &dense, "convex:0.5".parse().unwrap());
    assert_eq!(convex[0].0, "b");
    // "d" is nearly as close as "b" in the dense list; "c" is far behind in BM25.
    let pos = |id: &str| convex.iter().position(|x| x.0 == id).unwrap();
    assert!(pos("d") < pos("c"));
    assert!("convex:1.5".parse::<Fusion>().is_err());
    assert!("mean".parse::<Fusion>().is_err());
}

#[test]
fn content_hash_is_stable() {
    // Stored with every source; values computed with the hash code this one replaced.
    assert_eq!(
        content_hash(&[b"{\"id\":\"x\"}", b"text"]),
        "7e40ad8361d61a11"
    );
    assert_eq!(content_hash(&[b"", b""]), "0a99c907b6f64763");
}

/// A ranking of `n` passages of `text_bytes` bytes each.
fn ranking(n: usize, text_bytes: usize) -> Ranked {
    let source = SourceBrief {
        id: "t:src".into(),
        title: "A title".into(),
        publisher: Some("A publisher".into()),
        year: Some(2024),
        url: None,
        kind: SourceKind::Guideline,
        audience: Audience::Clinician,
    };
    Arc::new(
        (0..n)
            .map(|i| {
                let passage = Passage {
                    id: format!("t:src#{i}"),
                    source_id: "t:src".into(),
                    ordinal: i as u32,
                    trail: vec!["Treatment".into(), "Dosing".into()],
                    text: "x".repeat(text_bytes),
                    start: 0,
                    end: text_bytes,
                    grade: None,
                    anchor: None,
                };
                (1.0 / (i + 1) as f32, passage, source.clone())
            })
            .collect(),
    )
}

fn cache(capacity: usize, max_bytes: usize) -> ResultCache {
    ResultCache {
        capacity,
        max_bytes,
        ..ResultCache::default()
    }
}

fn keys(c: &ResultCache) -> Vec<&str> {
    c.order.values().map(String::as_str).collect()
}

#[test]
fn many_large_rankings_never_pass_the_byte_bound() {
    const BOUND: usize = 2 << 20;
    let mut c = cache(1000, BOUND);
    for q in 0..60 {
        // 150 passages of 1 kB: about 170 kB a ranking, a dozen fit.
        c.put(format!("question {q}"), ranking(150, 1000));
        let held: usize = c.entries.iter().map(|(k, e)| ranked_bytes(k, &e.0)).sum();
        assert_eq!(c.bytes, held, "the running total is the sum of the entries");
        assert!(c.bytes <= BOUND, "{} bytes after {q} puts", c.bytes);
        let texts: usize = c
            .entries
            .values()
            .flat_map(|e| e.0.iter())
            .map(|(_, p, _)| p.text.len())
            .sum();
        assert!(
            c.bytes > texts,
            "the estimate covers at least the passage texts"
        );
        assert!(
            c.get(&format!("question {q}")).is_some(),
            "the newest is kept"
        );
    }
    assert!((8..20).contains(&c.entries.len()), "{}", c.entries.len());
    assert_eq!(c.entries.len(), c.order.len());
    c.clear();
    assert_eq!((c.bytes, c.entries.len(), c.order.len()), (0, 0, 0));
}

#[test]
fn the_least_recently_used_ranking_goes_first() {
    let mut c = cache(3, usize::MAX);
    for k in ["a", "b", "c"] {
        c.put(k.into(), ranking(2, 10));
    }
    assert!(c.get("a").is_some());
    c.put("d".into(), ranking(2, 10));
    assert_eq!(keys(&c), ["c", "a", "d"], "b was used least recently");
    assert!(c.get("b").is_none());
    assert!(c.get("c").is_some());
    c.put("e".into(), ranking(2, 10));
    assert_eq!(keys(&c), ["d", "c", "e"]);

    // The byte bound evicts in the same order: room for two of these.
    let size = ranked_bytes(&"x".to_string(), &ranking(10, 1000));
    let mut c = cache(100, 2 * size + size / 2);
    c.put("x".into(), ranking(10, 1000));
    c.put("y".into(), ranking(10, 1000));
    assert!(c.get("x").is_some());
    c.put("z".into(), ranking(10, 1000));
    assert_eq!(keys(&c), ["x", "z"]);
    assert!(c.bytes <= c.max_bytes);
}

#[test]
fn a_ranking_larger_than_the_budget_is_not_kept() {
    let small = ranking(2, 100);
    let mut c = cache(10, 8 * ranked_bytes(&"small".to_string(), &small));
    c.put("small".into(), small);
    let before = c.bytes;
    c.put("huge".into(), ranking(150, 2000));
    assert!(c.get("huge").is_none());
    assert!(c.get("small").is_some(), "nothing was evicted for it");
    assert_eq!(c.bytes, before);

    for off in [cache(0, usize::MAX), cache(10, 0)] {
        let mut off = off;
        off.put("small".into(), ranking(1, 10));
        assert!(off.get("small").is_none(), "either bound 0 turns it off");
    }
}
