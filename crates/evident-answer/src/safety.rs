//! Emergency warning signs in a question.
//!
//! When someone describes chest pain, signs of stroke, trouble breathing, thoughts of suicide and
//! the like, the answer puts an urgent-care notice first. The signs are found with word patterns
//! written for this project (no model, no network), and only when the question describes a
//! person's situation — "I woke up with my face drooping", "68-year-old man presenting with
//! crushing chest pain" — not when it asks about a condition in general ("How is acute chest pain
//! evaluated?"), so clinicians are not shown false alarms.
//!
//! # Patterns
//! A pattern is a sequence of slots separated by spaces, matched against the question's
//! lowercase words (apostrophes dropped, so "can't" is `cant`; "cannot", "can not" are `cant`,
//! "will not" is `wont`, "does not" is `doesnt`, …). A slot is one word, alternatives
//! `a|b|c`, or a prefix `breath*`; the slot `..` skips up to five words, none of them a
//! conjunction such as "and" or "but". A match right after "no", "not", "without", "denies" or
//! "never" is ignored.

use std::sync::OnceLock;

use evident_core::Audience;

/// Questions are read up to this many words.
const MAX_WORDS: usize = 4000;

/// Kinds of emergency, for the advice added to the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Heart,
    Stroke,
    Bleeding,
    Breathing,
    Allergy,
    Suicide,
    Poisoning,
    Seizure,
    Unconscious,
    Infection,
    Abdomen,
    Pregnancy,
}

struct Rule {
    /// Names the sign in the notice.
    label: &'static str,
    category: Category,
    /// Any one of these finds the sign.
    patterns: &'static [&'static str],
    /// Each group must also match somewhere in the question (any pattern of the group).
    with: &'static [&'static [&'static str]],
    /// The sign is not counted when any of these occurs ("heavy menstrual bleeding").
    unless: &'static [&'static str],
    /// The wording is itself first-person ("kill myself"): no need for other signs that the
    /// question describes a person's situation.
    personal: bool,
    /// Labels of less specific rules that this one makes redundant.
    replaces: &'static [&'static str],
}

