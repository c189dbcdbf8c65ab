//! CPU-heavy work (renders, advice) off the async workers, on a bounded
//! number of blocking threads, one job per user at a time: a colleague's
//! preview never waits behind more than the jobs already running, whatever
//! one user sends. A request dropped while its job waits (the editor moved
//! on, the browser closed) never starts it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::{Error, Result};

/// The pool's slots and each user's own.
pub(crate) struct CpuWork {
    slots: Arc<Semaphore>,
    per_user: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Default for CpuWork {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self { slots: Arc::new(Semaphore::new(cores)), per_user: Mutex::default() }
    }
}

fn shutting_down() -> Error {
    Error::Unavailable("The server is shutting down.".into())
}

impl CpuWork {
    /// The user's own slot (one job at a time), made on first use; slots
    /// nobody holds or waits for are dropped, so the table stays small.
    fn user_slot(&self, user: &str) -> Arc<Semaphore> {
        let mut table = self.per_user.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        table.retain(|_, slot| Arc::strong_count(slot) > 1);
        Arc::clone(table.entry(user.to_string()).or_insert_with(|| Arc::new(Semaphore::new(1))))
    }

    /// Runs `work` for `user` once it is their turn and a slot is free. The
    /// slots are held by the job itself, so a request dropped mid-job does
    /// not let another start beside it.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        user: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let mine = self.user_slot(user).acquire_owned().await.map_err(|_| shutting_down())?;
        let slot = Arc::clone(&self.slots).acquire_owned().await.map_err(|_| shutting_down())?;
        tokio::task::spawn_blocking(move || {
            let _held = (mine, slot);
            work()
        })
        .await
        .map_err(|e| Error::internal(&e, "The work could not be finished."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// One user's jobs run one after another; another user's job runs
    /// beside them while they are still held up (it would wait for ever if
    /// one user could take every slot).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_user_cannot_hold_every_slot() {
        let cpu = Arc::new(CpuWork { slots: Arc::new(Semaphore::new(2)), per_user: Mutex::default() });
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        let mut hogs = Vec::new();
        for _ in 0..4 {
            let (cpu, held) = (Arc::clone(&cpu), Arc::clone(&held));
            // Each job holds its slot until released.
            hogs.push(tokio::spawn(async move {
                cpu.run("hog", move || {
                    let _ = held.lock().unwrap().recv();
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let colleague = tokio::time::timeout(Duration::from_secs(10), cpu.run("colleague", || ())).await;
        assert!(matches!(colleague, Ok(Ok(()))), "the colleague's job did not run beside the held ones");
        for _ in 0..4 {
            release.send(()).unwrap();
        }
        for hog in hogs {
            hog.await.unwrap().unwrap();
        }
    }

    /// A job whose request is dropped while it waits never runs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_never_starts_its_job() {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let cpu = Arc::new(CpuWork::default());
        let (started, running) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let first = {
            let (cpu, running) = (Arc::clone(&cpu), Arc::clone(&running));
            tokio::spawn(async move {
                cpu.run("u", move || {
                    running.store(true, SeqCst);
                    let _ = held.recv();
                })
                .await
            })
        };
        while !running.load(SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let queued = {
            let (cpu, started) = (Arc::clone(&cpu), Arc::clone(&started));
            tokio::spawn(async move { cpu.run("u", move || started.store(true, SeqCst)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        queued.abort();
        let _ = queued.await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        // Whatever would have run has had its chance by now.
        cpu.run("u", || ()).await.unwrap();
        assert!(!started.load(SeqCst));
    }
}
