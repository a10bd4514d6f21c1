//! Background work for one plugin instance: a thread of its own, fed through a bounded lock-free
//! queue, handing results back through another, and disposing of whatever the audio thread no
//! longer needs (so the audio thread never frees memory).
//!
//! The audio side never waits: `submit` fails (and counts the drop) when the queue is full,
//! `poll` returns `None` when nothing is ready. In offline rendering the same jobs run inline,
//! to completion, inside `submit`, which makes renders deterministic.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam::queue::ArrayQueue;

use crate::dsp::denormal::FlushGuard;

/// Work that runs off the audio thread.
pub trait Job: Send + 'static {
    type Output: Send + 'static;
    fn run(self) -> Self::Output;
}

/// How jobs are run.
#[derive(Clone, Copy, Debug)]
pub enum Executor {
    /// On the instance's own thread; the audio thread never waits for it.
    Thread,
    /// Synchronously inside `submit`, for offline rendering. `permit` wraps the job so that a
    /// host-side allocation guard can allow the allocations jobs make (the plugin passes
    /// nice-plug's `permit_alloc`).
    Inline { permit: fn(&mut dyn FnMut()) },
}

/// Anything the audio thread hands back to be dropped elsewhere.
pub type Spent = Box<dyn Any + Send>;

const JOB_CAPACITY: usize = 16;
const RESULT_CAPACITY: usize = 4;
const SPENT_CAPACITY: usize = 64;
/// How long the idle thread sleeps between looks at its queues. Waking it from the audio thread
/// would be a system call; a short poll costs nothing measurable.
const IDLE_POLL: Duration = Duration::from_millis(2);

struct Shared<J: Job> {
    jobs: ArrayQueue<J>,
    results: ArrayQueue<J::Output>,
    spent: ArrayQueue<Spent>,
    stop: AtomicBool,
    dropped_jobs: AtomicU64,
}

pub struct Worker<J: Job> {
    shared: Arc<Shared<J>>,
    executor: Executor,
    thread: Option<JoinHandle<()>>,
}

impl<J: Job> Worker<J> {
    /// Starts the worker (and its thread, for `Executor::Thread`). Not for the audio thread.
    pub fn new(executor: Executor, name: &str) -> Self {
        let shared = Arc::new(Shared {
            jobs: ArrayQueue::new(JOB_CAPACITY),
            results: ArrayQueue::new(RESULT_CAPACITY),
            spent: ArrayQueue::new(SPENT_CAPACITY),
            stop: AtomicBool::new(false),
            dropped_jobs: AtomicU64::new(0),
        });
        let thread = matches!(executor, Executor::Thread).then(|| {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || run_thread(&shared))
                .expect("cannot start the worker thread")
        });
        Self {
            shared,
            executor,
            thread,
        }
    }

    /// Queues `job` without waiting. When the queue is full the job is dropped, counted, and
    /// handed back so the caller can try again later (and need not free it).
    pub fn submit(&self, job: J) -> Result<(), J> {
        match self.executor {
            Executor::Thread => self.shared.jobs.push(job).inspect_err(|_| {
                self.shared.dropped_jobs.fetch_add(1, Ordering::Relaxed);
            }),
            Executor::Inline { permit } => {
                let mut job = Some(job);
                permit(&mut || {
                    if let Some(out) = job.take().map(Job::run) {
                        // Latest wins; a displaced older result is freed here, inside `permit`.
                        drop(self.shared.results.force_push(out));
                    }
                });
                Ok(())
            }
        }
    }

    /// A finished result, if any. Returns `None` while the disposal queue lacks room for what
    /// installing a result may retire, so the audio thread never has to free anything itself.
    pub fn poll(&self) -> Option<J::Output> {
        let spent = &self.shared.spent;
        if spent.capacity() - spent.len() < 2 {
            return None;
        }
        self.shared.results.pop()
    }

    /// Hands `spent` to the worker to be dropped there. Succeeds whenever the previous `poll`
    /// returned a result and at most two things are retired for it.
    pub fn retire(&self, spent: Spent) {
        if let Err(spent) = self.shared.spent.push(spent) {
            // Unreachable by the poll rule above; leaking beats freeing on the audio thread.
            debug_assert!(false, "disposal queue full");
            std::mem::forget(spent);
        }
        // Offline there is no thread to free it: free it now, inside the caller's permission.
        if let Executor::Inline { permit } = self.executor {
            permit(&mut || while self.shared.spent.pop().is_some() {});
        }
    }

    /// Jobs dropped because the queue was full, since the worker started.
    pub fn dropped_jobs(&self) -> u64 {
        self.shared.dropped_jobs.load(Ordering::Relaxed)
    }
}

impl<J: Job> Drop for Worker<J> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn run_thread<J: Job>(shared: &Shared<J>) {
    let _flush = FlushGuard::new();
    while !shared.stop.load(Ordering::Acquire) {
        while shared.spent.pop().is_some() {}
        let Some(job) = shared.jobs.pop() else {
            std::thread::park_timeout(IDLE_POLL);
            continue;
        };
        let mut output = job.run();
        // Wait for room rather than drop a finished result; the audio side drains it.
        while let Err(back) = shared.results.push(output) {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            output = back;
            while shared.spent.pop().is_some() {}
            std::thread::park_timeout(IDLE_POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A job that holds the worker until the test releases it.
    struct Blocking(mpsc::Receiver<()>, u32);
    impl Job for Blocking {
        type Output = u32;
        fn run(self) -> u32 {
            let _ = self.0.recv();
            self.1
        }
    }

    fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
        for _ in 0..5000 {
            if let Some(v) = f() {
                return v;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("the worker produced nothing within 5 s");
    }

    #[test]
    fn audio_side_never_waits_for_a_busy_worker() {
        let worker = Worker::<Blocking>::new(Executor::Thread, "test-worker");
        let (release, held) = mpsc::channel();
        worker.submit(Blocking(held, 7)).ok().unwrap();
        // While the job is stuck, polling returns at once with nothing ...
        for _ in 0..100 {
            assert!(worker.poll().is_none());
        }
        // ... and a full queue refuses more work instead of blocking.
        let mut refused = 0;
        for i in 0..(JOB_CAPACITY as u32 + 4) {
            let (_tx, rx) = mpsc::channel();
            if worker.submit(Blocking(rx, i)).is_err() {
                refused += 1;
            }
        }
        assert!(refused >= 3, "refused {refused}");
        assert_eq!(worker.dropped_jobs(), refused);
        release.send(()).unwrap();
        assert_eq!(wait_for(|| worker.poll()), 7);
    }

    #[test]
    fn spent_data_is_dropped_on_the_worker_thread() {
        struct NoteDropThread(mpsc::Sender<std::thread::ThreadId>);
        impl Drop for NoteDropThread {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let worker = Worker::<Blocking>::new(Executor::Thread, "test-worker");
        let (tx, rx) = mpsc::channel();
        worker.retire(Box::new(NoteDropThread(tx)));
        let dropped_on = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_ne!(dropped_on, std::thread::current().id());
    }

    #[test]
    fn inline_executor_finishes_the_job_before_submit_returns() {
        struct Square(u64);
        impl Job for Square {
            type Output = u64;
            fn run(self) -> u64 {
                self.0 * self.0
            }
        }
        let worker = Worker::<Square>::new(Executor::Inline { permit: |f| f() }, "unused");
        worker.submit(Square(12)).ok().unwrap();
        assert_eq!(worker.poll(), Some(144));
    }
}
