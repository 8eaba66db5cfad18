//! Reading level: the Flesch–Kincaid grade of a text.
//!
//! Used to report how hard an answer is to read and to check that the patient rendering is
//! plainer than the clinician one. The syllable count is a heuristic (vowel groups, a silent
//! final "e"), good enough to rank texts, not to hyphenate them.

use evident_core::text::split_sentences;

/// Flesch–Kincaid grade level: `0.39·words/sentences + 11.8·syllables/words − 15.59`.
///
/// Sentences are counted with [`evident_core::text::split_sentences`] (at least one when there
/// are words); a word is a whitespace-separated token holding at least one letter or digit.
/// Returns 0.0 for a text without words. The value is not clamped: very simple text can score
/// below zero.
pub fn flesch_kincaid_grade(text: &str) -> f32 {
    let mut words = 0usize;
    let mut syllable_total = 0usize;
    for token in text.split_whitespace() {
        if token.chars().any(char::is_alphanumeric) {
            words += 1;
            syllable_total += syllables(token);
        }
    }
    if words == 0 {
        return 0.0;
    }
    let sentence_count = split_sentences(text)
        .into_iter()
        .filter(|r| text[r.clone()].chars().any(char::is_alphanumeric))
        .count()
        .max(1);
    let words_f = words as f32;
    0.39 * words_f / sentence_count as f32 + 11.8 * syllable_total as f32 / words_f - 15.59
}

/// Estimated number of syllables in one word (at least 1).
///
/// Counts groups of vowels (`a e i o u y`), then drops a silent final "e" ("make", "fate") but
/// not the "-le" of "table" or the "ee" of "free". Non-letters are ignored; a token with no
/// letters (a number, a symbol) counts as one syllable.
pub fn syllables(word: &str) -> usize {
    let letters: Vec<char> = word
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if letters.is_empty() {
        return 1;
    }
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'é' | 'è' | 'ë');
    let mut groups = 0usize;
    let mut in_group = false;
    for (i, &c) in letters.iter().enumerate() {
        // A leading "y" ("yes", "young") is a consonant.
        let vowel = is_vowel(c) && !(c == 'y' && i == 0);
        if vowel && !in_group {
            groups += 1;
        }
        in_group = vowel;
    }
    let n = letters.len();
    if groups > 1 && n >= 3 && letters[n - 1] == 'e' {
        let before = letters[n - 2];
        let consonant_le = before == 'l' && !is_vowel(letters[n - 3]);
        if !is_vowel(before) && !consonant_le {
            groups -= 1; // silent final e: "make", "therapy-free" keeps its "ee"
        }
    }
    groups.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_common_words() {
        let cases = [
            ("cat", 1),
            ("the", 1),
            ("make", 1),
            ("table", 2),
            ("free", 1),
            ("water", 2),
            ("yes", 1),
            ("happy", 2),
            ("medicine", 3),
            ("hypertension", 4),
            ("immunosuppressive", 6),
            ("rhythm", 1),
            ("a", 1),
            ("15", 1),
            ("mg/kg", 1),
            ("", 1),
        ];
        for (word, expected) in cases {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn simple_sentence_scores_below_first_grade() {
        let g = flesch_kincaid_grade("The cat sat on the mat.");
        assert!(g < 1.0, "{g}");
        let g = flesch_kincaid_grade("See a doctor. Take the pill once a day. Rest well.");
        assert!(g < 3.0, "{g}");
    }

    #[test]
    fn technical_sentence_scores_above_twelfth_grade() {
        let text = "Necrotizing autoimmune myopathy characteristically necessitates aggressive \
                    immunosuppressive combination therapy, because glucocorticoid monotherapy \
                    infrequently achieves sustained biochemical and clinical remission in \
                    anti-HMGCR seropositive individuals with statin exposure.";
        let g = flesch_kincaid_grade(text);
        assert!(g > 12.0, "{g}");
    }

    #[test]
    fn patient_wording_is_easier_than_clinician_wording() {
        let clinician = "Intravenous immunoglobulin is recommended for refractory disease.";
        let patient = "If the first medicine does not work, you may get a drip of antibodies.";
        assert!(flesch_kincaid_grade(patient) < flesch_kincaid_grade(clinician));
    }

    #[test]
    fn empty_and_wordless_text() {
        assert_eq!(flesch_kincaid_grade(""), 0.0);
        assert_eq!(flesch_kincaid_grade("  … — ! "), 0.0);
        // Text without a sentence end still counts as one sentence.
        assert!(flesch_kincaid_grade("just some words").is_finite());
    }
}
