//! A crew: the pool's threads held for one query's forward pass, sharing its parallel regions
//! without going to sleep between them.
//!
//! One short text's pass has about thirty parallel regions (four int8 products and the
//! attention heads in each of six layers) of some tens to hundreds of microseconds each. Run as
//! rayon parallel iterators, nearly every region ends with a thread parked on a futex and woken
//! again for the next one: on the 2-core development machine `perf sched` counted about 22
//! sleeps of the embedding thread per query, and the wake-ups cost as much as the arithmetic.
//! Here the pool's other threads are taken once per pass ([`with_crew`]) and spin between
//! regions; the tasks of a region are claimed one at a time by compare-and-swap on a single
//! word, so a slow or descheduled thread only delays the tasks it holds. Idle helpers yield the
//! CPU after a short spin, so other work (the BM25 half of a hybrid search) still gets to run,
//! and they leave as soon as the pass is over.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long an idle helper spins on the claim word before it starts yielding the CPU between
/// looks: longer than the serial stretches between regions (norms, quantising the next input),
/// far shorter than a scheduler tick.
const SPIN: Duration = Duration::from_micros(200);

/// The low half of the claim word: the next unclaimed task.
const INDEX: u64 = 0xffff_ffff;

/// The shared state of one forward pass. The thread that called [`with_crew`] (the lead)
/// publishes regions with [`Crew::run`]; the helpers only claim and run tasks.
pub(super) struct Crew {
    /// `epoch << 32 | next task`: the epoch counts regions, so that a helper holding a stale
    /// view of the word cannot claim a task of a region that has since been replaced.
    claim: AtomicU64,
    /// Tasks in the current region.
    count: AtomicUsize,
    /// Tasks of the current region that have finished, or unwound.
    done: AtomicUsize,
    /// The current region's job: points at a `&(dyn Fn(usize) + Sync)` on the lead's stack,
    /// valid while the region is open.
    job: AtomicPtr<()>,
    /// Set when a task panicked; the lead then panics at the end of its region.
    poisoned: AtomicBool,
    /// Set when the pass is over: helpers return.
    finished: AtomicBool,
}

type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// Runs `pass` with the calling pool's other threads as helpers for its regions. Outside a
/// pool, or in a pool of one thread, the crew is the calling thread alone (every region runs
/// in order on it).
pub(super) fn with_crew<R: Send>(pass: impl FnOnce(&Crew) -> R + Send) -> R {
    let crew = Crew {
        claim: AtomicU64::new(0),
        count: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        job: AtomicPtr::new(std::ptr::null_mut()),
        poisoned: AtomicBool::new(false),
        finished: AtomicBool::new(false),
    };
    let helpers = rayon::current_num_threads().saturating_sub(1);
    if helpers == 0 || rayon::current_thread_index().is_none() {
        return pass(&crew);
    }
    /// Ends the helpers' loops, also when the pass unwinds (the scope then waits for them
    /// before it re-raises the panic).
    struct Finish<'a>(&'a Crew);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            self.0.finished.store(true, Ordering::Release);
        }
    }
    let crew = &crew;
    rayon::scope(|s| {
        for _ in 0..helpers {
            // A helper that no thread picks up before the pass ends runs on the lead when the
            // scope closes, finds the pass finished and returns at once.
            s.spawn(move |_| crew.help());
        }
        let _finish = Finish(crew);
        pass(crew)
    })
}

