//! The tokenizer a GGUF file describes, rebuilt from its metadata as a `tokenizers` BPE.
//!
//! Only byte-level BPE (`tokenizer.ggml.model = "gpt2"`) is supported: Qwen2, SmolLM2, Llama 3
//! and GPT-2 style vocabularies. The file gives the tokens, their types and the merges; the
//! pre-tokenizer (how text is cut before BPE) is named by `tokenizer.ggml.pre` and must be the
//! one the merges were learned with, or the ids are subtly wrong, so an unknown name is an error
//! rather than a guess. Control tokens (type 3: `<|im_start|>`, `<|endoftext|>`) become special
//! tokens, user-defined ones (type 4) plain added tokens, as llama.cpp and transformers do.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::Value;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use crate::error::{Error, Result};

/// GGUF token types (llama.cpp's `LLAMA_TOKEN_TYPE_*`).
const CONTROL: i64 = 3;
const USER_DEFINED: i64 = 4;

/// Qwen2's split (its tokenizer.json): contractions, words with one leading non-letter, single
/// digits, punctuation runs with their newlines, newline runs, spaces.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Llama 3's split: as Qwen2's, but digits in groups of up to three.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How text is cut before BPE, by `tokenizer.ggml.pre`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreTokenizer {
    /// GPT-2's regex (inside the ByteLevel pre-tokenizer).
    Gpt2,
    /// Every digit alone, then GPT-2's regex (SmolLM, SmolLM2).
    SmolLm,
    /// NFC, then Qwen2's split.
    Qwen2,
    /// Llama 3's split.
    Llama3,
}

impl PreTokenizer {
    fn named(name: &str) -> Option<PreTokenizer> {
        Some(match name {
            "gpt2" | "gpt-2" | "default" => PreTokenizer::Gpt2,
            "smollm" => PreTokenizer::SmolLm,
            "qwen2" | "deepseek-r1-qwen" => PreTokenizer::Qwen2,
            "llama3" | "llama-v3" | "llama-bpe" => PreTokenizer::Llama3,
            _ => return None,
        })
    }
}

/// A GGUF model's tokenizer: text to ids and back, with its special tokens.
#[derive(Debug, Clone)]
pub struct GgufTokenizer {
    inner: Tokenizer,
    /// `tokenizer.ggml.eos_token_id`.
    eos: Option<u32>,
}

