//! Files, folders and archives into [`Item`]s, without unpacking anything to disk.
//!
//! * A file is one item, unless it is an archive.
//! * A folder is walked recursively in sorted order. Hidden entries (`.git`, `.DS_Store`) are
//!   skipped, symbolic links are followed, and a folder already visited (a symlink loop, or two
//!   links to one folder) is not visited again.
//! * Archives are read as streams: `.tar`, `.tar.gz`/`.tgz`, `.tar.xz`/`.txz`, `.zip`, and single
//!   compressed files `.gz`/`.xz`. The type is recognised by magic bytes first (gzip `1f 8b`, xz
//!   `fd 37 7a 58 5a 00`, zip `50 4b 03 04`, a tar header with `ustar` at byte 257 or a valid
//!   header checksum) and by extension second. Members get display paths
//!   `archive.tar.gz!/member/path`; the content of a single compressed file is
//!   `notes.jsonl.gz!/notes.jsonl`. Archives inside archives are read too, a few levels deep.
//!   macOS `__MACOSX/` folders, `._*` files and other hidden members are skipped. Members come
//!   in archive order.
//!
//! Only one item is in memory at a time (a zip inside another archive is buffered whole, within
//! the item size limit). An item over [`WalkOptions::max_item_bytes`] is reported as
//! [`Error::TooLarge`] without being read: its size comes from the file system or the archive
//! header, or, for a compressed stream, by counting bytes as they are decompressed.
//!
//! A damaged archive yields the members that could be read and then one error naming the
//! archive and the damage; the walk goes on with the next path.

use std::collections::HashSet;
use std::convert::Infallible;
use std::fs::{self, File};
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::{Error, Item, Result};

mod zip_members;

pub use zip_members::{for_each_zip_file, BadMember};

/// Limits applied while walking.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Items larger than this (after decompression) are skipped with [`crate::Error::TooLarge`].
    pub max_item_bytes: u64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_item_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Visits every item under `path`: the file itself, each file of a folder (recursively, in
/// sorted order), or each member of an archive, read into memory one at a time. Items that
/// cannot be read are passed to `visit` as errors; the walk goes on. Returns an error only when
/// `path` itself cannot be opened.
pub fn walk(path: &Path, opts: &WalkOptions, visit: &mut dyn FnMut(Result<Item>)) -> Result<()> {
    let display = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| Error::io(&display, e))?;
    let mut walker = Walker {
        opts,
        visit,
        seen_dirs: HashSet::new(),
    };
    if meta.is_dir() {
        fs::read_dir(path).map_err(|e| Error::io(&display, e))?;
        walker.walk_dir(path, &display);
    } else if meta.is_file() {
        let file = File::open(path).map_err(|e| Error::io(&display, e))?;
        walker.walk_file(file, &display, meta.len());
    } else {
        (walker.visit)(Err(not_regular(&display)));
    }
    Ok(())
}

/// How many archives deep members are still opened as archives.
const MAX_NESTING: u32 = 4;

/// Bytes looked at to recognise an archive (a tar header is 512 bytes).
const HEAD_BYTES: usize = 512;

const MB: u64 = 1024 * 1024;

/// Zip-based document formats: read as single items, not walked as archives.
const ZIP_DOCUMENTS: &[&str] = &[
    ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".jar",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gzip,
    Xz,
    Zip,
    Tar,
    Plain,
    /// The extension names an archive format but the content does not match it.
    NotArchive(&'static str),
}

struct Walker<'a> {
    opts: &'a WalkOptions,
    visit: &'a mut dyn FnMut(Result<Item>),
    seen_dirs: HashSet<PathBuf>,
}