const fn rule(label: &'static str, category: Category, patterns: &'static [&'static str]) -> Rule {
    Rule {
        label,
        category,
        patterns,
        with: &[],
        unless: &[],
        personal: false,
        replaces: &[],
    }
}

const FEVER: &[&str] = &[
    "fever*",
    "feverish",
    "febrile",
    "high temperature",
    "temperature of",
    "temp of",
    "burning up",
];
const PREGNANT: &[&str] = &[
    "pregnan*",
    "weeks pregnant",
    "expecting a baby",
    "postpartum",
    "gave birth",
    "after giving birth",
    "after delivery",
    "miscarr*",
];
const DIZZY: &[&str] = &[
    "dizz*",
    "lightheaded",
    "light headed",
    "fainted",
    "fainting",
    "feel faint",
    "feeling faint",
    "felt faint",
    "passed out",
    "passing out",
    "pass out",
    "pale",
    "heart racing",
    "racing heart",
    "lot of blood",
    "lots of blood",
];
const SEVERE_BLEEDING: &str = "severe bleeding";

static RULES: &[Rule] = &[
    // Heart.
    rule(
        "chest pain or pressure",
        Category::Heart,
        &[
            "chest pain*|pressure|tightness|discomfort|heaviness|hurts|hurting|ache*|aching|squeez*|crushing",
            "tight|heavy|crushing|squeezing|painful chest",
            "pain*|pressure|tightness|heaviness|discomfort|squeezing|crushing in|on|across .. chest",
        ],
    ),
    rule(
        "signs of a possible heart attack",
        Category::Heart,
        &[
            "having a heart attack",
            "is this a heart attack",
            "is it a heart attack",
        ],
    ),
    // Stroke.
    rule(
        "face drooping",
        Category::Stroke,
        &[
            "face|facial|mouth|smile .. droop*|lopsided|uneven|crooked",
            "droop*|droopy .. face|mouth|smile",
        ],
    ),
    rule(
        "weakness or numbness on one side",
        Category::Stroke,
        &[
            "one|left|right side .. weak*|numb*|paraly*|limp|dead|tingl*",
            "weak*|numb*|paraly*|limp .. one|left|right side|arm|leg",
            "left|right arm|leg .. weak*|numb*|limp|dead|heavy|paraly*",
            "cant|couldnt|unable move|lift|feel .. one side",
            "cant|couldnt|unable move|lift|feel .. half",
            "suddenly cant|couldnt move|lift|feel|use",
            "hemiparesis|hemiplegia",
        ],
    ),
    rule(
        "slurred or lost speech",
        Category::Stroke,
        &[
            "slur*",
            "speech .. garbled|jumbled|strange|weird|gone|slurr*",
            "words .. jumbled|garbled|mixed",
            "cant|couldnt speak|talk properly|clearly|normally",
            "suddenly cant|couldnt|unable speak|talk",
            "suddenly unable to speak|talk",
            "sudden* .. trouble|difficulty speaking|talking",
            "trouble|difficulty finding words",
        ],
    ),
    rule(
        "sudden confusion",
        Category::Stroke,
        &[
            "sudden* .. confus*|disorient*",
            "confus*|disorient* .. suddenly",
            "all of a sudden .. confus*|disorient*",
        ],
    ),
    rule(
        "a sudden severe headache",
        Category::Stroke,
        &[
            "sudden* .. headache*",
            "headache* .. sudden*",
            "worst headache*",
            "headache* .. worst",
            "thunderclap",
            "explosive headache*",
        ],
    ),
    Rule {
        personal: true,
        ..rule(
            "a sudden severe headache",
            Category::Stroke,
            &["worst headache of my life", "worst headache ive ever"],
        )
    },
    rule(
        "sudden loss of vision",
        Category::Stroke,
        &[
            "sudden* .. lost|loss|losing .. vision|sight",
            "sudden* cant|couldnt see",
            "sudden* blind*",
            "suddenly went blind",
        ],
    ),
    // Bleeding.
    Rule {
        unless: &["menstrual", "period*", "menstruation", "menorrhagia", "nosebleed*"],
        ..rule(
            SEVERE_BLEEDING,
            Category::Bleeding,
            &[
                "severe|heavy|heavily|uncontrolled|uncontrollable|profuse|massive bleeding|bleed|haemorrhage|hemorrhage",
                "bleed* .. heavily|profusely|badly|everywhere",
                "bleeding a lot",
                "bleed* .. wont|doesnt|isnt|cant stop|stopping",
                "cant|couldnt stop .. bleed*",
                "spurting|gushing|pouring blood",
                "blood .. spurting|gushing|pouring",
                "blood everywhere",
                "lost|losing a lot of blood",
            ],
        )
    },
    rule(
        "vomiting blood",
        Category::Bleeding,
        &[
            "vomit*|puk* .. blood|bloody",
            "throw*|threw up .. blood",
            "blood in .. vomit*",
            "coffee ground*",
            "hematemesis|haematemesis",
        ],
    ),
    rule(
        "coughing up blood",
        Category::Bleeding,
        &["cough* .. blood", "hemoptysis|haemoptysis"],
    ),
    Rule {
        with: &[DIZZY],
        ..rule(
            "blood in the stool with dizziness or fainting",
            Category::Bleeding,
            &[
                "blood in|on .. stool*|poop|poo|bowel|toilet",
                "bloody|black|tarry|maroon stool*|poop|poo|diarrh*",
                "rectal bleeding",
                "bleed* from .. rectum|bottom|anus",
            ],
        )
    },
    // Breathing.
    rule(
        "trouble breathing",
        Category::Breathing,
        &[
            "trouble|difficulty|difficult|hard|struggling|struggle|problems|problem|labored|laboured .. breathe|breathing",
            "breathing .. difficult|hard|labored|laboured|problem*|trouble",
            "catch|catching my|his|her|a breath",
            "cant|couldnt|unable breathe|breathing|breath",
            "unable|not able to breathe|breath",
            "gasping",
            "severe|sudden* shortness|breathless*",
            "severely|suddenly short of breath",
            "short of breath at rest",
        ],
    ),
    Rule {
        unless: &["cold", "raynaud*"],
        ..rule(
        "blue lips or face",
        Category::Breathing,
        &[
            "lips|face|skin|fingers .. blue|bluish|grey|gray",
            "turning|turned|going blue",
        ],
    )},
    rule(
        "choking",
        Category::Breathing,
        &["chok*", "something stuck in .. throat|windpipe"],
    ),
    // Allergy.
    rule(
        "throat or tongue swelling",
        Category::Allergy,
        &[
            "throat|tongue|lips|lip|mouth .. swell*|swollen|closing",
            "swell*|swollen throat|tongue|lips|lip",
            "swelling of|in .. throat|tongue|lips|lip",
            "throat .. tight*|closing",
        ],
    ),
    Rule {
        with: &[&["hive*", "welts", "rash", "breath*", "wheez*", "allerg*"]],
        ..rule(
            "face swelling with hives or trouble breathing",
            Category::Allergy,
            &[
                "face|facial|eyes|eyelids .. swell*|swollen|puff*",
                "swell*|swollen .. face|eyes",
            ],
        )
    },
    rule(
        "anaphylaxis",
        Category::Allergy,
        &["anaphyla*"],
    ),
    rule(
        "a severe allergic reaction",
        Category::Allergy,
        &["severe|serious|bad|major|strong allergic reaction*"],
    ),
    Rule {
        with: &[&[
            "breath*", "wheez*", "throat", "tongue", "lips", "swell*", "swollen", "faint*",
            "collaps*", "epipen", "epinephrine", "adrenaline",
        ]],
        ..rule(
            "an allergic reaction with breathing trouble or swelling",
            Category::Allergy,
            &["allergic reaction*"],
        )
    },
    // Suicide and self-harm.
    Rule {
        personal: true,
        ..rule(
            "thoughts of suicide or self-harm",
            Category::Suicide,
            &[
                "kill* myself",
                "end* my life|myself",
                "end it all",
                "take my own life",
                "want* to die",
                "wanna die",
                "wish .. i was|were dead",
                "better off dead",
                "hurting|harming|cutting myself",
                "want* to hurt|harm|cut myself",
                "dont want to live|be alive",
                "no reason to live",
            ],
        )
    },
    rule(
        "thoughts of suicide or self-harm",
        Category::Suicide,
        &["suicid*", "self harm*|injur*", "selfharm*"],
    ),
    // Overdose and poisoning.
    rule(
        "a possible overdose or poisoning",
        Category::Poisoning,
        &[
            "overdos*",
            "took|taken|swallowed .. too many|much",
            "took|taken|swallowed|ate .. whole|entire bottle|pack*|box",
            "handful of .. pills|tablets",
            "swallowed|drank|drunk .. bleach|poison|cleaner|antifreeze|battery|batteries|detergent",
            "poisoned",
        ],
    ),
    // Seizures.
    rule(
        "a prolonged or repeated seizure",
        Category::Seizure,
        &[
            "seiz*|convuls* for .. minutes|mins",
            "seiz*|convuls* .. lasting|lasted|longer",
            "seiz*|convuls* .. wont|doesnt|isnt|hasnt|not stop|stopped|stopping|ended",
            "seiz*|convuls* .. back to back",
            "seiz*|convuls* .. one after another",
            "status epilepticus",
        ],
    ),
    rule(
        "a seizure",
        Category::Seizure,
        &[
            "having a seizure|fit|convulsion",
            "is|was|started|keeps seizing|convulsing",
            "first seizure",
        ],
    ),
    // Unconsciousness.
    rule(
        "unconsciousness or unresponsiveness",
        Category::Unconscious,
        &[
            "unconscious",
            "unresponsive",
            "wont wake",
            "cant|couldnt wake him|her|them|my|the|dad|mom|mum|baby",
            "not waking up",
            "lost consciousness",
            "he|she|i|dad|mom|mum|mother|father|husband|wife|son|daughter|baby|child|kid|friend|someone|somebody|person|man|woman|patient|just|suddenly collapsed",
        ],
    ),
    Rule {
        unless: &["sleep*", "asleep", "snor*", "apnea", "apnoea", "night"],
        ..rule(
            "not breathing",
            Category::Unconscious,
            &["not|stopped|isnt|wasnt breathing", "no pulse", "heart stopped"],
        )
    },
    // Infection.
    Rule {
        with: &[FEVER],
        ..rule(
            "fever with a stiff neck",
            Category::Infection,
            &[
                "stiff neck",
                "neck .. stiff*",
                "cant|couldnt|unable .. bend|touch .. neck|chin",
            ],
        )
    },
    Rule {
        with: &[FEVER],
        ..rule(
            "fever with a rash that does not fade",
            Category::Infection,
            &[
                "purple|purplish rash|spots|blotches",
                "rash .. doesnt|wont|not fade|blanch|disappear",
            ],
        )
    },
    rule(
        "signs of sepsis",
        Category::Infection,
        &["sepsis", "septic"],
    ),
    Rule {
        with: &[&[
            "fever*",
            "feverish",
            "temperature",
            "infection*",
            "infected",
            "shivering",
            "chills",
            "uti",
            "pneumonia",
            "wound",
        ]],
        ..rule(
            "signs of sepsis",
            Category::Infection,
            &[
                "mottled|blotchy|ashen|clammy",
                "confus*|disorient*",
                "fast|rapid|racing breathing|heartbeat|heart|pulse",
                "heart|pulse racing",
                "hard to wake",
                "not peed|peeing|urinated|urinating",
            ],
        )
    },
    // Abdomen.
    Rule {
        with: &[&[
            "pain*", "hurt*", "ache*", "aching", "agony", "tender*", "excruciating", "severe",
        ]],
        ..rule(
            "severe belly pain with a rigid belly",
            Category::Abdomen,
            &[
                "belly|abdomen|stomach|tummy .. rigid|hard|board*|tense",
                "rigid|board*|boardlike .. belly|abdomen|stomach|tummy",
            ],
        )
    },
    // Pregnancy.
    Rule {
        with: &[PREGNANT],
        replaces: &[SEVERE_BLEEDING],
        ..rule(
            "heavy bleeding in pregnancy",
            Category::Pregnancy,
            &[
                "heavy|heavily|soaking|gushing|severe .. bleed*",
                "lot|lots of blood|bleeding",
                "bleed* .. heavily|lot|soaking|clots",
                "soak* .. pad*",
            ],
        )
    },
    Rule {
        with: &[
            PREGNANT,
            &["blurr*", "vision", "spots", "flash*", "double"],
        ],
        ..rule(
            "a severe headache with vision changes in pregnancy",
            Category::Pregnancy,
            &["headache*|migraine*"],
        )
    },
    Rule {
        with: &[PREGNANT],
        ..rule(
            "severe pain in pregnancy",
            Category::Pregnancy,
            &["severe|sharp|terrible|worst|intense|excruciating .. pain*|cramp*"],
        )
    },
    Rule {
        with: &[PREGNANT],
        ..rule(
            "the baby moving less in pregnancy",
            Category::Pregnancy,
            &["baby .. not|stopped|isnt|hasnt|less|fewer .. moving|moved|kicking|kicked|movements"],
        )
    },
];

/// Conjunctions a `..` gap does not cross.
const BREAKERS: &[&str] = &[
    "and", "or", "but", "then", "also", "because", "if", "when", "while", "after", "before", "so",
    "although", "though", "since", "until",
];

/// Words that cancel a sign right after them.
const NEGATIONS: &[&str] = &[
    "no", "not", "without", "denies", "denied", "deny", "never", "nor", "dont", "doesnt", "didnt",
];

/// Emergency warning signs that `question` describes, as labels ("chest pain or pressure",
/// "face drooping", …), in rule order without repeats. Empty when the question asks about a
/// condition in general rather than describing someone's situation.
pub fn warning_signs(question: &str, audience: Audience) -> Vec<&'static str> {
    detect(question, audience)
        .into_iter()
        .map(|r| r.label)
        .collect()
}

