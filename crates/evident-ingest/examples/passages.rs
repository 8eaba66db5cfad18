//! Prints the passages read from files, folders or archives as JSON Lines
//! (`{"id", "trail", "text", "sentences"}`, the sentences as the answer composer splits them), to look at what ingest makes of a source or to compare two
//! versions of the readers:
//!
//! ```text
//! cargo run --release -p evident-ingest --example passages -- ../shared/data/corpus/medquad-xml.tar.gz > passages.jsonl
//! ```
//!
//! Items that cannot be read are reported on stderr.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use evident_core::text::sentences;
use evident_ingest::{chunk, read_with, readers, walk, ChunkOptions, WalkOptions};

fn main() -> io::Result<()> {
    let readers = readers();
    let opts = ChunkOptions::default();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut failed: io::Result<()> = Ok(());
    for arg in std::env::args().skip(1) {
        let walked = walk(Path::new(&arg), &WalkOptions::default(), &mut |item| {
            let docs = match item.and_then(|item| read_with(&readers, &item)) {
                Ok(docs) => docs,
                Err(e) => return eprintln!("skipped: {e}"),
            };
            for doc in &docs {
                for p in chunk(doc, &opts) {
                    let line = serde_json::json!({
                        "id": p.id,
                        "trail": p.trail,
                        "text": p.text,
                        "sentences": sentences(&p.text),
                    });
                    if failed.is_ok() {
                        failed = writeln!(out, "{line}");
                    }
                }
            }
        });
        if let Err(e) = walked {
            eprintln!("cannot read {arg}: {e}");
        }
    }
    failed?;
    out.flush()
}
