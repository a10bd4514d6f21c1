//! The denoise stage: the FIR filter on every channel (zero latency), the share of its output
//! against the input, "listen to what is removed", and the two jobs that give it taps: loading
//! the taps in the slot (a file, or a project's) and learning them while the plugin plays.
//!
//! A new filter arrives from the worker and waits until the fade of the last swap has ended, so
//! every swap is a complete crossfade. Learning jobs start at fixed sample positions (whole
//! chunks), so offline renders do not depend on the host's block size.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use atomic_float::AtomicF32;

use super::{Clock, Stage};
use crate::analysis::denoise::live::{FeedTag, FeedWriter, LearnMode, LearnStatus, Learner};
use crate::dsp::denormal::sanitize_input;
use crate::dsp::fir::{FirFilter, FirKernel, FADE_MS};
use crate::dsp::smoother::Smoother;
use crate::dsp::wide::with_avx;
use crate::engine::job_slot::{JobSlot, Work};
use crate::engine::{EngineShared, CHUNK, MAX_CHANNELS, SMOOTH_MS};
use crate::params::{Choice, Group, ParamId};
use crate::taps_file::TapsFile;
use crate::worker::{Cancel, Job, Lane, Worker};

/// The denoise stage's figures for the editor.
#[derive(Default)]
pub struct DenoiseStatus {
    pub taps_len: AtomicU32,
    /// Peak of the last block of the "Reference" sidechain input (linear).
    pub reference_peak: AtomicF32,
    pub learn: LearnStatus,
}

/// Build the filter for the taps now in the slot (identity when it holds none).
pub struct LoadTaps {
    shared: Arc<EngineShared>,
    sample_rate: f32,
    kernel: Option<Box<FirKernel>>,
}

impl Work for LoadTaps {
    const LANE: Lane = Lane::Short;

    fn run(&mut self, _: &Cancel) {
        let slot = &self.shared.taps;
        let Some(file) = slot.get() else {
            slot.set_status(String::new());
            self.kernel = Some(Box::new(FirKernel::identity()));
            return;
        };
        // The slot keeps the taps as they were made.
        let (taps, status) = match file.at_rate(self.sample_rate) {
            Ok(carried) => carried,
            Err(e) => {
                slot.set_status(e);
                self.kernel = Some(Box::new(FirKernel::identity()));
                return;
            }
        };
        match FirKernel::new(&taps) {
            Ok(kernel) => {
                slot.set_status(status);
                self.kernel = Some(Box::new(kernel));
            }
            Err(e) => slot.set_status(format!("taps rejected: {e}")),
        }
    }
}

/// Fold in the fed audio and solve new taps if the learn mode has something new. New taps go
/// into the slot (so they are saved with the project) as `generation`.
pub struct LearnTaps {
    learner: Arc<Learner>,
    shared: Arc<EngineShared>,
    sample_rate: f32,
    kernel: Option<Box<FirKernel>>,
    generation: u64,
}

impl Work for LearnTaps {
    const LANE: Lane = Lane::Short;

    fn run(&mut self, _: &Cancel) {
        let Some((taps, metadata)) = self.learner.run(&self.shared.denoise.learn) else {
            return;
        };
        let Ok(kernel) = FirKernel::new(&taps) else {
            return;
        };
        self.kernel = Some(Box::new(kernel));
        self.generation = self.shared.taps.set(Some(TapsFile {
            sample_rate: self.sample_rate,
            taps,
            metadata,
        }));
        self.shared.taps.set_status(String::new());
    }
}

pub struct DenoiseStage {
    sample_rate: f32,
    /// Channels the engine was configured for (the learner hears their mean).
    channels: usize,
    shared: Arc<EngineShared>,
    fir: FirFilter,
    /// A filter that arrived during a fade, with its own fade length.
    pending: Option<(Box<FirKernel>, usize)>,
    load: JobSlot<LoadTaps>,
    learn: JobSlot<LearnTaps>,
    /// The taps generation whose filter is in or on its way.
    taps_seen: Option<u64>,
    feed: FeedWriter,
    /// Plain values of `denoise_mode`, `denoise_taps` and `denoise_learn`.
    mode: f32,
    taps: f32,
    learning: f32,
    /// Counts changes of learn mode, tap count and Learn presses (see `FeedTag`).
    learn_epoch: u32,
    /// Counts jumps on the timeline (see `FeedTag`).
    anchor: u32,
    /// Learn was just turned off: solve once more so the taps take in all the material.
    learn_released: bool,
    /// A jump happened in a spectral mode: pass the input through until new taps come.
    pending_restart: bool,
    enable: Smoother,
    amount: Smoother,
    listen: Smoother,
    ramps: [[f32; CHUNK]; 3],
    /// Mono input and sidechain for the learner.
    mono: [f32; CHUNK],
    side: [f32; CHUNK],
}

