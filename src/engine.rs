//! The whole chain: denoise (FIR) → spectral (STFT) → dry/wet → output gain, with a crossfaded
//! bypass. Shared by the plugin, the command line, the tests and the benches; it knows nothing of
//! any plugin framework.
//!
//! `process` takes blocks of any length and never allocates, locks or waits; all the arithmetic
//! happens in sub-blocks of at most `CHUNK` samples on preallocated buffers.
//!
//! The layout (STFT window and overlap, reorder mode and length) fixes the latency and the size of
//! the frame memory, and CLAP allows a latency change only while the plugin is (re)activated, so
//! the layout is part of `EngineConfig`: a different one set later stays pending until the host
//! re-creates the engine (the plugin asks it to restart).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;

use crate::dsp::denormal::{sanitize_input, sanitize_output, FlushGuard};
use crate::dsp::fir::{FirKernel, FirStage, FADE_MS};
use crate::dsp::frame_ops::{FrameOps, PhaseMode};
use crate::dsp::reorder::{FrameOrder, OrderRequest, OrderResult, ReorderMode, ReorderStage};
use crate::dsp::smoother::Smoother;
use crate::dsp::stft::{StreamingStft, OVERLAPS, WINDOW_SIZES};
use crate::learn::features::Weighting;
use crate::learn::live::{FeedTag, FeedWriter, LearnMode, LearnStatus, Learner};
use crate::learn::tsne::TsneMethod;
use crate::param_spec::{ParamId, ParamKind, ALL_PARAMS, PARAM_COUNT};
use crate::taps_file::{TapsFile, TapsSlot};
use crate::worker::{Executor, Job, Worker};

pub const MAX_CHANNELS: usize = 2;
const CHUNK: usize = 256;
const SMOOTH_MS: f32 = 20.0;

/// The settings that fix latency and memory: they take effect when an engine is built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// STFT window size and overlap (see `dsp::stft` for the allowed values).
    pub window: usize,
    pub overlap: usize,
    pub reorder: ReorderMode,
    /// Segment or capture length in seconds (0 when reordering is off).
    pub reorder_seconds: f32,
}

impl Layout {
    /// The layout the plain values of these parameters ask for.
    pub fn from_values(value: impl Fn(ParamId) -> f32) -> Self {
        let reorder = ReorderMode::from_index(value(ParamId::ReorderMode).round() as usize);
        let (lo, hi) = ParamId::ReorderLength.spec().range();
        Self {
            window: ParamId::SpecWindow.option(value(ParamId::SpecWindow)),
            overlap: ParamId::SpecOverlap.option(value(ParamId::SpecOverlap)),
            reorder,
            reorder_seconds: match reorder {
                ReorderMode::Off => 0.0,
                _ => value(ParamId::ReorderLength).clamp(lo, hi),
            },
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::from_values(|id| id.spec().default)
    }
}

/// What the host or the command line fixes for the engine's lifetime.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    pub sample_rate: f32,
    pub channels: usize,
    pub executor: Executor,
    pub layout: Layout,
}

impl EngineConfig {
    /// A configuration with the default layout.
    pub fn new(sample_rate: f32, channels: usize, executor: Executor) -> Self {
        Self {
            sample_rate,
            channels,
            executor,
            layout: Layout::default(),
        }
    }

    pub fn with_layout(self, layout: Layout) -> Self {
        Self { layout, ..self }
    }
}

/// State shared between an engine, its worker and the outside (editor, host state). It outlives
/// engines: the plugin keeps one and hands it to each engine it activates.
#[derive(Default)]
pub struct EngineShared {
    pub taps: TapsSlot,
    pub status: EngineStatus,
    pub learn: LearnStatus,
    /// The latest similarity order's embedding, for the editor (written by the worker).
    pub embedding: Mutex<Option<EmbeddingView>>,
}

