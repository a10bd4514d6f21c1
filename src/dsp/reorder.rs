//! Frame memory and frame order, in the audio callback. Frames of the streaming STFT go into a
//! memory allocated when the engine is built; two ways to use it:
//!
//! - **Segment**: the stream is cut into segments of N frames, and each plays back in the chosen
//!   order two segments later (one segment to fill it, one for the worker to find its order). The
//!   stage adds 2N hops of latency.
//! - **Capture**: the memory keeps the last L frames; the capture switch freezes it, and it plays
//!   as a looping texture in the chosen order until released, crossfaded in and out.
//!
//! Reverse and random orders are made here (seeded, in place). Similarity orders (PCA, t-SNE,
//! nearest-neighbour walk) come from the worker: the stage computes each frame's power mel
//! spectrum as it stores it and hands the memory's mel rows over in an `OrderRequest`. It never
//! waits for the answer: an order that is not back in time is counted as a miss and the last
//! order plays instead. Offline, the engine runs requests inline, so every order is in time.

use rand::{Rng, SeedableRng};
use realfft::num_complex::Complex32;

use super::stft::FrameBuffers;
use crate::learn::features::{mel_db, MelBank, Weighting};
use crate::learn::tsne::TsneMethod;
use crate::reorder::{order_frames, Embedding, ReorderSettings, N_MELS};

/// Most frames one memory holds: exact t-SNE's time and memory grow with the square of it.
pub const MAX_FRAMES: usize = 2048;
/// Most complex values the memory may hold over all its frames and channels (64 MB).
const MEMORY_BUDGET: usize = 8 << 20;
/// Crossfade of a capture in and out.
pub const CAPTURE_FADE_MS: f32 = 50.0;
/// Mel buffers in circulation between the stage and the worker.
const POOL: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReorderMode {
    Off,
    Segment,
    Capture,
}

impl ReorderMode {
    /// The mode of a `reorder_mode` plain value.
    pub fn from_index(index: usize) -> Self {
        match index {
            1 => ReorderMode::Segment,
            2 => ReorderMode::Capture,
            _ => ReorderMode::Off,
        }
    }
}

/// In the order of the `reorder_order` names (`param_spec::FRAME_ORDERS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameOrder {
    Reverse,
    /// A seeded random permutation, drawn afresh for each segment or pass of a capture.
    Random,
    Pca,
    Tsne,
    /// A nearest-neighbour walk that plays every frame once.
    Walk,
}

impl FrameOrder {
    /// The order of a `reorder_order` plain value.
    pub fn from_index(index: usize) -> Self {
        match index {
            0 => FrameOrder::Reverse,
            1 => FrameOrder::Random,
            3 => FrameOrder::Tsne,
            4 => FrameOrder::Walk,
            _ => FrameOrder::Pca,
        }
    }

    /// The orders the worker computes from the frames' features.
    fn embedding(self) -> Option<Embedding> {
        match self {
            FrameOrder::Reverse | FrameOrder::Random => None,
            FrameOrder::Pca => Some(Embedding::Pca),
            FrameOrder::Tsne => Some(Embedding::Tsne),
            FrameOrder::Walk => Some(Embedding::Walk),
        }
    }
}

/// How frames are ordered (the live parameters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderSettings {
    pub order: FrameOrder,
    pub weighting: Weighting,
    pub perplexity: u32,
    pub tsne_method: TsneMethod,
    pub neighbours: u32,
    pub seed: u32,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            order: FrameOrder::Pca,
            weighting: Weighting::None,
            perplexity: 30,
            tsne_method: TsneMethod::BarnesHut,
            neighbours: 5,
            seed: 0,
        }
    }
}

/// Which memory an order is for: a segment or a capture, in this run of the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    run: u32,
    capture: bool,
    index: u64,
}

/// The worker's task: order `frames` frames from their power mel spectra. Requests are made
/// when the stage is built and travel back inside their results, so asking allocates nothing.
pub struct OrderRequest {
    pub key: OrderKey,
    pub frames: usize,
    /// `frames` rows of `N_MELS` mel powers (the buffer may be longer).
    mel: Box<[f32]>,
    pub settings: OrderSettings,
}

