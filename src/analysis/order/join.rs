//! Two pieces of work at once, on the caller and a helper thread, when there is a second core:
//! for row-wise work (PCA's covariance, t-SNE's neighbours and attraction) whose rows do not
//! depend on one another, so the results have the same bits on any number of cores.

use std::sync::{Mutex, OnceLock};

/// Whether this machine has a second core (asked once: the answer reads system files).
pub(crate) fn second_core() -> bool {
    static SECOND: OnceLock<bool> = OnceLock::new();
    *SECOND.get_or_init(|| std::thread::available_parallelism().is_ok_and(|c| c.get() > 1))
}

/// `(first(), second())`: `first` on a helper thread while the caller runs `second` when
/// `worth` it and there is a second core (or no thread can be made: then one after the other).
pub(crate) fn join<A: Send, B>(
    worth: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    if !(worth && second_core()) {
        return (first(), second());
    }
    // Kept here, so the caller can run it itself if no thread can be made.
    let slot = Mutex::new(Some(first));
    let take = || slot.lock().ok().and_then(|mut f| f.take());
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new().spawn_scoped(scope, || take().map(|f| f()));
        let second = second();
        let first = helper
            .ok()
            .and_then(|h| h.join().expect("the helper thread"));
        (first.unwrap_or_else(|| take().expect("run once")()), second)
    })
}
