//! The phase stage, last of the frame stages (`phase_mode`):
//! - **Keep**: the phases as reordering and frame operations left them.
//! - **Rebuild**: every frame's phase integrated from its magnitude and the frame before by
//!   causal RTPGHI (`rtpghi.rs`), so what phase reset, bin operations and reordering did to the
//!   phases is replaced by phases that fit the magnitudes. No latency is added.
//! - **Reconstruct**: Rebuild, and for a frozen capture's loop the worker rebuilds the loop's
//!   phases by PGHI and fast GLA, taking the loop as circular so the seam is coherent too
//!   (`loop_rebuild.rs`, `rebuild_job.rs`); the result crossfades in when it is ready.
//!   `phase_iterations` sets the effort. Offline the job runs inline, so renders repeat.
//!
//! Switching modes crossfades over 50 ms.

mod loop_rebuild;
mod rebuild_job;
mod rtpghi;

use std::sync::Arc;

use atomic_float::AtomicF32;

use crate::dsp::stft::FrameBuffers;
use crate::engine::job_slot::JobSlot;
use crate::engine::EngineShared;
use crate::params::{Choice, ParamId};
use crate::stages::frame_memory::LoopFrame;
use crate::stages::FrameStage;
use crate::worker::{Job, Worker};
use loop_rebuild::LoopRebuild;
pub use rebuild_job::RebuildWork;
use rtpghi::RtPghi;

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
}

pub struct PhaseStage {
    mode: PhaseRebuild,
    rtpghi: RtPghi,
    loops: LoopRebuild,
    /// Where the frame arriving next lies in a loop (told by the spectral stage).
    looping: Option<LoopFrame>,
    /// Share of RTPGHI's phases in the output.
    gain: f32,
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
        } = layout;
        let fade_frames = (FADE_MS / 1000.0 * sample_rate / hop as f32).max(1.0);
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
            looping: None,
            gain: 0.0,
            fade_step: 1.0 / fade_frames,
        }
    }

    /// Tells where the next frame lies in a frozen capture's loop, if it does.
    pub fn follow(&mut self, looping: Option<LoopFrame>) {
        self.looping = looping;
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
        self.rtpghi.reset();
        self.loops.reset();
    }

    fn apply(&mut self, frame: &mut FrameBuffers) {
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
                self.rtpghi.rebuild(ch, frame.channel(ch), self.gain);
            }
        }
        let looping = self
            .looping
            .filter(|_| self.mode == PhaseRebuild::Reconstruct);
        self.loops.apply(looping, frame);
    }
}