/// The answer: the order, the embedding behind it, and the request to reuse.
pub struct OrderResult {
    pub key: OrderKey,
    pub order: Vec<usize>,
    /// Each frame's 1-D coordinate (for the walk: its position in the walk).
    pub embedding: Vec<f64>,
    request: Option<Box<OrderRequest>>,
}

impl OrderRequest {
    /// Runs on the worker: mel-dB features with the chosen weighting, then the order.
    pub fn run(self: Box<Self>) -> Box<OrderResult> {
        let rows: Vec<Vec<f64>> = self
            .mel
            .chunks(N_MELS)
            .take(self.frames)
            .map(|row| row.iter().map(|v| *v as f64).collect())
            .collect();
        let s = self.settings;
        let settings = ReorderSettings {
            embedding: s.order.embedding().unwrap_or(Embedding::Pca),
            weighting: s.weighting,
            perplexity: s.perplexity as f64,
            tsne_method: s.tsne_method,
            neighbours: s.neighbours as usize,
            memory: usize::MAX,
            seed: s.seed as u64,
            ..Default::default()
        };
        let (order, mut embedding) = order_frames(&mel_db(rows, s.weighting), &settings);
        if embedding.is_empty() {
            embedding = vec![0.0; order.len()];
            for (position, frame) in order.iter().enumerate() {
                embedding[*frame] = position as f64;
            }
        }
        Box::new(OrderResult {
            key: self.key,
            order,
            embedding,
            request: Some(self),
        })
    }
}

/// Frames one memory holds for `seconds` of audio at this layout, within `MAX_FRAMES` and the
/// memory budget (`copies` memories of that size are kept).
pub fn memory_frames(
    seconds: f32,
    sample_rate: f32,
    hop: usize,
    channels: usize,
    bins: usize,
    copies: usize,
) -> usize {
    let asked = (seconds * sample_rate / hop as f32).round().max(1.0) as usize;
    let budget = (MEMORY_BUDGET / (channels * bins * copies)).max(1);
    asked.min(MAX_FRAMES).min(budget)
}

pub struct ReorderStage {
    mode: ReorderMode,
    pub settings: OrderSettings,
    /// The capture switch (Capture mode).
    pub capture: bool,
    channels: usize,
    bins: usize,
    /// Frames per segment, or frames a capture holds.
    frames: usize,
    /// Frame slots in memory: three segments, or one capture.
    slots: usize,
    spectra: Vec<Complex32>,
    mel: Vec<f32>,
    bank: MelBank,
    power: Vec<f32>,
    /// Analysis frames seen (Segment) or stored (Capture) since the start.
    written: u64,
    /// The order playing: `order[p]` is the frame played at position p.
    order: Vec<usize>,
    position: usize,
    /// Segments' orders back from the worker before their segments play (two can be waiting:
    /// segment s's and s+1's), at index s % 2.
    next: [Option<Box<OrderResult>>; 2],
    outgoing: Option<Box<OrderRequest>>,
    /// Orders used up, for the engine to hand to the worker to free (a reset can leave two).
    spent: [Option<Box<OrderResult>>; 2],
    /// Boxed, because requests travel to the worker and back as boxes.
    #[allow(clippy::vec_box)]
    pool: Vec<Box<OrderRequest>>,
    misses: u64,
    run: u32,
    // Capture.
    frozen: bool,
    /// Share of the captured texture in the output, 0 to 1.
    gain: f32,
    fade_step: f32,
    /// Captures so far (they seed random orders), and passes through the current one.
    captures: u64,
    passes: u64,
    /// Oldest frame of the frozen memory and how many it holds.
    frozen_start: usize,
    frozen_len: usize,
    /// The settings the frozen memory's order was made with or asked with.
    ordered_with: Option<OrderSettings>,
    /// Requests made so far, and the one whose answer the frozen memory waits for.
    requests: u64,
    awaiting: Option<OrderKey>,
    miss_counted: bool,
}

