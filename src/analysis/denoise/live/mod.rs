//! Learning the denoiser's taps while the plugin plays. The audio thread copies the input (and,
//! in Reference mode, the sidechain) into blocks from a preallocated pool and hands them over
//! lock-free; a periodic job on the worker folds them into the current mode's statistics and
//! solves new taps:
//!
//! - Reference: least squares from the input to the sidechain (`CorrelationStats`), while Learn
//!   is on; each Learn press starts afresh.
//! - Noise profile: while Learn is on, the input is the noise profile (its mean spectrum);
//!   afterwards the Wiener filter is designed from the profile and the short-term input spectrum
//!   (`spectral`), anew with every analysis hop, as classic noise reducers do. (A long-term input
//!   spectrum gives one fixed filter, but it reached only 79 % of the oracle's gain on the
//!   stationary test mixes, against 113 % for the short-term one.) The profile survives changes
//!   of the tap count and is saved with the project (`profile`).
//! - Adaptive: the same, with the noise spectrum tracked by minimum statistics instead of
//!   learned from a profile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam::queue::ArrayQueue;

use crate::analysis::denoise::noise::{
    coarsen, MinimumStatistics, Periodograms, SpectrumAverage, WienerDesigner,
};
use crate::analysis::denoise::taps::CorrelationStats;

mod profile;
use profile::{NoiseProfile, PROFILE_FRAME};
pub use profile::{ProfileSlot, SavedProfile};

/// Samples per feed block.
pub const FEED_BLOCK: usize = 1024;
/// Blocks in the pool: about 2.7 s at 48 kHz, far more than the worker falls behind.
const FEED_POOL: usize = 128;
/// Gain floor of the spectral designs (-20 dB): deeper cuts buy little and risk the speech.
const GAIN_FLOOR: f64 = 0.1;
/// Smoothing (time constant) of the input spectrum in the spectral modes: short, so the filter
/// follows syllables and pauses, long enough to average a few frames.
const INPUT_SMOOTHING_S: f64 = 0.04;
/// Span of the noise minimum in adaptive mode: longer than most speech sounds.
const MINIMUM_WINDOW_S: f64 = 1.5;
/// Solves of the Reference mode's least squares, which gathers statistics for seconds.
const REFERENCE_INTERVAL_S: f64 = 0.5;

crate::choice! {
    /// Where the denoiser's taps come from: the `denoise_mode` options.
    pub enum LearnMode {
        File = "File", Reference = "Reference", NoiseProfile = "Noise profile", Adaptive = "Adaptive"
    }
}

impl LearnMode {
    /// Samples between solves: a new solve is worth it in the spectral modes once a new frame is
    /// in, that is every hop of the analysis.
    pub fn interval(self, taps: usize, sample_rate: f32) -> Option<usize> {
        match self {
            LearnMode::File => None,
            LearnMode::Reference => Some((REFERENCE_INTERVAL_S * sample_rate as f64) as usize),
            LearnMode::NoiseProfile | LearnMode::Adaptive => Some(analysis_frame(taps) / 2),
        }
    }

    /// Modes whose filter follows the signal (its spectrum now), not a file or a training.
    pub fn follows_signal(self) -> bool {
        matches!(self, LearnMode::NoiseProfile | LearnMode::Adaptive)
    }

    fn name(self) -> &'static str {
        match self {
            LearnMode::File => "file",
            LearnMode::Reference => "reference",
            LearnMode::NoiseProfile => "noise profile",
            LearnMode::Adaptive => "adaptive",
        }
    }
}

/// What the audio thread was doing when it recorded a block. A new `epoch` (mode or tap count
/// changed, Learn pressed) makes the learner start afresh. A new `anchor` (a jump on the
/// timeline) restarts what follows the signal (the spectral modes' input spectra and noise
/// tracking) but keeps what was learned on purpose (a noise profile, reference statistics).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedTag {
    pub epoch: u32,
    pub anchor: u32,
    pub mode: LearnMode,
    pub taps: usize,
    pub learning: bool,
}

pub struct FeedBlock {
    tag: FeedTag,
    len: usize,
    /// Blocks before this one were lost (the pool ran dry).
    after_gap: bool,
    input: [f32; FEED_BLOCK],
    target: [f32; FEED_BLOCK],
}

