//! The phase stage's background work: rebuild phases from the magnitudes that play, by PGHI
//! and then fast GLA. A capture's loop is taken as circular (`griffin_lim_loop`), so the seam
//! is as coherent as the rest; a segment stands alone (`segment_rebuild.rs`).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::PhaseStatus;
use crate::analysis::phase::{
    griffin_lim, griffin_lim_loop, pghi, Acceleration, GlaSettings, InitialPhase, TOLERANCE,
};
use crate::dsp::stft::{stft, FrameBuffers, StftLayout};
use crate::engine::job_slot::Work;
use crate::engine::EngineShared;
use crate::stages::frame_memory::LoopFrame;
use crate::stages::loop_recorder::LoopWork;
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

impl LoopWork for RebuildWork {
    fn begin(&mut self, at: LoopFrame) {
        self.serial = at.serial;
        self.frames = at.len;
    }

    fn records(&self, at: LoopFrame) -> bool {
        self.serial == at.serial && self.frames == at.len
    }

    /// Keeps the frame's magnitudes.
    fn store(&mut self, position: usize, frame: &FrameBuffers) {
        for ch in 0..frame.channels() {
            let range = self.range(ch, position);
            if let Some(row) = self.magnitude.get_mut(range) {
                for (m, c) in row.iter_mut().zip(frame.spectrum(ch)) {
                    *m = c.norm();
                }
            }
        }
    }
}

impl Work for RebuildWork {
    const LANE: Lane = Lane::Long;

    fn run(&mut self, cancel: &Cancel) {
        self.done = false;
        let status = &self.shared.phase;
        let (frames, bins) = (self.frames, self.bins);
        let rebuilt = rebuild_channels(
            Rebuild {
                magnitude: &self.magnitude[..self.channels * frames * bins],
                phase: &mut self.phase[..self.channels * frames * bins],
                frames,
                bins,
                layout: self.layout,
                iterations: self.iterations,
                circular: true,
            },
            cancel,
            status,
        );
        if let Some(sc_db) = rebuilt {
            self.sc_db = sc_db;
            self.done = true;
        }
    }
}

/// Magnitudes (channel, frame, bin) to rebuild phases for, and where the phases go.
pub(super) struct Rebuild<'a> {
    pub magnitude: &'a [f32],
    pub phase: &'a mut [f32],
    pub frames: usize,
    pub bins: usize,
    pub layout: StftLayout,
    pub iterations: usize,
    /// The frames loop (a capture) or stand alone (a segment).
    pub circular: bool,
}

/// PGHI, then `iterations` of fast GLA, channel by channel, reporting progress and the mean
/// spectral convergence in `status`. None if cancelled.
pub(super) fn rebuild_channels(job: Rebuild, cancel: &Cancel, status: &PhaseStatus) -> Option<f64> {
    let Rebuild {
        magnitude,
        phase,
        frames,
        bins,
        layout,
        iterations,
        circular,
    } = job;
    let channels = magnitude.len() / (frames * bins).max(1);
    let total = (channels * iterations).max(1) as f32;
    let mut convergence = 0.0;
    status.progress.store(0.0, Relaxed);
    for ch in 0..channels {
        let channel = ch * frames * bins..(ch + 1) * frames * bins;
        let rows: Vec<Vec<f32>> = magnitude[channel.clone()]
            .chunks(bins)
            .map(<[f32]>::to_vec)
            .collect();
        let settings = GlaSettings {
            iterations,
            acceleration: Acceleration::Momentum(0.99),
            init: InitialPhase::Given(pghi(&rows, &layout, TOLERANCE)),
        };
        let done_before = (ch * iterations) as f32;
        let stop = || cancel.is_cancelled();
        let mut progress =
            |i: usize, _| (status.progress).store((done_before + i as f32) / total, Relaxed);
        let (sc_db, spectra) = if circular {
            let (rebuilt, spectra) =
                griffin_lim_loop(&rows, layout, &settings, &stop, &mut progress).ok()?;
            (rebuilt.sc_db, spectra)
        } else {
            let len = (frames - 1) * layout.hop + layout.n_fft;
            let rebuilt = griffin_lim(&rows, layout, len, &settings, &stop, &mut progress).ok()?;
            (rebuilt.sc_db, stft(&rebuilt.signal, &layout).ok()?)
        };
        if cancel.is_cancelled() {
            return None;
        }
        for (row, spectrum) in phase[channel].chunks_mut(bins).zip(&spectra) {
            for (p, c) in row.iter_mut().zip(spectrum) {
                *p = c.arg();
            }
        }
        convergence += sc_db.last().copied().unwrap_or(0.0);
    }
    let sc_db = convergence / channels.max(1) as f64;
    status.progress.store(1.0, Relaxed);
    status.sc_db.store(sc_db as f32, Relaxed);
    Some(sc_db)
}
