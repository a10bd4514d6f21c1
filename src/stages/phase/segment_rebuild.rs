//! Reconstruct mode for Segment reordering. A segment plays two segments after it was recorded,
//! so there is a segment's time to rebuild its phases before it is heard: the frame memory's
//! order job carries a `SegmentPhases` (made with the request, for the longest segment); the
//! audio thread copies the segment's magnitudes in as it asks for the order, and the worker,
//! once the order is known, puts the frames in that order, through what the frame operations
//! will do to their magnitudes (`FrameOps::map_magnitudes`), and rebuilds their phases (PGHI,
//! then fast GLA; `rebuild_job::rebuild_channels`). The phase stage puts those phases under the
//! frames as they play, as long as the frame operations are the ones the job assumed.

use realfft::num_complex::Complex32;

use super::rebuild_job::{rebuild_channels, Rebuild};
use super::PhaseStatus;
use crate::dsp::stft::{FrameBuffers, StftLayout};
use crate::stages::frame_memory::LoopFrame;
use crate::stages::frame_ops::{FrameOps, FrameOpsSettings};
use crate::worker::Cancel;

pub struct SegmentPhases {
    /// Rebuild at all (Reconstruct mode when the request was made), and with what effort.
    pub wanted: bool,
    pub iterations: usize,
    /// The frame operations the magnitudes will go through, and the stream index of the
    /// segment's first frame to play (the checkerboard depends on it).
    pub ops: FrameOpsSettings,
    pub first_frame: u64,
    channels: usize,
    bins: usize,
    frames: usize,
    layout: StftLayout,
    /// Channel-major (channel, frame, bin): the magnitudes in recording order, and the
    /// rebuilt phases as unit phasors in play order.
    recorded: Box<[f32]>,
    phasors: Box<[Complex32]>,
    /// The phases are those of the frames and operations above.
    pub ready: bool,
    worker_ops: FrameOps,
    scratch: Vec<f32>,
}

impl SegmentPhases {
    /// Room for segments of up to `max_frames` frames (allocates: not for the audio thread).
    pub fn new(channels: usize, window: usize, hop: usize, max_frames: usize) -> Self {
        let bins = window / 2 + 1;
        let size = channels * max_frames * bins;
        Self {
            wanted: false,
            iterations: 0,
            ops: FrameOpsSettings::default(),
            first_frame: 0,
            channels,
            bins,
            frames: 0,
            layout: StftLayout {
                n_fft: window,
                hop,
                win: window,
                center: false,
            },
            recorded: vec![0.0; size].into_boxed_slice(),
            phasors: vec![Complex32::default(); size].into_boxed_slice(),
            ready: false,
            worker_ops: FrameOps::new(bins),
            scratch: vec![0.0; bins],
        }
    }

    fn range(&self, ch: usize, frame: usize) -> std::ops::Range<usize> {
        let start = (ch * self.frames + frame) * self.bins;
        start..start + self.bins
    }

    /// Starts a segment of `frames` frames (on the audio thread, with the request).
    pub fn start(&mut self, frames: usize) {
        self.frames = frames.min(self.recorded.len() / (self.channels * self.bins).max(1));
        self.ready = false;
    }

    /// Copies the magnitudes of the segment's frame `frame` (recording order) of channel `ch`.
    pub fn record(&mut self, ch: usize, frame: usize, spectrum: &[Complex32]) {
        if ch < self.channels && frame < self.frames {
            let range = self.range(ch, frame);
            for (m, c) in self.recorded[range].iter_mut().zip(spectrum) {
                *m = c.norm();
            }
        }
    }

    /// On the worker: rebuilds the phases of the frames played in `order` (`order[p]` is the
    /// recorded frame played at position p).
    pub fn rebuild(&mut self, order: &[usize], cancel: &Cancel, status: &PhaseStatus) {
        self.ready = false;
        if !self.wanted || self.frames < 2 || order.len() != self.frames {
            return;
        }
        self.worker_ops.settings = self.ops;
        let size = self.channels * self.frames * self.bins;
        // The magnitudes as they will play (the worker may allocate).
        let mut playing = vec![0.0f32; size];
        for ch in 0..self.channels {
            for (position, &from) in order.iter().enumerate() {
                let (to, from) = (self.range(ch, position), self.range(ch, from));
                playing[to.clone()].copy_from_slice(&self.recorded[from]);
                let index = self.first_frame + position as u64;
                (self.worker_ops).map_magnitudes(index, &mut playing[to], &mut self.scratch);
            }
        }
        let mut phase = vec![0.0f32; size];
        let job = Rebuild {
            magnitude: &playing,
            phase: &mut phase,
            frames: self.frames,
            bins: self.bins,
            layout: self.layout,
            iterations: self.iterations,
            circular: false,
        };
        if rebuild_channels(job, cancel, status).is_some() {
            for (z, p) in self.phasors.iter_mut().zip(&phase) {
                let (sin, cos) = p.sin_cos();
                *z = Complex32::new(cos, sin);
            }
            self.ready = true;
        }
    }

    /// The rebuilt phases (unit phasors) of the frame at `position` of channel `ch`, if they
    /// were rebuilt for frames going through `ops`.
    pub fn phasors(
        &self,
        ch: usize,
        position: usize,
        ops: &FrameOpsSettings,
    ) -> Option<&[Complex32]> {
        let fits = self.ready && *ops == self.ops && ch < self.channels && position < self.frames;
        fits.then(|| &self.phasors[self.range(ch, position)])
    }
}

/// What the phase stage knows of a frame as it arrives: where it lies in a frozen capture's
/// loop, and its segment's rebuilt phasors, copied so they can be held back with the frame
/// (look-ahead).
pub(super) struct Arrival {
    pub looping: Option<LoopFrame>,
    pub phasors: FrameBuffers,
    pub rebuilt: bool,
}

impl Arrival {
    pub fn new(channels: usize, bins: usize) -> Self {
        Self {
            looping: None,
            phasors: FrameBuffers::new(channels, bins),
            rebuilt: false,
        }
    }

    /// Takes the rebuilt phasors of the segment frame at `position`, if they fit `ops`.
    pub fn take_segment(
        &mut self,
        segment: Option<(&SegmentPhases, usize)>,
        ops: &FrameOpsSettings,
    ) {
        self.rebuilt = false;
        let Some((phases, position)) = segment else {
            return;
        };
        for ch in 0..self.phasors.channels() {
            let Some(rebuilt) = phases.phasors(ch, position, ops) else {
                return;
            };
            self.phasors.channel(ch).copy_from_slice(rebuilt);
        }
        self.rebuilt = true;
    }

    /// Puts the rebuilt phasors under `frame`'s magnitudes, `gain` of the way.
    pub fn play_segment(&self, frame: &mut FrameBuffers, gain: f32) {
        for ch in 0..frame.channels().min(self.phasors.channels()) {
            for (c, z) in frame.channel(ch).iter_mut().zip(self.phasors.spectrum(ch)) {
                let rebuilt = z * c.norm();
                *c += (rebuilt - *c) * gain;
            }
        }
    }
}
