//! The one way a stage hands work to the worker and takes results back.
//!
//! A slot owns a fixed pool of boxed requests, made with the engine (not on the audio thread).
//! A request carries its inputs to the worker and comes back with its result inside, so asking
//! allocates nothing; a request the worker could not take goes straight back to the pool. Each
//! request is stamped with the slot's generation: `supersede` moves the generation on, so
//! results still out are recognised as stale when they return, and long jobs see it through
//! `Cancel` and stop at their next iteration. The stage decides when a result is installed (say,
//! after a crossfade) and gives the request back with `recycle`; whatever the result replaces
//! goes to the worker to be freed (`Worker::retire`).

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::worker::{Cancel, Job, Lane, Worker};

/// What a stage asks of the worker: inputs, the computation, and room for its result.
pub trait Work: Send + 'static {
    const LANE: Lane;
    /// Runs on the worker (or inline, offline). Iterative work checks `cancel` between
    /// iterations.
    fn run(&mut self, cancel: &Cancel);
}

/// A request in flight: the work and the slot generation it was sent under.
pub struct Request<W> {
    owner: usize,
    generation: u64,
    /// The work panicked: what it holds is not a result.
    failed: bool,
    current: Arc<AtomicU64>,
    pub work: W,
}

impl<W: Work> Job for Request<W> {
    fn run(&mut self) {
        let cancel = Cancel::new(&self.current, self.generation);
        if !cancel.is_cancelled() {
            self.work.run(&cancel);
        }
    }

    fn lane(&self) -> Lane {
        W::LANE
    }

    fn owner(&self) -> usize {
        self.owner
    }

    fn fail(&mut self) {
        self.failed = true;
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

pub struct JobSlot<W> {
    /// Boxed, because requests travel to the worker and back as boxes.
    #[allow(clippy::vec_box)]
    pool: Vec<Box<Request<W>>>,
    size: usize,
    generation: Arc<AtomicU64>,
}

impl<W: Work> JobSlot<W> {
    /// A slot of `count` requests made by `make`, for the stage at index `owner` of the engine.
    /// Allocates: not for the audio thread.
    pub fn new(owner: usize, count: usize, mut make: impl FnMut() -> W) -> Self {
        let generation = Arc::new(AtomicU64::new(0));
        let pool = (0..count)
            .map(|_| {
                Box::new(Request {
                    owner,
                    generation: 0,
                    failed: false,
                    current: generation.clone(),
                    work: make(),
                })
            })
            .collect();
        Self {
            pool,
            size: count,
            generation,
        }
    }

    /// A free request to fill in, if one is home.
    pub fn take(&mut self) -> Option<Box<Request<W>>> {
        self.pool.pop()
    }

    /// Requests in the pool, free to be taken.
    pub fn home(&self) -> usize {
        self.pool.len()
    }

    /// True when no request is out or waiting to be installed.
    pub fn all_home(&self) -> bool {
        self.home() == self.size
    }

    /// Sends `request` under the current generation; a refused request comes back to the pool
    /// and `false` is returned.
    pub fn submit(&mut self, mut request: Box<Request<W>>, worker: &Worker) -> bool {
        request.generation = self.generation.load(Ordering::Relaxed);
        request.failed = false;
        match worker.submit(request) {
            Ok(()) => true,
            Err(job) => {
                if let Ok(request) = job.into_any().downcast::<Request<W>>() {
                    self.recycle(request);
                }
                false
            }
        }
    }

    /// Makes every request still out stale; long ones stop at their next iteration.
    pub fn supersede(&mut self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// True when `job` is one of this slot's requests (a stage with several slots asks which).
    pub fn owns(&self, job: &dyn Job) -> bool {
        let any: &dyn Any = job;
        any.is::<Request<W>>()
    }

    /// Takes back a finished job of this slot: the request if its result is current, `None`
    /// if it was stale or its work panicked (it is back in the pool).
    pub fn receive(&mut self, job: Box<dyn Job>) -> Option<Box<Request<W>>> {
        self.receive_any(job.into_any())
    }

    fn receive_any(&mut self, job: Box<dyn Any + Send>) -> Option<Box<Request<W>>> {
        let Ok(request) = job.downcast::<Request<W>>() else {
            debug_assert!(false, "a job came back to the wrong slot");
            return None;
        };
        if !request.failed && request.generation == self.generation.load(Ordering::Relaxed) {
            Some(request)
        } else {
            self.recycle(request);
            None
        }
    }

    /// Gives a request back to the pool once its result is used.
    pub fn recycle(&mut self, request: Box<Request<W>>) {
        if self.pool.len() < self.size {
            self.pool.push(request);
        } else {
            // Not reached: only the pool's own requests circulate.
            debug_assert!(false, "job slot overflow");
            std::mem::forget(request);
        }
    }
}

/// An owner that goes away cancels what it left running, so the worker's threads are free to
/// stop (the engine drops its stages before its worker).
impl<W> Drop for JobSlot<W> {
    fn drop(&mut self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
