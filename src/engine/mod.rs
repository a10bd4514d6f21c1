//! The whole chain: denoise (FIR) → spectral (STFT and frame stages) → output (dry/wet, gain,
//! bypass). Shared by the plugin, the command line, the tests and the benches; it knows nothing
//! of any plugin framework.
//!
//! `process` takes blocks of any length and never allocates, locks or waits; all the arithmetic
//! happens in chunks of at most `CHUNK` samples on preallocated buffers. At the start of every
//! chunk the engine services the worker: it installs finished results, lets each stage submit
//! its jobs, and installs again (offline, jobs run inline inside `submit`, so their results are
//! in before the chunk plays). Parameters, jobs and figures reach the stages through the one
//! list in `Engine::stages`. A host that runs the engine faster than real time without saying
//! so (a DAW's export) gets the offline behaviour too, within the lead it builds (`pace`):
//! the engine waits for each chunk's jobs, so they are ready when due.

pub mod job_slot;
mod layout;
mod pace;
mod status;
mod timeline;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub use layout::{EngineConfig, Layout};
use pace::Pace;
pub use status::{EngineShared, EngineStatus};
pub use timeline::Transport;

use crate::dsp::denormal::{sanitize_input, FlushGuard};
use crate::params::{ParamId, ALL_PARAMS, PARAM_COUNT};
use crate::stages::denoise::DenoiseStage;
use crate::stages::output::OutputStage;
use crate::stages::spectral::SpectralStage;
use crate::stages::{Clock, Stage};
use crate::worker::{Executor, Worker};

pub const MAX_CHANNELS: usize = 2;
pub const CHUNK: usize = 256;
/// Glide of every continuous parameter.
pub const SMOOTH_MS: f32 = 20.0;

/// Each stage's place in `Stages::all`: its jobs come back to it by this number.
const DENOISE: usize = 0;
const SPECTRAL: usize = 1;

/// The stages of the chain.
struct Stages {
    denoise: DenoiseStage,
    spectral: SpectralStage,
    output: OutputStage,
}

impl Stages {
    /// Every stage in chain order: the one list the engine dispatches parameters, jobs, resets
    /// and figures through. A stage's place here is its job owner number.
    fn all(&mut self) -> [&mut dyn Stage; 3] {
        [&mut self.denoise, &mut self.spectral, &mut self.output]
    }
}

pub struct Engine {
    config: EngineConfig,
    shared: Arc<EngineShared>,
    /// Before the worker: fields drop in order, and the stages' job slots cancel their jobs as
    /// they go, so the worker's threads are free to stop when it joins them.
    stages: Stages,
    worker: Worker,
    /// Plain values of every parameter, as last set.
    values: [f32; PARAM_COUNT],
    latency: usize,
    /// Samples processed since construction, reset or a jump; before the first, settings apply
    /// at once.
    processed: u64,
    /// Where on the timeline the next sample lies (see `locate`).
    position: u64,
    pace: Pace,
    /// Until when the block being processed may wait for its jobs.
    wait_until: Option<Instant>,
    dry: [[f32; CHUNK]; MAX_CHANNELS],
    wet: [[f32; CHUNK]; MAX_CHANNELS],
}

impl Engine {
    pub fn new(config: EngineConfig, shared: Arc<EngineShared>) -> Result<Self, String> {
        if config.channels == 0 || config.channels > MAX_CHANNELS {
            return Err(format!(
                "{} channels: the engine handles 1 or 2",
                config.channels
            ));
        }
        if !(config.sample_rate.is_finite() && config.sample_rate > 0.0) {
            return Err(format!(
                "sample rate {} Hz is not supported",
                config.sample_rate
            ));
        }
        let (sr, channels) = (config.sample_rate, config.channels);
        let spectral = SpectralStage::new(&config, SPECTRAL, shared.clone())?;
        let latency = spectral.latency();
        let mut stages = Stages {
            denoise: DenoiseStage::new(sr, channels, DENOISE, shared.clone()),
            spectral,
            output: OutputStage::new(sr, channels, latency),
        };
        let latency = stages.all().iter().map(|s| s.latency()).sum();
        let values = ALL_PARAMS.map(|p| config.layout.value(p).unwrap_or(p.spec().default));
        let mut engine = Self {
            config,
            worker: Worker::new(config.executor, "phasewright-worker"),
            stages,
            latency,
            shared,
            values,
            processed: 0,
            position: 0,
            pace: Pace::default(),
            wait_until: None,
            dry: [[0.0; CHUNK]; MAX_CHANNELS],
            wet: [[0.0; CHUNK]; MAX_CHANNELS],
        };
        engine.set_all();
        engine.publish_status();
        Ok(engine)
    }

    fn clock(&self) -> Clock {
        Clock {
            processed: self.processed,
            position: self.position,
        }
    }

    /// Input-to-output delay in samples; the host must be told when it changes.
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// Sets a parameter to a plain value (see `ParamSpec`); out-of-range values are clamped.
    /// Continuous parameters glide there; before the first sample they jump. Layout parameters
    /// are only recorded (see `layout_pending`).
    pub fn set(&mut self, id: ParamId, value: f32) {
        let spec = id.spec();
        let (lo, hi) = spec.range();
        let value = if value.is_nan() {
            lo
        } else {
            value.clamp(lo, hi)
        };
        self.values[id as usize] = value;
        if spec.layout {
            return;
        }
        let clock = self.clock();
        for stage in self.stages.all() {
            if stage.groups().contains(&spec.group) {
                stage.set(id, value, clock);
            }
        }
    }

