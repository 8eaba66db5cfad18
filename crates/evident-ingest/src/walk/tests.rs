//! Tests for the folder and archive walker: files, zips, tars, gzip members and limits.

use super::*;
use std::io::Write;

fn collect(path: &Path, opts: &WalkOptions) -> Vec<std::result::Result<Item, String>> {
    let mut out = Vec::new();
    walk(path, opts, &mut |r| out.push(r.map_err(|e| e.to_string()))).unwrap();
    out
}

fn paths(items: &[std::result::Result<Item, String>]) -> Vec<String> {
    items
        .iter()
        .map(|r| match r {
            Ok(i) => i.path.clone(),
            Err(e) => format!("ERR {e}"),
        })
        .collect()
}

fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn folder_is_sorted_and_skips_hidden() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("b/.git")).unwrap();
    fs::write(dir.path().join("b/.git/config"), "x").unwrap();
    fs::write(dir.path().join("b/z.txt"), "z").unwrap();
    fs::write(dir.path().join("a.txt"), "a").unwrap();
    fs::write(dir.path().join(".hidden"), "h").unwrap();
    let items = collect(dir.path(), &WalkOptions::default());
    let root = dir.path().display().to_string();
    assert_eq!(
        paths(&items),
        [format!("{root}/a.txt"), format!("{root}/b/z.txt")]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("d")).unwrap();
    fs::write(dir.path().join("d/f.txt"), "f").unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("d/loop")).unwrap();
    let items = collect(dir.path(), &WalkOptions::default());
    assert_eq!(items.len(), 1, "{:?}", paths(&items));
}

#[test]
fn tar_gz_members_and_macos_junk() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[
        ("./docs/a.md", b"# A\n\nText."),
        ("__MACOSX/docs/._a.md", b"junk"),
        ("docs/._b.md", b"junk"),
        ("docs/b.txt", b"Bee."),
    ]);
    let p = dir.path().join("c.tgz");
    fs::write(&p, gz(&tar)).unwrap();
    let items = collect(&p, &WalkOptions::default());
    let d = p.display();
    assert_eq!(
        paths(&items),
        [format!("{d}!/docs/a.md"), format!("{d}!/docs/b.txt")]
    );
    assert_eq!(items[1].as_ref().unwrap().bytes, b"Bee.");
}

#[test]
fn tar_xz_and_plain_tar_and_magic_without_extension() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[("x.txt", b"Ex.")]);
    fs::write(dir.path().join("a.tar.xz"), xz(&tar)).unwrap();
    fs::write(dir.path().join("b.tar"), &tar).unwrap();
    fs::write(dir.path().join("c.bin"), gz(&tar)).unwrap();
    let items = collect(dir.path(), &WalkOptions::default());
    let r = dir.path().display();
    assert_eq!(
        paths(&items),
        [
            format!("{r}/a.tar.xz!/x.txt"),
            format!("{r}/b.tar!/x.txt"),
            format!("{r}/c.bin!/x.txt"),
        ]
    );
}

#[test]
fn single_compressed_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("n.jsonl.gz"), gz(b"{\"id\":1}\n")).unwrap();
    fs::write(dir.path().join("m.md.xz"), xz(b"# M\n")).unwrap();
    let items = collect(dir.path(), &WalkOptions::default());
    let r = dir.path().display();
    assert_eq!(
        paths(&items),
        [
            format!("{r}/m.md.xz!/m.md"),
            format!("{r}/n.jsonl.gz!/n.jsonl")
        ]
    );
    assert_eq!(items[1].as_ref().unwrap().bytes, b"{\"id\":1}\n");
}

#[test]
fn zip_members_and_nested_archives() {
    let dir = tempfile::tempdir().unwrap();
    let inner_zip = zip_bytes(&[("deep.txt", b"Deep.")]);
    let inner_tgz = gz(&tar_bytes(&[("t.txt", b"Tee.")]));
    let zip = zip_bytes(&[
        ("a/one.txt", b"One."),
        ("a/inner.zip", &inner_zip),
        ("a/inner.tgz", &inner_tgz),
        ("__MACOSX/a/._one.txt", b"junk"),
    ]);
    let p = dir.path().join("z.zip");
    fs::write(&p, zip).unwrap();
    let items = collect(&p, &WalkOptions::default());
    let d = p.display();
    assert_eq!(
        paths(&items),
        [
            format!("{d}!/a/one.txt"),
            format!("{d}!/a/inner.zip!/deep.txt"),
            format!("{d}!/a/inner.tgz!/t.txt"),
        ]
    );
}

#[test]
fn too_large_items_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'a'; 3 * MB as usize];
    fs::write(dir.path().join("big.txt"), &big).unwrap();
    fs::write(dir.path().join("big.txt.gz"), gz(&big)).unwrap();
    fs::write(dir.path().join("big.tar"), tar_bytes(&[("m.txt", &big)])).unwrap();
    fs::write(dir.path().join("big.zip"), zip_bytes(&[("m.txt", &big)])).unwrap();
    let opts = WalkOptions {
        max_item_bytes: 2 * MB,
    };
    let items = collect(dir.path(), &opts);
    assert_eq!(items.len(), 4);
    for r in &items {
        let e = r.as_ref().unwrap_err();
        assert!(e.contains("3.0 MB is over the 2 MB limit"), "{e}");
    }
}

#[test]
fn truncated_archives_report_what_was_read_then_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let filler: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let tar = tar_bytes(&[("a.txt", b"A."), ("b.bin", &filler), ("c.txt", b"C.")]);
    for (name, bytes) in [
        ("t.tar", tar.clone()),
        ("t.tar.gz", gz(&tar)),
        ("t.tar.xz", xz(&tar)),
        (
            "t.zip",
            zip_bytes(&[("a.txt", b"A."), ("b.bin", &filler), ("c.txt", b"C.")]),
        ),
    ] {
        let p = dir.path().join(name);
        let cut = if name.ends_with(".tar") {
            512 + 512 + 4000
        } else {
            bytes.len() * 2 / 3
        };
        fs::write(&p, &bytes[..cut]).unwrap();
        let items = collect(&p, &WalkOptions::default());
        let got = paths(&items);
        assert!(got[0].ends_with("!/a.txt"), "{name}: {got:?}");
        let last = got.last().unwrap();
        assert!(
            last.starts_with("ERR ") && last.contains(name),
            "{name}: {got:?}"
        );
        assert!(
            !got.iter().any(|p| p.ends_with("!/c.txt")),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn wrong_magic_for_extension_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.zip");
    fs::write(&p, "hello").unwrap();
    let items = collect(&p, &WalkOptions::default());
    let e = items[0].as_ref().unwrap_err();
    assert!(e.contains("x.zip") && e.contains("68 65 6c 6c"), "{e}");
}

#[test]
fn missing_root_is_an_error() {
    let mut n = 0;
    let r = walk(
        Path::new("/no/such/path"),
        &WalkOptions::default(),
        &mut |_| n += 1,
    );
    assert!(r.is_err());
    assert_eq!(n, 0);
}

#[test]
fn helpers() {
    assert_eq!(inner_name("corpus.jsonl.gz"), "corpus.jsonl");
    assert_eq!(inner_name("c.TGZ"), "c.tar");
    assert_eq!(inner_name("x"), "x");
    assert_eq!(member_name("./a/b"), "a/b");
    assert!(skip_member("__MACOSX/x"));
    assert!(skip_member("a/._b"));
    assert!(!skip_member("a/b.md"));
}