impl Walker<'_> {
    fn emit(&mut self, item: Result<Item>) {
        (self.visit)(item);
    }

    fn limit(&self) -> u64 {
        self.opts.max_item_bytes
    }

    fn too_large(&self, path: &str, size: u64) -> Error {
        Error::TooLarge {
            path: path.to_string(),
            size_mb: size as f64 / MB as f64,
            limit_mb: self.limit().div_ceil(MB),
        }
    }

    fn walk_dir(&mut self, dir: &Path, display: &str) {
        let canonical = match fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => return self.emit(Err(Error::io(display, e))),
        };
        if !self.seen_dirs.insert(canonical) {
            return; // a symlink loop, or a folder reached twice
        }
        let read = match fs::read_dir(dir) {
            Ok(r) => r,
            Err(e) => return self.emit(Err(Error::io(display, e))),
        };
        let mut children = Vec::new();
        for entry in read {
            match entry {
                Ok(entry) => children.push(entry.file_name()),
                Err(e) => self.emit(Err(Error::io(display, e))),
            }
        }
        children.sort();
        for name in children {
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child = dir.join(&name);
            let child_display = child.display().to_string();
            match fs::metadata(&child) {
                Err(e) => self.emit(Err(Error::io(&child_display, e))),
                Ok(meta) if meta.is_dir() => self.walk_dir(&child, &child_display),
                Ok(meta) if meta.is_file() => match File::open(&child) {
                    Ok(file) => self.walk_file(file, &child_display, meta.len()),
                    Err(e) => self.emit(Err(Error::io(&child_display, e))),
                },
                Ok(_) => self.emit(Err(not_regular(&child_display))),
            }
        }
    }

    /// A file on disk: a zip is read with random access, everything else as a stream.
    fn walk_file(&mut self, mut file: File, display: &str, len: u64) {
        let name = file_name(display).to_string();
        let head = match read_head(&mut file) {
            Ok(h) => h,
            Err(e) => return self.emit(Err(Error::io(display, e))),
        };
        if kind_of(&head, &name, 0) == Kind::Zip {
            if let Err(e) = file.seek(SeekFrom::Start(0)) {
                return self.emit(Err(Error::io(display, e)));
            }
            return self.walk_zip(file, display, 0);
        }
        let mut stream = Cursor::new(head).chain(file);
        if let Err(e) = self.walk_stream(display, &name, &mut stream, Some(len), 0) {
            self.emit(Err(Error::io(display, e)));
        }
    }

    /// Walks one stream: an archive is opened, anything else becomes one item.
    ///
    /// Errors of archives found in the stream are reported here; an `Err` return is a failure
    /// of `r` itself, for the caller to attribute to its own container.
    fn walk_stream(
        &mut self,
        display: &str,
        name: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
    ) -> io::Result<()> {
        let head = read_head(r)?;
        let kind = kind_of(&head, name, depth);
        if let Kind::NotArchive(format) = kind {
            let why = format!(
                "does not start with the {format} signature; {}",
                describe_head(&head)
            );
            self.emit(Err(Error::malformed(display, format, why)));
            return Ok(());
        }
        let mut stream = Cursor::new(head).chain(r);
        match kind {
            Kind::Plain | Kind::NotArchive(_) => self.read_plain(display, &mut stream, size),
            Kind::Gzip | Kind::Xz => {
                self.walk_compressed(display, name, &mut stream, kind, depth);
                Ok(())
            }
            Kind::Tar => {
                self.walk_tar(display, &mut stream, "tar archive", depth);
                Ok(())
            }
            Kind::Zip => {
                // Random access needs the whole zip: buffer it, within the item limit.
                if let Some(size) = size.filter(|&s| s > self.limit()) {
                    self.emit(Err(self.too_large(display, size)));
                    return Ok(());
                }
                match self.read_limited(&mut stream)? {
                    Ok(bytes) => self.walk_zip(Cursor::new(bytes), display, depth),
                    Err(total) => self.emit(Err(self.too_large(display, total))),
                }
                Ok(())
            }
        }
    }

    /// Reads a whole item (the head is already at the front of `r`) and visits it.
    fn read_plain(&mut self, display: &str, r: &mut dyn Read, size: Option<u64>) -> io::Result<()> {
        if let Some(size) = size.filter(|&s| s > self.limit()) {
            self.emit(Err(self.too_large(display, size)));
            return Ok(());
        }
        match self.read_limited(r)? {
            Ok(bytes) => {
                if let Some(size) = size.filter(|&s| (bytes.len() as u64) < s) {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("truncated: {} of {size} bytes", bytes.len()),
                    ));
                }
                self.emit(Ok(Item::new(display, bytes)));
            }
            Err(total) => self.emit(Err(self.too_large(display, total))),
        }
        Ok(())
    }

    /// Reads `r` to its end if it holds at most the item limit; otherwise counts the rest
    /// without keeping it and returns the total size as `Err`.
    fn read_limited(&self, r: &mut dyn Read) -> io::Result<Result<Vec<u8>, u64>> {
        let limit = self.limit();
        let mut bytes = Vec::new();
        r.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            let rest = io::copy(r, &mut io::sink())?;
            return Ok(Err(bytes.len() as u64 + rest));
        }
        Ok(Ok(bytes))
    }

    /// A gzip or xz stream: a compressed tar, or one compressed file.
    fn walk_compressed(
        &mut self,
        display: &str,
        name: &str,
        r: &mut dyn Read,
        kind: Kind,
        depth: u32,
    ) {
        let (format, tar_format) = if kind == Kind::Gzip {
            ("gzip file", "tar.gz archive")
        } else {
            ("xz file", "tar.xz archive")
        };
        let mut decoder: Box<dyn Read + '_> = if kind == Kind::Gzip {
            Box::new(flate2::read::MultiGzDecoder::new(r))
        } else {
            Box::new(liblzma::read::XzDecoder::new_multi_decoder(r))
        };
        let inner = inner_name(name);
        let head = match read_head(&mut decoder) {
            Ok(h) => h,
            Err(e) => return self.emit(Err(Error::malformed(display, format, e))),
        };
        let is_tar = inner.to_ascii_lowercase().ends_with(".tar") || is_tar_header(&head);
        let mut stream = Cursor::new(head).chain(decoder);
        if is_tar && depth < MAX_NESTING {
            self.walk_tar(display, &mut stream, tar_format, depth);
        } else {
            let member = format!("{display}!/{inner}");
            if let Err(e) = self.walk_stream(&member, &inner, &mut stream, None, depth + 1) {
                self.emit(Err(Error::malformed(display, format, e)));
            }
        }
    }

    fn walk_tar(&mut self, display: &str, r: &mut dyn Read, format: &'static str, depth: u32) {
        let mut archive = tar::Archive::new(r);
        let mut count = 0usize;
        let damage = |count: usize, what: String| {
            let members = if count == 1 { "member" } else { "members" };
            Error::malformed(
                display,
                format,
                format!("stopped after {count} {members}: {what}"),
            )
        };
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(e) => return self.emit(Err(damage(0, e.to_string()))),
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(e) => return self.emit(Err(damage(count, e.to_string()))),
            };
            let entry_type = entry.header().entry_type();
            if !(entry_type.is_file() || entry_type == tar::EntryType::Continuous) {
                continue;
            }
            let name = member_name(&String::from_utf8_lossy(&entry.path_bytes()));
            if skip_member(&name) {
                continue;
            }
            count += 1;
            let size = entry.size();
            let member = format!("{display}!/{name}");
            if let Err(e) = self.walk_stream(&member, &name, &mut entry, Some(size), depth + 1) {
                return self.emit(Err(damage(count - 1, format!("member {name}: {e}"))));
            }
        }
        // Read what follows the last member, so that a truncated or corrupt compressed stream
        // is noticed even when the damage is in the padding or the checksum at its end.
        if let Err(e) = io::copy(&mut archive.into_inner(), &mut io::sink()) {
            self.emit(Err(damage(count, e.to_string())));
        }
    }

    fn walk_zip<R: Read + Seek>(&mut self, mut reader: R, display: &str, depth: u32) {
        const FORMAT: &str = "zip archive";
        let mut archive = match zip::ZipArchive::new(&mut reader) {
            Ok(a) => a,
            Err(e) => return self.walk_zip_stream(reader, display, depth, e),
        };
        for_each_zip_file(&mut archive, |member| {
            let mut file = match member {
                Ok(f) => f,
                Err(bad) => {
                    if !skip_member(&member_name(&bad.name)) && !bad.name.ends_with('/') {
                        let member = format!("{display}!/{}", member_name(&bad.name));
                        self.emit(Err(Error::malformed(&member, FORMAT, bad.error)));
                    }
                    return Ok::<(), Infallible>(());
                }
            };
            let name = member_name(file.name());
            if skip_member(&name) {
                return Ok(());
            }
            let member = format!("{display}!/{name}");
            let size = file.size();
            if let Err(e) = self.walk_stream(&member, &name, &mut file, Some(size), depth + 1) {
                self.emit(Err(Error::malformed(
                    display,
                    FORMAT,
                    format!("member {name}: {e}"),
                )));
            }
            Ok(())
        })
        .unwrap_or_else(|never| match never {});
    }

    /// A zip whose central directory cannot be read (typically a truncated download): reads
    /// the members from their local headers, in order, until the damage.
    fn walk_zip_stream<R: Read + Seek>(
        &mut self,
        mut reader: R,
        display: &str,
        depth: u32,
        why: zip::result::ZipError,
    ) {
        const FORMAT: &str = "zip archive";
        let mut count = 0usize;
        let mut damage = None;
        if let Err(e) = reader.seek(SeekFrom::Start(0)) {
            return self.emit(Err(Error::malformed(
                display,
                FORMAT,
                format!("{why}; {e}"),
            )));
        }
        loop {
            let mut file = match zip::read::read_zipfile_from_stream(&mut reader) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    damage = Some(e.to_string());
                    break;
                }
            };
            if file.is_dir() {
                continue;
            }
            let name = member_name(file.name());
            if skip_member(&name) {
                continue;
            }
            let member = format!("{display}!/{name}");
            let size = file.size();
            if let Err(e) = self.walk_stream(&member, &name, &mut file, Some(size), depth + 1) {
                damage = Some(format!("member {name}: {e}"));
                break;
            }
            count += 1;
        }
        let members = if count == 1 { "member" } else { "members" };
        let mut why = format!("{why}; read {count} {members} from the local headers");
        if let Some(d) = damage {
            why.push_str(&format!(", then: {d}"));
        }
        self.emit(Err(Error::malformed(display, FORMAT, why)));
    }
}