impl DenoiseStage {
    /// Allocates the filter, the learner's feed and the job requests: not for the audio thread.
    pub fn new(sample_rate: f32, channels: usize, owner: usize, shared: Arc<EngineShared>) -> Self {
        let smoother = |v: f32| Smoother::new(v, sample_rate, SMOOTH_MS);
        let (learner, feed) = Learner::new(sample_rate);
        let load = JobSlot::new(owner, 2, || LoadTaps {
            shared: shared.clone(),
            sample_rate,
            kernel: None,
        });
        let learn = JobSlot::new(owner, 1, || LearnTaps {
            learner: learner.clone(),
            shared: shared.clone(),
            sample_rate,
            kernel: None,
            generation: 0,
        });
        let default = |id: ParamId| id.spec().default;
        Self {
            sample_rate,
            channels,
            shared,
            fir: FirFilter::new(channels),
            pending: None,
            load,
            learn,
            taps_seen: None,
            feed,
            mode: default(ParamId::DenoiseMode),
            taps: default(ParamId::DenoiseTaps),
            learning: default(ParamId::DenoiseLearn),
            learn_epoch: 0,
            anchor: 0,
            learn_released: false,
            pending_restart: false,
            enable: smoother(1.0),
            amount: smoother(1.0),
            listen: smoother(0.0),
            ramps: [[0.0; CHUNK]; 3],
            mono: [0.0; CHUNK],
            side: [0.0; CHUNK],
        }
    }

    /// Meters the Reference sidechain of a block.
    pub fn meter<R: AsRef<[f32]>>(&self, reference: &[R]) {
        let peak = reference
            .iter()
            .flat_map(|c| c.as_ref().iter())
            .fold(0.0f32, |m, x| m.max(sanitize_input(*x).abs()));
        self.shared
            .denoise
            .reference_peak
            .store(peak, Ordering::Relaxed);
    }

    /// What the learner is asked to do now.
    fn learn_tag(&self) -> FeedTag {
        FeedTag {
            epoch: self.learn_epoch,
            anchor: self.anchor,
            mode: LearnMode::from_index(self.mode.round() as usize),
            taps: ParamId::DenoiseTaps.option(self.taps),
            learning: self.learning >= 0.5,
        }
    }

    /// Samples between learning jobs (None: not learning), in whole chunks, so jobs start at the
    /// same samples however the host cuts its blocks.
    fn learn_interval(&self) -> Option<u64> {
        let tag = self.learn_tag();
        let samples = tag.mode.interval(tag.taps, self.sample_rate)?;
        Some(samples.div_ceil(CHUNK).max(1) as u64 * CHUNK as u64)
    }

    /// Runs a chunk: `dry` holds the input of every configured channel, `wet` (the channels the
    /// host sent) comes in as the input and leaves filtered. `reference` is the sidechain, from
    /// sample `start`.
    pub fn process<R: AsRef<[f32]>>(
        &mut self,
        dry: &[[f32; CHUNK]; MAX_CHANNELS],
        wet: &mut [&mut [f32]],
        reference: Option<&[R]>,
        start: usize,
    ) {
        let n = wet.first().map_or(0, |c| c.len());
        self.feed_learner(dry, reference, start, n);
        if self.listen.is_settled() && self.listen.target() == 0.0 && self.fir.passes_through() {
            // Filtered and unfiltered input are the same, so the crossfades below would give
            // back `wet` (it holds the input) to the bit: only the filter's history is kept.
            self.fir.process(wet);
            return;
        }
        let [enable, amount, listen] = &mut self.ramps;
        self.enable.fill(&mut enable[..n]);
        self.amount.fill(&mut amount[..n]);
        self.listen.fill(&mut listen[..n]);
        self.fir.process(wet);
        let (enable, amount, listen) = (&enable[..n], &amount[..n], &listen[..n]);
        for (wet, dry) in wet.iter_mut().zip(dry) {
            // Denoise on/off and amount crossfade filtered and unfiltered input; "listen to
            // removed" crossfades to what the filter takes out.
            with_avx(
                #[inline(always)]
                || {
                    let ramps = enable.iter().zip(amount).zip(listen);
                    for ((f, d), ((e, a), l)) in wet.iter_mut().zip(dry.iter()).zip(ramps) {
                        let kept = d + e * a * (*f - d);
                        *f = kept + l * (d - 2.0 * kept);
                    }
                },
            );
        }
    }

    /// Feeds the learner the chunk's input (mono) and, in Reference mode, the sidechain.
    fn feed_learner<R: AsRef<[f32]>>(
        &mut self,
        dry: &[[f32; CHUNK]; MAX_CHANNELS],
        reference: Option<&[R]>,
        start: usize,
        n: usize,
    ) {
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
        let channels = self.channels.min(MAX_CHANNELS);
        for (i, m) in self.mono[..n].iter_mut().enumerate() {
            *m = (0..channels).map(|c| dry[c][i]).sum::<f32>() / channels as f32;
        }
        self.feed.push(&self.mono[..n], target, tag);
    }

