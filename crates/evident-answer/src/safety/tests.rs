//! Behaviour of warning-sign detection and notices, through the public functions: which
//! questions get a notice, which signs it names and what it advises.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::*;

fn signs(q: &str, a: Audience) -> Vec<&'static str> {
    warning_signs(q, a)
}

const POSITIVE_PATIENT: &[(&str, &str)] = &[
    (
        "I woke up with one side of my face drooping",
        "face drooping",
    ),
    (
        "I have crushing chest pain and my left arm feels numb",
        "chest pain or pressure",
    ),
    (
        "My husband's speech is slurred and he seems confused",
        "slurred or lost speech",
    ),
    (
        "I can't breathe and my throat feels like it is closing",
        "trouble breathing",
    ),
    (
        "I can't breathe and my throat feels like it is closing",
        "throat or tongue swelling",
    ),
    ("I want to kill myself", "thoughts of suicide or self-harm"),
    (
        "I've been having suicidal thoughts lately",
        "thoughts of suicide or self-harm",
    ),
    (
        "My son took an overdose of his sleeping pills",
        "a possible overdose or poisoning",
    ),
    (
        "My daughter had a seizure that has lasted more than five minutes",
        "a prolonged or repeated seizure",
    ),
    ("I'm vomiting blood", "vomiting blood"),
    (
        "There is blood in my stool and I feel dizzy",
        "blood in the stool with dizziness or fainting",
    ),
    (
        "My baby has a high fever and a stiff neck",
        "fever with a stiff neck",
    ),
    (
        "I'm 32 weeks pregnant with a severe headache and blurry vision",
        "a severe headache with vision changes in pregnancy",
    ),
    (
        "I'm pregnant and bleeding heavily",
        "heavy bleeding in pregnancy",
    ),
    (
        "Worst headache of my life, it came on suddenly",
        "a sudden severe headache",
    ),
    (
        "My dad fainted and won't wake up",
        "unconsciousness or unresponsiveness",
    ),
    (
        "My lips and tongue are swelling after eating peanuts",
        "throat or tongue swelling",
    ),
    (
        "I have hives, my face is swelling and I have trouble breathing",
        "face swelling with hives or trouble breathing",
    ),
    (
        "My stomach hurts badly and my belly is rigid",
        "severe belly pain with a rigid belly",
    ),
    (
        "My mother has a fever, is confused and her skin is mottled",
        "signs of sepsis",
    ),
    ("chest tightness and sweating", "chest pain or pressure"),
    ("Someone is choking, what should I do?", "choking"),
    (
        "My wife suddenly can't speak properly",
        "slurred or lost speech",
    ),
    (
        "I think I'm having a heart attack",
        "signs of a possible heart attack",
    ),
];

#[test]
fn emergencies_described_by_patients_are_flagged() {
    for (q, label) in POSITIVE_PATIENT {
        let found = signs(q, Audience::Patient);
        assert!(
            found.contains(label),
            "{q:?} → {found:?}, expected {label:?}"
        );
        let notice = urgent_notice(q, Audience::Patient).expect(q);
        assert!(notice.contains(label), "{notice}");
        assert!(notice.contains("911"), "{notice}");
    }
}

#[test]
fn stroke_example_names_the_sign_and_says_call_now() {
    let n = urgent_notice(
        "I woke up with one side of my face drooping",
        Audience::Patient,
    )
    .unwrap();
    assert!(n.contains("face drooping"));
    assert!(n.contains("stroke"));
    assert!(
        n.contains("call your local emergency number (911 in the US) now"),
        "{n}"
    );
}

#[test]
fn suicidal_thoughts_get_the_crisis_line() {
    for q in [
        "I want to die",
        "I keep thinking about ending my life",
        "I have been cutting myself",
    ] {
        let n = urgent_notice(q, Audience::Patient).expect(q);
        assert!(n.contains("988"), "{q}: {n}");
        assert!(n.contains("emergency number (911 in the US) now"), "{n}");
    }
    let n = urgent_notice("I want to kill myself", Audience::Clinician).unwrap();
    assert!(n.contains("988"), "{n}");
}

