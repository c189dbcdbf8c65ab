//! CPU-heavy work (renders, advice) off the async workers, on a bounded
//! number of blocking threads, one job per user at a time: a colleague's
//! preview never waits behind more than the jobs already running, whatever
//! one user sends. A request dropped while its job waits (the editor moved
//! on, the browser closed) never starts it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use crate::PageError;

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

fn shutting_down() -> PageError {
    PageError(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.".into())
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
    ) -> Result<T, PageError> {
        let mine = self.user_slot(user).acquire_owned().await.map_err(|_| shutting_down())?;
        let slot = Arc::clone(&self.slots).acquire_owned().await.map_err(|_| shutting_down())?;
        tokio::task::spawn_blocking(move || {
            let _held = (mine, slot);
            work()
        })
        .await
        .map_err(|e| {
            crate::request_log::record_cause(&e);
            PageError(StatusCode::INTERNAL_SERVER_ERROR, "The work could not be finished.".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// One user's jobs run one after another; another user's job starts at
    /// once beside them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_user_cannot_hold_every_slot() {
        let cpu = Arc::new(CpuWork { slots: Arc::new(Semaphore::new(2)), per_user: Mutex::default() });
        let heavy = || std::thread::sleep(Duration::from_millis(300));
        let mut hogs = Vec::new();
        for _ in 0..4 {
            let cpu = Arc::clone(&cpu);
            hogs.push(tokio::spawn(async move { cpu.run("hog", heavy).await }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let start = Instant::now();
        cpu.run("colleague", || ()).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(200), "waited {:?}", start.elapsed());
        for hog in hogs {
            hog.await.unwrap().unwrap();
        }
    }

    /// A job whose request is dropped while it waits never runs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_never_starts_its_job() {
        let cpu = Arc::new(CpuWork::default());
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let first = {
            let cpu = Arc::clone(&cpu);
            tokio::spawn(async move { cpu.run("u", || std::thread::sleep(Duration::from_millis(200))).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued = {
            let (cpu, ran) = (Arc::clone(&cpu), Arc::clone(&ran));
            tokio::spawn(async move {
                cpu.run("u", move || ran.store(true, std::sync::atomic::Ordering::SeqCst)).await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        queued.abort();
        first.await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}
