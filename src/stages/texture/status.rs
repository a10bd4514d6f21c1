//! What the texture stage shows the editor: written by the worker (the reconstruction's
//! progress, its loss curve and the error of what plays) and the audio thread (playing).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::Mutex;

use atomic_float::AtomicF32;

#[derive(Default)]
pub struct TextureStatus {
    /// Share of the iterations done, and the relative scattering error of the texture
    /// playing against the captured loop.
    pub progress: AtomicF32,
    pub relative_error: AtomicF32,
    /// The J used (less than asked when the loop is short).
    pub j: AtomicU32,
    pub playing: AtomicBool,
    /// The relative error at every evaluation of the reconstruction in progress, and why the
    /// last texture could not be made (empty if it could). Only the worker and the editor
    /// lock these.
    pub curve: Mutex<Vec<f32>>,
    pub message: Mutex<String>,
}

impl TextureStatus {
    /// A new reconstruction: clears the figures.
    pub(super) fn begin(&self) {
        self.progress.store(0.0, Relaxed);
        self.relative_error.store(f32::NAN, Relaxed);
        lock(&self.curve).clear();
        lock(&self.message).clear();
    }

    pub(super) fn extend_curve(&self, points: &[f32]) {
        lock(&self.curve).extend_from_slice(points);
    }

    pub(super) fn set_message(&self, message: &str) {
        *lock(&self.message) = message.to_string();
    }
}

/// The figures stay readable if a thread panicked while holding the lock.
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