/// The pool of blocks and the queue of filled ones.
struct Feed {
    free: ArrayQueue<Box<FeedBlock>>,
    filled: ArrayQueue<Box<FeedBlock>>,
}

/// The audio thread's end of the feed: never allocates, locks or waits.
pub struct FeedWriter {
    feed: Arc<Feed>,
    current: Option<Box<FeedBlock>>,
    gap: bool,
}

impl FeedWriter {
    /// Appends `input` (and `target`, the sidechain, when there is one) under `tag`.
    pub fn push(&mut self, input: &[f32], target: Option<&[f32]>, tag: FeedTag) {
        let mut done = 0;
        while done < input.len() {
            if self.current.as_ref().is_some_and(|b| b.tag != tag) {
                self.flush();
            }
            if self.current.is_none() {
                self.current = self.feed.free.pop().map(|mut b| {
                    b.tag = tag;
                    b.len = 0;
                    b.after_gap = std::mem::take(&mut self.gap);
                    b
                });
            }
            let Some(block) = self.current.as_mut() else {
                // The worker is behind: lose this audio for learning, and say so.
                self.gap = true;
                return;
            };
            let n = (FEED_BLOCK - block.len).min(input.len() - done);
            let range = block.len..block.len + n;
            block.input[range.clone()].copy_from_slice(&input[done..done + n]);
            match target {
                Some(t) => block.target[range].copy_from_slice(&t[done..done + n]),
                None => block.target[range].fill(0.0),
            }
            block.len += n;
            done += n;
            if block.len == FEED_BLOCK {
                self.flush();
            }
        }
    }

    /// Hands over the block being filled, however full.
    pub fn flush(&mut self) {
        if let Some(block) = self.current.take() {
            if block.len == 0 {
                self.current = Some(block);
            } else if let Err(block) = self.feed.filled.push(block) {
                // Cannot happen: the pool holds no more blocks than the queue.
                self.current = Some(block);
            }
        }
    }
}

/// Progress of learning, for the editor: written by the worker, read anywhere.
#[derive(Default)]
pub struct LearnStatus {
    /// Seconds of material behind the current taps (input for the spectral modes).
    pub material_ms: AtomicU64,
    /// Length of the noise profile.
    pub profile_ms: AtomicU64,
    pub solves: AtomicU64,
    /// Error against bypass the last design expects, in hundredths of a dB (two's complement).
    pub predicted_centi_db: AtomicU64,
    /// What learning needs from the user, if anything.
    pub note: Mutex<String>,
    /// The noise profile, to and from the project.
    pub profile: ProfileSlot,
}

impl LearnStatus {
    pub fn predicted_db(&self) -> f64 {
        self.predicted_centi_db.load(Ordering::Relaxed) as i64 as f64 / 100.0
    }

    pub fn note(&self) -> String {
        self.note.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_note(&self, text: &str) {
        let mut note = self.note.lock().unwrap_or_else(|e| e.into_inner());
        if *note != text {
            *note = text.to_string();
        }
    }
}

/// Statistics of the current epoch.
enum ModeState {
    Idle,
    Reference(Box<CorrelationStats>),
    NoiseProfile {
        frames: Periodograms,
        input: SpectrumAverage,
    },
    Adaptive {
        frames: Periodograms,
        tracker: MinimumStatistics,
    },
}

struct LearnState {
    epoch: Option<u32>,
    anchor: u32,
    /// Projects' profiles taken in (see `ProfileSlot::restores`).
    restores: u64,
    mode: LearnMode,
    taps: usize,
    state: ModeState,
    profile: Option<NoiseProfile>,
    designer: WienerDesigner,
    /// Samples folded in since the epoch began, and since the last solve.
    samples: u64,
    fresh: u64,
}

/// The worker's end: the statistics, locked only by the job that runs on the worker.
pub struct Learner {
    feed: Arc<Feed>,
    sample_rate: f64,
    state: Mutex<LearnState>,
}

/// The frame of the spectral modes: twice the filter, at least 512 samples.
fn analysis_frame(taps: usize) -> usize {
    (2 * taps).next_power_of_two().max(512)
}

impl Learner {
    /// The learner and the audio thread's writer; allocates the pool (not for the audio thread).
    pub fn new(sample_rate: f32) -> (Arc<Self>, FeedWriter) {
        let feed = Arc::new(Feed {
            free: ArrayQueue::new(FEED_POOL),
            filled: ArrayQueue::new(FEED_POOL),
        });
        for _ in 0..FEED_POOL {
            let _ = feed.free.push(Box::new(FeedBlock {
                tag: FeedTag {
                    epoch: 0,
                    anchor: 0,
                    mode: LearnMode::File,
                    taps: 1,
                    learning: false,
                },
                len: 0,
                after_gap: false,
                input: [0.0; FEED_BLOCK],
                target: [0.0; FEED_BLOCK],
            }));
        }
        let learner = Arc::new(Self {
            feed: feed.clone(),
            sample_rate: sample_rate as f64,
            state: Mutex::new(LearnState {
                epoch: None,
                anchor: 0,
                restores: 0,
                mode: LearnMode::File,
                taps: 1,
                state: ModeState::Idle,
                profile: None,
                designer: WienerDesigner::default(),
                samples: 0,
                fresh: 0,
            }),
        });
        let writer = FeedWriter {
            feed,
            current: None,
            gap: false,
        };
        (learner, writer)
    }

