//! The workspace's one stopword list, `data/stopwords.txt`, with its named subsets.
//!
//! Each word says which lists it belongs to ([`StopList`]); the lists differ on purpose (see the
//! file's header), so a caller names the list it means. The file is parsed and checked once, on
//! first use.

use std::sync::OnceLock;

const STOPWORDS_TXT: &str = include_str!("../../data/stopwords.txt");

/// A named subset of the stopword list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopList {
    /// Dropped from search queries and question analysis: function words and conversational
    /// filler.
    Search,
    /// Ignored when two questions are compared for article reuse; narrower than `Search`.
    Reuse,
}

impl StopList {
    /// The name of the list in the data file.
    pub fn name(self) -> &'static str {
        match self {
            StopList::Search => "search",
            StopList::Reuse => "reuse",
        }
    }

    /// Whether `word` (lowercase) is in this list.
    pub fn contains(self, word: &str) -> bool {
        self.words().binary_search(&word).is_ok()
    }

    /// The words of this list, sorted.
    pub fn words(self) -> &'static [&'static str] {
        let lists = lists();
        match self {
            StopList::Search => &lists.search,
            StopList::Reuse => &lists.reuse,
        }
    }
}

/// Whether `word` (lowercase) is a stopword of search ([`StopList::Search`]).
pub fn is_stopword(word: &str) -> bool {
    StopList::Search.contains(word)
}

struct Lists {
    search: Vec<&'static str>,
    reuse: Vec<&'static str>,
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| parse(STOPWORDS_TXT).expect("data/stopwords.txt is valid"))
}

/// Parses the stopword file: `word<TAB>list list…` lines, `#` comments, words lowercase and
/// sorted, each in at least one known list.
fn parse(text: &'static str) -> Result<Lists, String> {
    let mut lists = Lists {
        search: Vec::new(),
        reuse: Vec::new(),
    };
    let mut last: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let at = |why: String| format!("data/stopwords.txt line {}: {why}", i + 1);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((word, names)) = line.split_once('\t') else {
            return Err(at(format!(
                "{line:?} needs a tab between the word and its lists"
            )));
        };
        if word.is_empty() || word != word.to_lowercase() || word.contains(char::is_whitespace) {
            return Err(at(format!("{word:?} must be one lowercase word")));
        }
        if last.is_some_and(|l| l >= word) {
            return Err(at(format!("{word:?} is out of order or repeated")));
        }
        last = Some(word);
        let mut any = false;
        for name in names.split_whitespace() {
            any = true;
            match name {
                "search" => lists.search.push(word),
                "reuse" => lists.reuse.push(word),
                other => return Err(at(format!("unknown list {other:?} for {word:?}"))),
            }
        }
        if !any {
            return Err(at(format!("{word:?} is in no list")));
        }
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses_with_both_lists() {
        let lists = parse(STOPWORDS_TXT).unwrap();
        // The lists as they were when they lived in evident-index (query.rs) and evident-store
        // (reuse.rs); a change here changes search or reuse.
        assert_eq!(lists.search.len(), 174);
        assert_eq!(lists.reuse.len(), 45);
        for w in ["please", "thanks", "not", "after", "the", "what"] {
            assert!(StopList::Search.contains(w), "{w}");
        }
        for w in ["the", "what", "whats", "given", "how"] {
            assert!(StopList::Reuse.contains(w), "{w}");
        }
        for w in ["whats", "given"] {
            assert!(
                !StopList::Search.contains(w),
                "{w} is only a reuse stopword"
            );
        }
        for w in ["not", "after", "please"] {
            assert!(
                !StopList::Reuse.contains(w),
                "{w} is only a search stopword"
            );
        }
        assert!(is_stopword("please") && !is_stopword("pain"));
        assert!(StopList::Search.words().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bad_lines_are_rejected() {
        assert!(parse("a\tsearch\nb\treuse search\n").is_ok());
        for bad in [
            "a search\n",
            "B\tsearch\n",
            "b\tsearch\na\tsearch\n",
            "a\tsearch\na\treuse\n",
            "a\tnowhere\n",
            "a\t\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
