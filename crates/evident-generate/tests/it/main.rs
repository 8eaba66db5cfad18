//! Integration tests of evident-generate: the OpenAI-compatible backend against a local
//! stand-in server, and the embedded backend on the real pinned models (when present).

mod embedded;
mod openai;
mod standin;