impl Crew {
    /// Runs `job(0)`, …, `job(tasks - 1)`, each exactly once, on this thread and whichever
    /// helpers are free, and returns when all have finished. Panics if one of them panicked.
    pub(super) fn run(&self, tasks: usize, job: Job<'_>) {
        if tasks == 0 {
            return;
        }
        assert!(tasks < INDEX as usize, "{tasks} tasks in one region");
        let epoch = ((self.claim.load(Ordering::Relaxed) >> 32) + 1) & INDEX;
        self.job
            .store(&job as *const Job<'_> as *mut (), Ordering::Relaxed);
        self.count.store(tasks, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        // Publishes the job, count and reset above to every helper that sees the new epoch.
        self.claim.store(epoch << 32, Ordering::Release);
        let region = Region {
            crew: self,
            epoch,
            tasks,
        };
        while let Some(i) = self.take() {
            self.execute(i);
        }
        drop(region);
        if self.poisoned.load(Ordering::Acquire) {
            panic!("a task of the embedder's crew panicked");
        }
    }

    /// Runs `task(i, a_i, b_i)` for the i-th chunks of `a` (chunks of `a_chunk`) and `b`
    /// (chunks of `b_chunk`) as one region; both must have the same number of chunks.
    pub(super) fn run_chunks<A: Send, B: Send>(
        &self,
        a: &mut [A],
        a_chunk: usize,
        b: &mut [B],
        b_chunk: usize,
        task: impl Fn(usize, &mut [A], &mut [B]) + Sync,
    ) {
        assert!(a_chunk > 0 && b_chunk > 0);
        let tasks = a.len().div_ceil(a_chunk);
        assert_eq!(tasks, b.len().div_ceil(b_chunk), "chunk counts differ");
        let (a_len, b_len) = (a.len(), b.len());
        let (a, b) = (Parts(a.as_mut_ptr()), Parts(b.as_mut_ptr()));
        let job = |i: usize| {
            // SAFETY: `run` hands out each index once, so chunk i of each slice is borrowed by
            // this call alone; the chunks lie inside the slices, which stay mutably borrowed
            // (by this function) until `run` has seen every task finish.
            let (a, b) = unsafe { (a.chunk(i, a_chunk, a_len), b.chunk(i, b_chunk, b_len)) };
            task(i, a, b);
        };
        self.run(tasks, &job);
    }

    /// Claims the next task of the current region, if one is left.
    fn take(&self) -> Option<usize> {
        let mut word = self.claim.load(Ordering::Acquire);
        loop {
            let next = (word & INDEX) as usize;
            // The count may already be a newer region's: the exchange below then fails,
            // because that region's publication changed the word.
            if next >= self.count.load(Ordering::Acquire) {
                return None;
            }
            match self.claim.compare_exchange_weak(
                word,
                word + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(next),
                Err(now) => word = now,
            }
        }
    }

    /// Runs a claimed task and counts it done, also if it panics.
    fn execute(&self, i: usize) {
        struct Done<'a>(&'a Crew);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.poisoned.store(true, Ordering::Relaxed);
                }
                self.0.done.fetch_add(1, Ordering::Release);
            }
        }
        // SAFETY: a task of the current region is claimed and not yet counted done, so the
        // lead is inside `run` for this region: `job` points at its live `Job` reference.
        let job: Job<'_> = unsafe { *(self.job.load(Ordering::Acquire) as *const Job<'_>) };
        let _done = Done(self);
        job(i);
    }

    /// A helper's loop: claim and run tasks until the pass is finished.
    fn help(&self) {
        let mut idle_since: Option<Instant> = None;
        while !self.finished.load(Ordering::Acquire) {
            if let Some(i) = self.take() {
                self.execute(i);
                idle_since = None;
                continue;
            }
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Closes a region when `run` leaves it, normally or by a panic on the lead: no task is
/// claimed after this, and the tasks already claimed are waited for, since they borrow the
/// lead's stack.
struct Region<'a> {
    crew: &'a Crew,
    epoch: u64,
    tasks: usize,
}

impl Drop for Region<'_> {
    fn drop(&mut self) {
        let crew = self.crew;
        let before = crew.claim.swap(self.epoch << 32 | INDEX, Ordering::AcqRel);
        let claimed = ((before & INDEX) as usize).min(self.tasks);
        while crew.done.load(Ordering::Acquire) < claimed {
            std::hint::spin_loop();
        }
    }
}

/// A slice's base pointer, shared by the tasks of a region, each of which takes its own chunk.
struct Parts<T>(*mut T);

// SAFETY: the tasks only ever form disjoint chunks from it (see `run_chunks`), so sharing the
// pointer between threads shares no element; the elements themselves move between threads.
unsafe impl<T: Send> Sync for Parts<T> {}

impl<T> Parts<T> {
    /// Chunk `i` (of `size` elements, the last one shorter) of the `len`-element slice.
    ///
    /// SAFETY (caller): the slice is live and mutably borrowed for the caller's use, and no
    /// other reference to this chunk exists while the returned one does.
    unsafe fn chunk<'a>(&self, i: usize, size: usize, len: usize) -> &'a mut [T] {
        let start = i * size;
        assert!(start < len);
        std::slice::from_raw_parts_mut(self.0.add(start), size.min(len - start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool")
    }

    /// Many regions of uneven sizes, as a pass has: every element written once, by its task.
    fn regions(crew: &Crew) -> Vec<u64> {
        let mut all = Vec::new();
        for round in 0..300usize {
            let n = 1 + round % 37;
            let mut a = vec![0u64; n * 5 - 2];
            let mut b = vec![0u32; n];
            crew.run_chunks(&mut a, 5, &mut b, 1, |i, a, b| {
                for (j, v) in a.iter_mut().enumerate() {
                    *v += (round * 1000 + i * 10 + j) as u64;
                }
                b[0] += 1;
            });
            assert!(b.iter().all(|&c| c == 1), "round {round}: {b:?}");
            all.extend(a);
        }
        all
    }

    #[test]
    fn the_crew_computes_what_one_thread_computes() {
        let alone = with_crew(regions);
        for threads in [2, 3, 4] {
            let shared = pool(threads).install(|| with_crew(regions));
            assert_eq!(shared, alone, "{threads} threads");
        }
    }

    #[test]
    fn tasks_run_on_the_helpers_too() {
        let pool = pool(2);
        let threads = pool.install(|| {
            with_crew(|crew| {
                let seen = std::sync::Mutex::new(std::collections::HashSet::new());
                // Enough slow tasks that the helper, once awake, takes some.
                for _ in 0..50 {
                    crew.run(8, &|_| {
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_micros(50) {}
                        seen.lock().unwrap().insert(rayon::current_thread_index());
                    });
                }
                seen.into_inner().unwrap().len()
            })
        });
        assert_eq!(threads, 2);
    }

    #[test]
    fn a_panicking_task_reaches_the_caller_and_the_pool_survives() {
        let pool = pool(2);
        for bad in [0, 7] {
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    with_crew(|crew| {
                        crew.run(16, &|i| {
                            let t = Instant::now();
                            while t.elapsed() < Duration::from_micros(20) {}
                            assert_ne!(i, bad, "task {i} fails");
                        });
                    })
                })
            }));
            assert!(caught.is_err(), "task {bad}");
        }
        // The pool still runs crews afterwards.
        let sums = pool.install(|| with_crew(regions));
        assert_eq!(sums, with_crew(regions));
    }
}
