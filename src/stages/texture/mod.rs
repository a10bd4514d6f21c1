//! The texture stage (the `Texture` frame order of a capture), right after the frame memory:
//! a frozen capture's loop is resynthesised from its scattering coefficients alone, from
//! noise, so it keeps the original's timbre and rhythm but none of its samples.
//!
//! While the capture plays its loop in order, the stage records the loop's frames (channels
//! averaged: the texture is mono) and sends them to the worker (`job.rs`). Each partial
//! result is crossfaded in over the one before, so the texture comes into focus while it
//! plays; the first fades in over the captured loop. A new capture, order or texture setting
//! starts over. Offline the job runs to the end before the texture is used, so renders repeat.
//!
//! Parameters: `texture_j` (the averaging scale 2^J in samples: larger J keeps less of the
//! rhythm), `texture_q` (wavelets per octave), `texture_iterations`, `texture_method`, and the
//! spectral stages' seed (`spec_seed`) for the starting noise.

mod job;
pub mod status;

use std::sync::{Arc, Mutex};

use realfft::num_complex::Complex32;

use crate::analysis::scattering::Method;
use crate::dsp::stft::{FrameBuffers, StftLayout};
use crate::engine::job_slot::{JobSlot, Request};
use crate::engine::EngineShared;
use crate::params::{Choice, ParamId};
use crate::stages::frame_memory::{FrameOrder, LoopFrame};
use crate::stages::loop_recorder::LoopRecorder;
use crate::stages::FrameStage;
use crate::worker::{Job, Worker};
use job::{TextureKey, TextureWork};
pub use status::TextureStatus;

crate::choice! {
    /// How the texture is reconstructed: the `texture_method` options.
    pub enum TextureMethod {
        /// kymatio's example: gradient steps with a bold-driver learning rate.
        BoldDriver = "Bold driver",
        Lbfgs = "L-BFGS",
    }
}

impl TextureMethod {
    fn method(self) -> Method {
        match self {
            TextureMethod::BoldDriver => Method::BoldDriver,
            TextureMethod::Lbfgs => Method::Lbfgs,
        }
    }
}

/// What a texture is made with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextureSettings {
    pub j: u32,
    pub q: usize,
    pub iterations: usize,
    pub method: TextureMethod,
    pub seed: u64,
}

impl Default for TextureSettings {
    fn default() -> Self {
        Self {
            j: 8,
            q: 8,
            iterations: 100,
            method: TextureMethod::Lbfgs,
            seed: 0,
        }
    }
}

/// Requests in circulation: one recording or out, one playing, one fading in over it, and
/// one for the next job of the chain.
const POOL: usize = 4;

pub struct TextureStage {
    /// The frame order is Texture.
    enabled: bool,
    settings: TextureSettings,
    jobs: JobSlot<TextureWork>,
    recorder: LoopRecorder<TextureWork>,
    /// The loop and settings last asked for, so each texture is asked once; textures begun.
    asked: Option<(u64, TextureSettings)>,
    begun: u64,
    outgoing: Option<Box<Request<TextureWork>>>,
    playing: Option<Box<Request<TextureWork>>>,
    incoming: Option<Box<Request<TextureWork>>>,
    /// Share of the texture in the output (against the captured loop), and of `incoming`
    /// against `playing`.
    gain: f32,
    blend: f32,
    fade_step: f32,
    /// Where the frame arriving next lies in the capture's loop, and results installed so
    /// far (the phase stage sees a new loop at each).
    looping: Option<LoopFrame>,
    installed: u64,
}

impl TextureStage {
    /// For loops of up to `max_frames` frames of `layout` (0: no capture, nothing is
    /// allocated). Allocates: not for the audio thread. Jobs return to engine stage `owner`.
    pub fn new(
        layout: StftLayout,
        max_frames: usize,
        fade_step: f32,
        owner: usize,
        shared: Arc<EngineShared>,
    ) -> Self {
        let pool = if max_frames > 0 { POOL } else { 0 };
        let reconstruction = Arc::new(Mutex::new(None));
        let jobs = JobSlot::new(owner, pool, || {
            TextureWork::new(layout, max_frames, reconstruction.clone(), shared.clone())
        });
        Self {
            enabled: false,
            settings: TextureSettings::default(),
            jobs,
            recorder: LoopRecorder::new(max_frames),
            asked: None,
            begun: 0,
            outgoing: None,
            playing: None,
            incoming: None,
            gain: 0.0,
            blend: 0.0,
            fade_step,
            looping: None,
            installed: 0,
        }
    }

    /// Tells where the next frame lies in a frozen capture's loop, if it does.
    pub fn follow(&mut self, looping: Option<LoopFrame>) {
        self.looping = looping;
    }

    /// The loop as the stages after this one hear it: a new loop at every texture installed,
    /// and none while one fades in.
    pub fn looping(&self) -> Option<LoopFrame> {
        let fading = self.blend > 0.0 || (self.gain > 0.0 && self.gain < 1.0);
        let at = self.looping.filter(|_| !fading)?;
        Some(LoopFrame {
            serial: at.serial.wrapping_add(self.installed << 32),
            ..at
        })
    }

