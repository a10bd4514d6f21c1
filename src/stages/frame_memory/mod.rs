//! Frame memory and frame order, in the audio callback. Frames of the streaming STFT go into a
//! memory allocated when the engine is built; two ways to use it:
//!
//! - **Segment** (`segment.rs`): the stream is cut into segments of N frames, and each plays back
//!   in the chosen order two segments later (one segment to fill it, one for the worker to find
//!   its order). The stage adds 2N hops of latency.
//! - **Capture** (`capture.rs`): the memory keeps the last L frames; the capture switch freezes
//!   it, and it plays as a looping texture in the chosen order until released, crossfaded in
//!   and out.
//!
//! Reverse and random orders are made here (seeded, in place). Similarity orders (PCA, t-SNE,
//! nearest-neighbour walk) come from the worker (`order_job.rs`): the stage computes each
//! frame's power mel spectrum as it stores it and hands the memory's mel rows over in a request
//! of its job slot. It never waits for the answer: an order that is not back in time is counted
//! as a miss and the last order plays instead. Offline, the engine runs requests inline, so
//! every order is in time.

mod capture;
mod order;
mod order_job;
mod segment;
mod status;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use realfft::num_complex::Complex32;

use crate::analysis::order::{Embedding, N_MELS};
use crate::dsp::mel::MelBank;
use crate::dsp::stft::FrameBuffers;
use crate::engine::job_slot::{JobSlot, Request};
use crate::engine::EngineShared;
use crate::params::{Choice, ParamId};
use crate::stages::frame_ops::FrameOpsSettings;
use crate::stages::phase::{PhaseRebuild, SegmentPhases};
use crate::stages::FrameStage;
use crate::worker::{Job, Worker};
use order::draw_order;
pub use order::{FrameOrder, FrameOrderSettings};
pub use order_job::{OrderKey, OrderWork};
pub use status::{EmbeddingView, ReorderStatus};

/// Most frames one memory holds: exact t-SNE's time and memory grow with the square of it.
pub const MAX_FRAMES: usize = 2048;
/// Most complex values the memory may hold over all its frames and channels (64 MB).
const MEMORY_BUDGET: usize = 8 << 20;
/// Crossfade of a capture in and out.
pub const CAPTURE_FADE_MS: f32 = 50.0;
/// Requests in circulation between the stage and the worker: one out, two orders waiting, one
/// playing (its segment's rebuilt phases are read while it plays).
const POOL: usize = 4;
/// Segment mode's memory in frames' worth of spectra: three segments, and each request's
/// magnitudes and phasors (half a spectrum and a spectrum).
const SEGMENT_COPIES: usize = 3 + 3 * POOL / 2;

crate::choice! {
    /// How the frame memory is used: the `reorder_mode` options.
    pub enum ReorderMode { Off = "Off", Segment = "Segment", Capture = "Capture" }
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

pub struct FrameMemory {
    mode: ReorderMode,
    pub settings: FrameOrderSettings,
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
    /// Analysis frames seen (Segment) or stored (Capture) since the start, and the stream's
    /// index of the first of them (segments lie on the timeline: segment s holds frames
    /// s·N to s·N + N − 1).
    written: u64,
    origin: u64,
    /// The order playing: `order[p]` is the frame played at position p.
    order: Vec<usize>,
    position: usize,
    /// Segments' orders back from the worker before their segments play (two can be waiting:
    /// segment s's and s+1's), at index s % 2.
    next: [Option<Box<Request<OrderWork>>>; 2],
    outgoing: Option<Box<Request<OrderWork>>>,
    jobs: JobSlot<OrderWork>,
    misses: u64,
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
    ordered_with: Option<FrameOrderSettings>,
    /// Requests made so far, and the one whose answer the frozen memory waits for.
    requests: u64,
    awaiting: Option<OrderKey>,
    miss_counted: bool,
    /// Counts the loops a frozen capture has played (a new capture or order is a new loop).
    loop_serial: u64,
    /// Where in its loop the frame just played lies, if it came from a steady loop.
    played: Option<LoopFrame>,
    /// Segment mode with the phase stage reconstructing: requests carry the segment's
    /// magnitudes, and the worker rebuilds its phases with `phase_iterations` of effort for
    /// frames going through the frame operations `ops` (the spectral stage keeps it current).
    rebuild_phases: bool,
    phase_iterations: usize,
    pub ops: FrameOpsSettings,
    /// The request of the segment playing, and where in it the frame just played lies.
    playing_segment: Option<Box<Request<OrderWork>>>,
    segment_position: Option<usize>,
}

/// A frame of a frozen capture that loops steadily (fully faded in, an order that repeats
/// every pass): the phase stage rebuilds such a loop in the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopFrame {
    pub position: usize,
    pub len: usize,
    /// Changes whenever the loop does (a new capture, a new order).
    pub serial: u64,
}

