//! The spectral stage: the streaming STFT, whose every frame goes through the frame stages in
//! order (frame memory and order, texture, frame operations, phase), then back to audio. Its latency is
//! the STFT window plus what the frame memory and the phase stage's look-ahead add.

use std::sync::Arc;

use super::frame_memory::ReorderMode;
use super::frame_memory::{FrameMemory, MemoryLayout};
use super::frame_ops::FrameOps;
use super::phase::{PhaseLayout, PhaseStage};
use super::texture::TextureStage;
use super::{Clock, FrameStage, Stage};
use crate::dsp::stft::{StftLayout, StreamingStft};
use crate::engine::{EngineConfig, EngineShared};
use crate::params::{Group, ParamId};
use crate::worker::{Job, Worker};

/// Crossfade of a texture over the captured loop, and of each partial result over the last.
const TEXTURE_FADE_MS: f32 = 50.0;

pub struct SpectralStage {
    stft: StreamingStft,
    memory: FrameMemory,
    texture: TextureStage,
    ops: FrameOps,
    phase: PhaseStage,
    hop: usize,
    seconds_per_frame: f32,
}

impl SpectralStage {
    /// The STFT and the frame stages for `config`'s layout; the frame memory's jobs return to
    /// engine stage `owner`. Allocates: not for the audio thread.
    pub fn new(
        config: &EngineConfig,
        owner: usize,
        shared: Arc<EngineShared>,
    ) -> Result<Self, String> {
        let layout = config.layout;
        let stft = StreamingStft::new(config.channels, layout.window, layout.overlap)?;
        let hop = layout.window / layout.overlap;
        let memory = MemoryLayout {
            mode: layout.reorder,
            seconds: layout.reorder_seconds,
            sample_rate: config.sample_rate,
            channels: config.channels,
            window: layout.window,
            hop,
        };
        let memory = FrameMemory::new(memory, owner, shared.clone());
        let loop_frames = match layout.reorder {
            ReorderMode::Capture => memory.frames(),
            _ => 0,
        };
        let phase = PhaseLayout {
            channels: config.channels,
            window: layout.window,
            hop,
            sample_rate: config.sample_rate,
            loop_frames,
            lookahead: layout.phase_lookahead,
        };
        let frames = StftLayout {
            n_fft: layout.window,
            hop,
            win: layout.window,
            center: false,
        };
        let fade_step = hop as f32 / (TEXTURE_FADE_MS / 1000.0 * config.sample_rate);
        Ok(Self {
            stft,
            texture: TextureStage::new(
                frames,
                loop_frames,
                fade_step.min(1.0),
                owner,
                shared.clone(),
            ),
            memory,
            ops: FrameOps::new(layout.window / 2 + 1),
            phase: PhaseStage::new(phase, owner, shared),
            hop,
            seconds_per_frame: hop as f32 / config.sample_rate,
        })
    }

    /// The frame stages in chain order: a new frame stage is one more entry.
    fn frame_stages(&mut self) -> [&mut dyn FrameStage; 4] {
        [
            &mut self.memory,
            &mut self.texture,
            &mut self.ops,
            &mut self.phase,
        ]
    }

    /// Runs a chunk (one slice per channel) through the transform in place. The phase stage
    /// also hears where each frame lies in a frozen capture's loop or a rebuilt segment.
    pub fn process(&mut self, io: &mut [&mut [f32]]) {
        let Self {
            stft,
            memory,
            texture,
            ops,
            phase,
            ..
        } = self;
        stft.process(io, |frame| {
            memory.apply(frame);
            texture.follow(memory.looping());
            texture.apply(frame);
            ops.apply(frame);
            phase.follow(texture.looping(), memory.segment_playing(), &ops.settings);
            phase.apply(frame);
        });
    }
}

impl Stage for SpectralStage {
    fn groups(&self) -> &'static [Group] {
        &[
            Group::Spectral,
            Group::Reorder,
            Group::Texture,
            Group::Phase,
        ]
    }

    fn set(&mut self, id: ParamId, value: f32, _: Clock) {
        for stage in self.frame_stages() {
            stage.set(id, value);
        }
        // Segment phases are rebuilt for the magnitudes the operations will play.
        self.memory.ops = self.ops.settings;
    }

    fn reset(&mut self) {
        self.stft.reset();
        for stage in self.frame_stages() {
            stage.reset();
        }
    }

    fn locate(&mut self, position: u64) {
        let frame = self.stft.locate(position);
        for stage in self.frame_stages() {
            stage.locate(frame);
        }
    }

    fn latency(&self) -> usize {
        let frames = self.memory.latency_frames() + self.phase.latency_frames();
        self.stft.latency() + frames * self.hop
    }

    fn submit(&mut self, worker: &Worker, _: Clock) {
        self.memory.submit(worker);
        self.texture.submit(worker);
        self.phase.submit(worker);
    }

    fn receive(&mut self, job: Box<dyn Job>, _: &Worker, _: Clock) {
        if self.phase.owns(job.as_ref()) {
            self.phase.receive(job);
        } else if self.texture.owns(job.as_ref()) {
            self.texture.receive(job);
        } else {
            self.memory.receive(job);
        }
    }

    fn publish(&self, shared: &EngineShared) {
        self.memory.publish(&shared.reorder, self.seconds_per_frame);
        self.phase.publish(&shared.phase);
        self.texture.publish(&shared.texture);
    }
}
