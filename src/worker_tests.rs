use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;

use super::*;
use crate::engine::job_slot::{JobSlot, Request, Work};

/// A short job: holds its lane until the test releases it (if it is given a receiver), then
/// squares its input.
struct Square {
    held: Option<mpsc::Receiver<()>>,
    x: u64,
    out: u64,
}

impl Work for Square {
    const LANE: Lane = Lane::Short;
    fn run(&mut self, _: &Cancel) {
        if let Some(held) = &self.held {
            let _ = held.recv();
        }
        self.out = self.x * self.x;
    }
}

fn square() -> Square {
    Square {
        held: None,
        x: 0,
        out: 0,
    }
}

/// A long job: iterates until cancelled (at most 50 000 iterations, 10 s), counting the iterations
/// it began after the test raised `superseding`.
struct Iterate {
    superseding: Arc<AtomicBool>,
    started: Arc<AtomicUsize>,
    late: usize,
    finished: bool,
}

impl Work for Iterate {
    const LANE: Lane = Lane::Long;
    fn run(&mut self, cancel: &Cancel) {
        self.late = 0;
        for _ in 0..50_000 {
            if cancel.is_cancelled() {
                return;
            }
            if self.superseding.load(Ordering::SeqCst) {
                self.late += 1;
            }
            self.started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_micros(200));
        }
        self.finished = true;
    }
}

fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..10_000 {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the worker produced nothing within 10 s");
}

#[test]
fn audio_side_never_waits_for_a_busy_worker() {
    let worker = Worker::new(Executor::Thread, "test-worker");
    let mut slot = JobSlot::new(0, JOB_CAPACITY + 5, square);
    let (release, held) = mpsc::channel();
    let mut first = slot.take().unwrap();
    first.work.held = Some(held);
    first.work.x = 7;
    assert!(slot.submit(first, &worker));
    // While the job is stuck, polling returns at once with nothing ...
    for _ in 0..100 {
        assert!(worker.poll().is_none());
    }
    // ... and a full lane refuses more work instead of blocking; refused requests are home.
    let mut refused = 0;
    while let Some(request) = slot.take() {
        if !slot.submit(request, &worker) {
            refused += 1;
            if refused == 3 {
                break;
            }
        }
    }
    assert_eq!(refused, 3);
    assert_eq!(worker.dropped_jobs(), 3);
    release.send(()).unwrap();
    let done = wait_for(|| worker.poll());
    assert_eq!(slot.receive(done).unwrap().work.out, 49);
}

#[test]
fn spent_data_is_dropped_on_a_worker_thread() {
    struct NoteDropThread(mpsc::Sender<std::thread::ThreadId>);
    impl Drop for NoteDropThread {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }
    let worker = Worker::new(Executor::Thread, "test-worker");
    let (tx, rx) = mpsc::channel();
    worker.retire(Box::new(NoteDropThread(tx)));
    let dropped_on = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_ne!(dropped_on, std::thread::current().id());
}

#[test]
fn inline_executor_finishes_the_job_before_submit_returns() {
    let worker = Worker::new(Executor::Inline { permit: |f| f() }, "unused");
    let mut slot = JobSlot::new(0, 1, square);
    let mut request = slot.take().unwrap();
    request.work.x = 12;
    assert!(slot.submit(request, &worker));
    let done = worker.poll().expect("the result is in");
    assert_eq!(slot.receive(done).unwrap().work.out, 144);
}

/// The long lane holds a job that only stops when cancelled; short jobs submitted meanwhile
/// come back all the same. Then the owner supersedes the long job, which stops within one
/// iteration and comes back stale.
#[test]
fn a_long_job_neither_delays_short_ones_nor_outlives_its_cancellation() {
    let worker = Worker::new(Executor::Thread, "test-worker");
    let superseding = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let mut long = JobSlot::new(1, 1, || Iterate {
        superseding: superseding.clone(),
        started: started.clone(),
        late: 0,
        finished: false,
    });
    let mut short = JobSlot::new(0, 2, square);
    let request = long.take().unwrap();
    assert!(long.submit(request, &worker));
    wait_for(|| (started.load(Ordering::SeqCst) > 0).then_some(()));

    for x in [3, 4] {
        let mut request = short.take().unwrap();
        request.work.x = x;
        assert!(short.submit(request, &worker));
        let done = wait_for(|| worker.poll());
        assert_eq!(done.owner(), 0, "only the short job is back");
        assert_eq!(short.receive(done).unwrap().work.out, x * x);
    }

    superseding.store(true, Ordering::SeqCst);
    long.supersede();
    let done = wait_for(|| worker.poll());
    assert_eq!(done.owner(), 1);
    let request = done.into_any().downcast::<Request<Iterate>>().unwrap();
    assert!(!request.work.finished);
    assert!(
        request.work.late <= 1,
        "{} iterations began after the cancellation",
        request.work.late
    );
    long.recycle(request);
    assert!(long.all_home());
}

/// A result that comes back after its owner superseded it is not handed out, and its request
/// is home again.
#[test]
fn a_stale_result_goes_back_to_the_pool() {
    let worker = Worker::new(Executor::Inline { permit: |f| f() }, "unused");
    let mut slot = JobSlot::new(0, 1, square);
    let request = slot.take().unwrap();
    assert!(slot.submit(request, &worker));
    slot.supersede();
    assert!(slot.receive(worker.poll().unwrap()).is_none());
    assert!(slot.all_home());
}

/// Squares its input, and panics (a stand-in for a bug) when the input is odd.
struct SquareEven(u64, u64);

impl Work for SquareEven {
    const LANE: Lane = Lane::Short;
    fn run(&mut self, _: &Cancel) {
        assert!(self.0.is_multiple_of(2), "odd input");
        self.1 = self.0 * self.0;
    }
}

/// A job that panics costs only its result, on the threads and inline: it comes back, is
/// counted and recycled, and the next job runs as usual.
#[test]
fn a_panicking_job_is_counted_and_recycled_and_the_worker_goes_on() {
    for executor in [Executor::Thread, Executor::Inline { permit: |f| f() }] {
        let worker = Worker::new(executor, "test-worker");
        let mut slot = JobSlot::new(0, 1, || SquareEven(0, 0));
        for (x, expected) in [(3, None), (4, Some(16)), (5, None), (6, Some(36))] {
            let mut request = slot.take().unwrap();
            request.work.0 = x;
            assert!(slot.submit(request, &worker));
            let result = slot.receive(wait_for(|| worker.poll()));
            assert_eq!(
                result.as_ref().map(|r| r.work.1),
                expected,
                "{executor:?}, {x}"
            );
            if let Some(result) = result {
                slot.recycle(result);
            }
            assert!(slot.all_home());
        }
        assert_eq!(worker.failed_jobs(), 2, "{executor:?}");
    }
}