    fn set_all(&mut self) {
        for p in ALL_PARAMS {
            self.set(p, self.values[p as usize]);
        }
    }

    /// True when the layout asked for differs from the one running; it takes effect in the next
    /// engine (see `layout`).
    pub fn layout_pending(&self) -> bool {
        Layout::from_values(|id| self.values[id as usize]) != self.config.layout
    }

    /// Clears all signal state (filter histories, STFT, delays), keeping settings and taps;
    /// the timeline starts again at 0.
    pub fn reset(&mut self) {
        self.restart(0);
    }

    /// Tells the engine where on the timeline the next sample lies (a host's transport
    /// position). Everything that depends on "when" (the STFT frame grid, checkerboard parity,
    /// random phases, segment boundaries and their orders, learning positions, the chunk grid)
    /// is counted from timeline sample 0, so the same audio at the same place renders the same
    /// however the playback got there. A position other than where the engine is (a jump)
    /// clears the signal state, as `reset` does; without a call the timeline starts at 0.
    pub fn locate(&mut self, position: u64) {
        if position != self.position {
            self.restart(position);
        }
    }

    /// Where on the timeline the next sample lies.
    pub fn position(&self) -> u64 {
        self.position
    }

    fn restart(&mut self, position: u64) {
        for stage in self.stages.all() {
            stage.reset();
            stage.locate(position);
        }
        (self.processed, self.position) = (0, position);
        self.set_all();
    }

    fn publish_status(&mut self) {
        let s = &self.shared.status;
        s.sample_rate
            .store(self.config.sample_rate, Ordering::Relaxed);
        s.latency.store(self.latency() as u32, Ordering::Relaxed);
        s.layout_pending
            .store(self.layout_pending(), Ordering::Relaxed);
        s.dropped_jobs
            .store(self.worker.dropped_jobs(), Ordering::Relaxed);
        s.failed_jobs
            .store(self.worker.failed_jobs(), Ordering::Relaxed);
        s.ahead_s.store(self.pace.ahead() as f32, Ordering::Relaxed);
        for stage in self.stages.all() {
            stage.publish(&self.shared);
        }
    }

    /// Starts the background work the stages call for and installs what has finished.
    fn service_worker(&mut self) {
        self.install_results();
        let clock = self.clock();
        for stage in self.stages.all() {
            stage.submit(&self.worker, clock);
        }
        if let Some(deadline) = self.wait_until {
            // Out of lead: the rest of the render goes on as if live.
            if !self.worker.wait_idle(deadline) {
                self.wait_until = None;
                self.worker.set_waiting(false);
            }
        }
        self.install_results();
    }

    fn install_results(&mut self) {
        let (clock, worker) = (self.clock(), &self.worker);
        let mut stages = self.stages.all();
        while let Some(job) = worker.poll() {
            if let Some(stage) = stages.get_mut(job.owner()) {
                stage.receive(job, worker, clock);
            }
        }
        for stage in stages {
            stage.settle(worker, clock);
        }
    }

    /// Processes one block in place: `main` has one slice per channel, all the same length (any
    /// length). `reference` is the sidechain, if the host connects one: the training target of
    /// the learned denoiser.
    pub fn process<R: AsRef<[f32]>>(&mut self, main: &mut [&mut [f32]], reference: Option<&[R]>) {
        let _flush = FlushGuard::new();
        if let Some(reference) = reference {
            self.stages.denoise.meter(reference);
        }
        let channels = main.len().min(self.config.channels);
        let len = main.first().map_or(0, |c| c.len());
        if matches!(self.config.executor, Executor::Thread) && self.config.waits_when_ahead {
            let seconds = len as f64 / self.config.sample_rate as f64;
            self.wait_until = self.pace.block(Instant::now(), seconds);
            self.worker.set_waiting(self.wait_until.is_some());
        }
        let mut start = 0;
        loop {
            self.service_worker();
            if start >= len {
                break;
            }
            // Chunks end on multiples of CHUNK on the timeline, whatever the host's block size.
            let n = (len - start).min(CHUNK - (self.position % CHUNK as u64) as usize);
            self.process_chunk(&mut main[..channels], reference, start, n);
            start += n;
        }
        self.publish_status();
    }

    fn process_chunk<R: AsRef<[f32]>>(
        &mut self,
        main: &mut [&mut [f32]],
        reference: Option<&[R]>,
        start: usize,
        n: usize,
    ) {
        let channels = main.len();
        for ((input, dry), wet) in main.iter().zip(&mut self.dry).zip(&mut self.wet) {
            let (dry, wet) = (&mut dry[..n], &mut wet[..n]);
            for ((x, d), w) in input[start..start + n].iter().zip(dry).zip(wet) {
                let x = sanitize_input(*x);
                (*d, *w) = (x, x);
            }
        }
        if channels < self.config.channels {
            // A host that sends fewer channels than it activated: the rest read as silence.
            for c in &mut self.dry[channels..self.config.channels] {
                c[..n].fill(0.0);
            }
        }
        let mut wet: [&mut [f32]; MAX_CHANNELS] = self.wet.each_mut().map(|c| &mut c[..n]);
        let stages = &mut self.stages;
        stages
            .denoise
            .process(&self.dry, &mut wet[..channels], reference, start);
        stages.spectral.process(&mut wet[..channels]);
        let mut dry: [&mut [f32]; MAX_CHANNELS] = self.dry.each_mut().map(|c| &mut c[..n]);
        stages.output.process(main, start, &mut dry, &wet);
        self.processed += n as u64;
        self.position += n as u64;
    }
}