fn not_regular(display: &str) -> Error {
    Error::Unsupported {
        path: display.to_string(),
        why: "not a regular file or folder".to_string(),
    }
}

/// Reads up to [`HEAD_BYTES`] bytes (fewer only at the end of the stream).
fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    r.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The last component of a display path.
fn file_name(display: &str) -> &str {
    display.rsplit(['/', '\\', '!']).next().unwrap_or(display)
}

/// What a stream is, from its first bytes and its name.
fn kind_of(head: &[u8], name: &str, depth: u32) -> Kind {
    let lower = name.to_ascii_lowercase();
    if depth > MAX_NESTING || ZIP_DOCUMENTS.iter().any(|ext| lower.ends_with(ext)) {
        return Kind::Plain;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        Kind::Gzip
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Kind::Xz
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if is_tar_header(head) || lower.ends_with(".tar") {
        Kind::Tar
    } else if lower.ends_with(".gz") || lower.ends_with(".tgz") {
        Kind::NotArchive("gzip file")
    } else if lower.ends_with(".xz") || lower.ends_with(".txz") {
        Kind::NotArchive("xz file")
    } else if lower.ends_with(".zip") {
        Kind::NotArchive("zip archive")
    } else {
        Kind::Plain
    }
}

/// A tar header block: the `ustar` magic, or (old v7 archives) a valid header checksum.
fn is_tar_header(head: &[u8]) -> bool {
    if head.len() < HEAD_BYTES {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    let field = &head[148..156];
    let digits: String = field
        .iter()
        .map(|&b| b as char)
        .filter(|c| !c.is_whitespace() && *c != '\0')
        .collect();
    let Ok(stored) = u32::from_str_radix(&digits, 8) else {
        return false;
    };
    let sum: u32 = head[..HEAD_BYTES]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    // All-zero blocks have checksum 256 of spaces only; require some content before the field.
    stored == sum && head[0] != 0
}

/// The name of a compressed file's content: `a.jsonl.gz` → `a.jsonl`, `a.tgz` → `a.tar`.
fn inner_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    for (suffix, replacement) in [
        (".tgz", ".tar"),
        (".txz", ".tar"),
        (".gz", ""),
        (".xz", ""),
        (".gzip", ""),
    ] {
        if lower.ends_with(suffix) && name.len() > suffix.len() {
            return format!("{}{replacement}", &name[..name.len() - suffix.len()]);
        }
    }
    name.to_string()
}

/// A member path without leading `./` or `/`.
fn member_name(raw: &str) -> String {
    let mut s = raw.trim_start_matches('/');
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    s.to_string()
}

/// Members that are not content: macOS resource forks and other hidden files, empty names.
fn skip_member(name: &str) -> bool {
    name.is_empty()
        || name
            .split(['/', '\\'])
            .any(|c| c == "__MACOSX" || (c.starts_with('.') && c != "." && c != ".."))
}

fn describe_head(head: &[u8]) -> String {
    if head.is_empty() {
        return "it is empty".to_string();
    }
    let bytes: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("it starts with bytes {}", bytes.join(" "))
}

#[cfg(test)]
mod tests;
