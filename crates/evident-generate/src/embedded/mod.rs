//! A quantized GGUF model run in-process on the CPU with candle: Qwen2 (`quantized_qwen2`) or
//! Llama-architecture models such as SmolLM2 (`quantized_llama`), with the tokenizer rebuilt
//! from the file's metadata and the ChatML prompt both families were tuned on.
//!
//! One model serves one generation at a time (a CPU has no spare cores for a second); other
//! callers wait their turn. The prompt is read in chunks of [`PROMPT_CHUNK`] tokens, then the
//! answer is written one token at a time from the key/value cache, which is dropped after each
//! call. The forward pass is ours ([`forward`]): prompt chunks multiply with f32 copies of the
//! weights (when they fit [`EmbeddedOptions::prompt_f32_budget`]), single tokens with the
//! quantized weights, and no masks are cached.

mod chat;
mod forward;
pub mod tokenizer;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_transformers::generation::LogitsProcessor;

use crate::error::{Error, Result};
use crate::generator::{Finish, Generation, Generator, Request, StopScanner};
use chat::ChatMl;
use forward::Model;
use tokenizer::GgufTokenizer;

/// Prompt tokens per forward pass: long enough to keep the matrix kernels busy, short enough
/// that one chunk's attention scores stay small (heads × 256 × context floats).
pub const PROMPT_CHUNK: usize = 256;
/// Default [`EmbeddedOptions::prompt_f32_budget`]: Qwen2.5-0.5B's copies (1.4 GB) fit, 1.5B's
/// (5.2 GB) do not.
pub const PROMPT_F32_BUDGET: usize = 3 << 30;

/// How the embedded model samples and how much context it allows.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedOptions {
    /// Seed of the sampler (used only when the temperature is above 0).
    pub seed: u64,
    /// Nucleus sampling: keep the most likely tokens up to this probability mass (when the
    /// temperature is above 0).
    pub top_p: f64,
    /// Divides the logit of every token among the last [`repeat_last_n`](Self::repeat_last_n);
    /// 1.0 is off. Small models loop; a mild 1.1 curbs it, but also discourages copying a
    /// passage's words, which the checker wants, so it is off by default.
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    /// Most tokens (prompt and answer) per call, below the model's own context length; the
    /// key/value cache grows with it.
    pub max_context: usize,
    /// Most bytes of f32 copies of the linear layers, kept beside the quantized weights for
    /// reading prompts: a chunk of many tokens multiplies 3–4× faster with them (0.5B on 2
    /// cores: ~70 → ~250 prompt tokens/s), while writing, one token at a time, stays on the quantized
    /// weights, which read 6× fewer bytes. A model whose copies would take more gets none;
    /// 0 turns them off.
    pub prompt_f32_budget: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> EmbeddedOptions {
        EmbeddedOptions {
            seed: 299_792_458,
            top_p: 0.9,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            max_context: 4096,
            prompt_f32_budget: PROMPT_F32_BUDGET,
        }
    }
}

/// The model families we can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arch {
    Llama,
    Qwen2,
}

