//! The noise profile of the "Noise profile" learn mode, and its way in and out of a project:
//! the worker publishes what it learned to a `ProfileSlot`, the plugin saves that with the
//! project, and a project's profile goes back through the slot to the learner.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::analysis::denoise::noise::{Periodograms, SpectrumAverage};

/// Frame of the profile's periodograms (power spectra, hop a quarter frame).
pub const PROFILE_FRAME: usize = 4096;

/// A profile as a project stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedProfile {
    pub sample_rate: f64,
    /// Mean power per bin of `PROFILE_FRAME`-point periodograms.
    pub spectrum: Vec<f64>,
    /// Periodograms averaged, and samples heard, so learning can go on where it stopped.
    pub frames: u64,
    pub samples: u64,
}

impl SavedProfile {
    pub fn validate(&self) -> Result<(), String> {
        let bins = PROFILE_FRAME / 2 + 1;
        if self.spectrum.len() != bins {
            return Err(format!(
                "a noise profile has {bins} bins, this one {}",
                self.spectrum.len()
            ));
        }
        if !self.spectrum.iter().all(|p| p.is_finite() && *p >= 0.0) {
            return Err("the noise profile holds a negative or non-finite power".into());
        }
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0) || self.frames == 0 {
            return Err("the noise profile has no sample rate or no frames".into());
        }
        Ok(())
    }
}

/// The noise profile: the mean spectrum of the passage played while Learn was on.
pub(super) struct NoiseProfile {
    /// The learn epoch it belongs to; `None` (restored from a project) joins the next one.
    pub epoch: Option<u32>,
    pub frames: Periodograms,
    pub spectrum: SpectrumAverage,
    pub samples: u64,
}

impl NoiseProfile {
    pub fn new(epoch: u32) -> Self {
        let frames = Periodograms::new(PROFILE_FRAME, PROFILE_FRAME / 4);
        Self {
            epoch: Some(epoch),
            spectrum: SpectrumAverage::new(frames.bins(), f64::INFINITY),
            frames,
            samples: 0,
        }
    }

    /// A project's profile, joining learn epoch `epoch` (the next one seen if `None`).
    pub fn restored(saved: &SavedProfile, epoch: Option<u32>) -> Self {
        Self {
            epoch,
            frames: Periodograms::new(PROFILE_FRAME, PROFILE_FRAME / 4),
            spectrum: SpectrumAverage::from_mean(&saved.spectrum, saved.frames),
            samples: saved.samples,
        }
    }

    pub fn saved(&self, sample_rate: f64) -> Option<SavedProfile> {
        Some(SavedProfile {
            sample_rate,
            spectrum: self.spectrum.mean()?,
            frames: self.spectrum.frames(),
            samples: self.samples,
        })
    }
}

/// Where the learned profile is published and a project's profile is handed in. The worker
/// and the main thread lock it, never the audio thread.
#[derive(Default)]
pub struct ProfileSlot {
    learned: Mutex<Option<SavedProfile>>,
    /// A project's profile waiting for the learner, and how many were handed in.
    restored: Mutex<Option<Option<SavedProfile>>>,
    restores: AtomicU64,
}

impl ProfileSlot {
    /// The profile to save with the project.
    pub fn get(&self) -> Option<SavedProfile> {
        self.learned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A project's profile (or its lack of one) replaces the learner's at its next job.
    pub fn restore(&self, profile: Option<SavedProfile>) {
        *self.learned.lock().unwrap_or_else(|e| e.into_inner()) = profile.clone();
        *self.restored.lock().unwrap_or_else(|e| e.into_inner()) = Some(profile);
        self.restores.fetch_add(1, Ordering::Release);
    }

    /// Projects' profiles handed in so far: lets the learner skip the lock when nothing came.
    pub(super) fn restores(&self) -> u64 {
        self.restores.load(Ordering::Acquire)
    }

    pub(super) fn take_restored(&self) -> Option<Option<SavedProfile>> {
        self.restored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub(super) fn publish(&self, profile: Option<SavedProfile>) {
        *self.learned.lock().unwrap_or_else(|e| e.into_inner()) = profile;
    }
}
