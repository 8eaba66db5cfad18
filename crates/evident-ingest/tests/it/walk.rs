//! A folder of good and bad files, plain and in archives: every good item gives documents and
//! every bad one an error naming the item and the reason.

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use evident_ingest::{read_item, walk, Error, WalkOptions};
use proptest::prelude::*;

/// What happened to one item: its path and the number of documents, or the error message.
type Outcome = (String, Result<usize, String>);

fn walk_and_read(path: &Path, opts: &WalkOptions) -> Vec<Outcome> {
    let mut out = Vec::new();
    walk(path, opts, &mut |item| match item {
        Ok(item) => {
            let docs = read_item(&item).map(|d| d.len()).map_err(|e| e.to_string());
            out.push((item.path, docs));
        }
        Err(e) => out.push((error_path(&e).to_string(), Err(e.to_string()))),
    })
    .unwrap();
    out
}

fn error_path(e: &Error) -> &str {
    match e {
        Error::Unsupported { path, .. }
        | Error::Malformed { path, .. }
        | Error::TooLarge { path, .. }
        | Error::Empty { path, .. }
        | Error::Io { path, .. } => path,
    }
}

fn markdown(title: &str, sentence: &str) -> String {
    format!("---\ntitle: {title}\nkind: patient information\n---\n\n# {title}\n\n## About\n\n{sentence}\n")
}

/// Bytes that are clearly binary: NULs and control bytes, no archive or PDF signature.
fn binary(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    let mut out = vec![0u8, 0x13, 0x00, 0x07];
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x >> 24) as u8 % 32);
    }
    out
}

const TRUNCATED_XML: &str = "<Document id=\"x\"><Focus>Y</Focus><QAPairs><QAPair";
const CORRUPT_PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n\x00\x01garbage";

fn tar_gz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn fixture(dir: &Path) {
    fs::write(
        dir.join("gout.md"),
        markdown("Gout", "Gout flares are treated with colchicine."),
    )
    .unwrap();
    fs::write(
        dir.join("sepsis.md"),
        markdown("Sepsis", "Sepsis needs antibiotics within the hour."),
    )
    .unwrap();
    fs::write(dir.join("scan.pdf"), CORRUPT_PDF).unwrap();
    fs::write(dir.join("cut.xml"), TRUNCATED_XML).unwrap();
    fs::write(dir.join("blob.bin"), binary(4096)).unwrap();
    let mut huge = fs::File::create(dir.join("huge.txt")).unwrap();
    let line = "This line repeats to make a file of fifty megabytes.\n".repeat(1000);
    while huge.metadata().unwrap().len() < 50 * 1024 * 1024 {
        huge.write_all(line.as_bytes()).unwrap();
    }
    fs::write(
        dir.join("bundle.tar.gz"),
        tar_gz(&[
            ("bundle/asthma.md", markdown("Asthma", "Inhaled steroids control asthma.").into_bytes()),
            ("bundle/notes.txt", b"Notes\n\nKeep a diary of symptoms.\n".to_vec()),
            (
                "bundle/records.jsonl",
                b"{\"id\": \"r1\", \"title\": \"One\", \"text\": \"First record.\"}\n{\"id\": 2, \"question\": \"Two?\", \"text\": \"Second record.\"}\n".to_vec(),
            ),
            ("bundle/cut.xml", TRUNCATED_XML.as_bytes().to_vec()),
        ]),
    )
    .unwrap();
    fs::write(
        dir.join("bundle.zip"),
        zip(&[
            (
                "zipped/copd.md",
                markdown("COPD", "Stopping smoking slows COPD.").into_bytes(),
            ),
            (
                "zipped/readme.txt",
                b"Read me\n\nThis bundle holds one topic.\n".to_vec(),
            ),
            ("zipped/data.bin", binary(2048)),
            (
                "__MACOSX/zipped/._copd.md",
                b"\x00\x05\x16\x07junk".to_vec(),
            ),
        ]),
    )
    .unwrap();
}

