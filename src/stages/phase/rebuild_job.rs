//! The phase stage's background job: rebuild a loop's phases from the magnitudes it plays, by
//! PGHI and then fast GLA on the loop taken as circular (`griffin_lim_loop`), so the seam is
//! as coherent as the rest.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crate::analysis::phase::{
    griffin_lim_loop, pghi, Acceleration, GlaSettings, InitialPhase, TOLERANCE,
};
use crate::dsp::stft::StftLayout;
use crate::engine::job_slot::Work;
use crate::engine::EngineShared;
use crate::worker::{Cancel, Lane};

/// One loop of `frames` frames, every channel: magnitudes out, phases back, in buffers made
/// with the request for the longest loop.
pub struct RebuildWork {
    /// The loop it is for (`LoopFrame::serial`) and the iterations asked.
    pub serial: u64,
    pub iterations: usize,
    pub frames: usize,
    channels: usize,
    bins: usize,
    layout: StftLayout,
    /// Channel-major: channel, frame, bin.
    pub(super) magnitude: Box<[f32]>,
    pub(super) phase: Box<[f32]>,
    /// Spectral convergence of the result (dB), and whether it is complete.
    pub sc_db: f64,
    pub done: bool,
    shared: Arc<EngineShared>,
}

impl RebuildWork {
    /// Room for a loop of `max_frames` frames (allocates: not for the audio thread).
    pub fn new(
        channels: usize,
        window: usize,
        hop: usize,
        max_frames: usize,
        shared: Arc<EngineShared>,
    ) -> Self {
        let bins = window / 2 + 1;
        Self {
            serial: 0,
            iterations: 0,
            frames: 0,
            channels,
            bins,
            layout: StftLayout {
                n_fft: window,
                hop,
                win: window,
                center: false,
            },
            magnitude: vec![0.0; channels * max_frames * bins].into_boxed_slice(),
            phase: vec![0.0; channels * max_frames * bins].into_boxed_slice(),
            sc_db: 0.0,
            done: false,
            shared,
        }
    }

    /// Where channel `ch`'s frame `frame` lies in the buffers.
    pub(super) fn range(&self, ch: usize, frame: usize) -> std::ops::Range<usize> {
        let start = (ch * self.frames + frame) * self.bins;
        start..start + self.bins
    }
}

impl Work for RebuildWork {
    const LANE: Lane = Lane::Long;

    fn run(&mut self, cancel: &Cancel) {
        self.done = false;
        let status = &self.shared.phase;
        let total = (self.channels * self.iterations).max(1) as f32;
        let mut convergence = 0.0;
        status.progress.store(0.0, Relaxed);
        for ch in 0..self.channels {
            let rows: Vec<Vec<f32>> = (0..self.frames)
                .map(|t| self.magnitude[self.range(ch, t)].to_vec())
                .collect();
            let settings = GlaSettings {
                iterations: self.iterations,
                acceleration: Acceleration::Momentum(0.99),
                init: InitialPhase::Given(pghi(&rows, &self.layout, TOLERANCE)),
            };
            let done_before = (ch * self.iterations) as f32;
            let Ok((rebuilt, spectra)) = griffin_lim_loop(
                &rows,
                self.layout,
                &settings,
                &|| cancel.is_cancelled(),
                &mut |i, _| {
                    status
                        .progress
                        .store((done_before + i as f32) / total, Relaxed)
                },
            ) else {
                return;
            };
            if cancel.is_cancelled() {
                return;
            }
            for (t, spectrum) in spectra.iter().enumerate() {
                let range = self.range(ch, t);
                for (p, c) in self.phase[range].iter_mut().zip(spectrum) {
                    *p = c.arg();
                }
            }
            convergence += rebuilt.sc_db.last().copied().unwrap_or(0.0);
        }
        self.sc_db = convergence / self.channels.max(1) as f64;
        self.done = true;
        status.progress.store(1.0, Relaxed);
        status.sc_db.store(self.sc_db as f32, Relaxed);
    }
}