    /// Keeps a new filter until the fade under way ends.
    fn stage_kernel(&mut self, kernel: Box<FirKernel>, fade: usize, worker: &Worker) {
        if let Some((replaced, _)) = self.pending.replace((kernel, fade)) {
            worker.retire(replaced);
        }
    }
}

impl Stage for DenoiseStage {
    fn groups(&self) -> &'static [Group] {
        &[Group::Denoise]
    }

    fn set(&mut self, id: ParamId, value: f32, clock: Clock) {
        let smoother = match id {
            ParamId::DenoiseEnable => &mut self.enable,
            ParamId::DenoiseAmount => &mut self.amount,
            ParamId::DenoiseListen => &mut self.listen,
            // Steer the learner, not the signal.
            ParamId::DenoiseMode | ParamId::DenoiseTaps => {
                let field = if id == ParamId::DenoiseMode {
                    &mut self.mode
                } else {
                    &mut self.taps
                };
                if std::mem::replace(field, value).round() != value.round() {
                    self.learn_epoch = self.learn_epoch.wrapping_add(1);
                }
                return;
            }
            ParamId::DenoiseLearn => {
                let (was, is) = (
                    std::mem::replace(&mut self.learning, value) >= 0.5,
                    value >= 0.5,
                );
                if !was && is {
                    self.learn_epoch = self.learn_epoch.wrapping_add(1);
                }
                if was && !is {
                    self.learn_released = true;
                }
                return;
            }
            _ => return,
        };
        let target = match id {
            ParamId::DenoiseAmount => value,
            _ => (value >= 0.5) as u8 as f32,
        };
        clock.steer(smoother, target);
    }

    fn reset(&mut self) {
        self.fir.reset();
    }

    /// The spectral modes follow the signal: after a jump they start again from passing the
    /// input through, so what plays depends on the timeline, not on what played before.
    fn locate(&mut self, _position: u64) {
        self.anchor = self.anchor.wrapping_add(1);
        if self.learn_tag().mode.follows_signal() {
            self.learn.supersede();
            self.pending_restart = true;
        }
    }

    fn submit(&mut self, worker: &Worker, clock: Clock) {
        let generation = self.shared.taps.generation();
        // The spectral modes design their own filter; the slot's taps are for the others.
        if self.taps_seen != Some(generation) && !self.learn_tag().mode.follows_signal() {
            if let Some(request) = self.load.take() {
                if self.load.submit(request, worker) {
                    self.taps_seen = Some(generation);
                }
            }
        }
        let due = self.learn_interval().is_some_and(|every| {
            self.learn_released || (clock.started() && clock.position.is_multiple_of(every))
        });
        if due {
            self.feed.flush();
            if let Some(request) = self.learn.take() {
                if self.learn.submit(request, worker) {
                    self.learn_released = false;
                }
            }
        }
    }

    fn receive(&mut self, job: Box<dyn Job>, worker: &Worker, _: Clock) {
        let default_fade = (self.sample_rate * FADE_MS / 1000.0) as usize;
        if self.load.owns(&*job) {
            if let Some(mut done) = self.load.receive(job) {
                if let Some(kernel) = done.work.kernel.take() {
                    self.stage_kernel(kernel, default_fade, worker);
                }
                self.load.recycle(done);
            }
        } else if let Some(mut done) = self.learn.receive(job) {
            if let Some(kernel) = done.work.kernel.take() {
                self.taps_seen = Some(done.work.generation);
                // Fast-updating modes fade over their own interval.
                let interval = self.learn_interval().unwrap_or(u64::MAX) as usize;
                self.stage_kernel(kernel, default_fade.min(interval), worker);
            }
            self.learn.recycle(done);
        }
    }

    fn settle(&mut self, worker: &Worker, clock: Clock) {
        if std::mem::take(&mut self.pending_restart) {
            if let Some((kernel, _)) = self.pending.take() {
                worker.retire(kernel);
            }
            for spent in self.fir.pass_through().into_iter().flatten() {
                worker.retire(spent);
            }
        }
        if let Some(old) = self.fir.take_faded_out() {
            worker.retire(old);
        }
        if !self.fir.is_fading() {
            if let Some((kernel, fade)) = self.pending.take() {
                let fade = if clock.started() { fade } else { 0 };
                if let Some(old) = self.fir.install(kernel, fade) {
                    worker.retire(old);
                }
            }
        }
    }

    fn publish(&self, shared: &EngineShared) {
        shared
            .denoise
            .taps_len
            .store(self.fir.kernel().len() as u32, Ordering::Relaxed);
    }
}
