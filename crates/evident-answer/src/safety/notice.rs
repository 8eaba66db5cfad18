//! The urgent-care notice: the product's own words, by audience, naming the signs found and
//! adding advice for their kinds of emergency.
//!
//! The wording stays in code rather than in the table: it is one reviewed text (sentence order,
//! the emergency and crisis numbers, what to do while waiting) that every answer's Markdown and
//! JSON carry byte for byte, while the table is where editors add and tune signs.

use evident_core::Audience;

use super::rules::{Category, Rule};

/// Added for clinicians and students when a sign of the category is found, in this order.
const CLINICIAN_ADVICE: &[(Category, &str)] = &[
    (
        Category::Stroke,
        "Possible stroke or intracranial bleeding: establish the time last known well.",
    ),
    (
        Category::Suicide,
        "Assess suicide risk now and do not leave the person alone (US crisis line: call or text \
         988).",
    ),
];

/// Added for patients and the public when a sign of the category is found, in this order.
const PATIENT_ADVICE: &[(Category, &str)] = &[
    (
        Category::Stroke,
        "They can be signs of a stroke or of bleeding in the brain: note the time they started, \
         because treatment works best when it is given early.",
    ),
    (
        Category::Heart,
        "Sit down and rest while you wait for help.",
    ),
    (
        Category::Allergy,
        "If an epinephrine (adrenaline) auto-injector has been prescribed, use it now.",
    ),
    (
        Category::Unconscious,
        "If the person is not breathing normally, start CPR if you know how and follow the \
         dispatcher's instructions.",
    ),
    (
        Category::Poisoning,
        "In the US you can also call Poison Help at 1-800-222-1222; keep the container or pills \
         to show the team.",
    ),
    (
        Category::Pregnancy,
        "Tell the team how many weeks pregnant you are.",
    ),
    (
        Category::Suicide,
        "If you are thinking about suicide or hurting yourself, you can also call or text 988 in \
         the US (Suicide & Crisis Lifeline), or your local crisis line.",
    ),
];

/// The notice for the rules `found` (at least one), in words for `audience`.
pub(crate) fn compose(found: &[&Rule], audience: Audience) -> String {
    let signs: Vec<&str> = found.iter().map(|r| r.sign.as_str()).collect();
    let list = join_natural(&signs);
    let (mut out, advice) = match audience {
        Audience::Clinician | Audience::Student => (
            format!(
                "Emergency warning signs described: {list} — assess urgently; this article does \
                 not replace emergency care."
            ),
            CLINICIAN_ADVICE,
        ),
        Audience::Patient | Audience::All
            if found.iter().all(|r| r.category == Category::Suicide) =>
        {
            return format!(
                "Your question mentions {list}. Please reach out for help now: call or text 988 \
                 in the US (Suicide & Crisis Lifeline), or your local crisis line. If you are in \
                 immediate danger or have already hurt yourself, call your local emergency \
                 number (911 in the US) now."
            );
        }
        Audience::Patient | Audience::All => (
            format!(
                "Your question describes {list}. These can be signs of a medical emergency: call \
                 your local emergency number (911 in the US) now, or have someone take you to the \
                 nearest emergency department. Do not drive yourself, and do not wait to see if \
                 it passes."
            ),
            PATIENT_ADVICE,
        ),
    };
    for (category, text) in advice {
        if found.iter().any(|r| r.category == *category) {
            out.push(' ');
            out.push_str(text);
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
fn join_natural(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_are_joined_as_in_a_sentence() {
        let cases: [(&[&str], &str); 4] = [
            (&[], ""),
            (&["a"], "a"),
            (&["a", "b"], "a and b"),
            (&["a", "b", "c"], "a, b and c"),
        ];
        for (items, expected) in cases {
            assert_eq!(join_natural(items), expected);
        }
    }
}