    /// Folds in everything fed so far and, if there is something new to learn from, solves new
    /// taps. Runs on the worker (or inline, offline).
    pub fn run(&self, status: &LearnStatus) -> Option<(Vec<f32>, serde_json::Value)> {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let s = &mut *guard;
        self.take_restored(s, &status.profile);
        let before = s.profile.as_ref().map(|p| p.samples);
        while let Some(block) = self.feed.filled.pop() {
            self.fold(s, &block);
            // Back to the pool; cannot fail, the pool has room for all its blocks.
            let _ = self.feed.free.push(block);
        }
        let profile = s.profile.as_ref();
        if profile.map(|p| p.samples) != before {
            status
                .profile
                .publish(profile.and_then(|p| p.saved(self.sample_rate)));
        }
        self.solve(s, status)
    }

    /// Takes in a project's profile, if one was handed in; one made at another sample rate is
    /// dropped (the project keeps it), and Learn is asked for.
    fn take_restored(&self, s: &mut LearnState, slot: &ProfileSlot) {
        let restores = slot.restores();
        if s.restores == restores {
            return;
        }
        s.restores = restores;
        if let Some(saved) = slot.take_restored() {
            s.profile = saved
                .filter(|p| p.sample_rate == self.sample_rate)
                .map(|p| NoiseProfile::restored(&p, s.epoch));
            s.fresh += 1;
        }
    }

    fn fold(&self, s: &mut LearnState, block: &FeedBlock) {
        let tag = block.tag;
        if s.epoch != Some(tag.epoch) {
            s.epoch = Some(tag.epoch);
            s.mode = tag.mode;
            s.taps = tag.taps;
            s.samples = 0;
            s.fresh = 0;
            s.state = self.fresh_state(tag);
        } else if s.anchor != tag.anchor {
            match &mut s.state {
                ModeState::Reference(stats) => stats.break_stream(),
                ModeState::NoiseProfile { .. } | ModeState::Adaptive { .. } => {
                    s.state = self.fresh_state(tag);
                    (s.samples, s.fresh) = (0, 0);
                }
                ModeState::Idle => {}
            }
        }
        s.anchor = tag.anchor;
        let (input, target) = (&block.input[..block.len], &block.target[..block.len]);
        match &mut s.state {
            ModeState::Idle => return,
            ModeState::Reference(stats) => {
                if !tag.learning {
                    return;
                }
                // Until the reference has been heard, digital silence on it is a sidechain not
                // (yet) connected: learning from it would teach the filter to mute the track.
                // The solve still runs, to say so.
                if stats.target_energy() == 0.0 && target.iter().all(|x| *x == 0.0) {
                    s.fresh += input.len() as u64;
                    return;
                }
                if block.after_gap {
                    stats.break_stream();
                }
                stats.push(input, target);
            }
            ModeState::NoiseProfile { frames, input: avg } => {
                if tag.learning {
                    let profile = s
                        .profile
                        .get_or_insert_with(|| NoiseProfile::new(tag.epoch));
                    match profile.epoch {
                        // A restored profile goes on learning.
                        None => profile.epoch = Some(tag.epoch),
                        Some(epoch) if epoch != tag.epoch => {
                            *profile = NoiseProfile::new(tag.epoch)
                        }
                        Some(_) => {}
                    }
                    let NoiseProfile {
                        frames, spectrum, ..
                    } = profile;
                    frames.push(input, |p| spectrum.add(p));
                    profile.samples += input.len() as u64;
                    return;
                }
                frames.push(input, |p| avg.add(p));
            }
            ModeState::Adaptive { frames, tracker } => frames.push(input, |p| tracker.push(p)),
        }
        s.samples += input.len() as u64;
        s.fresh += input.len() as u64;
    }