/// An urgent-care notice to show first when `question` describes emergency warning signs, in
/// words for `audience`: plain advice to call the emergency number (and, for thoughts of
/// suicide, the 988 crisis line) for patients and the public; one short line for clinicians and
/// students. Names the signs found. `None` when there are none.
pub fn urgent_notice(question: &str, audience: Audience) -> Option<String> {
    let found = detect(question, audience);
    if found.is_empty() {
        return None;
    }
    let labels: Vec<&str> = found.iter().map(|r| r.label).collect();
    let has = |c: Category| found.iter().any(|r| r.category == c);
    let list = join_natural(&labels);
    let mut out = String::new();
    match audience {
        Audience::Clinician | Audience::Student => {
            out.push_str(&format!(
                "Emergency warning signs described: {list} — assess urgently; this article does \
                 not replace emergency care."
            ));
            if has(Category::Stroke) {
                out.push_str(
                    " Possible stroke or intracranial bleeding: establish the time last known well.",
                );
            }
            if has(Category::Suicide) {
                out.push_str(
                    " Assess suicide risk now and do not leave the person alone (US crisis line: \
                     call or text 988).",
                );
            }
        }
        Audience::Patient | Audience::All => {
            let only_suicide = found.iter().all(|r| r.category == Category::Suicide);
            if only_suicide {
                out.push_str(&format!(
                    "Your question mentions {list}. Please reach out for help now: call or text \
                     988 in the US (Suicide & Crisis Lifeline), or your local crisis line. If you \
                     are in immediate danger or have already hurt yourself, call your local \
                     emergency number (911 in the US) now."
                ));
            } else {
                out.push_str(&format!(
                    "Your question describes {list}. These can be signs of a medical emergency: \
                     call your local emergency number (911 in the US) now, or have someone take \
                     you to the nearest emergency department. Do not drive yourself, and do not \
                     wait to see if it passes."
                ));
                if has(Category::Stroke) {
                    out.push_str(
                        " They can be signs of a stroke or of bleeding in the brain: note the time \
                         they started, because treatment works best when it is given early.",
                    );
                }
                if has(Category::Heart) {
                    out.push_str(" Sit down and rest while you wait for help.");
                }
                if has(Category::Allergy) {
                    out.push_str(
                        " If an epinephrine (adrenaline) auto-injector has been prescribed, use \
                         it now.",
                    );
                }
                if has(Category::Unconscious) {
                    out.push_str(
                        " If the person is not breathing normally, start CPR if you know how and \
                         follow the dispatcher's instructions.",
                    );
                }
                if has(Category::Poisoning) {
                    out.push_str(
                        " In the US you can also call Poison Help at 1-800-222-1222; keep the \
                         container or pills to show the team.",
                    );
                }
                if has(Category::Pregnancy) {
                    out.push_str(" Tell the team how many weeks pregnant you are.");
                }
                if has(Category::Suicide) {
                    out.push_str(
                        " If you are thinking about suicide or hurting yourself, you can also \
                         call or text 988 in the US (Suicide & Crisis Lifeline), or your local \
                         crisis line.",
                    );
                }
            }
        }
    }
    Some(out)
}

