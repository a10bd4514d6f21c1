//! The phase stage, last of the frame stages (`phase_mode`):
//! - **Keep**: the phases as reordering and frame operations left them.
//! - **Rebuild**: every frame's phase integrated from its magnitude and the frame before by
//!   causal RTPGHI (`rtpghi.rs`), so what phase reset, bin operations and reordering did to the
//!   phases is replaced by phases that fit the magnitudes. With `phase_lookahead` (a layout
//!   setting) every frame is held back one hop so its time derivative can be centred: one hop
//!   more latency, in every mode, so switching modes keeps the timing.
//! - **Reconstruct**: Rebuild, and for a frozen capture's loop the worker rebuilds the loop's
//!   phases by PGHI and fast GLA, taking the loop as circular so the seam is coherent too
//!   (`loop_rebuild.rs`, `rebuild_job.rs`); the result crossfades in when it is ready. In
//!   Segment mode each segment's phases are rebuilt the same way within the segment of latency
//!   the mode has (`segment_rebuild.rs`), and fade in over RTPGHI.
//!   `phase_iterations` sets the effort. Offline the job runs inline, so renders repeat.
//!
//! Switching modes crossfades over 50 ms.

mod bucket_queue;
mod loop_rebuild;
mod rebuild_job;
mod rtpghi;
mod segment_rebuild;

use std::sync::Arc;

use atomic_float::AtomicF32;

use crate::dsp::stft::FrameBuffers;
use crate::engine::job_slot::JobSlot;
use crate::engine::EngineShared;
use crate::params::{Choice, ParamId};
use crate::stages::frame_memory::LoopFrame;
use crate::stages::frame_ops::FrameOpsSettings;
use crate::stages::FrameStage;
use crate::worker::{Job, Worker};
use loop_rebuild::LoopRebuild;
pub use rebuild_job::RebuildWork;
use rtpghi::RtPghi;
use segment_rebuild::Arrival;
pub use segment_rebuild::SegmentPhases;

crate::choice! {
    /// What the phase stage does: the `phase_mode` options.
    pub enum PhaseRebuild {
        Keep = "Keep",
        /// Causal RTPGHI on every frame.
        Rebuild = "Rebuild",
        /// Rebuild, and a frozen capture's loop rebuilt in the background.
        Reconstruct = "Reconstruct",
    }
}

/// Crossfade between modes, and of a rebuilt loop in and out.
const FADE_MS: f32 = 50.0;

/// The phase stage's figures for the editor.
#[derive(Default)]
pub struct PhaseStatus {
    /// Share of the last loop reconstruction done (0 to 1), and its spectral convergence.
    pub progress: AtomicF32,
    pub sc_db: AtomicF32,
    /// True while a rebuilt loop is heard.
    pub playing: std::sync::atomic::AtomicBool,
}

/// Where the phase stage runs: its frames, and the longest loop it may rebuild.
pub struct PhaseLayout {
    pub channels: usize,
    pub window: usize,
    pub hop: usize,
    pub sample_rate: f32,
    /// Frames a capture holds (0 without Capture mode: nothing is allocated for loops).
    pub loop_frames: usize,
    /// Hold every frame back a hop for RTPGHI's look-ahead.
    pub lookahead: bool,
}

pub struct PhaseStage {
    mode: PhaseRebuild,
    rtpghi: RtPghi,
    loops: LoopRebuild,
    /// What the spectral stage told of the frame arriving next.
    arriving: Arrival,
    /// With look-ahead: the frame that arrived last (played at the next one).
    held: Option<(FrameBuffers, Arrival)>,
    /// Share of RTPGHI's phases in the output, and of a segment's rebuilt phases.
    gain: f32,
    segment_gain: f32,
    fade_step: f32,
}