/// Where a memory lives: its mode and length, and the STFT it stores frames of.
#[derive(Clone, Copy, Debug)]
pub struct MemoryLayout {
    pub mode: ReorderMode,
    /// Segment or capture length in seconds.
    pub seconds: f32,
    pub sample_rate: f32,
    pub channels: usize,
    pub window: usize,
    pub hop: usize,
}

impl FrameMemory {
    /// A memory for `layout`; its order jobs return to engine stage `owner` and publish their
    /// embedding in `shared`. Allocates the memory: not for the audio thread.
    pub fn new(layout: MemoryLayout, owner: usize, shared: Arc<EngineShared>) -> Self {
        let MemoryLayout {
            mode,
            seconds,
            sample_rate,
            channels,
            window,
            hop,
        } = layout;
        let bins = window / 2 + 1;
        let (frames, slots) = match mode {
            ReorderMode::Off => (0, 0),
            ReorderMode::Segment => {
                let n = memory_frames(seconds, sample_rate, hop, channels, bins, SEGMENT_COPIES);
                (n, 3 * n)
            }
            ReorderMode::Capture => {
                let n = memory_frames(seconds, sample_rate, hop, channels, bins, 1);
                (n, n)
            }
        };
        let fade_frames = (CAPTURE_FADE_MS / 1000.0 * sample_rate / hop as f32).max(1.0);
        let pool = if mode == ReorderMode::Off { 0 } else { POOL };
        let seconds_per_frame = hop as f32 / sample_rate;
        Self {
            mode,
            settings: FrameOrderSettings::default(),
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
            origin: 0,
            order: (0..frames).collect(),
            position: 0,
            next: [None, None],
            outgoing: None,
            jobs: JobSlot::new(owner, pool, || {
                let segment = (mode == ReorderMode::Segment)
                    .then(|| SegmentPhases::new(channels, window, hop, frames));
                OrderWork::new(frames, shared.clone(), seconds_per_frame, segment)
            }),
            misses: 0,
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
            loop_serial: 0,
            played: None,
            rebuild_phases: false,
            phase_iterations: 0,
            ops: FrameOpsSettings::default(),
            playing_segment: None,
            segment_position: None,
        }
    }

    /// Where the frame just played lies in a steady loop, if it does.
    pub fn looping(&self) -> Option<LoopFrame> {
        self.played
    }