/// "a", "a and b", "a, b and c".
fn join_natural(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn detect(question: &str, audience: Audience) -> Vec<&'static Rule> {
    let tokens = normalize(question);
    if tokens.is_empty() {
        return Vec::new();
    }
    let compiled = compiled();
    let describes = describes_a_case(&tokens, audience);
    let mut found: Vec<&'static Rule> = Vec::new();
    for (rule, c) in RULES.iter().zip(compiled) {
        if !(rule.personal || describes) {
            continue;
        }
        if !c.patterns.iter().any(|p| p.find(&tokens)) {
            continue;
        }
        if c.with
            .iter()
            .any(|group| !group.iter().any(|p| p.find(&tokens)))
        {
            continue;
        }
        if c.unless.iter().any(|p| p.find(&tokens)) {
            continue;
        }
        if !found.iter().any(|r| r.label == rule.label) {
            found.push(rule);
        }
    }
    let replaced: Vec<&str> = found
        .iter()
        .flat_map(|r| r.replaces.iter().copied())
        .collect();
    found.retain(|r| !replaced.contains(&r.label));
    found
}

/// Lowercase words, apostrophes dropped, negated contractions joined ("can not" → "cant").
fn normalize(question: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(question.len().min(MAX_WORDS * 8));
    for c in question.chars() {
        if cleaned.len() >= MAX_WORDS * 12 {
            break;
        }
        if matches!(c, '\'' | '’' | '‘' | '`') {
            continue;
        }
        if c.is_alphanumeric() {
            cleaned.extend(c.to_lowercase());
        } else {
            cleaned.push(' ');
        }
    }
    let mut out: Vec<String> = Vec::new();
    for word in cleaned.split_whitespace().take(MAX_WORDS) {
        let joined = match (out.last().map(String::as_str), word) {
            (Some("can"), "not") => Some("cant"),
            (Some("could"), "not") => Some("couldnt"),
            (Some("will"), "not") => Some("wont"),
            (Some("does"), "not") => Some("doesnt"),
            (Some("do"), "not") => Some("dont"),
            (Some("is"), "not") => Some("isnt"),
            _ => None,
        };
        if let Some(j) = joined {
            *out.last_mut().expect("checked") = j.to_string();
        } else if word == "cannot" {
            out.push("cant".to_string());
        } else {
            out.push(word.to_string());
        }
    }
    out
}