impl ReorderStage {
    /// A stage for `channels` channels of `window`-sample frames every `hop` samples; `seconds`
    /// is the segment or capture length. Allocates the memory: not for the audio thread.
    pub fn new(
        mode: ReorderMode,
        seconds: f32,
        sample_rate: f32,
        channels: usize,
        window: usize,
        hop: usize,
    ) -> Self {
        let bins = window / 2 + 1;
        let (frames, slots) = match mode {
            ReorderMode::Off => (0, 0),
            ReorderMode::Segment => {
                let n = memory_frames(seconds, sample_rate, hop, channels, bins, 3);
                (n, 3 * n)
            }
            ReorderMode::Capture => {
                let n = memory_frames(seconds, sample_rate, hop, channels, bins, 1);
                (n, n)
            }
        };
        let fade_frames = (CAPTURE_FADE_MS / 1000.0 * sample_rate / hop as f32).max(1.0);
        let used = mode != ReorderMode::Off;
        Self {
            mode,
            settings: OrderSettings::default(),
            capture: false,
            channels,
            bins,
            frames,
            slots,
            spectra: vec![Complex32::default(); slots * channels * bins],
            mel: vec![0.0; slots * N_MELS],
            bank: MelBank::new(sample_rate as f64, window, N_MELS),
            power: vec![0.0; bins],
            written: 0,
            order: (0..frames).collect(),
            position: 0,
            next: [None, None],
            outgoing: None,
            spent: [None, None],
            pool: (0..if used { POOL } else { 0 })
                .map(|_| {
                    Box::new(OrderRequest {
                        key: OrderKey {
                            run: 0,
                            capture: false,
                            index: 0,
                        },
                        frames: 0,
                        mel: vec![0.0; frames * N_MELS].into_boxed_slice(),
                        settings: OrderSettings::default(),
                    })
                })
                .collect(),
            misses: 0,
            run: 0,
            frozen: false,
            gain: 0.0,
            fade_step: 1.0 / fade_frames,
            captures: 0,
            passes: 0,
            frozen_start: 0,
            frozen_len: 0,
            ordered_with: None,
            requests: 0,
            awaiting: None,
            miss_counted: false,
        }
    }

    /// Frames per segment or capture.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Frames of delay the stage adds (Segment mode: two segments).
    pub fn latency_frames(&self) -> usize {
        match self.mode {
            ReorderMode::Segment => 2 * self.frames,
            _ => 0,
        }
    }

    /// Orders that were not back from the worker when their frames began to play.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// True while a captured texture is heard.
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Back to an empty memory. An order waiting to be used becomes spent; orders still with the
    /// worker are recognised as stale when they come back.
    pub fn reset(&mut self) {
        self.written = 0;
        self.position = 0;
        self.frozen = false;
        self.gain = 0.0;
        self.ordered_with = None;
        self.awaiting = None;
        self.run = self.run.wrapping_add(1);
        for i in 0..2 {
            if let Some(next) = self.next[i].take() {
                self.retire(next);
            }
        }
    }

    /// What to hand the worker, if anything. Called at the start of each chunk, which is also
    /// when a capture begins, so offline its order is in before the first captured frame.
    pub fn take_request(&mut self) -> Option<Box<OrderRequest>> {
        if self.mode == ReorderMode::Capture {
            self.service_capture();
        }
        self.outgoing.take()
    }

    /// A request the worker could not take goes back to the pool; a capture asks again at the
    /// next chunk.
    pub fn refused(&mut self, request: Box<OrderRequest>) {
        if self.awaiting == Some(request.key) {
            self.awaiting = None;
            self.ordered_with = None;
        }
        self.recycle(request);
    }

    fn recycle(&mut self, request: Box<OrderRequest>) {
        if self.pool.len() < self.pool.capacity() {
            self.pool.push(request);
        } else {
            // Not reached: only the pool's own requests circulate.
            debug_assert!(false, "order request pool overflow");
            std::mem::forget(request);
        }
    }

    /// Something for the caller to hand to the worker to free.
    pub fn take_spent(&mut self) -> Option<Box<OrderResult>> {
        self.spent.iter_mut().find_map(Option::take)
    }

    /// Takes in an order from the worker; returns what is no longer needed, to be freed
    /// elsewhere.
    pub fn receive(&mut self, mut result: Box<OrderResult>) -> Option<Box<OrderResult>> {
        if let Some(request) = result.request.take() {
            self.recycle(request);
        }
        match self.mode {
            ReorderMode::Capture if self.awaiting == Some(result.key) => {
                // A capture's order is used as soon as it is in, from its start.
                self.awaiting = None;
                self.adopt(&result.order, self.frozen_len);
                self.position = 0;
                Some(result)
            }
            ReorderMode::Segment if result.key.run == self.run && !result.key.capture => {
                self.next[(result.key.index % 2) as usize].replace(result)
            }
            _ => Some(result),
        }
    }