#[test]
fn good_items_read_and_bad_items_say_why() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let outcomes = walk_and_read(dir.path(), &WalkOptions::default());
    let root = dir.path().display().to_string();
    let find = |rel: &str| -> &Result<usize, String> {
        let path = format!("{root}/{rel}");
        let matches: Vec<&Outcome> = outcomes.iter().filter(|(p, _)| *p == path).collect();
        assert_eq!(matches.len(), 1, "{path}: {outcomes:#?}");
        &matches[0].1
    };

    for (good, docs) in [
        ("gout.md", 1),
        ("sepsis.md", 1),
        ("bundle.tar.gz!/bundle/asthma.md", 1),
        ("bundle.tar.gz!/bundle/notes.txt", 1),
        ("bundle.tar.gz!/bundle/records.jsonl", 2),
        ("bundle.zip!/zipped/copd.md", 1),
        ("bundle.zip!/zipped/readme.txt", 1),
    ] {
        assert_eq!(find(good), &Ok(docs), "{good}");
    }

    for (bad, reason) in [
        ("huge.txt", "50.0 MB is over the 32 MB limit"),
        ("scan.pdf", "not valid PDF"),
        ("cut.xml", "not valid MedQuAD XML"),
        ("blob.bin", "binary content"),
        ("bundle.tar.gz!/bundle/cut.xml", "not valid MedQuAD XML"),
        ("bundle.zip!/zipped/data.bin", "binary content"),
    ] {
        let err = find(bad).as_ref().expect_err(bad);
        assert!(err.starts_with(&format!("{root}/{bad}: ")), "{bad}: {err}");
        assert!(err.contains(reason), "{bad}: {err}");
    }
    assert_eq!(outcomes.len(), 13, "{outcomes:#?}");
    assert!(!outcomes.iter().any(|(p, _)| p.contains("__MACOSX")));
}

#[test]
fn a_truncated_archive_gives_its_good_members_then_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let filler: Vec<u8> = binary(64 * 1024);
    let bytes = tar_gz(&[
        ("a.md", markdown("A", "Alpha text.").into_bytes()),
        ("big.bin", filler),
        ("z.md", markdown("Z", "Zeta text.").into_bytes()),
    ]);
    let path = dir.path().join("cut.tar.gz");
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let outcomes = walk_and_read(&path, &WalkOptions::default());
    assert!(
        outcomes[0].0.ends_with("cut.tar.gz!/a.md") && outcomes[0].1 == Ok(1),
        "{outcomes:?}"
    );
    let (path, last) = outcomes.last().unwrap();
    let err = last.as_ref().unwrap_err();
    assert!(
        path.ends_with("cut.tar.gz") && err.contains("not valid tar.gz archive"),
        "{err}"
    );
    assert!(!outcomes.iter().any(|(p, _)| p.ends_with("z.md")));
}

/// Small valid archives to mutate.
fn archive_seed(kind: u8) -> Vec<u8> {
    let members = [
        ("t.md", markdown("T", "Text.").into_bytes()),
        ("r.jsonl", b"{\"id\":1,\"text\":\"x\"}\n".to_vec()),
    ];
    match kind {
        0 => tar_gz(&members),
        1 => zip(&members),
        2 => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
            e.write_all(&tar_gz(&members)).unwrap();
            e.finish().unwrap()
        }
        _ => b"%PDF-1.4\n".to_vec(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn walker_never_panics_on_random_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        name in prop::sample::select(vec!["x.bin", "x.tar.gz", "x.zip", "x.gz", "x.xz", "x.tar", "x.md", "x.jsonl", "x.pdf"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let _ = walk_and_read(&path, &WalkOptions { max_item_bytes: 1 << 20 });
    }

    #[test]
    fn walker_never_panics_on_damaged_archives(
        kind in 0u8..4,
        cut in 0.0f64..1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
        name in prop::sample::select(vec!["x.tgz", "x.zip", "x.txz", "x"]),
    ) {
        let mut bytes = archive_seed(kind);
        for (at, b) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] ^= b;
        }
        bytes.truncate(((bytes.len() as f64) * cut) as usize + 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let _ = walk_and_read(&path, &WalkOptions { max_item_bytes: 1 << 20 });
    }
}