/// Whether the question describes a person's situation rather than asking about a condition
/// in general.
fn describes_a_case(t: &[String], audience: Audience) -> bool {
    let lay = matches!(audience, Audience::Patient | Audience::All);
    let at = |i: usize| t.get(i).map(String::as_str).unwrap_or("");
    let prev = |i: usize| if i == 0 { "" } else { at(i - 1) };
    for i in 0..t.len() {
        let w = at(i);
        let next = at(i + 1);
        let marker = match w {
            // "stage I", "type I": a numeral, not a person.
            "i" if matches!(
                prev(i),
                "stage"
                    | "type"
                    | "grade"
                    | "class"
                    | "phase"
                    | "level"
                    | "part"
                    | "tier"
                    | "category"
                    | "section"
                    | "schedule"
                    | "table"
                    | "figure"
                    | "chapter"
                    | "cin"
                    | "step"
            ) =>
            {
                false
            }
            "i" | "id" => lay || !CLINICAL_VERBS.contains(&next) && !is_modal(next),
            "im" | "ive" => {
                lay || !(next == "a" || next == "an") || !PROFESSIONS.contains(&at(i + 2))
            }
            "me" => {
                lay || !matches!(
                    prev(i),
                    "tell" | "show" | "give" | "explain" | "teach" | "remind" | "let" | "help"
                )
            }
            "my" | "our" => {
                (lay || w == "my") && !WORKPLACE.contains(&next)
                    || RELATIONS.iter().any(|r| next.starts_with(r))
            }
            "myself" | "mine" => true,
            "we" | "us" => lay,
            "he" | "she" | "hes" | "shes" => {
                matches!(w, "hes" | "shes") || THIRD_PERSON_VERBS.contains(&next)
            }
            "his" | "her" => RELATIONS.iter().any(|r| next.starts_with(r)) || BODY.contains(&next),
            "old" => matches!(
                prev(i),
                "year" | "month" | "week" | "day" | "years" | "months"
            ),
            "yo" | "pt" => true,
            "presenting" | "presents" | "presented" | "arrived" | "ago" | "tonight" => true,
            "came" | "comes" | "brought" => next == "in",
            "patient" => {
                matches!(prev(i), "my" | "this" | "the")
                    || matches!(
                        next,
                        "is" | "has"
                            | "had"
                            | "was"
                            | "cant"
                            | "reports"
                            | "complains"
                            | "developed"
                    )
            }
            "right" | "just" => next == "now",
            "this" => matches!(next, "morning" | "afternoon" | "evening"),
            "last" => next == "night",
            "woke" | "waking" => next == "up",
            "911" | "ambulance" => true,
            "help" => i == 0 || prev(i) == "please",
            _ => false,
        };
        if marker {
            return true;
        }
    }
    // For patients, a statement of symptoms that is not phrased as a general question.
    lay && !looks_general(t)
}

