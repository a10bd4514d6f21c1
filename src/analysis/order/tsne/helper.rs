//! A second thread for t-SNE's rows: the neighbour search before the iterations and, at every
//! iteration, the attraction of the first rows while the caller computes the repulsion and the
//! other rows. Each row's result depends on nothing but its own inputs, so the split gives the
//! same bits as one thread, on any number of cores.

use std::ops::Range;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam::channel::{bounded, Receiver, Sender};

use super::affinities::Sparse;
use super::attraction::attraction;
use crate::analysis::order::join::{join, second_core};

/// Fewer rows than this are not worth a thread.
const MIN_ROWS: usize = 256;

/// Whether a second thread pays for `n` rows: there are enough, and a second core.
fn helps(n: usize) -> bool {
    n >= MIN_ROWS && second_core()
}

/// `work(0..n)`, computed as `work(0..n / 2)` on a helper thread and `work(n / 2..n)` here,
/// joined in that order.
pub(super) fn in_two<T: Send>(n: usize, work: impl Fn(Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let (mut first, second) = join(helps(n), || work(0..n / 2), || work(n / 2..n));
    first.extend(second);
    first
}

/// Coordinates in and the attraction's rows out, passed to the helper and back, so nothing is
/// allocated per iteration.
struct Job {
    y: Vec<f64>,
    grad: Vec<f64>,
    scale: f64,
}

/// The attraction of rows `0..split` (K coordinates each) on a helper thread, one iteration
/// at a time: `start`, then `finish`.
pub(super) struct AttractionHelper<const K: usize> {
    split: usize,
    jobs: Option<Sender<Job>>,
    results: Receiver<Job>,
    spare: Option<Job>,
    thread: Option<JoinHandle<()>>,
}

impl<const K: usize> AttractionHelper<K> {
    /// A helper for `p`'s rows, or None when one would not pay (or no thread can be made).
    pub fn new(p: Arc<Sparse>) -> Option<Self> {
        let n = p.rows();
        if !helps(n) {
            return None;
        }
        // The caller computes the repulsion as well, so the helper takes more of the rows.
        let split = n * 5 / 8;
        let (jobs, inbox) = bounded::<Job>(1);
        let (outbox, results) = bounded(1);
        let thread = std::thread::Builder::new()
            .name("t-SNE attraction".into())
            .spawn(move || {
                for mut job in inbox {
                    attraction::<K>(&p, &job.y, job.scale, 0..split, &mut job.grad);
                    if outbox.send(job).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        let spare = Job {
            y: vec![0.0; n * K],
            grad: vec![0.0; split * K],
            scale: 0.0,
        };
        Some(Self {
            split,
            jobs: Some(jobs),
            results,
            spare: Some(spare),
            thread: Some(thread),
        })
    }

    /// Rows `0..split` are the helper's.
    pub fn split(&self) -> usize {
        self.split
    }

    /// Sets the helper on the attraction at `y`, times `scale`.
    pub fn start(&mut self, y: &[f64], scale: f64) {
        let mut job = self.spare.take().expect("one iteration at a time");
        job.y.copy_from_slice(y);
        job.scale = scale;
        let jobs = self.jobs.as_ref().expect("a helper is running");
        jobs.send(job).expect("the attraction thread");
    }

    /// Waits for the helper's rows and writes them into the first rows of `grad`.
    pub fn finish(&mut self, grad: &mut [f64]) {
        let job = self.results.recv().expect("the attraction thread");
        grad[..job.grad.len()].copy_from_slice(&job.grad);
        self.spare = Some(job);
    }
}

impl<const K: usize> Drop for AttractionHelper<K> {
    /// Closes the job queue, which ends the thread, and waits for it.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::order::tsne::affinities::sparse_affinities;
    use rand::{Rng, SeedableRng};

    #[test]
    fn two_halves_come_back_in_row_order() {
        for n in [0, 1, MIN_ROWS - 1, MIN_ROWS, 1001] {
            let rows = in_two(n, |rows| rows.collect());
            assert_eq!(rows, (0..n).collect::<Vec<_>>(), "{n} rows");
        }
    }

    /// The helper's rows, iteration after iteration, are those of the attraction on one thread.
    #[test]
    fn the_helpers_rows_are_the_attraction_of_its_rows() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let n = 2 * MIN_ROWS;
        let features: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..5).map(|_| rng.random::<f64>()).collect())
            .collect();
        let p = Arc::new(sparse_affinities(&features, 10.0));
        let Some(mut helper) = AttractionHelper::<1>::new(p.clone()) else {
            assert!(!helps(n), "a second core, but no helper");
            return;
        };
        let split = helper.split();
        assert!(0 < split && split < n, "{split} of {n} rows");
        for scale in [1.0, 48.0] {
            let y: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 10.0).collect();
            let mut alone = vec![0.0; n];
            attraction::<1>(&p, &y, scale, 0..n, &mut alone);
            let mut grad = vec![f64::NAN; n];
            helper.start(&y, scale);
            helper.finish(&mut grad);
            let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&grad[..split]), bits(&alone[..split]));
            assert!(grad[split..].iter().all(|g| g.is_nan()), "only its rows");
        }
    }
}