impl PhaseStage {
    /// Allocates: not for the audio thread. Loop jobs return to engine stage `owner`.
    pub fn new(layout: PhaseLayout, owner: usize, shared: Arc<EngineShared>) -> Self {
        let PhaseLayout {
            channels,
            window,
            hop,
            sample_rate,
            loop_frames,
            lookahead,
        } = layout;
        let fade_frames = (FADE_MS / 1000.0 * sample_rate / hop as f32).max(1.0);
        let bins = window / 2 + 1;
        let pool = if loop_frames > 0 {
            loop_rebuild::POOL
        } else {
            0
        };
        let jobs = JobSlot::new(owner, pool, || {
            RebuildWork::new(channels, window, hop, loop_frames, shared.clone())
        });
        Self {
            mode: PhaseRebuild::Keep,
            rtpghi: RtPghi::new(channels, window, hop),
            loops: LoopRebuild::new(jobs, loop_frames, 1.0 / fade_frames),
            arriving: Arrival::new(channels, bins),
            held: lookahead.then(|| {
                (
                    FrameBuffers::new(channels, bins),
                    Arrival::new(channels, bins),
                )
            }),
            gain: 0.0,
            segment_gain: 0.0,
            fade_step: 1.0 / fade_frames,
        }
    }

    /// Hops of delay: one with look-ahead.
    pub fn latency_frames(&self) -> usize {
        self.held.is_some() as usize
    }

    /// Tells where the next frame lies in a frozen capture's loop, or in a segment whose
    /// phases were rebuilt (for frames through the frame operations `ops`), if it does.
    pub fn follow(
        &mut self,
        looping: Option<LoopFrame>,
        segment: Option<(&SegmentPhases, usize)>,
        ops: &FrameOpsSettings,
    ) {
        self.arriving.looping = looping;
        let segment = segment.filter(|_| self.mode == PhaseRebuild::Reconstruct);
        self.arriving.take_segment(segment, ops);
    }

    pub fn submit(&mut self, worker: &Worker) {
        self.loops.submit(worker);
    }

    pub fn owns(&self, job: &dyn Job) -> bool {
        self.loops.owns(job)
    }

    pub fn receive(&mut self, job: Box<dyn Job>) {
        self.loops.receive(job);
    }

    pub fn publish(&self, status: &PhaseStatus) {
        (status.playing).store(
            self.loops.is_playing(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

impl FrameStage for PhaseStage {
    fn set(&mut self, id: ParamId, value: f32) {
        match id {
            ParamId::PhaseMode => self.mode = PhaseRebuild::from_index(value.round() as usize),
            ParamId::PhaseIterations => self.loops.iterations = value.round() as usize,
            _ => {}
        }
    }

    fn reset(&mut self) {
        self.gain = 0.0;
        self.segment_gain = 0.0;
        if let Some((frame, arrival)) = &mut self.held {
            for ch in 0..frame.channels() {
                frame.channel(ch).fill(Default::default());
            }
            (arrival.looping, arrival.rebuilt) = (None, false);
        }
        self.rtpghi.reset();
        self.loops.reset();
    }

    fn apply(&mut self, frame: &mut FrameBuffers) {
        // With look-ahead the frame that arrived goes into the hold, and the one held before
        // is the one rebuilt and played.
        if let Some((held, arrival)) = &mut self.held {
            std::mem::swap(frame, held);
            std::mem::swap(&mut self.arriving, arrival);
        }
        let target = (self.mode != PhaseRebuild::Keep) as u8 as f32;
        self.gain = if target > self.gain {
            (self.gain + self.fade_step).min(target)
        } else {
            (self.gain - self.fade_step).max(target)
        };
        if self.gain <= 0.0 {
            // Off: forget, so a new Rebuild starts from its first frame.
            self.rtpghi.reset();
        } else {
            for ch in 0..frame.channels().min(self.rtpghi.channels()) {
                let ahead = self.held.as_ref().map(|(held, _)| held.spectrum(ch));
                self.rtpghi.rebuild(ch, frame.channel(ch), ahead, self.gain);
            }
        }
        // A rebuilt segment fades in over RTPGHI (and gives way at once when it ends).
        self.segment_gain = match self.arriving.rebuilt {
            true => (self.segment_gain + self.fade_step).min(1.0),
            false => 0.0,
        };
        if self.segment_gain > 0.0 {
            self.arriving.play_segment(frame, self.segment_gain);
        }
        let looping = (self.arriving.looping).filter(|_| self.mode == PhaseRebuild::Reconstruct);
        self.loops.apply(looping, frame);
    }
}