/// Verbs a clinician uses about their own practice: "how should I treat …".
const CLINICAL_VERBS: &[&str] = &[
    "treat",
    "manage",
    "give",
    "prescribe",
    "use",
    "start",
    "choose",
    "screen",
    "evaluate",
    "assess",
    "approach",
    "order",
    "recommend",
    "dose",
    "counsel",
    "tell",
    "explain",
    "diagnose",
    "test",
    "refer",
    "monitor",
    "work",
    "differentiate",
    "distinguish",
    "document",
    "code",
    "know",
    "interpret",
    "check",
    "consider",
    "investigate",
    "examine",
    "image",
    "admit",
    "discharge",
    "switch",
    "stop",
    "add",
    "taper",
    "titrate",
    "follow",
    "educate",
    "advise",
    "handle",
    "initiate",
    "administer",
    "do",
    "need",
    "find",
    "look",
    "read",
    "cite",
    "teach",
    "rule",
];

const PROFESSIONS: &[&str] = &[
    "nurse",
    "doctor",
    "physician",
    "student",
    "clinician",
    "pharmacist",
    "paramedic",
    "resident",
    "gp",
    "practitioner",
    "provider",
    "medic",
    "midwife",
    "surgeon",
    "intern",
    "emt",
];

const WORKPLACE: &[&str] = &[
    "practice",
    "clinic",
    "hospital",
    "office",
    "unit",
    "ward",
    "department",
    "team",
    "residents",
    "students",
    "colleagues",
    "service",
    "institution",
    "group",
    "understanding",
    "question",
    "knowledge",
    "exam",
    "class",
    "textbook",
    "notes",
    "patients",
    "research",
    "study",
];