    fn current(&self, request: &Request<TextureWork>) -> bool {
        let key = request.work.key;
        self.enabled
            && self.looping.is_some_and(|at| key.serial == at.serial)
            && key.settings == self.settings
    }

    /// Sends a complete recording or the next job of a chain; at chunk starts, once no
    /// texture is fading in (so a result never arrives during a fade).
    pub fn submit(&mut self, worker: &Worker) {
        if self.incoming.is_some() {
            return;
        }
        if let Some(mut request) = self.outgoing.take() {
            request.work.all_at_once = worker.waits_for_jobs();
            if !self.jobs.submit(request, worker) {
                // Refused: record and ask again.
                self.asked = None;
            }
        }
    }

    pub fn owns(&self, job: &dyn Job) -> bool {
        self.jobs.owns(job)
    }

    /// Takes in a texture: it fades in over the one playing, and the chain goes on until the
    /// reconstruction is complete.
    pub fn receive(&mut self, job: Box<dyn Job>) {
        let Some(result) = self.jobs.receive(job) else {
            return;
        };
        if !result.work.ready || !self.current(&result) {
            self.jobs.recycle(result);
            return;
        }
        if !result.work.complete {
            if let Some(mut next) = self.jobs.take() {
                next.work.key = result.work.key;
                next.work.frames = result.work.frames;
                next.work.begins = false;
                self.outgoing = Some(next);
            }
        }
        if self.playing.is_none() {
            self.playing = Some(result);
        } else if let Some(stale) = self.incoming.replace(result) {
            self.jobs.recycle(stale);
            self.blend = 0.0;
        }
        self.installed += 1;
    }

    pub fn publish(&self, status: &TextureStatus) {
        let playing = self.gain > 0.0;
        status
            .playing
            .store(playing, std::sync::atomic::Ordering::Relaxed);
    }

    fn record(&mut self, at: LoopFrame, frame: &FrameBuffers) {
        if self.asked == Some((at.serial, self.settings)) {
            return;
        }
        if let Some(mut request) = self.recorder.record(at, frame, &mut self.jobs) {
            self.asked = Some((at.serial, self.settings));
            self.begun += 1;
            request.work.key = TextureKey {
                serial: at.serial,
                settings: self.settings,
                texture: self.begun,
            };
            request.work.begins = true;
            if let Some(stale) = self.outgoing.replace(request) {
                self.jobs.recycle(stale);
            }
        }
    }

    /// Moves the fades on by a frame; what has faded out goes back to the pool.
    fn fade(&mut self) {
        let keep = self.playing.as_deref().is_some_and(|r| self.current(r));
        self.gain = if keep {
            (self.gain + self.fade_step).min(1.0)
        } else {
            (self.gain - self.fade_step).max(0.0)
        };
        if self.incoming.is_some() {
            self.blend += self.fade_step;
            if self.blend >= 1.0 || self.gain <= 0.0 {
                self.blend = 0.0;
                if let Some(old) = std::mem::replace(&mut self.playing, self.incoming.take()) {
                    self.jobs.recycle(old);
                }
            }
        } else if self.gain <= 0.0 && !keep {
            if let Some(old) = self.playing.take() {
                self.jobs.recycle(old);
            }
        }
    }
}

impl FrameStage for TextureStage {
    fn set(&mut self, id: ParamId, value: f32) {
        let s = &mut self.settings;
        let index = value.round() as usize;
        match id {
            ParamId::ReorderOrder => {
                self.enabled = FrameOrder::from_index(index) == FrameOrder::Texture
            }
            ParamId::TextureJ => s.j = index as u32,
            ParamId::TextureQ => s.q = index,
            ParamId::TextureIterations => s.iterations = index,
            ParamId::TextureMethod => s.method = TextureMethod::from_index(index),
            ParamId::SpecSeed => s.seed = index as u64,
            _ => {}
        }
    }

    fn reset(&mut self) {
        self.jobs.supersede();
        self.recorder.clear(&mut self.jobs);
        let held = [
            self.outgoing.take(),
            self.playing.take(),
            self.incoming.take(),
        ];
        for request in held.into_iter().flatten() {
            self.jobs.recycle(request);
        }
        self.asked = None;
        (self.gain, self.blend) = (0.0, 0.0);
    }

    /// Records the loop, and puts the texture in place of the captured frame `gain` of the
    /// way (the texture is the same on every channel).
    fn apply(&mut self, frame: &mut FrameBuffers) {
        if let Some(at) = self.looping.filter(|_| self.enabled) {
            self.record(at, frame);
        }
        self.fade();
        let (Some(at), Some(playing)) = (self.looping, self.playing.as_deref()) else {
            return;
        };
        if self.gain <= 0.0 || at.len != playing.work.frames {
            return;
        }
        let old = playing.work.frame(at.position);
        let new = self.incoming.as_deref().map(|r| r.work.frame(at.position));
        let (gain, blend) = (self.gain, self.blend);
        for ch in 0..frame.channels() {
            let spectrum = frame.channel(ch);
            for (i, c) in spectrum.iter_mut().enumerate().take(old.len()) {
                let texture: Complex32 = match new {
                    Some(new) => old[i] + (new[i] - old[i]) * blend,
                    None => old[i],
                };
                *c += (texture - *c) * gain;
            }
        }
    }
}

#[cfg(test)]
mod tests;