#[test]
fn pregnancy_bleeding_replaces_the_general_bleeding_sign() {
    let found = signs("I'm pregnant and bleeding heavily", Audience::Patient);
    assert_eq!(found, ["heavy bleeding in pregnancy"]);
}

#[test]
fn clinician_case_descriptions_get_a_short_line() {
    let cases = [
        (
            "68-year-old man presenting with crushing chest pain and diaphoresis, next step?",
            "chest pain or pressure",
        ),
        (
            "My patient is slurring her words and has a facial droop",
            "slurred or lost speech",
        ),
        (
            "Patient has lip and tongue swelling after amoxicillin",
            "throat or tongue swelling",
        ),
        (
            "I have a patient who took a whole bottle of acetaminophen",
            "a possible overdose or poisoning",
        ),
    ];
    for (q, label) in cases {
        let n = urgent_notice(q, Audience::Clinician).unwrap_or_else(|| panic!("{q}"));
        assert!(n.starts_with("Emergency warning signs described: "), "{n}");
        assert!(n.contains(label), "{n}");
        assert!(n.contains("assess urgently; this article does not replace emergency care."));
        assert!(!n.contains("911"), "{n}");
    }
}

const NEGATIVE: &[(&str, Audience)] = &[
    (
        "What is the treatment for necrotizing autoimmune myopathy?",
        Audience::Clinician,
    ),
    ("first-line therapy for stage I NSCLC", Audience::Clinician),
    (
        "Who should be screened for hepatitis C?",
        Audience::Clinician,
    ),
    (
        "How often should a 35-year-old woman be screened for cervical cancer?",
        Audience::Clinician,
    ),
    (
        "How often should a 35-year-old woman be screened for cervical cancer?",
        Audience::Patient,
    ),
    (
        "What is the first-line treatment for anaphylaxis?",
        Audience::Clinician,
    ),
    (
        "How is acute chest pain evaluated in the emergency department?",
        Audience::Clinician,
    ),
    ("What are the warning signs of a stroke?", Audience::Patient),
    (
        "Which drug is preferred for a seizure lasting more than 5 minutes?",
        Audience::Clinician,
    ),
    (
        "What is the antidote for acetaminophen overdose?",
        Audience::Clinician,
    ),
    (
        "Who should be screened for suicide risk?",
        Audience::Patient,
    ),
    (
        "How should I manage chest pain in a patient who uses cocaine?",
        Audience::Clinician,
    ),
    (
        "Bleeding risk of apixaban compared with warfarin",
        Audience::Clinician,
    ),
    ("What causes blood in the stool?", Audience::Patient),
    (
        "Treatment of preeclampsia with severe features",
        Audience::Clinician,
    ),
    (
        "What is the dose of epinephrine for anaphylaxis in children?",
        Audience::Patient,
    ),
    (
        "What are the symptoms of meningitis, such as fever and a stiff neck?",
        Audience::Patient,
    ),
    ("How is sepsis treated?", Audience::Patient),
    (
        "I had a heart attack five years ago; should I keep taking a statin?",
        Audience::Patient,
    ),
    (
        "I have heavy menstrual bleeding; what can I take?",
        Audience::Patient,
    ),
    (
        "I have no chest pain but I get short of breath climbing stairs",
        Audience::Patient,
    ),
    (
        "What is the difference between a TIA and a stroke?",
        Audience::Patient,
    ),
    (
        "Management of status epilepticus in adults",
        Audience::Clinician,
    ),
    ("Does a collapsed lung need surgery?", Audience::Patient),
    ("", Audience::Patient),
];

#[test]
fn general_questions_are_not_flagged() {
    for (q, a) in NEGATIVE {
        assert_eq!(signs(q, *a), Vec::<&str>::new(), "{q:?} ({a})");
        assert_eq!(urgent_notice(q, *a), None, "{q:?}");
    }
}