const RELATIONS: &[&str] = &[
    "son",
    "daughter",
    "husband",
    "wife",
    "partner",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "baby",
    "child",
    "kid",
    "friend",
    "brother",
    "sister",
    "grand",
    "boyfriend",
    "girlfriend",
    "teen",
    "toddler",
    "infant",
    "parent",
    "uncle",
    "aunt",
    "neighbo",
    "roommate",
    "family",
];

const BODY: &[&str] = &[
    "face",
    "chest",
    "arm",
    "leg",
    "speech",
    "lips",
    "tongue",
    "throat",
    "breathing",
    "head",
    "belly",
    "stomach",
    "neck",
    "skin",
    "eyes",
    "vision",
    "heart",
    "mouth",
];

const THIRD_PERSON_VERBS: &[&str] = &[
    "has",
    "had",
    "is",
    "was",
    "cant",
    "wont",
    "keeps",
    "kept",
    "started",
    "woke",
    "just",
    "suddenly",
    "feels",
    "felt",
    "got",
    "seems",
    "passed",
    "fainted",
    "collapsed",
    "took",
    "says",
    "said",
    "complains",
    "complained",
    "became",
    "went",
    "looks",
    "isnt",
    "doesnt",
    "hasnt",
    "couldnt",
    "wasnt",
    "tried",
];

fn is_modal(w: &str) -> bool {
    matches!(
        w,
        "should" | "would" | "could" | "can" | "must" | "might" | "will"
    )
}

/// Phrased as a general question: starts with a question word, or asks about treatment, causes,
/// signs, guidelines and the like.
fn looks_general(t: &[String]) -> bool {
    const STARTS: &[&str] = &[
        "what", "whats", "how", "why", "which", "who", "whom", "when", "where", "is", "are", "can",
        "could", "does", "do", "did", "should", "would", "will", "may", "explain", "define",
        "describe", "list",
    ];
    const GENERIC: &[&str] = &[
        "treatment",
        "treatments",
        "treat",
        "treated",
        "management",
        "manage",
        "prevent",
        "prevention",
        "cause",
        "causes",
        "signs",
        "symptoms",
        "definition",
        "define",
        "meaning",
        "guideline",
        "guidelines",
        "recommendation",
        "recommendations",
        "screening",
        "diagnosis",
        "therapy",
        "dose",
        "dosing",
        "risk",
        "risks",
        "prognosis",
        "types",
        "difference",
        "vs",
        "versus",
        "overview",
        "workup",
        "evaluation",
    ];
    STARTS.contains(&t[0].as_str()) || t.iter().any(|w| GENERIC.contains(&w.as_str()))
}