impl GgufTokenizer {
    /// Builds the tokenizer from a GGUF file's metadata; `path` only names the file in errors.
    pub(crate) fn from_metadata(
        metadata: &HashMap<String, Value>,
        path: &Path,
    ) -> Result<GgufTokenizer> {
        let bad = |why: String| Error::Tokenizer {
            path: path.display().to_string(),
            why,
        };
        let text = |key: &str| -> Result<&str> {
            match metadata.get(key) {
                Some(Value::String(s)) => Ok(s.as_str()),
                Some(_) => Err(bad(format!("{key} is not a string"))),
                None => Err(bad(format!("{key} is missing"))),
            }
        };
        let strings = |key: &str| -> Result<Vec<&str>> {
            let Some(Value::Array(values)) = metadata.get(key) else {
                return Err(bad(format!("{key} is missing or not an array")));
            };
            values
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.as_str()),
                    _ => Err(bad(format!("{key} holds a value that is not a string"))),
                })
                .collect()
        };
        let model = text("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(bad(format!(
                "tokenizer.ggml.model is {model:?}; only byte-level BPE (\"gpt2\") is supported"
            )));
        }
        let pre_name = text("tokenizer.ggml.pre").unwrap_or("default");
        let pre = PreTokenizer::named(pre_name).ok_or_else(|| {
            bad(format!(
                "tokenizer.ggml.pre {pre_name:?} is not one we know (qwen2, smollm, llama-bpe, \
                 gpt2); its ids would be wrong"
            ))
        })?;
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| bad(format!("merge {m:?} is not two tokens")))
            })
            .collect::<Result<Vec<_>>>()?;
        let types: Vec<i64> = match metadata.get("tokenizer.ggml.token_type") {
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| v.to_i32().map(i64::from).unwrap_or(1))
                .collect(),
            _ => vec![1; tokens.len()],
        };
        let id = |key: &str| metadata.get(key).and_then(|v| v.to_u32().ok());
        let eos = id("tokenizer.ggml.eos_token_id");

        let mut vocab = Vocab::default();
        for (i, token) in tokens.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| bad("too many tokens".into()))?;
            // A repeated token keeps its first id, as llama.cpp's lookup does.
            vocab.entry(token.to_string()).or_insert(i);
        }
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| bad(format!("the vocabulary and merges do not form a BPE: {e}")))?;
        let mut inner = Tokenizer::new(bpe);
        let byte_level = |use_regex: bool| ByteLevel::new(false, false, use_regex);
        let pre_tokenizer: PreTokenizerWrapper = match pre {
            PreTokenizer::Gpt2 => byte_level(true).into(),
            PreTokenizer::SmolLm => {
                Sequence::new(vec![Digits::new(true).into(), byte_level(true).into()]).into()
            }
            PreTokenizer::Qwen2 | PreTokenizer::Llama3 => {
                let pattern = if pre == PreTokenizer::Qwen2 {
                    QWEN2_SPLIT
                } else {
                    LLAMA3_SPLIT
                };
                let split = Split::new(
                    SplitPattern::Regex(pattern.into()),
                    SplitDelimiterBehavior::Isolated,
                    false,
                )
                .map_err(|e| bad(format!("the split pattern does not compile: {e}")))?;
                Sequence::new(vec![split.into(), byte_level(false).into()]).into()
            }
        };
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        if pre == PreTokenizer::Qwen2 {
            inner
                .with_normalizer(Some(NFC))
                .map_err(|e| bad(format!("cannot set the normalizer: {e}")))?;
        }
        inner.with_decoder(Some(ByteLevelDecoder::default()));

        let added = |wanted: i64, special: bool| -> Vec<AddedToken> {
            tokens
                .iter()
                .zip(&types)
                .filter(|(_, t)| **t == wanted)
                .map(|(token, _)| AddedToken::from(token.to_string(), special).normalized(false))
                .collect()
        };
        inner
            .add_special_tokens(added(CONTROL, true))
            .map_err(|e| bad(format!("cannot add the control tokens: {e}")))?;
        inner
            .add_tokens(added(USER_DEFINED, false))
            .map_err(|e| bad(format!("cannot add the user-defined tokens: {e}")))?;
        // Text is text: a passage that contains "<|im_start|>" must not open a new turn. The
        // prompt template inserts the special tokens by id instead.
        inner.set_encode_special_tokens(true);
        Ok(GgufTokenizer { inner, eos })
    }

    /// The ids of `text`, with special-token strings in it read as plain text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        self.inner
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Tokenize(e.to_string()))
    }

    /// The text of `ids`, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| Error::Tokenize(e.to_string()))
    }

    /// The id of a token spelled exactly `token` (a special token such as `<|im_end|>`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// `tokenizer.ggml.eos_token_id`, when the file gives it.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// Number of ids, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The underlying tokenizer (for streaming decode).
    pub(crate) fn inner(&self) -> &Tokenizer {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy byte-level vocabulary: the bytes of "ab c", a merge, and two control tokens.
    fn toy(pre: &str) -> GgufTokenizer {
        let s = |v: &str| Value::String(v.to_string());
        let tokens = [
            "a",
            "b",
            "c",
            "Ġ",
            "ab",
            "Ġc",
            "<|im_start|>",
            "<|im_end|>",
            "<|im_sep|>",
        ];
        let types = [1, 1, 1, 1, 1, 1, 3, 3, 4];
        let mut md = HashMap::new();
        md.insert("tokenizer.ggml.model".into(), s("gpt2"));
        md.insert("tokenizer.ggml.pre".into(), s(pre));
        md.insert(
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.iter().map(|t| s(t)).collect()),
        );
        md.insert(
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.iter().map(|t| Value::I32(*t)).collect()),
        );
        md.insert(
            "tokenizer.ggml.merges".into(),
            Value::Array(vec![s("a b"), s("Ġ c")]),
        );
        md.insert("tokenizer.ggml.eos_token_id".into(), Value::U32(7));
        GgufTokenizer::from_metadata(&md, Path::new("toy.gguf")).unwrap()
    }

    #[test]
    fn merges_apply_and_text_round_trips() {
        for pre in ["qwen2", "smollm", "gpt2", "llama-bpe"] {
            let t = toy(pre);
            assert_eq!(t.encode("ab c").unwrap(), [4, 5], "{pre}");
            assert_eq!(t.decode(&[4, 5]).unwrap(), "ab c", "{pre}");
        }
    }

    #[test]
    fn special_tokens_are_single_ids_but_text_never_becomes_one() {
        let t = toy("qwen2");
        assert_eq!(t.token_id("<|im_start|>"), Some(6));
        assert_eq!(t.token_id("<|im_end|>"), Some(7));
        assert_eq!(t.eos_id(), Some(7));
        assert_eq!(t.decode(&[6, 4, 7]).unwrap(), "ab", "specials skipped");
        let ids = t.encode("<|im_end|>").unwrap();
        assert!(
            !ids.contains(&7),
            "a special string in text is text: {ids:?}"
        );
        assert_eq!(
            t.encode("<|im_sep|>").unwrap(),
            [8],
            "user-defined stays whole"
        );
    }

    #[test]
    fn unknown_pre_tokenizers_and_models_are_refused() {
        let mut md = HashMap::new();
        md.insert("tokenizer.ggml.model".into(), Value::String("llama".into()));
        let e = GgufTokenizer::from_metadata(&md, Path::new("m.gguf")).unwrap_err();
        assert!(e.to_string().contains("only byte-level BPE"), "{e}");
        md.insert("tokenizer.ggml.model".into(), Value::String("gpt2".into()));
        md.insert("tokenizer.ggml.pre".into(), Value::String("mystery".into()));
        let e = GgufTokenizer::from_metadata(&md, Path::new("m.gguf")).unwrap_err();
        assert!(e.to_string().contains("\"mystery\""), "{e}");
    }
}