    /// The rebuilt phases of the segment playing and where the frame just played lies in it.
    pub fn segment_playing(&self) -> Option<(&SegmentPhases, usize)> {
        let request = self.playing_segment.as_ref()?;
        request.work.segment.as_ref().zip(self.segment_position)
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

    /// Hands the worker what the memory asks for, if anything. Called at the start of each
    /// chunk, which is also when a capture begins, so offline its order is in before the first
    /// captured frame.
    pub fn submit(&mut self, worker: &Worker) {
        if let Some(request) = self.take_request() {
            let key = request.work.key;
            if !self.jobs.submit(request, worker) && self.awaiting == Some(key) {
                // A capture asks again at the next chunk.
                self.awaiting = None;
                self.ordered_with = None;
            }
        }
    }

    /// What to hand the worker, if anything (see `submit`).
    fn take_request(&mut self) -> Option<Box<Request<OrderWork>>> {
        if self.mode == ReorderMode::Capture {
            self.service_capture();
        }
        self.outgoing.take()
    }

    /// Takes in an order from the worker.
    pub fn receive(&mut self, job: Box<dyn Job>) {
        let Some(result) = self.jobs.receive(job) else {
            return;
        };
        let key = result.work.key;
        match self.mode {
            ReorderMode::Capture if self.awaiting == Some(key) => {
                // A capture's order is used as soon as it is in, from its start.
                self.awaiting = None;
                self.adopt(&result.work.order, self.frozen_len);
                self.position = 0;
                self.loop_serial += 1;
                self.jobs.recycle(result);
            }
            ReorderMode::Segment if !key.capture => {
                if let Some(old) = self.next[(key.index % 2) as usize].replace(result) {
                    self.jobs.recycle(old);
                }
            }
            _ => self.jobs.recycle(result),
        }
    }

    /// Makes `order` the order playing, if it is one of `len` frames.
    fn adopt(&mut self, order: &[usize], len: usize) {
        if order.len() == len && order.iter().all(|i| *i < len) {
            self.order[..len].copy_from_slice(order);
        }
    }

    /// Publishes the memory's figures.
    pub fn publish(&self, status: &ReorderStatus, seconds_per_frame: f32) {
        use std::sync::atomic::Ordering::Relaxed;
        status.frames.store(self.frames as u32, Relaxed);
        status
            .seconds
            .store(self.frames as f32 * seconds_per_frame, Relaxed);
        status.misses.store(self.misses, Relaxed);
        status.capturing.store(self.frozen, Relaxed);
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
        let Some(mut request) = self.jobs.take() else {
            return false;
        };
        for i in 0..frames {
            let slot = (start + i) % self.slots;
            request.work.mel[i * N_MELS..(i + 1) * N_MELS]
                .copy_from_slice(&self.mel[slot * N_MELS..(slot + 1) * N_MELS]);
        }
        request.work.key = key;
        request.work.frames = frames;
        request.work.settings = self.settings;
        if let Some(segment) = &mut request.work.segment {
            segment.wanted = self.rebuild_phases && !key.capture;
            if segment.wanted {
                segment.start(frames);
                segment.iterations = self.phase_iterations;
                segment.ops = self.ops;
                // Segment s plays two segments after it was recorded.
                segment.first_frame = (key.index + 2) * self.frames as u64;
                for i in 0..frames {
                    let slot = (start + i) % self.slots;
                    for ch in 0..self.channels {
                        segment.record(ch, i, &self.spectra[self.slot_range(slot, ch)]);
                    }
                }
            }
        }
        if let Some(replaced) = self.outgoing.replace(request) {
            // Not reached: requests leave at every chunk start.
            debug_assert!(false, "order request not collected");
            self.jobs.recycle(replaced);
        }
        true
    }
}

impl FrameStage for FrameMemory {
    /// Takes the parameters of the order and the capture switch (and the seed).
    fn set(&mut self, id: ParamId, value: f32) {
        let index = value.round() as usize;
        let similarity = &mut self.settings.similarity;
        match id {
            ParamId::ReorderOrder => {
                self.settings.order = FrameOrder::from_index(index);
                similarity.embedding = self.settings.order.embedding().unwrap_or(Embedding::Pca);
            }
            ParamId::ReorderWeighting => similarity.weighting = Choice::from_index(index),
            ParamId::ReorderPerplexity => similarity.perplexity = index as f64,
            ParamId::ReorderTsne => similarity.tsne_method = Choice::from_index(index),
            ParamId::ReorderNeighbours => similarity.neighbours = index,
            ParamId::SpecSeed => similarity.seed = index as u64,
            ParamId::ReorderCapture => self.capture = value >= 0.5,
            ParamId::PhaseMode => {
                self.rebuild_phases = PhaseRebuild::from_index(index) == PhaseRebuild::Reconstruct
            }
            ParamId::PhaseIterations => self.phase_iterations = index,
            _ => {}
        }
    }

    /// In Segment mode the segment that `frame` falls in has begun: its frames before the
    /// start are silence, as a new memory holds (a DAW's timeline before a region, or the
    /// place the playhead jumped to).
    fn locate(&mut self, frame: u64) {
        self.origin = frame;
        if self.mode == ReorderMode::Segment {
            let begun = frame - frame % self.frames as u64;
            for a in begun..frame {
                let slot = (a % self.slots as u64) as usize;
                let size = self.channels * self.bins;
                self.spectra[slot * size..(slot + 1) * size].fill(Complex32::default());
                self.mel[slot * N_MELS..(slot + 1) * N_MELS].fill(0.0);
            }
        }
    }

    /// Back to an empty memory. Orders waiting to be used go back to the pool; orders still
    /// with the worker are stale when they come back.
    fn reset(&mut self) {
        self.written = 0;
        self.origin = 0;
        self.position = 0;
        self.frozen = false;
        self.gain = 0.0;
        self.ordered_with = None;
        self.awaiting = None;
        self.played = None;
        self.segment_position = None;
        self.jobs.supersede();
        let held = [
            self.next[0].take(),
            self.next[1].take(),
            self.playing_segment.take(),
        ];
        for request in held.into_iter().flatten() {
            self.jobs.recycle(request);
        }
    }

    /// Runs one frame (all channels) through the stage.
    fn apply(&mut self, frame: &mut FrameBuffers) {
        match self.mode {
            ReorderMode::Off => {}
            ReorderMode::Segment => self.segment_frame(frame),
            ReorderMode::Capture => self.capture_frame(frame),
        }
    }
}