/// A memory's frames as the editor draws them.
pub struct EmbeddingView {
    /// Each frame's 1-D coordinate, in time order (for the walk: its step in the walk).
    pub coords: Vec<f32>,
    pub order: FrameOrder,
    pub seconds_per_frame: f32,
    /// Orders made so far.
    pub serial: u64,
}

/// Figures the engine publishes for the editor, written lock-free by the audio thread.
#[derive(Default)]
pub struct EngineStatus {
    pub sample_rate: AtomicF32,
    pub latency: AtomicU32,
    /// A new window size or overlap waits for the host to re-activate the plugin.
    pub layout_pending: AtomicBool,
    pub taps_len: AtomicU32,
    pub dropped_jobs: AtomicU64,
    /// Peak of the last block of the "Reference" sidechain input (linear).
    pub reference_peak: AtomicF32,
    /// Frames per segment or capture (and their length in seconds: the memory may hold less
    /// than asked), and orders that were not back in time.
    pub reorder_frames: AtomicU32,
    pub reorder_seconds: AtomicF32,
    pub order_misses: AtomicU64,
    pub capturing: AtomicBool,
}

/// Background work of the engine.
pub enum EngineJob {
    /// Build the filter for the taps now in the slot (identity when it holds none).
    LoadTaps {
        shared: Arc<EngineShared>,
        sample_rate: f32,
    },
    /// Fold in the fed audio and solve new taps if the learn mode has something new.
    Learn {
        learner: Arc<Learner>,
        shared: Arc<EngineShared>,
        sample_rate: f32,
    },
    /// Order the frames of a segment or capture.
    Order {
        request: Box<OrderRequest>,
        shared: Arc<EngineShared>,
        seconds_per_frame: f32,
    },
}

pub enum EngineResult {
    Taps(Box<FirKernel>),
    Order(Box<OrderResult>),
    /// Learned taps, already in the slot as `generation` (so they are saved with the project).
    Learned {
        kernel: Box<FirKernel>,
        generation: u64,
    },
}

impl Job for EngineJob {
    type Output = Option<EngineResult>;

    fn run(self) -> Self::Output {
        match self {
            EngineJob::LoadTaps {
                shared,
                sample_rate,
            } => {
                let Some(file) = shared.taps.get() else {
                    shared.taps.set_status(String::new());
                    return Some(EngineResult::Taps(Box::new(FirKernel::identity())));
                };
                match FirKernel::new(&file.taps) {
                    Ok(kernel) => {
                        shared.taps.set_status(if file.sample_rate != sample_rate {
                            format!(
                                "taps made at {} Hz, running at {} Hz: the response is scaled",
                                file.sample_rate, sample_rate
                            )
                        } else {
                            String::new()
                        });
                        Some(EngineResult::Taps(Box::new(kernel)))
                    }
                    Err(e) => {
                        shared.taps.set_status(format!("taps rejected: {e}"));
                        None
                    }
                }
            }
            EngineJob::Learn {
                learner,
                shared,
                sample_rate,
            } => {
                let (taps, metadata) = learner.run(&shared.learn)?;
                let kernel = Box::new(FirKernel::new(&taps).ok()?);
                let generation = shared.taps.set(Some(TapsFile {
                    sample_rate,
                    taps,
                    metadata,
                }));
                shared.taps.set_status(String::new());
                Some(EngineResult::Learned { kernel, generation })
            }
            EngineJob::Order {
                request,
                shared,
                seconds_per_frame,
            } => {
                let order = request.settings.order;
                let result = request.run();
                if let Ok(mut view) = shared.embedding.lock() {
                    let serial = view.as_ref().map_or(0, |v| v.serial) + 1;
                    *view = Some(EmbeddingView {
                        coords: result.embedding.iter().map(|v| *v as f32).collect(),
                        order,
                        seconds_per_frame,
                        serial,
                    });
                }
                Some(EngineResult::Order(result))
            }
        }
    }
}

/// The dry path's delay, equal to the engine's latency, so dry and wet stay aligned.
struct DryDelay {
    rings: Vec<Vec<f32>>,
    pos: usize,
}