/// A GGUF chat model run in-process.
pub struct Embedded {
    path: PathBuf,
    /// The file stem, e.g. `Qwen2.5-Coder-0.5B-Instruct-Q4_K_M`.
    name: String,
    arch: Arch,
    tokenizer: GgufTokenizer,
    chat: ChatMl,
    /// Tokens that end the answer: end-of-sequence, `<|im_end|>`, `<|endoftext|>`.
    stop_ids: Vec<u32>,
    /// Most tokens per call.
    context: usize,
    options: EmbeddedOptions,
    /// The weights and the key/value cache of the one generation under way.
    model: Mutex<Model>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("path", &self.path)
            .field("arch", &self.arch)
            .field("context", &self.context)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Embedded {
    /// Loads the GGUF file at `path` with the default options.
    pub fn load(path: &Path) -> Result<Embedded> {
        Embedded::load_with(path, EmbeddedOptions::default())
    }

    /// Loads the GGUF file at `path`: its tokenizer, its chat markers and its weights.
    pub fn load_with(path: &Path, options: EmbeddedOptions) -> Result<Embedded> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        // Errors say what to fetch: the short name when the file is one of ours.
        let fetch_name = crate::GeneratorModel::from_name(&name)
            .map_or_else(|| name.clone(), |m| m.name().to_string());
        if !path.is_file() {
            return Err(Error::ModelMissing {
                path: path.display().to_string(),
                model: fetch_name,
            });
        }
        let device = Device::Cpu;
        let (content, mut reader) = read_content(path, &fetch_name)?;
        let bad = |why: String| Error::BadModelFile {
            path: path.display().to_string(),
            model: fetch_name.clone(),
            why,
        };
        let arch = match content.metadata.get("general.architecture") {
            Some(gguf_file::Value::String(a)) if a == "llama" => Arch::Llama,
            Some(gguf_file::Value::String(a)) if a == "qwen2" => Arch::Qwen2,
            Some(gguf_file::Value::String(a)) => {
                return Err(bad(format!(
                    "architecture {a:?} is not supported (llama or qwen2)"
                )))
            }
            _ => return Err(bad("general.architecture is missing".into())),
        };
        let prefix = if arch == Arch::Llama {
            "llama"
        } else {
            "qwen2"
        };
        let trained = content
            .metadata
            .get(&format!("{prefix}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .map_or(2048, |n| n as usize);
        let context = trained.min(options.max_context);
        let tokenizer = GgufTokenizer::from_metadata(&content.metadata, path)?;
        let chat = ChatMl::of(&tokenizer, path)?;
        let mut stop_ids: Vec<u32> = [tokenizer.eos_id(), Some(chat.im_end)]
            .into_iter()
            .chain(std::iter::once(tokenizer.token_id("<|endoftext|>")))
            .flatten()
            .collect();
        stop_ids.sort_unstable();
        stop_ids.dedup();
        let model = model_from(content, &mut reader, context, &options, &device)
            .map_err(|e| bad(format!("cannot load the weights: {e}")))?;
        Ok(Embedded {
            path: path.to_path_buf(),
            name,
            arch,
            tokenizer,
            chat,
            stop_ids,
            context,
            options,
            model: Mutex::new(model),
        })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// Most tokens (prompt and answer) one call may use.
    pub fn context_length(&self) -> usize {
        self.context
    }

    /// The ChatML prompt ids for `req`, as [`Generator::generate`] feeds them.
    pub fn prompt_ids(&self, req: &Request) -> Result<Vec<u32>> {
        self.chat.prompt(&self.tokenizer, req)
    }

    fn sample(
        &self,
        sampler: &mut LogitsProcessor,
        logits: &Tensor,
        tokens: &[u32],
    ) -> Result<u32> {
        let logits = logits.to_dtype(DType::F32)?;
        let logits = if self.options.repeat_penalty == 1.0 {
            logits
        } else {
            let from = tokens.len().saturating_sub(self.options.repeat_last_n);
            candle_transformers::utils::apply_repeat_penalty(
                &logits,
                self.options.repeat_penalty,
                &tokens[from..],
            )?
        };
        Ok(sampler.sample(&logits)?)
    }
}

fn read_content(path: &Path, name: &str) -> Result<(gguf_file::Content, BufReader<File>)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let content = gguf_file::Content::read(&mut reader).map_err(|e| Error::BadModelFile {
        path: path.display().to_string(),
        model: name.to_string(),
        why: format!("not a readable GGUF file: {e}"),
    })?;
    Ok((content, reader))
}

/// Our model from the file's `content`, the slow types requantized first, with rotary tables
/// for `context` positions.
fn model_from(
    content: gguf_file::Content,
    reader: &mut BufReader<File>,
    context: usize,
    options: &EmbeddedOptions,
    device: &Device,
) -> candle_core::Result<Model> {
    let (content, mut reader) = with_fast_types(content, reader, device)?;
    Model::from_gguf(
        &content,
        &mut reader,
        context,
        options.prompt_f32_budget,
        device,
    )
}

/// Quantizations candle multiplies with scalar code only (no SIMD kernel): 10–30× slower
/// than the others. llama.cpp's Q4_K_M of Qwen2.5-0.5B is mostly Q5_0 (its rows of 896 do not
/// fit k-quant blocks of 256), SmolLM2's Q4_1 file all Q4_1.
fn is_slow(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// The file's tensors in memory, the slow types requantized to Q8_0 (which has an AVX
/// kernel), with a content table pointing into that copy. Q8_0 keeps 8 bits per weight with a
/// scale per 32, finer than the 4–5 bit grid it replaces, so the weights barely change (they
/// grow by about half: 0.5B → ~0.6 GB).
fn with_fast_types(
    content: gguf_file::Content,
    reader: &mut BufReader<File>,
    device: &Device,
) -> candle_core::Result<(gguf_file::Content, Cursor<Vec<u8>>)> {
    let mut data = Vec::new();
    let mut infos = HashMap::new();
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    // In file order, so that reading the file stays sequential.
    names.sort_by_key(|n| content.tensor_infos[*n].offset);
    for name in names {
        let info = &content.tensor_infos[name];
        let offset = data.len() as u64;
        let ggml_dtype = if is_slow(info.ggml_dtype) {
            let tensor = info
                .read(reader, content.tensor_data_offset, device)?
                .dequantize(device)?;
            data.extend_from_slice(&QTensor::quantize(&tensor, GgmlDType::Q8_0)?.data()?);
            GgmlDType::Q8_0
        } else {
            let size = info.shape.elem_count() / info.ggml_dtype.block_size()
                * info.ggml_dtype.type_size();
            let start = data.len();
            data.resize(start + size, 0);
            reader.seek(SeekFrom::Start(content.tensor_data_offset + info.offset))?;
            reader.read_exact(&mut data[start..])?;
            info.ggml_dtype
        };
        infos.insert(
            name.clone(),
            gguf_file::TensorInfo {
                ggml_dtype,
                shape: info.shape.clone(),
                offset,
            },
        );
    }
    let content = gguf_file::Content {
        magic: content.magic,
        metadata: content.metadata,
        tensor_infos: infos,
        tensor_data_offset: 0,
    };
    Ok((content, Cursor::new(data)))
}

impl Generator for Embedded {
    fn generate(
        &self,
        req: &Request,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let start = Instant::now();
        if req.user.trim().is_empty() {
            return Err(Error::InvalidRequest("the user message is empty".into()));
        }
        let prompt = self.prompt_ids(req)?;
        if prompt.len() >= self.context {
            return Err(Error::InvalidRequest(format!(
                "the prompt has {} tokens; {} takes at most {} (prompt and answer)",
                prompt.len(),
                self.name,
                self.context
            )));
        }
        let budget = (req.max_tokens as usize).min(self.context - prompt.len());
        let temperature = (req.temperature > 0.0).then_some(f64::from(req.temperature));
        let mut sampler =
            LogitsProcessor::new(self.options.seed, temperature, Some(self.options.top_p));

        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        // A call that failed part-way may have left its keys behind.
        model.clear();
        let mut logits = None;
        for chunk in prompt.chunks(PROMPT_CHUNK) {
            logits = Some(model.forward(chunk)?);
        }
        let mut logits = logits.ok_or_else(|| Error::InvalidRequest("empty prompt".into()))?;

        let mut tokens = prompt.clone();
        let mut decoder = self.tokenizer.inner().decode_stream(true);
        let mut scanner = StopScanner::new(&req.stop);
        let mut generated = 0usize;
        let mut first_token = None;
        let mut finish = Finish::Length;
        while generated < budget {
            let token = self.sample(&mut sampler, &logits, &tokens)?;
            first_token.get_or_insert_with(|| start.elapsed());
            if self.stop_ids.contains(&token) {
                finish = Finish::Stop;
                break;
            }
            generated += 1;
            tokens.push(token);
            let piece = decoder
                .step(token)
                .map_err(|e| Error::Tokenize(e.to_string()))?;
            if let Some(piece) = piece {
                let (safe, stopped) = scanner.push(&piece);
                if !safe.is_empty() && on_text(safe).is_break() {
                    finish = Finish::Cancelled;
                    break;
                }
                if stopped {
                    finish = Finish::Stop;
                    break;
                }
            }
            if generated == budget {
                break;
            }
            logits = model.forward(&[token])?;
        }
        model.clear();
        drop(model);
        if finish != Finish::Cancelled {
            let tail = scanner.finish().to_string();
            if !tail.is_empty() && on_text(&tail).is_break() {
                finish = Finish::Cancelled;
            }
        }
        let elapsed = start.elapsed();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(Generation {
            text: scanner.text().to_string(),
            model: self.name.clone(),
            prompt_tokens: count(prompt.len()),
            completion_tokens: count(generated),
            time_to_first_token: first_token.unwrap_or(elapsed),
            elapsed,
            finish,
        })
    }

    fn describe(&self) -> String {
        format!("embedded:{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_says_to_fetch() {
        let e = Embedded::load(Path::new("/nonexistent/Model-Q4.gguf")).unwrap_err();
        assert!(e.needs_fetch(), "{e}");
        assert!(e.to_string().contains("evident models fetch"), "{e}");
    }
}