    /// Makes `order` the order playing, if it is one of `len` frames.
    fn adopt(&mut self, order: &[usize], len: usize) {
        if order.len() == len && order.iter().all(|i| *i < len) {
            self.order[..len].copy_from_slice(order);
        }
    }

    /// Keeps `spent` for the caller to free (see `take_spent`), which it does after every chunk
    /// and every reset.
    fn retire(&mut self, spent: Box<OrderResult>) {
        match self.spent.iter_mut().find(|s| s.is_none()) {
            Some(free) => *free = Some(spent),
            None => {
                // Not reached (a chunk starts at most one segment). Leaking beats freeing here.
                debug_assert!(false, "spent orders not collected");
                std::mem::forget(spent);
            }
        }
    }

    /// Runs one frame (all channels) through the stage.
    pub fn apply(&mut self, frame: &mut FrameBuffers) {
        match self.mode {
            ReorderMode::Off => {}
            ReorderMode::Segment => self.segment_frame(frame),
            ReorderMode::Capture => self.capture_frame(frame),
        }
    }

    fn slot_range(&self, slot: usize, ch: usize) -> std::ops::Range<usize> {
        let start = (slot * self.channels + ch) * self.bins;
        start..start + self.bins
    }

    /// Stores the frame in `slot` with the power mel spectrum of its channels' mean.
    fn store(&mut self, frame: &mut FrameBuffers, slot: usize) {
        let channels = frame.channels().min(self.channels);
        for ch in 0..channels {
            let range = self.slot_range(slot, ch);
            self.spectra[range].copy_from_slice(frame.channel(ch));
        }
        let (base, bins, scale) = (
            slot * self.channels * self.bins,
            self.bins,
            1.0 / channels as f32,
        );
        for (k, p) in self.power.iter_mut().enumerate() {
            let sum: Complex32 = (0..channels)
                .map(|ch| self.spectra[base + ch * bins + k])
                .sum();
            *p = (sum * scale).norm_sqr();
        }
        let mel = &mut self.mel[slot * N_MELS..(slot + 1) * N_MELS];
        self.bank.apply(&self.power, mel);
    }

    /// Replaces the frame by memory slot `slot`, or mixes it in with share `gain`.
    fn play(&mut self, frame: &mut FrameBuffers, slot: usize, gain: f32) {
        for ch in 0..frame.channels().min(self.channels) {
            let stored = &self.spectra[self.slot_range(slot, ch)];
            let spectrum = frame.channel(ch);
            if gain >= 1.0 {
                spectrum.copy_from_slice(stored);
            } else {
                for (c, s) in spectrum.iter_mut().zip(stored) {
                    *c += (s - *c) * gain;
                }
            }
        }
    }

    /// Asks the worker to order the `frames` frames starting at slot `start` (wrapping).
    fn request(&mut self, key: OrderKey, start: usize, frames: usize) -> bool {
        let Some(mut request) = self.pool.pop() else {
            return false;
        };
        for i in 0..frames {
            let slot = (start + i) % self.slots;
            request.mel[i * N_MELS..(i + 1) * N_MELS]
                .copy_from_slice(&self.mel[slot * N_MELS..(slot + 1) * N_MELS]);
        }
        request.key = key;
        request.frames = frames;
        request.settings = self.settings;
        if let Some(replaced) = self.outgoing.replace(request) {
            // Not reached: requests leave at every chunk start.
            debug_assert!(false, "order request not collected");
            self.recycle(replaced);
        }
        true
    }

    /// Fills `order[..len]` with a reverse or seeded random order; false for similarity orders.
    fn draw_order(&mut self, len: usize, draw: u64) -> bool {
        let order = &mut self.order[..len];
        match self.settings.order {
            FrameOrder::Reverse => {
                for (i, o) in order.iter_mut().enumerate() {
                    *o = len - 1 - i;
                }
                true
            }
            FrameOrder::Random => {
                let key = (self.settings.seed as u64) << 40 ^ draw.wrapping_mul(0x9e37_79b9);
                let mut rng = rand::rngs::StdRng::seed_from_u64(key);
                for (i, o) in order.iter_mut().enumerate() {
                    *o = i;
                }
                for i in (1..len).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                true
            }
            _ => false,
        }
    }