impl DryDelay {
    fn new(channels: usize, delay: usize) -> Self {
        Self {
            rings: vec![vec![0.0; delay.max(1)]; channels],
            pos: 0,
        }
    }

    fn reset(&mut self) {
        self.rings.iter_mut().for_each(|r| r.fill(0.0));
    }

    /// Replaces each sample of `io` by the one a ring's length earlier.
    fn process(&mut self, io: &mut [&mut [f32]]) {
        let len = io.first().map_or(0, |c| c.len());
        for (chan, ring) in io.iter_mut().zip(&mut self.rings) {
            let mut pos = self.pos;
            for s in chan.iter_mut() {
                std::mem::swap(s, &mut ring[pos]);
                pos += 1;
                if pos == ring.len() {
                    pos = 0;
                }
            }
        }
        if let Some(ring) = self.rings.first() {
            self.pos = (self.pos + len) % ring.len();
        }
    }
}

pub struct Engine {
    config: EngineConfig,
    shared: Arc<EngineShared>,
    worker: Worker<EngineJob>,
    values: [f32; PARAM_COUNT],
    taps_seen: Option<u64>,
    learner: Arc<Learner>,
    feed: FeedWriter,
    /// Counts changes of learn mode, tap count and Learn presses (see `FeedTag`).
    learn_epoch: u32,
    /// Learn was just turned off: solve once more so the taps take in all the material.
    learn_released: bool,
    fir: FirStage,
    /// A filter that arrived during a fade, with its own fade length; it goes in when the fade
    /// ends, so every swap is a complete crossfade.
    pending: Option<(Box<FirKernel>, usize)>,
    stft: StreamingStft,
    reorder: ReorderStage,
    frame_ops: FrameOps,
    dry_delay: DryDelay,
    denoise_mix: Smoother,
    denoise_amount: Smoother,
    listen: Smoother,
    out_mix: Smoother,
    out_gain: Smoother,
    bypass: Smoother,
    /// Samples processed since construction or reset; before the first, settings apply at once.
    processed: u64,
    dry: [[f32; CHUNK]; MAX_CHANNELS],
    wet: [[f32; CHUNK]; MAX_CHANNELS],
    /// Mono input and sidechain for the learner.
    mono: [f32; CHUNK],
    side: [f32; CHUNK],
    ramp: [[f32; CHUNK]; 6],
}

/// Index of `value` in `table` as a plain choice value (the caller checked it is there).
fn position(table: &[usize], value: usize) -> f32 {
    table.iter().position(|&v| v == value).unwrap_or(0) as f32
}

