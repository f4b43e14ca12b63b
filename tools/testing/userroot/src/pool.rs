// SPDX-License-Identifier: GPL-2.0
//! The one worker pool of the runner: `make test`'s boots and `make
//! compare`'s run through it, [`PARALLEL`] at a time, in order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Boots at once: two vCPUs' worth of TCG threads on a 2-core machine.
pub const PARALLEL: usize = 2;

/// The results of a pool's jobs, by index, as they come.
pub struct Results<T> {
    slots: Mutex<Vec<Option<T>>>,
    done: Condvar,
}

impl<T: Clone> Results<T> {
    /// Waits for job `i` and returns its result.
    pub fn wait(&self, i: usize) -> T {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(result) = &slots[i] {
                return result.clone();
            }
            slots = self.done.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn put(&self, i: usize, result: T) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
        self.done.notify_all();
    }
}

/// Runs `work` on each of `jobs`, [`PARALLEL`] at a time in their order,
/// while `take` reads the results (each as soon as it is there); returns
/// what `take` returns once every job is done.
pub fn run<J: Sync, T: Send + Clone, R>(
    jobs: &[J],
    work: impl Fn(&J) -> T + Sync,
    take: impl FnOnce(&Results<T>) -> R,
) -> R {
    let results = Results {
        slots: Mutex::new((0..jobs.len()).map(|_| None).collect()),
        done: Condvar::new(),
    };
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                results.put(i, work(job));
            });
        }
        take(&results)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_by_index_whatever_order_they_are_read_in() {
        let jobs: Vec<u64> = (0..7).collect();
        let read = run(
            &jobs,
            |j| {
                std::thread::sleep(std::time::Duration::from_millis(7 - j));
                j * 10
            },
            |r| [6, 0, 3, 1, 2, 5, 4].map(|i| r.wait(i)),
        );
        assert_eq!(read, [60, 0, 30, 10, 20, 50, 40]);
    }

    #[test]
    fn no_jobs() {
        let jobs: [u8; 0] = [];
        assert_eq!(run(&jobs, |j| *j, |_| "done"), "done");
    }
}