    fn segment_frame(&mut self, frame: &mut FrameBuffers) {
        let n = self.frames;
        let a = self.written;
        self.store(frame, (a % self.slots as u64) as usize);
        self.written += 1;
        let segment = a / n as u64;
        if (a + 1).is_multiple_of(n as u64) && self.settings.order.embedding().is_some() {
            let key = OrderKey {
                run: self.run,
                capture: false,
                index: segment,
            };
            let start = (segment % 3) as usize * n;
            self.request(key, start, n);
        }
        if segment < 2 {
            // The first two segments are the stage's latency: silence.
            for ch in 0..frame.channels() {
                frame.channel(ch).fill(Complex32::default());
            }
            return;
        }
        let playing = segment - 2;
        let position = (a % n as u64) as usize;
        if position == 0 {
            self.start_segment(playing);
        }
        let slot = (playing % 3) as usize * n + self.order[position];
        self.play(frame, slot, 1.0);
    }

    /// Picks the order of segment `index` as it starts to play.
    fn start_segment(&mut self, index: u64) {
        if self.draw_order(self.frames, index) {
            return;
        }
        let wanted = OrderKey {
            run: self.run,
            capture: false,
            index,
        };
        let next = self.next[(index % 2) as usize].take();
        if next.as_ref().is_some_and(|n| n.key == wanted) {
            if let Some(next) = &next {
                self.adopt(&next.order, self.frames);
            }
        } else {
            // Not back in time (or never asked for): the last order plays again.
            self.misses += 1;
        }
        if let Some(next) = next {
            self.retire(next);
        }
    }

    /// At a chunk start: freezes the memory when the switch turns on, and orders the frozen
    /// memory again when the settings change.
    fn service_capture(&mut self) {
        if self.capture && !self.frozen && self.written > 0 {
            // The last `frames` frames, or every frame so far; oldest first.
            self.frozen = true;
            self.captures += 1;
            self.passes = 0;
            self.position = 0;
            self.ordered_with = None;
            self.frozen_len = (self.written as usize).min(self.slots);
            self.frozen_start = (self.written as usize + self.slots - self.frozen_len) % self.slots;
            self.order[..self.frozen_len]
                .iter_mut()
                .enumerate()
                .for_each(|(i, o)| *o = i);
        }
        if !(self.frozen && self.capture) || self.ordered_with == Some(self.settings) {
            return;
        }
        self.ordered_with = Some(self.settings);
        self.awaiting = None;
        if self.draw_order(self.frozen_len, self.captures << 32) {
            return;
        }
        self.requests += 1;
        let key = OrderKey {
            run: self.run,
            capture: true,
            index: self.requests,
        };
        self.miss_counted = false;
        if self.request(key, self.frozen_start, self.frozen_len) {
            self.awaiting = Some(key);
        } else {
            self.misses += 1;
        }
    }