#[test]
fn negated_signs_are_ignored() {
    for q in [
        "I have a cough but no chest pain and no trouble breathing",
        "My father denies chest pain",
        "I am not having a seizure, I just feel tired",
        "My son fell but there is no bleeding and no trouble breathing",
    ] {
        assert_eq!(signs(q, Audience::Patient), Vec::<&str>::new(), "{q:?}");
    }
}

#[test]
fn notice_lists_several_signs() {
    let n = urgent_notice(
        "I have chest pain, I can't breathe and my left arm is numb",
        Audience::Patient,
    )
    .unwrap();
    assert!(
        n.contains(
            "chest pain or pressure, weakness or numbness on one side and trouble breathing"
        ),
        "{n}"
    );
}

#[test]
fn words_are_read_as_the_patterns_expect() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "I can not, I cannot, won't, does not",
            &["i", "cant", "i", "cant", "wont", "doesnt"],
        ),
        ("It’s my dad‘s `chest`", &["its", "my", "dads", "chest"]),
        ("CHEST-PAIN!!! 911", &["chest", "pain", "911"]),
        ("’’’ ¿¡ 🙂 \u{0}", &[]),
    ];
    for (question, words) in cases {
        assert_eq!(normalize(question), words, "{question:?}");
    }
}

/// Long, repetitive and odd input finishes quickly and gives the expected signs; a question is
/// read only up to `MAX_WORDS` words.
#[test]
fn long_and_odd_input_does_not_hang() {
    /// Far above the second or so these take together in a debug build.
    const LIMIT: Duration = Duration::from_secs(30);
    let filler = "and chest ".repeat(200_000);
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("filler", filler.clone(), &[]),
        (
            "sign, then filler",
            format!("I have crushing chest pain {filler}"),
            &["chest pain or pressure"],
        ),
        (
            "filler, then a sign past the word limit",
            format!("{filler} I have crushing chest pain"),
            &[],
        ),
        (
            "many partial matches of a two-gap pattern",
            "suddenly lost my ".repeat(MAX_WORDS),
            &[],
        ),
        (
            "a sign at the end of a long gap-free run",
            "my face ".repeat(MAX_WORDS / 2 - 2) + "is drooping",
            &["face drooping"],
        ),
        ("apostrophes only", "’".repeat(1_000_000), &[]),
        ("odd characters", "’’’ ¿¡ İ ﬁ 🙂 \u{0}".to_string(), &[]),
    ];
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let results: Vec<_> = cases
            .into_iter()
            .map(|(name, q, expected)| {
                let found = warning_signs(&q, Audience::Patient);
                let notice = urgent_notice(&q, Audience::Patient);
                (name, expected, found, notice)
            })
            .collect();
        tx.send(results).expect("the test waits for the results");
    });
    let results = rx
        .recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("detection took more than {LIMIT:?}"));
    for (name, expected, found, notice) in results {
        assert_eq!(found, expected, "{name}");
        assert_eq!(notice.is_some(), !expected.is_empty(), "{name}");
    }
}

/// The dev set `eval/urgent.jsonl`: every emergency gets the notice and no look-alike does.
/// On failure, lists each miss and false alarm with the signs found.
#[test]
fn the_urgent_dev_set_has_no_misses_and_no_false_alarms() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/urgent.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let set = eval_set::parse_set(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report = eval_set::measure(&set);
    assert!(report.emergencies.total >= 35 && report.look_alikes.total >= 35);
    let wrong: Vec<String> = report
        .misses()
        .chain(report.false_alarms())
        .map(|v| {
            let q = &set
                .iter()
                .find(|q| q.id == v.id)
                .expect("same set")
                .question;
            let what = if v.urgent { "missed" } else { "false alarm" };
            format!(
                "{} {what} ({}): {q:?} → {:?}",
                v.id, v.audience, v.signs_found
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The held-out set is measured by `evident eval urgent`, never tuned on; here it must only
/// parse.
#[test]
fn the_urgent_holdout_set_parses() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../eval/urgent-holdout.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let set = eval_set::parse_set(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(set.len() >= 30, "{} questions", set.len());
}
