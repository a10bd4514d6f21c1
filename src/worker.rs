//! Background work for one plugin instance: two lanes, each a thread of its own fed through a
//! bounded lock-free queue, one queue of finished jobs back, and disposal of whatever the audio
//! thread no longer needs (so the audio thread never frees memory).
//!
//! - The **short** lane takes jobs that finish in milliseconds (taps, learning, frame orders);
//!   the **long** lane takes jobs of seconds (reconstruction, resynthesis). A long job never
//!   delays a short one.
//! - Jobs are boxes made before the audio thread runs (see `engine::job_slot`): the job's inputs
//!   and its result travel in the same box, which comes back to be reused, so submitting
//!   allocates nothing.
//! - Long jobs check a `Cancel` between iterations and stop when their owner supersedes them.
//! - A job that panics (a bug) loses only its result: it comes back marked failed and counted,
//!   and neither the lane's thread nor, offline, the host's audio thread goes down with it.
//!
//! The audio side never waits: `submit` fails (and counts the drop) when a lane is full, `poll`
//! returns `None` when nothing is ready. In offline rendering the same jobs run inline, to
//! completion, inside `submit`, which makes renders deterministic. A host that renders faster
//! than real time without saying so gets the same result another way: the engine, seeing the
//! lead (`engine::pace`), waits for the threads (`wait_idle`) within that lead.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam::queue::ArrayQueue;

use crate::dsp::denormal::FlushGuard;

/// Which thread runs a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Milliseconds: taps, learning, orders.
    Short,
    /// Seconds: iterative reconstruction; cancellable between iterations.
    Long,
}

const LANES: [Lane; 2] = [Lane::Short, Lane::Long];

/// Work that runs off the audio thread and comes back, with its result inside, to its owner.
pub trait Job: Any + Send {
    fn run(&mut self);
    fn lane(&self) -> Lane;
    /// The engine stage the job returns to.
    fn owner(&self) -> usize;
    /// Marks the job as one that panicked: its owner must not use what it holds.
    fn fail(&mut self);
    /// The box as `Any`, for its owner to take back its own type (no allocation).
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// Tells a job whether its owner still wants it: the owner's generation counter, and the
/// generation the job was submitted under.
pub struct Cancel<'a> {
    current: &'a AtomicU64,
    submitted: u64,
}

impl<'a> Cancel<'a> {
    pub fn new(current: &'a AtomicU64, submitted: u64) -> Self {
        Self { current, submitted }
    }

    /// True once the owner has moved on: stop at the next iteration.
    pub fn is_cancelled(&self) -> bool {
        self.current.load(Ordering::Acquire) != self.submitted
    }
}

/// How jobs are run.
#[derive(Clone, Copy, Debug)]
pub enum Executor {
    /// On the instance's own threads; the audio thread never waits for them.
    Thread,
    /// Synchronously inside `submit`, for offline rendering. `permit` wraps the job so that a
    /// host-side allocation guard can allow the allocations jobs make (the plugin passes
    /// nice-plug's `permit_alloc`).
    Inline { permit: fn(&mut dyn FnMut()) },
}

/// Anything the audio thread hands back to be dropped elsewhere.
pub type Spent = Box<dyn Any + Send>;

const JOB_CAPACITY: usize = 16;
/// Every request of every job slot fits, so a finished job never waits for room.
const RESULT_CAPACITY: usize = 32;
const SPENT_CAPACITY: usize = 64;
/// How long an idle thread sleeps between looks at its queues. Waking it from the audio thread
/// would be a system call; a short poll costs nothing measurable.
const IDLE_POLL: Duration = Duration::from_millis(2);

struct Shared {
    lanes: [ArrayQueue<Box<dyn Job>>; 2],
    results: ArrayQueue<Box<dyn Job>>,
    spent: ArrayQueue<Spent>,
    stop: AtomicBool,
    dropped_jobs: AtomicU64,
    failed_jobs: AtomicU64,
    /// Jobs queued on the threads, and those back among the results: equal when idle.
    queued: AtomicU64,
    finished: AtomicU64,
}

pub struct Worker {
    shared: Arc<Shared>,
    executor: Executor,
    threads: Vec<JoinHandle<()>>,
    /// The engine waits for every job before going on (see `waits_for_jobs`).
    waiting: bool,
}