    fn capture_frame(&mut self, frame: &mut FrameBuffers) {
        if self.frozen {
            self.gain = if self.capture {
                (self.gain + self.fade_step).min(1.0)
            } else {
                self.gain - self.fade_step
            };
            if self.gain <= 0.0 {
                self.gain = 0.0;
                self.frozen = false;
            }
        }
        if !self.frozen {
            let slot = (self.written % self.slots as u64) as usize;
            self.store(frame, slot);
            self.written += 1;
            return;
        }
        if self.awaiting.is_some() && !self.miss_counted {
            // Playing before its order is back: the last order plays meanwhile.
            self.misses += 1;
            self.miss_counted = true;
        }
        let slot = (self.frozen_start + self.order[self.position]) % self.slots;
        self.play(frame, slot, self.gain);
        self.position += 1;
        if self.position == self.frozen_len {
            self.position = 0;
            self.passes += 1;
            if self.settings.order == FrameOrder::Random {
                self.draw_order(self.frozen_len, self.captures << 32 | self.passes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BINS: usize = 33;

    /// A stage whose memory holds `frames` frames of 64-sample windows (hop 16 at 1 kHz: a frame
    /// every 16 ms).
    fn stage(mode: ReorderMode, frames: usize, order: FrameOrder) -> ReorderStage {
        let mut stage = ReorderStage::new(mode, frames as f32 * 0.016, 1000.0, 2, 64, 16);
        assert_eq!(stage.frames(), frames);
        stage.settings.order = order;
        stage
    }

    /// Frame `f` of a test stream: a spectrum that names the frame, and differs per channel and
    /// (for similarity orders) in shape: frames 0, 2, 4, ... are low, the others high.
    fn frame(f: usize) -> FrameBuffers {
        let mut frame = FrameBuffers::new(2, BINS);
        for ch in 0..2 {
            let spectrum = frame.channel(ch);
            let band = if f.is_multiple_of(2) { 2..6 } else { 20..26 };
            for k in band {
                spectrum[k] = Complex32::new(1.0 + f as f32, ch as f32);
            }
        }
        frame
    }

    /// Which input frame an output frame is, or None for silence.
    fn name(frame: &mut FrameBuffers) -> Option<usize> {
        let spectrum = frame.channel(0);
        let peak = spectrum.iter().map(|c| c.re).fold(0.0f32, f32::max);
        (peak > 0.0).then(|| (peak - 1.0).round() as usize)
    }

    /// Runs `count` frames through, doing the engine's chores (and the worker's, inline) at
    /// every frame; returns the names of the output frames.
    fn run(
        stage: &mut ReorderStage,
        from: usize,
        count: usize,
        worker: bool,
    ) -> Vec<Option<usize>> {
        (from..from + count)
            .map(|f| {
                if let Some(request) = stage.take_request() {
                    if worker {
                        stage.receive(request.run());
                    }
                }
                let mut frame = frame(f);
                stage.apply(&mut frame);
                drop(stage.take_spent());
                name(&mut frame)
            })
            .collect()
    }

    #[test]
    fn segments_play_reversed_two_segments_late() {
        let n = 5;
        let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Reverse);
        assert_eq!(stage.latency_frames(), 2 * n);
        let out = run(&mut stage, 0, 6 * n, false);
        assert!(out[..2 * n].iter().all(Option::is_none));
        for (a, played) in out.iter().enumerate().skip(2 * n) {
            let segment = a / n - 2;
            assert_eq!(*played, Some(segment * n + (n - 1 - a % n)), "frame {a}");
        }
        assert_eq!(stage.misses(), 0);
    }

    #[test]
    fn every_order_plays_each_frame_of_a_segment_once() {
        let n = 8;
        for order in [
            FrameOrder::Reverse,
            FrameOrder::Random,
            FrameOrder::Pca,
            FrameOrder::Tsne,
            FrameOrder::Walk,
        ] {
            let mut stage = stage(ReorderMode::Segment, n, order);
            stage.settings.perplexity = 3;
            let out = run(&mut stage, 0, 5 * n, true);
            for segment in 0..3 {
                let mut played: Vec<usize> = out[(segment + 2) * n..(segment + 3) * n]
                    .iter()
                    .map(|p| p.unwrap())
                    .collect();
                played.sort();
                let expected: Vec<usize> = (segment * n..(segment + 1) * n).collect();
                assert_eq!(played, expected, "{order:?} segment {segment}");
            }
            assert_eq!(stage.misses(), 0, "{order:?}");
            if order == FrameOrder::Pca {
                // Low and high frames are the two ends of the first principal axis.
                let first: Vec<usize> = out[2 * n..3 * n].iter().map(|p| p.unwrap() % 2).collect();
                let changes = first.windows(2).filter(|w| w[0] != w[1]).count();
                assert_eq!(changes, 1, "{first:?}");
            }
        }
    }

    #[test]
    fn a_late_order_is_a_miss_and_the_last_order_plays() {
        let n = 4;
        let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Pca);
        // No worker: every segment misses and plays the starting (time) order.
        let out = run(&mut stage, 0, 5 * n, false);
        assert_eq!(stage.misses(), 3);
        let expected: Vec<Option<usize>> = (0..3 * n).map(Some).collect();
        assert_eq!(out[2 * n..], expected[..]);
    }

    #[test]
    fn a_capture_loops_its_memory_and_fades_in_and_out() {
        let n = 6;
        let mut stage = stage(ReorderMode::Capture, n, FrameOrder::Reverse);
        stage.fade_step = 0.5;
        let live = run(&mut stage, 0, 10, false);
        assert_eq!(live, (0..10).map(Some).collect::<Vec<_>>());
        stage.capture = true;
        let mut frame = frame(10);
        stage.take_request();
        stage.apply(&mut frame);
        // Half live frame 10 (low bins), half the newest frame (9, high bins) of memory 4..=9
        // played backwards.
        let spectrum = frame.channel(0);
        assert!((spectrum[2].re - 0.5 * 11.0).abs() < 1e-5);
        assert!((spectrum[20].re - 0.5 * 10.0).abs() < 1e-5);
        let frozen = run(&mut stage, 11, 2 * n, false);
        let lap: Vec<Option<usize>> = (4..10).rev().map(Some).collect();
        assert_eq!(frozen[..n - 1], lap[1..]);
        assert_eq!(frozen[n - 1..2 * n - 1], lap[..]);
        stage.capture = false;
        let released = run(&mut stage, 30, 4, false);
        // One frame at half level, then live again, recording from there.
        assert_eq!(released[1..], [Some(31), Some(32), Some(33)]);
        assert!(!stage.is_frozen());
    }

    #[test]
    fn a_capture_asks_the_worker_and_uses_the_order_once_it_is_in() {
        let n = 8;
        let mut stage = stage(ReorderMode::Capture, n, FrameOrder::Pca);
        stage.fade_step = 1.0;
        run(&mut stage, 0, n, false);
        stage.capture = true;
        let request = stage.take_request().expect("a capture asks for its order");
        assert_eq!(request.frames, n);
        // Before the order is in: time order, counted as one miss.
        let waiting = run(&mut stage, n, 3, false);
        assert_eq!(waiting, [Some(0), Some(1), Some(2)]);
        assert_eq!(stage.misses(), 1);
        let spent = stage.receive(request.run());
        assert!(spent.is_some());
        let ordered = run(&mut stage, n + 3, n, false);
        let parity: Vec<usize> = ordered.iter().map(|p| p.unwrap() % 2).collect();
        assert_eq!(
            parity.windows(2).filter(|w| w[0] != w[1]).count(),
            1,
            "{parity:?}"
        );
        // A new order setting orders the frozen memory again.
        stage.settings.order = FrameOrder::Walk;
        assert!(stage.take_request().is_some());
        assert_eq!(stage.misses(), 1);
    }

    #[test]
    fn a_reset_empties_the_memory_and_orders_still_out_are_not_used() {
        let n = 4;
        let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Pca);
        run(&mut stage, 0, 3 * n, true);
        // Segment 2's order is out, segment 1's waits, when the host resets.
        let request = stage.take_request().expect("segment 2 asks for its order");
        stage.reset();
        assert!(
            stage.take_spent().is_some(),
            "segment 1's order is handed back"
        );
        assert!(
            stage.receive(request.run()).is_some(),
            "a stale order is refused"
        );
        let out = run(&mut stage, 100, 3 * n, true);
        assert!(out[..2 * n].iter().all(Option::is_none), "{out:?}");
        let mut played: Vec<usize> = out[2 * n..].iter().map(|p| p.unwrap()).collect();
        played.sort();
        assert_eq!(played, (100..100 + n).collect::<Vec<_>>());
    }

    #[test]
    fn orders_and_their_parameter_values_correspond() {
        for i in 0..crate::param_spec::FRAME_ORDERS.len() {
            assert_eq!(FrameOrder::from_index(i) as usize, i);
        }
    }

    #[test]
    fn the_memory_fits_the_budget() {
        // 8 s of 16384-point frames every 1024 samples, stereo, three segments.
        let frames = memory_frames(8.0, 48000.0, 1024, 2, 8193, 3);
        assert!(frames * 3 * 2 * 8193 <= MEMORY_BUDGET, "{frames}");
        assert_eq!(memory_frames(1.0, 48000.0, 512, 2, 1025, 3), 94);
        assert_eq!(memory_frames(100.0, 48000.0, 16, 1, 129, 1), MAX_FRAMES);
    }
}
