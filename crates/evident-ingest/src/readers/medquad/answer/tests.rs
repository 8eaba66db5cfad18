//! Answer text into blocks, on small answers written for these tests.

use super::*;
use proptest::prelude::*;

use AnswerBlock::{Heading, Item, Paragraph};

fn blocks(answer: &str) -> Vec<AnswerBlock> {
    answer_blocks(answer, "What is widget syndrome?")
}

fn h(depth: u8, t: &str) -> AnswerBlock {
    Heading(depth, t.to_string())
}

fn p(t: &str) -> AnswerBlock {
    Paragraph(t.to_string())
}

fn i(t: &str) -> AnswerBlock {
    Item(t.to_string())
}

#[test]
fn a_title_case_line_before_a_paragraph_is_a_heading() {
    assert_eq!(
        blocks("Widgets can itch.\nCaring for the Skin\nCool baths soothe the itch."),
        [
            p("Widgets can itch."),
            h(1, "Caring for the Skin"),
            p("Cool baths soothe the itch.")
        ]
    );
}

#[test]
fn headings_that_follow_each_other_nest() {
    assert_eq!(
        blocks(
            "Options for Adults\nMild Widget Syndrome\nRest is enough.\nSevere Widget Syndrome\nA brace may help."
        ),
        [
            h(1, "Options for Adults"),
            h(2, "Mild Widget Syndrome"),
            p("Rest is enough."),
            h(1, "Severe Widget Syndrome"),
            p("A brace may help.")
        ]
    );
}

#[test]
fn a_title_case_run_before_spaces_heads_its_paragraph() {
    assert_eq!(
        blocks(
            "Stage 2     The widget has grown. It may ache.     Stage 3   Stage 3 means spread."
        ),
        [
            h(1, "Stage 2"),
            p("The widget has grown. It may ache."),
            h(1, "Stage 3"),
            p("Stage 3 means spread.")
        ]
    );
    assert_eq!(
        blocks("Main Points    - Widgets are rare.    - They are mild."),
        [
            h(1, "Main Points"),
            i("Widgets are rare."),
            i("They are mild.")
        ]
    );
}

#[test]
fn a_heading_fused_to_its_sentence_by_one_space_is_split() {
    assert_eq!(
        blocks(
            "Widgets are rare. Checking Your Knees If your knees swell, rest them. \
             Family Background A parent with widgets passes them on half the time."
        ),
        [
            p("Widgets are rare."),
            h(1, "Checking Your Knees"),
            p("If your knees swell, rest them."),
            h(1, "Family Background"),
            p("A parent with widgets passes them on half the time.")
        ]
    );
    assert_eq!(
        blocks("Treating Flare-ups You and your nurse plan the doses. Local Care If the knee swells, rest it."),
        [
            h(1, "Treating Flare-ups"),
            p("You and your nurse plan the doses."),
            h(1, "Local Care"),
            p("If the knee swells, rest it.")
        ]
    );
    assert_eq!(
        blocks("Drugs Are Available The Food and Drug Administration has approved two."),
        [
            h(1, "Drugs Are Available"),
            p("The Food and Drug Administration has approved two.")
        ]
    );
}

#[test]
fn sentences_that_open_with_names_are_not_split() {
    for s in [
        "The National Widget Institute funds research on widgets.",
        "The Widget A vaccine and the widget B vaccine prevent it.",
        "Invasive Group A Widget infections are rare.",
        "Medicare Part A covers hospital stays.",
        "Vitamin A Deficiency In Children is common in some countries.",
        "Mayo Clinic In Rochester treats widgets.",
        "Widget Syndrome In Children is the topic of this leaflet.",
        "Healthy People 2030 sets goals for widget care.",
        "Johns Hopkins University researchers found a widget gene.",
        "The Little Widgets of America group runs a helpline.",
        "When To Talk With a Doctor Ask early about knee pain.",
        "Related Pages Common Questions Who Should Get These Widgets? Nobody knows.",
    ] {
        let got = blocks(s);
        assert!(
            !got.iter().any(|b| matches!(b, Heading(..))),
            "{s}: {got:?}"
        );
    }
}

