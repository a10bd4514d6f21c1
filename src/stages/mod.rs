//! The real-time stages of the chain, in order: `denoise` (FIR, learned in the background),
//! `spectral` (the STFT, whose frames go through the frame stages `frame_memory`, `texture`,
//! `frame_ops`, then `phase`), and `output` (dry/wet, gain, bypass).
//!
//! Every stage follows one contract, `Stage`: it takes the parameters of its groups, resets,
//! reports its latency, submits its background jobs and installs their results (through
//! `engine::job_slot`), and publishes its figures for the editor. The engine's dispatch is one
//! line per stage (`Engine::stages`).

pub mod denoise;
pub mod frame_memory;
pub mod frame_ops;
mod loop_recorder;
pub mod output;
pub mod phase;
pub mod spectral;
pub mod texture;

use crate::dsp::smoother::Smoother;
use crate::dsp::stft::FrameBuffers;
use crate::engine::EngineShared;
use crate::params::{Group, ParamId};
use crate::worker::{Job, Worker};

/// Where the engine is in the stream when it calls a stage.
#[derive(Clone, Copy)]
pub struct Clock {
    /// Samples processed since the engine started, was reset or jumped.
    pub processed: u64,
    /// Where on the timeline the chunk starts (see `Engine::locate`).
    pub position: u64,
}

impl Clock {
    /// Before the first sample, settings apply at once instead of gliding.
    pub fn started(self) -> bool {
        self.processed > 0
    }

    /// Sends `smoother` to `target`: a glide once the stream has started, a jump before.
    pub fn steer(self, smoother: &mut Smoother, target: f32) {
        if self.started() {
            smoother.set_target(target);
        } else {
            smoother.reset(target);
        }
    }
}

pub trait Stage {
    /// The parameter groups this stage reads; `set` receives every parameter of them.
    fn groups(&self) -> &'static [Group];

    /// Takes a parameter's plain value (already clamped to its range).
    fn set(&mut self, id: ParamId, value: f32, clock: Clock);

    /// Clears signal state, keeping settings and learned data.
    fn reset(&mut self);

    /// After a reset: the next sample lies at `position` on the timeline, which everything
    /// that depends on "when" is counted from.
    fn locate(&mut self, _position: u64) {}

    /// Samples of delay the stage adds.
    fn latency(&self) -> usize {
        0
    }

    /// Submits the background work the settings call for; at the start of every chunk.
    fn submit(&mut self, _worker: &Worker, _clock: Clock) {}

    /// Takes back a finished job of this stage's; whatever it replaces goes to `worker` to be
    /// freed.
    fn receive(&mut self, _job: Box<dyn Job>, _worker: &Worker, _clock: Clock) {}

    /// After the results of a chunk start are in: install what waited (say, for a fade).
    fn settle(&mut self, _worker: &Worker, _clock: Clock) {}

    /// Publishes the stage's figures for the editor.
    fn publish(&self, _shared: &EngineShared) {}
}

/// A stage that works on the STFT's frames (all channels of one frame at a time), inside the
/// spectral stage, in chain order.
pub trait FrameStage {
    /// Takes a parameter of the spectral stage's groups (it ignores the ones it does not use).
    fn set(&mut self, id: ParamId, value: f32);
    fn reset(&mut self);
    /// After a reset: the next frame is the stream's frame `frame` (frames lie every hop on
    /// the timeline, frame k ending at sample (k + 1) · hop).
    fn locate(&mut self, _frame: u64) {}
    fn apply(&mut self, frame: &mut FrameBuffers);
}