fn db_to_gain(db: f32, floor_db: f32) -> f32 {
    if db <= floor_db {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
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
        let sr = config.sample_rate;
        let layout = config.layout;
        let stft = StreamingStft::new(config.channels, layout.window, layout.overlap)?;
        let hop = layout.window / layout.overlap;
        let reorder = ReorderStage::new(
            layout.reorder,
            layout.reorder_seconds,
            sr,
            config.channels,
            layout.window,
            hop,
        );
        let latency = stft.latency() + reorder.latency_frames() * hop;
        let mut values = ALL_PARAMS.map(|p| p.spec().default);
        values[ParamId::SpecWindow as usize] = position(&WINDOW_SIZES, layout.window);
        values[ParamId::SpecOverlap as usize] = position(&OVERLAPS, layout.overlap);
        values[ParamId::ReorderMode as usize] = layout.reorder as usize as f32;
        if layout.reorder != ReorderMode::Off {
            values[ParamId::ReorderLength as usize] = layout.reorder_seconds;
        }
        let smoother = |v: f32| Smoother::new(v, sr, SMOOTH_MS);
        let (learner, feed) = Learner::new(sr);
        let mut engine = Self {
            config,
            worker: Worker::new(config.executor, "phasewright-worker"),
            shared,
            values,
            taps_seen: None,
            learner,
            feed,
            learn_epoch: 0,
            learn_released: false,
            fir: FirStage::new(config.channels),
            pending: None,
            frame_ops: FrameOps::new(layout.window / 2 + 1),
            stft,
            reorder,
            dry_delay: DryDelay::new(config.channels, latency),
            denoise_mix: smoother(1.0),
            denoise_amount: smoother(1.0),
            listen: smoother(0.0),
            out_mix: smoother(1.0),
            out_gain: smoother(1.0),
            bypass: smoother(0.0),
            processed: 0,
            dry: [[0.0; CHUNK]; MAX_CHANNELS],
            wet: [[0.0; CHUNK]; MAX_CHANNELS],
            mono: [0.0; CHUNK],
            side: [0.0; CHUNK],
            ramp: [[0.0; CHUNK]; 6],
        };
        for p in ALL_PARAMS {
            engine.set(p, engine.values[p as usize]);
        }
        engine.publish_status();
        Ok(engine)
    }

    /// Input-to-output delay in samples; the host must be told when it changes.
    pub fn latency(&self) -> usize {
        self.stft.latency() + self.reorder.latency_frames() * self.hop()
    }

    fn hop(&self) -> usize {
        self.stft.window() / self.stft.overlap()
    }

    /// Sets a parameter to a plain value (see `ParamSpec`); out-of-range values are clamped.
    /// Continuous parameters glide there; before the first sample they jump.
    pub fn set(&mut self, id: ParamId, value: f32) {
        let (lo, hi) = id.spec().range();
        let value = if value.is_nan() {
            lo
        } else {
            value.clamp(lo, hi)
        };
        let previous = std::mem::replace(&mut self.values[id as usize], value);
        let restarts_learning = match id {
            ParamId::DenoiseMode | ParamId::DenoiseTaps => previous.round() != value.round(),
            ParamId::DenoiseLearn => previous < 0.5 && value >= 0.5,
            _ => false,
        };
        if restarts_learning {
            self.learn_epoch = self.learn_epoch.wrapping_add(1);
        }
        if id == ParamId::DenoiseLearn && previous >= 0.5 && value < 0.5 {
            self.learn_released = true;
        }
        let target = match id.spec().kind {
            ParamKind::Decibels { min, .. } => db_to_gain(value, min),
            ParamKind::Toggle => (value >= 0.5) as u8 as f32,
            ParamKind::Choice { .. } | ParamKind::Named { .. } | ParamKind::Integer { .. } => {
                value.round()
            }
            ParamKind::Fraction | ParamKind::Seconds { .. } => value,
        };
        let smoother = match id {
            ParamId::Bypass => &mut self.bypass,
            ParamId::DenoiseEnable => &mut self.denoise_mix,
            ParamId::DenoiseAmount => &mut self.denoise_amount,
            ParamId::DenoiseListen => &mut self.listen,
            ParamId::OutMix => &mut self.out_mix,
            ParamId::OutGain => &mut self.out_gain,
            // Steer the learner, not the signal.
            ParamId::DenoiseMode | ParamId::DenoiseTaps | ParamId::DenoiseLearn => return,
            // Frame operations switch at frame boundaries; overlap-add blends them.
            ParamId::SpecPhase
            | ParamId::SpecPermute
            | ParamId::SpecReverse
            | ParamId::SpecCheckerboard
            | ParamId::SpecSeed => {
                let ops = &mut self.frame_ops.settings;
                match id {
                    ParamId::SpecPhase => ops.phase = PhaseMode::from_index(target as usize),
                    ParamId::SpecPermute => ops.permute_bins = target != 0.0,
                    ParamId::SpecReverse => ops.reverse_bins = target != 0.0,
                    ParamId::SpecCheckerboard => ops.checkerboard = target != 0.0,
                    _ => {
                        ops.seed = target as u32;
                        self.reorder.settings.seed = target as u32;
                    }
                }
                return;
            }
            // Orders change at the next segment, or order a frozen capture again.
            ParamId::ReorderOrder
            | ParamId::ReorderWeighting
            | ParamId::ReorderPerplexity
            | ParamId::ReorderTsne
            | ParamId::ReorderNeighbours
            | ParamId::ReorderCapture => {
                let stage = &mut self.reorder;
                let index = target as usize;
                match id {
                    ParamId::ReorderOrder => stage.settings.order = FrameOrder::from_index(index),
                    ParamId::ReorderWeighting => {
                        stage.settings.weighting = Weighting::from_index(index)
                    }
                    ParamId::ReorderPerplexity => stage.settings.perplexity = index as u32,
                    ParamId::ReorderTsne => {
                        stage.settings.tsne_method = TsneMethod::from_index(index)
                    }
                    ParamId::ReorderNeighbours => stage.settings.neighbours = index as u32,
                    _ => stage.capture = target != 0.0,
                }
                return;
            }
            // Fixed for this engine's lifetime; see `layout_pending`.
            ParamId::SpecWindow
            | ParamId::SpecOverlap
            | ParamId::ReorderMode
            | ParamId::ReorderLength => return,
        };
        if self.processed == 0 {
            smoother.reset(target);
        } else {
            smoother.set_target(target);
        }
    }

    /// True when the layout asked for differs from the one running; it takes effect in the next
    /// engine (see the module notes).
    pub fn layout_pending(&self) -> bool {
        Layout::from_values(|id| self.values[id as usize]) != self.config.layout
    }

    /// Clears all signal state (filter histories, STFT, delays), keeping settings and taps.
    pub fn reset(&mut self) {
        self.fir.reset();
        self.stft.reset();
        self.reorder.reset();
        self.retire_spent_order();
        self.frame_ops.reset();
        self.dry_delay.reset();
        self.processed = 0;
        for p in ALL_PARAMS {
            self.set(p, self.values[p as usize]);
        }
    }

    fn publish_status(&self) {
        let s = &self.shared.status;
        s.sample_rate
            .store(self.config.sample_rate, Ordering::Relaxed);
        s.latency.store(self.latency() as u32, Ordering::Relaxed);
        s.layout_pending
            .store(self.layout_pending(), Ordering::Relaxed);
        s.taps_len
            .store(self.fir.kernel().len() as u32, Ordering::Relaxed);
        s.dropped_jobs
            .store(self.worker.dropped_jobs(), Ordering::Relaxed);
        s.reorder_frames
            .store(self.reorder.frames() as u32, Ordering::Relaxed);
        let seconds = (self.reorder.frames() * self.hop()) as f32 / self.config.sample_rate;
        s.reorder_seconds.store(seconds, Ordering::Relaxed);
        s.order_misses
            .store(self.reorder.misses(), Ordering::Relaxed);
        s.capturing
            .store(self.reorder.is_frozen(), Ordering::Relaxed);
    }

    fn retire_spent_order(&mut self) {
        while let Some(spent) = self.reorder.take_spent() {
            self.worker.retire(spent);
        }
    }

    /// What the learner is asked to do now.
    fn learn_tag(&self) -> FeedTag {
        let value = |id: ParamId| self.values[id as usize];
        FeedTag {
            epoch: self.learn_epoch,
            mode: LearnMode::from_index(value(ParamId::DenoiseMode).round() as usize),
            taps: ParamId::DenoiseTaps.option(value(ParamId::DenoiseTaps)),
            learning: value(ParamId::DenoiseLearn) >= 0.5,
        }
    }

    /// Starts background work the settings call for and installs what has finished. Called at
    /// the start of every chunk; learning jobs start at fixed sample positions, so offline
    /// renders do not depend on the host's block size.
    fn service_worker(&mut self) {
        self.install_results();
        let generation = self.shared.taps.generation();
        if self.taps_seen != Some(generation) {
            let job = EngineJob::LoadTaps {
                shared: self.shared.clone(),
                sample_rate: self.config.sample_rate,
            };
            if self.worker.submit(job).is_ok() {
                self.taps_seen = Some(generation);
            }
        }
        let due = self.learn_interval().is_some_and(|every| {
            self.learn_released || (self.processed > 0 && self.processed.is_multiple_of(every))
        });
        if due {
            self.feed.flush();
            if self.learner.claim() {
                let job = EngineJob::Learn {
                    learner: self.learner.clone(),
                    shared: self.shared.clone(),
                    sample_rate: self.config.sample_rate,
                };
                match self.worker.submit(job) {
                    Ok(()) => self.learn_released = false,
                    Err(job) => {
                        self.learner.release();
                        // Dropping the job only lowers reference counts; the learner lives on.
                        drop(job);
                    }
                }
            }
        }
        if let Some(request) = self.reorder.take_request() {
            let job = EngineJob::Order {
                request,
                shared: self.shared.clone(),
                seconds_per_frame: self.hop() as f32 / self.config.sample_rate,
            };
            if let Err(EngineJob::Order { request, .. }) = self.worker.submit(job) {
                self.reorder.refused(request);
            }
        }
        self.install_results();
    }

    /// Samples between learning jobs (None: not learning), in whole chunks, so jobs start at the
    /// same samples however the host cuts its blocks.
    fn learn_interval(&self) -> Option<u64> {
        let tag = self.learn_tag();
        let samples = tag.mode.interval(tag.taps, self.config.sample_rate)?;
        Some(samples.div_ceil(CHUNK).max(1) as u64 * CHUNK as u64)
    }

    fn install_results(&mut self) {
        let default_fade = (self.config.sample_rate * FADE_MS / 1000.0) as usize;
        while let Some(result) = self.worker.poll() {
            let (kernel, fade) = match result {
                Some(EngineResult::Taps(kernel)) => (kernel, default_fade),
                Some(EngineResult::Learned { kernel, generation }) => {
                    self.taps_seen = Some(generation);
                    // Fast-updating modes fade over their own interval.
                    let interval = self.learn_interval().unwrap_or(u64::MAX) as usize;
                    (kernel, default_fade.min(interval))
                }
                Some(EngineResult::Order(result)) => {
                    if let Some(spent) = self.reorder.receive(result) {
                        self.worker.retire(spent);
                    }
                    continue;
                }
                None => continue,
            };
            if let Some((replaced, _)) = self.pending.replace((kernel, fade)) {
                self.worker.retire(replaced);
            }
        }
        if !self.fir.is_fading() {
            if let Some((kernel, fade)) = self.pending.take() {
                let fade = if self.processed > 0 { fade } else { 0 };
                if let Some(old) = self.fir.install(kernel, fade) {
                    self.worker.retire(old);
                }
            }
        }
    }

    /// Processes one block in place: `main` has one slice per channel, all the same length (any
    /// length). `reference` is the sidechain, if the host connects one; it is metered for now and
    /// becomes the training target of the learned denoiser.
    pub fn process<R: AsRef<[f32]>>(&mut self, main: &mut [&mut [f32]], reference: Option<&[R]>) {
        let _flush = FlushGuard::new();
        if let Some(reference) = reference {
            let peak = reference
                .iter()
                .flat_map(|c| c.as_ref().iter())
                .fold(0.0f32, |m, x| m.max(sanitize_input(*x).abs()));
            self.shared
                .status
                .reference_peak
                .store(peak, Ordering::Relaxed);
        }
        let channels = main.len().min(self.config.channels);
        let len = main.first().map_or(0, |c| c.len());
        let mut start = 0;
        loop {
            self.service_worker();
            if start >= len {
                break;
            }
            // Chunks end on multiples of CHUNK (counted from the first sample), whatever the
            // host's block size.
            let n = (len - start).min(CHUNK - (self.processed % CHUNK as u64) as usize);
            self.process_chunk(&mut main[..channels], reference, start, n);
            self.retire_spent_order();
            start += n;
        }
        if let Some(old) = self.fir.take_faded_out() {
            self.worker.retire(old);
        }
        self.publish_status();
    }

    /// Feeds the learner the chunk's input (mono) and, in Reference mode, the sidechain.
    fn feed_learner<R: AsRef<[f32]>>(&mut self, reference: Option<&[R]>, start: usize, n: usize) {
        let tag = self.learn_tag();
        let target = match tag.mode {
            LearnMode::File => return,
            LearnMode::Reference => match reference {
                Some(r) if tag.learning && !r.is_empty() => {
                    let scale = 1.0 / r.len() as f32;
                    self.side[..n].fill(0.0);
                    for c in r {
                        for (s, x) in self.side[..n].iter_mut().zip(&c.as_ref()[start..start + n]) {
                            *s += sanitize_input(*x) * scale;
                        }
                    }
                    Some(&self.side[..n])
                }
                _ => return,
            },
            LearnMode::NoiseProfile | LearnMode::Adaptive => None,
        };
        let channels = self.config.channels.min(MAX_CHANNELS);
        for i in 0..n {
            self.mono[i] = (0..channels).map(|c| self.dry[c][i]).sum::<f32>() / channels as f32;
        }
        self.feed.push(&self.mono[..n], target, tag);
    }

    fn process_chunk<R: AsRef<[f32]>>(
        &mut self,
        main: &mut [&mut [f32]],
        reference: Option<&[R]>,
        start: usize,
        n: usize,
    ) {
        let channels = main.len();

        for ch in 0..channels {
            for (i, x) in main[ch][start..start + n].iter().enumerate() {
                let x = sanitize_input(*x);
                self.dry[ch][i] = x;
                self.wet[ch][i] = x;
            }
        }
        if channels < self.config.channels {
            // A host that sends fewer channels than it activated: the rest read as silence.
            for c in &mut self.dry[channels..self.config.channels] {
                c[..n].fill(0.0);
            }
        }
        self.feed_learner(reference, start, n);
        let [denoise, amount, listen, mix, gain, bypass] = &mut self.ramp;
        self.denoise_mix.fill(&mut denoise[..n]);
        self.denoise_amount.fill(&mut amount[..n]);
        self.listen.fill(&mut listen[..n]);
        self.out_mix.fill(&mut mix[..n]);
        self.out_gain.fill(&mut gain[..n]);
        self.bypass.fill(&mut bypass[..n]);
        let (dry, wet) = (&mut self.dry, &mut self.wet);
        let mut wet_io: [&mut [f32]; MAX_CHANNELS] = wet.each_mut().map(|c| &mut c[..n]);
        let mut dry_io: [&mut [f32]; MAX_CHANNELS] = dry.each_mut().map(|c| &mut c[..n]);

        self.fir.process(&mut wet_io[..channels]);
        for ch in 0..channels {
            // Denoise on/off and amount crossfade filtered and unfiltered input; "listen to
            // removed" crossfades to what the filter takes out.
            for i in 0..n {
                let (d, f) = (dry_io[ch][i], wet_io[ch][i]);
                let kept = d + denoise[i] * amount[i] * (f - d);
                wet_io[ch][i] = kept + listen[i] * (d - 2.0 * kept);
            }
        }
        let (reorder, ops) = (&mut self.reorder, &mut self.frame_ops);
        self.stft.process(&mut wet_io[..channels], |frame| {
            reorder.apply(frame);
            ops.apply(frame);
        });
        self.dry_delay.process(&mut dry_io[..channels]);

        for ch in 0..channels {
            let out = &mut main[ch][start..start + n];
            for i in 0..n {
                let (d, w) = (dry_io[ch][i], wet_io[ch][i]);
                let y = (d + mix[i] * (w - d)) * gain[i];
                out[i] = sanitize_output(y + bypass[i] * (d - y));
            }
        }
        self.processed += n as u64;
    }
}