#[test]
fn a_run_of_names_before_spaces_is_no_heading() {
    // A flattened list of treatments, and a name broken by spaces, are not headings.
    for s in [
        "Creams  Salves (such as zinc paste) Oral tablets Patches",
        "Widget-Smith  syndrome is a made-up condition.",
        "Vasovagal\nCarotid sinus\nSituational",
    ] {
        let got = blocks(s);
        assert!(
            !got.iter().any(|b| matches!(b, Heading(..))),
            "{s}: {got:?}"
        );
    }
}

#[test]
fn a_label_before_a_spaced_colon_is_a_heading() {
    assert_eq!(
        blocks("Summary : Widgets are small. They are common."),
        [h(1, "Summary"), p("Widgets are small. They are common.")]
    );
    assert_eq!(
        blocks("The ratio 2 : 1 is typical."),
        [p("The ratio 2 : 1 is typical.")]
    );
}

#[test]
fn short_lines_after_a_colon_are_list_items() {
    assert_eq!(
        blocks(
            "Relaxing activities include:\nA quiet walk\nYoga\nTalking with friends\n\
             Regular Exercise\nRegular exercise eases widget pain. Start slowly."
        ),
        [
            p("Relaxing activities include:"),
            i("A quiet walk"),
            i("Yoga"),
            i("Talking with friends"),
            h(1, "Regular Exercise"),
            p("Regular exercise eases widget pain. Start slowly.")
        ]
    );
    // A Title Case item that does not name the paragraph after it stays an item.
    assert_eq!(
        blocks("Signs may include:\nFever\nSkin Rash\nMost people recover in a week."),
        [
            p("Signs may include:"),
            i("Fever"),
            i("Skin Rash"),
            p("Most people recover in a week.")
        ]
    );
}

#[test]
fn sentence_case_lines_outside_lists_stay_paragraphs() {
    assert_eq!(
        blocks("Widgets are rare.\nMostly in adults\nThey are mild."),
        [
            p("Widgets are rare."),
            p("Mostly in adults"),
            p("They are mild.")
        ]
    );
    // A Title Case line with nothing after it is no heading.
    assert_eq!(
        blocks("Widgets are rare.\nWidget Centres"),
        [p("Widgets are rare."), p("Widget Centres")]
    );
}

#[test]
fn a_list_opened_with_a_single_spaced_dash_is_a_list() {
    assert_eq!(
        blocks("Risks include - older age  - a family history  - smoking."),
        [
            p("Risks include"),
            i("older age"),
            i("a family history"),
            i("smoking.")
        ]
    );
    // A dash in prose before a list stays prose.
    assert_eq!(
        blocks("Widgets - mostly mild - are common. Ways to cope:   - rest  - ice"),
        [
            p("Widgets - mostly mild - are common. Ways to cope:"),
            i("rest"),
            i("ice")
        ]
    );
}

#[test]
fn a_list_repeated_as_run_on_text_is_dropped() {
    assert_eq!(
        blocks(
            "You can - rest often.  - drink water.  - sleep well. rest often. drink water. \
             sleep well. Easing Pain If pain lasts, see a doctor."
        ),
        [
            p("You can"),
            i("rest often."),
            i("drink water."),
            i("sleep well."),
            h(1, "Easing Pain"),
            p("If pain lasts, see a doctor.")
        ]
    );
}

#[test]
fn several_lists_on_one_line_each_lose_their_copy() {
    assert_eq!(
        blocks(
            "Steps include - rest  - ice. rest ice. Easing Pain If pain lasts, call. \
             Signs include - fever  - a limp. fever a limp. Most people recover."
        ),
        [
            p("Steps include"),
            i("rest"),
            i("ice."),
            h(1, "Easing Pain"),
            p("If pain lasts, call. Signs include"),
            i("fever"),
            i("a limp."),
            p("Most people recover.")
        ]
    );
    // A dash inside an item stays in the item.
    assert_eq!(
        blocks("Risks you cannot change:  - Age - the risk rises with age  - Genes - some run in families"),
        [
            p("Risks you cannot change:"),
            i("Age - the risk rises with age"),
            i("Genes - some run in families")
        ]
    );
}