// ---- pattern matching ----

enum Slot {
    /// Up to five words, none of them a conjunction.
    Gap,
    /// One word: exact alternatives and prefixes.
    Word(Vec<(String, bool)>),
}

struct Pattern(Vec<Slot>);

struct CompiledRule {
    patterns: Vec<Pattern>,
    with: Vec<Vec<Pattern>>,
    unless: Vec<Pattern>,
}

fn compiled() -> &'static [CompiledRule] {
    static COMPILED: OnceLock<Vec<CompiledRule>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let all = |ps: &[&str]| ps.iter().map(|p| Pattern::parse(p)).collect::<Vec<_>>();
        RULES
            .iter()
            .map(|r| CompiledRule {
                patterns: all(r.patterns),
                with: r.with.iter().map(|g| all(g)).collect(),
                unless: all(r.unless),
            })
            .collect()
    })
}

impl Pattern {
    fn parse(p: &str) -> Pattern {
        Pattern(
            p.split_whitespace()
                .map(|slot| {
                    if slot == ".." {
                        Slot::Gap
                    } else {
                        Slot::Word(
                            slot.split('|')
                                .map(|alt| match alt.strip_suffix('*') {
                                    Some(stem) => (stem.to_string(), true),
                                    None => (alt.to_string(), false),
                                })
                                .collect(),
                        )
                    }
                })
                .collect(),
        )
    }

    /// Whether the pattern occurs in `tokens` at a place not cancelled by a negation.
    fn find(&self, tokens: &[String]) -> bool {
        (0..tokens.len()).any(|start| {
            self.matches_from(tokens, 0, start)
                && !tokens[start.saturating_sub(3)..start]
                    .iter()
                    .any(|w| NEGATIONS.contains(&w.as_str()))
        })
    }

    fn matches_from(&self, tokens: &[String], slot: usize, pos: usize) -> bool {
        let Some(s) = self.0.get(slot) else {
            return true;
        };
        match s {
            Slot::Gap => {
                for skip in 0..=5 {
                    if skip > 0 {
                        match tokens.get(pos + skip - 1) {
                            Some(w) if !BREAKERS.contains(&w.as_str()) => {}
                            _ => return false,
                        }
                    }
                    if self.matches_from(tokens, slot + 1, pos + skip) {
                        return true;
                    }
                }
                false
            }
            Slot::Word(alts) => {
                let Some(w) = tokens.get(pos) else {
                    return false;
                };
                alts.iter().any(|(a, prefix)| {
                    if *prefix {
                        w.starts_with(a.as_str())
                    } else {
                        w == a
                    }
                }) && self.matches_from(tokens, slot + 1, pos + 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
        assert!(signs(
            "I have a cough but no chest pain and no trouble breathing",
            Audience::Patient
        )
        .is_empty());
        assert!(signs("My father denies chest pain", Audience::Patient).is_empty());
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
    fn long_and_odd_input_does_not_hang() {
        let long = "and chest ".repeat(200_000);
        let _ = urgent_notice(&long, Audience::Patient);
        let _ = urgent_notice("’’’ ¿¡ İ ﬁ 🙂 \u{0}", Audience::Patient);
    }

    #[test]
    fn pattern_syntax() {
        let p = Pattern::parse("trouble .. breath*");
        let t = |s: &str| normalize(s);
        assert!(p.find(&t("trouble breathing")));
        assert!(p.find(&t("Trouble catching my breath")));
        assert!(!p.find(&t("trouble sleeping and breathing")));
        assert!(!p.find(&t("no trouble breathing")));
        assert_eq!(
            t("I can not, I cannot, won't, does not"),
            ["i", "cant", "i", "cant", "wont", "doesnt"]
        );
    }
}