    fn fresh_state(&self, tag: FeedTag) -> ModeState {
        let frame = analysis_frame(tag.taps);
        let frames_per_s = self.sample_rate / (frame / 2) as f64;
        match tag.mode {
            LearnMode::File => ModeState::Idle,
            LearnMode::Reference => match CorrelationStats::new(tag.taps) {
                Ok(stats) => ModeState::Reference(Box::new(stats)),
                Err(_) => ModeState::Idle,
            },
            LearnMode::NoiseProfile => {
                let frames = Periodograms::new(frame, frame / 2);
                ModeState::NoiseProfile {
                    input: SpectrumAverage::new(frames.bins(), INPUT_SMOOTHING_S * frames_per_s),
                    frames,
                }
            }
            LearnMode::Adaptive => {
                let frames = Periodograms::new(frame, frame / 2);
                let alpha = (-1.0 / (INPUT_SMOOTHING_S * frames_per_s)).exp();
                ModeState::Adaptive {
                    tracker: MinimumStatistics::new(
                        frames.bins(),
                        (MINIMUM_WINDOW_S * frames_per_s).round() as usize,
                        alpha,
                    ),
                    frames,
                }
            }
        }
    }

    fn solve(
        &self,
        s: &mut LearnState,
        status: &LearnStatus,
    ) -> Option<(Vec<f32>, serde_json::Value)> {
        let ms = |samples: u64| (samples as f64 * 1000.0 / self.sample_rate) as u64;
        status.material_ms.store(ms(s.samples), Ordering::Relaxed);
        status.profile_ms.store(
            s.profile.as_ref().map_or(0, |p| ms(p.samples)),
            Ordering::Relaxed,
        );
        if s.fresh == 0 {
            return None;
        }
        let (taps, predicted_db) = match &s.state {
            ModeState::Idle => return None,
            ModeState::Reference(stats) => {
                let floor = 1e-6 * stats.input_energy();
                // Silent, or NaN.
                if stats.target_energy().partial_cmp(&floor) != Some(std::cmp::Ordering::Greater) {
                    status.set_note("Reference input is silent: route the clean signal to it");
                    return None;
                }
                let taps = stats.solve().ok()?;
                let db = stats.error_vs_bypass_db(&taps);
                (taps, db)
            }
            ModeState::NoiseProfile { input, .. } => {
                let Some(profile) = s.profile.as_ref().and_then(|p| p.spectrum.mean()) else {
                    status.set_note("Turn Learn on during a noise-only passage");
                    return None;
                };
                let px = input.mean()?;
                let factor = (PROFILE_FRAME / (2 * (px.len() - 1))).max(1);
                let pn = coarsen(&profile, factor);
                let design = s.designer.design(&px, &pn, s.taps, GAIN_FLOOR).ok()?;
                (design.taps, design.predicted_db)
            }
            ModeState::Adaptive { tracker, .. } => {
                let noise = tracker.noise()?;
                let design = s
                    .designer
                    .design(tracker.smoothed(), &noise, s.taps, GAIN_FLOOR)
                    .ok()?;
                (design.taps, design.predicted_db)
            }
        };
        status.set_note("");
        s.fresh = 0;
        status.solves.fetch_add(1, Ordering::Relaxed);
        status.predicted_centi_db.store(
            (predicted_db * 100.0).round() as i64 as u64,
            Ordering::Relaxed,
        );
        let metadata = serde_json::json!({
            "method": s.mode.name(),
            "material_seconds": s.samples as f64 / self.sample_rate,
            "predicted_error_vs_bypass_db": predicted_db,
        });
        Some((taps, metadata))
    }
}

#[cfg(test)]
mod tests;
