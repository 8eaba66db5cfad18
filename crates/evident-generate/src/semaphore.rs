//! A counting semaphore on a mutex and a condition variable: at most `n` holders at once,
//! across threads.

use std::sync::{Condvar, Mutex, PoisonError};

/// Lets at most `limit` callers hold a [`Permit`] at a time; the others wait.
#[derive(Debug)]
pub(crate) struct Semaphore {
    /// Permits free now.
    free: Mutex<usize>,
    returned: Condvar,
}

/// A held place; dropping it frees the place and wakes one waiter.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `limit` places (at least one).
    pub(crate) fn new(limit: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(limit.max(1)),
            returned: Condvar::new(),
        }
    }

    /// Waits for a free place and takes it.
    pub(crate) fn acquire(&self) -> Permit<'_> {
        // A panic while holding the lock cannot leave the count inconsistent (it is one
        // integer, changed in one step), so a poisoned lock is used as it is.
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .returned
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Permit { semaphore: self }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self
            .semaphore
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.semaphore.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn never_more_than_the_limit_hold_a_permit() {
        let semaphore = Semaphore::new(2);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _permit = semaphore.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*semaphore.free.lock().unwrap(), 2, "every permit returned");
    }
}