#[test]
fn a_line_repeating_a_key_point_heads_its_part() {
    assert_eq!(
        blocks(
            "Main Points\n- Widgets are rare.\n- Rest helps.\nWidgets are rare.\n\
             About one person in a million has them.\nRest helps.\nMost people rest for a week."
        ),
        [
            h(1, "Main Points"),
            i("Widgets are rare."),
            i("Rest helps."),
            h(1, "Widgets are rare."),
            p("About one person in a million has them."),
            h(1, "Rest helps."),
            p("Most people rest for a week.")
        ]
    );
}

#[test]
fn a_flattened_frequency_table_becomes_items() {
    assert_eq!(
        blocks(
            "The list shows signs. Signs Seen How often (if known) Knee pain 90% Stiff joints 7.5% \
             Short stature 1/4 Limp - Widget syndrome is rare. It is mild."
        ),
        [
            p("The list shows signs. Signs Seen How often (if known)"),
            i("Knee pain 90%"),
            i("Stiff joints 7.5%"),
            i("Short stature 1/4"),
            i("Limp"),
            p("Widget syndrome is rare. It is mild.")
        ]
    );
    // A bracket and a percentage in a sentence are no table.
    let s = "High blood pressure (hypertension) affects 30% of adults. Rest - and time - help.";
    assert_eq!(blocks(s), [p(s)]);
}

#[test]
fn a_leading_copy_of_the_question_is_dropped() {
    assert_eq!(
        blocks("What is widget syndrome? Widget syndrome is a made-up condition."),
        [p("Widget syndrome is a made-up condition.")]
    );
    assert_eq!(
        blocks("What is widget syndrome worth? Nobody knows."),
        [p("What is widget syndrome worth? Nobody knows.")]
    );
}

#[test]
fn navigation_and_glued_sentences_are_cleaned() {
    assert_eq!(
        blocks(
            "Widgets can itch.Treatment with cool packs helps. (Watch the video to see how. \
             To enlarge the video, click the corner.) Most people recover.\nMore on: Widget Care"
        ),
        [p(
            "Widgets can itch. Treatment with cool packs helps. Most people recover."
        )]
    );
    assert_eq!(
        blocks("Rest helps.\n- Click here to find a clinic.\n- Ice helps."),
        [p("Rest helps."), i("Ice helps.")]
    );
}

proptest! {
    #[test]
    fn answer_blocks_never_panic(s in "\\PC*", q in "[a-zA-Z ?]{0,30}") {
        for b in answer_blocks(&s, &q) {
            match b {
                Heading(d, t) => prop_assert!((1..=MAX_DEPTH).contains(&d) && !t.is_empty()),
                Paragraph(t) | Item(t) => prop_assert!(!t.is_empty()),
            }
        }
    }

    #[test]
    fn answer_blocks_keep_every_word_but_navigation(
        lines in prop::collection::vec("[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,6}[.:]?( {1,3}- [a-z]{1,6}){0,3}", 1..6)
    ) {
        let answer = lines.join("\n");
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
        };
        let got: Vec<String> = answer_blocks(&answer, "")
            .iter()
            .flat_map(|b| match b { Heading(_, t) | Paragraph(t) | Item(t) => words(t) })
            .collect();
        // Only navigation text and repeated list items are ever dropped; these lines have
        // neither unless a random word makes one, so compare when no word could.
        let want = words(&answer);
        if !want.iter().any(|w| ["click", "learn", "see", "more", "this", "watch", "to", "for", "play", "you", "visit", "explore", "on"].contains(&w.as_str())) {
            prop_assert_eq!(got, want);
        }
    }
}
