//! Unit tests of fusion and the stored content hash.

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
