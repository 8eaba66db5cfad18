//! Following the library on disk: a server picks up commits that other processes make to the
//! shared data folder (`evident library add` / `remove`, another server's starter library),
//! so that a fleet of servers on one folder serves the same library without restarts.

use std::sync::{Arc, Weak};
use std::time::Duration;

use evident_index::Library;

/// Starts a thread that calls [`Library::refresh`] every `every`: a newer commit is searched
/// from the next request on, its vectors with it (never half of one commit). The thread ends
/// when the library is dropped. A failing refresh keeps the commit already loaded, is logged
/// once, and is tried again; recovering is logged too.
pub fn spawn_library_refresh(library: &Arc<Library>, every: Duration) -> std::io::Result<()> {
    let library: Weak<Library> = Arc::downgrade(library);
    std::thread::Builder::new()
        .name("library-refresh".into())
        .spawn(move || {
            let mut failing = false;
            loop {
                std::thread::sleep(every);
                let Some(library) = library.upgrade() else {
                    return;
                };
                match library.refresh() {
                    Ok(changed) => {
                        if failing {
                            tracing::info!("library refresh works again");
                            failing = false;
                        }
                        if changed {
                            let (sources, passages) = library.counts().unwrap_or_default();
                            tracing::info!(sources, passages, "library: picked up a newer commit");
                        }
                    }
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(
                            error = &e as &dyn std::error::Error,
                            "library refresh failed; still serving the commit loaded before"
                        );
                    }
                    Err(_) => {}
                }
            }
        })
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_follows_commits_and_ends_with_the_library() {
        let dir = tempfile::tempdir().unwrap();
        let served = Arc::new(Library::open(dir.path()).unwrap());
        spawn_library_refresh(&served, Duration::from_millis(20)).unwrap();
        let cli = Library::open(dir.path()).unwrap();
        let mut source = evident_core::Source::new("t:one", "One");
        source.kind = evident_core::SourceKind::Guideline;
        let mut b = evident_core::DocumentBuilder::new(source);
        b.paragraph("Aspirin is an antiplatelet.");
        let doc = b.finish();
        let mut w = cli.writer(30_000_000).unwrap();
        w.add(&doc, &[]).unwrap();
        w.commit().unwrap();
        let started = std::time::Instant::now();
        while served.counts().unwrap().0 == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the commit was not picked up"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // Only the thread's Weak is left: it ends on its next tick rather than keep the index.
        let weak = Arc::downgrade(&served);
        drop(served);
        assert!(weak.upgrade().is_none());
    }
}