impl Worker {
    /// Starts the worker (and its threads, for `Executor::Thread`). Not for the audio thread.
    pub fn new(executor: Executor, name: &str) -> Self {
        let shared = Arc::new(Shared {
            lanes: LANES.map(|_| ArrayQueue::new(JOB_CAPACITY)),
            results: ArrayQueue::new(RESULT_CAPACITY),
            spent: ArrayQueue::new(SPENT_CAPACITY),
            stop: AtomicBool::new(false),
            dropped_jobs: AtomicU64::new(0),
            failed_jobs: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            finished: AtomicU64::new(0),
        });
        let threads = match executor {
            Executor::Thread => LANES
                .iter()
                .map(|lane| {
                    let shared = shared.clone();
                    let lane = *lane as usize;
                    std::thread::Builder::new()
                        .name(format!("{name}-{}", ["short", "long"][lane]))
                        .spawn(move || run_lane(&shared, lane))
                        .expect("cannot start a worker thread")
                })
                .collect(),
            Executor::Inline { .. } => Vec::new(),
        };
        Self {
            shared,
            executor,
            threads,
            waiting: false,
        }
    }

    /// Queues `job` on its lane without waiting. When the lane is full the job is counted as
    /// dropped and handed back, so the caller can reuse it (and need not free it).
    pub fn submit(&self, mut job: Box<dyn Job>) -> Result<(), Box<dyn Job>> {
        match self.executor {
            Executor::Thread => {
                self.shared.queued.fetch_add(1, Ordering::Relaxed);
                self.shared.lanes[job.lane() as usize]
                    .push(job)
                    .inspect_err(|_| {
                        self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                        self.shared.dropped_jobs.fetch_add(1, Ordering::Relaxed);
                    })
            }
            Executor::Inline { permit } => {
                permit(&mut || run_contained(&self.shared, &mut job));
                // Room is certain: results hold every request there is.
                self.shared.results.push(job)
            }
        }
    }

    /// A finished job, if any. Returns `None` while the disposal queue lacks room for what
    /// installing a result may retire, so the audio thread never has to free anything itself.
    pub fn poll(&self) -> Option<Box<dyn Job>> {
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

    /// True when every job is finished before the engine goes on: offline (jobs run inside
    /// `submit`), or while the engine waits for the threads. A job may then do all its work at
    /// once.
    pub fn waits_for_jobs(&self) -> bool {
        self.waiting || matches!(self.executor, Executor::Inline { .. })
    }

    /// Declares whether the engine will wait for each job (`wait_idle`) from now on.
    pub fn set_waiting(&mut self, waiting: bool) {
        self.waiting = waiting && matches!(self.executor, Executor::Thread);
    }

    /// Waits until every job queued is back among the results, or until `deadline`; true when
    /// idle. Only for a render running ahead of real time: it wakes the threads (a system call)
    /// and sleeps.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        let idle = || {
            self.shared.finished.load(Ordering::Acquire)
                == self.shared.queued.load(Ordering::Relaxed)
        };
        if idle() {
            return true;
        }
        for thread in &self.threads {
            thread.thread().unpark();
        }
        let mut spins = 0u32;
        while !idle() {
            if Instant::now() >= deadline {
                return false;
            }
            // A job of microseconds is met by spinning, a long one by short sleeps.
            spins += 1;
            if spins < 64 {
                std::thread::yield_now();
            } else {
                std::thread::park_timeout(Duration::from_micros(200));
            }
        }
        true
    }

    /// Jobs dropped because a lane was full, since the worker started.
    pub fn dropped_jobs(&self) -> u64 {
        self.shared.dropped_jobs.load(Ordering::Relaxed)
    }

    /// Jobs that panicked, since the worker started.
    pub fn failed_jobs(&self) -> u64 {
        self.shared.failed_jobs.load(Ordering::Relaxed)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for thread in self.threads.drain(..) {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn run_lane(shared: &Shared, lane: usize) {
    let _flush = FlushGuard::new();
    while !shared.stop.load(Ordering::Acquire) {
        while shared.spent.pop().is_some() {}
        let Some(mut job) = shared.lanes[lane].pop() else {
            std::thread::park_timeout(IDLE_POLL);
            continue;
        };
        run_contained(shared, &mut job);
        // Wait for room rather than drop a finished job; the audio side drains the queue.
        while let Err(back) = shared.results.push(job) {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            job = back;
            while shared.spent.pop().is_some() {}
            std::thread::park_timeout(IDLE_POLL);
        }
        shared.finished.fetch_add(1, Ordering::Release);
    }
}

/// Runs `job` so that a panic in it (a bug) costs only its result: the job goes back marked
/// failed and is counted, and the lane's thread, or offline the host's audio thread, goes on.
fn run_contained(shared: &Shared, job: &mut Box<dyn Job>) {
    if catch_unwind(AssertUnwindSafe(|| job.run())).is_err() {
        job.fail();
        shared.failed_jobs.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
