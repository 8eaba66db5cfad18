//! The ChatML prompt (`<|im_start|>role\n…<|im_end|>\n`) that Qwen2.5 and SmolLM2 were tuned
//! on, built as ids: the turn markers are inserted by id, the messages encoded as plain text, so
//! no text in a passage can open or close a turn.

use crate::embedded::tokenizer::GgufTokenizer;
use crate::error::{Error, Result};
use crate::generator::Request;

/// The turn markers of a ChatML vocabulary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChatMl {
    pub(crate) im_start: u32,
    pub(crate) im_end: u32,
}

impl ChatMl {
    /// The markers of `tokenizer`, or an error naming the one it lacks.
    pub(crate) fn of(tokenizer: &GgufTokenizer, path: &std::path::Path) -> Result<ChatMl> {
        let id = |token: &str| {
            tokenizer.token_id(token).ok_or_else(|| Error::Tokenizer {
                path: path.display().to_string(),
                why: format!(
                    "the vocabulary has no {token} token: only ChatML models (Qwen2.5, SmolLM2) \
                     are supported"
                ),
            })
        };
        Ok(ChatMl {
            im_start: id("<|im_start|>")?,
            im_end: id("<|im_end|>")?,
        })
    }

    /// The ids of the system turn (when there is a system message), the user turn and the
    /// opening of the assistant's turn.
    pub(crate) fn prompt(&self, tokenizer: &GgufTokenizer, req: &Request) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        if !req.system.is_empty() {
            self.turn(tokenizer, "system", &req.system, &mut ids)?;
        }
        self.turn(tokenizer, "user", &req.user, &mut ids)?;
        ids.push(self.im_start);
        ids.extend(tokenizer.encode("assistant\n")?);
        Ok(ids)
    }

    fn turn(
        &self,
        tokenizer: &GgufTokenizer,
        role: &str,
        content: &str,
        ids: &mut Vec<u32>,
    ) -> Result<()> {
        ids.push(self.im_start);
        ids.extend(tokenizer.encode(&format!("{role}\n{content}"))?);
        ids.push(self.im_end);
        ids.extend(tokenizer.encode("\n")?);
        Ok(())
    }
}
