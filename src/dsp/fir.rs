//! The denoise stage's per-channel FIR filter, y(n) = sum_k h(k) x(n-k), with zero latency for
//! 1 to `MAX_TAPS` taps.
//!
//! The first `PARTITION` taps run in direct form, sample by sample. The rest are cut into
//! partitions of `PARTITION` taps, convolved by uniformly partitioned overlap-save (FFT size
//! 2 x `PARTITION`) from a frequency-domain delay line of past input blocks: each partition only
//! needs input at least one block old, so the whole tail for the next block is ready when the
//! current block ends. Cost per sample is `PARTITION` multiply-adds plus one FFT, one inverse FFT
//! and P complex multiply-adds per block of `PARTITION` samples, so it grows far slower than the
//! tap count.
//!
//! New taps are crossfaded in (old and new filters run side by side for a fade the caller chooses,
//! `FADE_MS` by default) so swapping them never clicks.
//!
//! The identity, when not fading, is skipped: the input passes as it is and only its blocks are
//! kept, so the spectra a later filter needs are made when it is installed.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::dsp::wide::with_avx;

/// Longest filter the stage accepts.
pub const MAX_TAPS: usize = 16384;
/// Taps per partition; also the direct-form head's length and the FFT block.
pub const PARTITION: usize = 128;
const FFT_LEN: usize = 2 * PARTITION;
const BINS: usize = PARTITION + 1;
const MAX_PARTITIONS: usize = MAX_TAPS / PARTITION;
/// Crossfade of a filter swap unless the caller asks for another.
pub const FADE_MS: f32 = 20.0;

/// A filter ready for the audio thread: the head reversed (so each output is a forward dot product
/// over the most recent input) and the spectra of the tail partitions, scaled for the inverse FFT.
#[derive(Clone, Debug, PartialEq)]
pub struct FirKernel {
    len: usize,
    head: Vec<f32>,
    /// Spectrum of taps `p * PARTITION ..` for p = 1, 2, ...
    partitions: Vec<Vec<Complex32>>,
}

impl FirKernel {
    /// Prepares `taps` (plans an FFT and allocates: not for the audio thread).
    pub fn new(taps: &[f32]) -> Result<Self, String> {
        if taps.is_empty() || taps.len() > MAX_TAPS {
            return Err(format!(
                "a filter needs 1 to {MAX_TAPS} taps, got {}",
                taps.len()
            ));
        }
        if let Some(bad) = taps.iter().position(|t| !t.is_finite()) {
            return Err(format!("tap {bad} is not a finite number"));
        }
        let head = taps[..taps.len().min(PARTITION)]
            .iter()
            .rev()
            .copied()
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_LEN);
        let partitions = taps[taps.len().min(PARTITION)..]
            .chunks(PARTITION)
            .map(|part| {
                let mut time = vec![0.0f32; FFT_LEN];
                time[..part.len()].copy_from_slice(part);
                let mut spectrum = fft.make_output_vec();
                let _ = fft.process(&mut time, &mut spectrum);
                spectrum.iter_mut().for_each(|c| *c /= FFT_LEN as f32);
                spectrum
            })
            .collect();
        Ok(Self {
            len: taps.len(),
            head,
            partitions,
        })
    }

    /// The filter that passes its input unchanged.
    pub fn identity() -> Self {
        Self {
            len: 1,
            head: vec![1.0],
            partitions: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn is_identity(&self) -> bool {
        self.len == 1 && self.head == [1.0]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Outputs computed together by `correlate`: four vectors of eight, so four independent sums
/// hide the adder's latency and each tap is loaded once for all of them.
const LANES: usize = 8;
const RUN: usize = 4 * LANES;

/// `out[j] = Σᵢ head[i] · x[j + i]` (`x` holds `out.len() + head.len() − 1` samples): the
/// direct-form head over a run of outputs at once. Each output's sum runs over the taps in
/// order, whatever its place in the run, so the result does not depend on how blocks fall.
#[inline(always)]
fn correlate(head: &[f32], x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len() + 1, out.len() + head.len());
    let mut runs = out.chunks_exact_mut(RUN);
    let mut at = 0;
    for run in &mut runs {
        let mut acc = [[0.0f32; LANES]; RUN / LANES];
        for (h, x) in head.iter().zip(x[at..].windows(RUN)) {
            for (acc, x) in acc.iter_mut().zip(x.chunks_exact(LANES)) {
                for l in 0..LANES {
                    acc[l] += h * x[l];
                }
            }
        }
        run.copy_from_slice(acc.as_flattened());
        at += RUN;
    }
    for (j, y) in runs.into_remainder().iter_mut().enumerate() {
        let x = &x[at + j..][..head.len()];
        *y = head.iter().zip(x).fold(0.0, |s, (h, x)| s + h * x);
    }
}

/// One channel's convolution state.
struct ChannelState {
    /// The previous input block, then the current one as it fills: the overlap-save segment, and
    /// the direct-form head's history.
    segment: Vec<f32>,
    /// Spectra of past segments, newest at `FirFilter::newest`.
    delay_line: Vec<Vec<Complex32>>,
    /// Tail-partition output for the current block: for the current filter, and for the one
    /// fading out.
    tail: Vec<f32>,
    tail_previous: Vec<f32>,
    /// The input block of each delay-line slot, for the spectra skipped by `keep_history`.
    history: Vec<f32>,
}

impl ChannelState {
    /// The block under way is complete: keep it as slot `slot`'s and start the next.
    fn store_block(&mut self, slot: usize) {
        self.history[slot * PARTITION..][..PARTITION].copy_from_slice(&self.segment[PARTITION..]);
        self.segment.copy_within(PARTITION.., 0);
    }
}

pub struct FirFilter {
    channels: Vec<ChannelState>,
    /// Position in the current block, shared by all channels.
    pos: usize,
    newest: usize,
    /// How many delay-line slots, back from `newest`, hold their spectra.
    fresh: usize,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    time: Vec<f32>,
    /// The heads' outputs for the run under way: the current filter's, the one fading out's.
    head_out: Vec<f32>,
    head_out_previous: Vec<f32>,
    sum: Vec<Complex32>,
    scratch: Vec<Complex32>,
    current: Box<FirKernel>,
    /// The filter being faded out, and how far the fade has gone.
    previous: Option<Box<FirKernel>>,
    /// The identity kernel while neither current nor fading, so `pass_through` allocates
    /// nothing.
    spare_identity: Option<Box<FirKernel>>,
    fade_pos: usize,
    fade_len: usize,
}

impl FirFilter {
    pub fn new(channels: usize) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(FFT_LEN);
        let inverse = planner.plan_fft_inverse(FFT_LEN);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            channels: (0..channels)
                .map(|_| ChannelState {
                    segment: vec![0.0; FFT_LEN],
                    delay_line: vec![vec![Complex32::default(); BINS]; MAX_PARTITIONS],
                    tail: vec![0.0; PARTITION],
                    tail_previous: vec![0.0; PARTITION],
                    history: vec![0.0; MAX_PARTITIONS * PARTITION],
                })
                .collect(),
            pos: 0,
            newest: 0,
            fresh: MAX_PARTITIONS,
            forward,
            inverse,
            time: vec![0.0; FFT_LEN],
            head_out: vec![0.0; PARTITION],
            head_out_previous: vec![0.0; PARTITION],
            sum: vec![Complex32::default(); BINS],
            scratch: vec![Complex32::default(); scratch_len],
            current: Box::new(FirKernel::identity()),
            previous: None,
            spare_identity: None,
            fade_pos: 0,
            fade_len: 1,
        }
    }

    pub fn kernel(&self) -> &FirKernel {
        &self.current
    }

    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.segment.fill(0.0);
            ch.delay_line
                .iter_mut()
                .for_each(|s| s.fill(Complex32::default()));
            ch.tail.fill(0.0);
            ch.tail_previous.fill(0.0);
            ch.history.fill(0.0);
        }
        self.pos = 0;
        self.fresh = MAX_PARTITIONS;
    }

    /// Makes `kernel` the filter, fading from the present one over `fade` samples, or switching
    /// at once if `fade` is 0. Returns a kernel the caller must dispose of off the audio thread
    /// (one still fading out from an earlier swap, or the replaced one when not fading). A swap
    /// during a fade cuts that fade short: callers that swap often wait for `is_fading` to end.
    pub fn install(&mut self, kernel: Box<FirKernel>, fade: usize) -> Option<Box<FirKernel>> {
        let old = std::mem::replace(&mut self.current, kernel);
        self.refresh(self.current.partitions.len());
        // The new filter's tail for the block under way comes from the input already seen.
        for ch in 0..self.channels.len() {
            let state = &mut self.channels[ch];
            std::mem::swap(&mut state.tail, &mut state.tail_previous);
            self.compute_tail(ch, self.newest, false);
        }
        let spent = if fade > 0 {
            self.fade_pos = 0;
            self.fade_len = fade;
            self.previous.replace(old)
        } else {
            Some(old)
        };
        self.keep_identity(spent)
    }

    /// Switches at once to passing the input unchanged (a restart of learning from nothing),
    /// without allocating. Returns the kernels the caller must dispose of off the audio thread.
    pub fn pass_through(&mut self) -> [Option<Box<FirKernel>>; 2] {
        let identity = match self.spare_identity.take() {
            Some(identity) => identity,
            None => match self.previous.take() {
                Some(previous) if previous.is_identity() => previous,
                // Neither spare nor fading out: the identity is the current filter.
                other => {
                    self.previous = other;
                    return [None, None];
                }
            },
        };
        let fading = self.previous.take();
        let replaced = self.install(identity, 0);
        [self.keep_identity(fading), replaced]
    }

    /// Keeps an identity kernel on its way out as the spare.
    fn keep_identity(&mut self, spent: Option<Box<FirKernel>>) -> Option<Box<FirKernel>> {
        match spent {
            Some(kernel) if kernel.is_identity() && self.spare_identity.is_none() => {
                self.spare_identity = Some(kernel);
                None
            }
            spent => spent,
        }
    }

    /// True while an earlier filter is still fading out.
    pub fn is_fading(&self) -> bool {
        self.previous.is_some() && self.fade_pos < self.fade_len
    }

    /// The kernel whose fade-out has finished, for disposal off the audio thread.
    pub fn take_faded_out(&mut self) -> Option<Box<FirKernel>> {
        if self.fade_pos >= self.fade_len {
            let spent = self.previous.take();
            self.keep_identity(spent)
        } else {
            None
        }
    }

    /// Makes the spectra of the `partitions` newest delay-line slots that `keep_history` skipped.
    fn refresh(&mut self, partitions: usize) {
        for p in self.fresh..partitions {
            let slot = (self.newest + MAX_PARTITIONS - p) % MAX_PARTITIONS;
            let before = (slot + MAX_PARTITIONS - 1) % MAX_PARTITIONS;
            for state in &mut self.channels {
                let (older, newer) = self.time.split_at_mut(PARTITION);
                older.copy_from_slice(&state.history[before * PARTITION..][..PARTITION]);
                newer.copy_from_slice(&state.history[slot * PARTITION..][..PARTITION]);
                let done = self.forward.process_with_scratch(
                    &mut self.time,
                    &mut state.delay_line[slot],
                    &mut self.scratch,
                );
                debug_assert!(done.is_ok());
            }
        }
        self.fresh = self.fresh.max(partitions);
    }

    /// Sum over a kernel's partitions of past segment spectra (the latest at `newest`) times
    /// partition spectra, back to the time domain: that kernel's tail output for the next
    /// `PARTITION` samples.
    fn compute_tail(&mut self, ch: usize, newest: usize, for_previous: bool) {
        let kernel = match (&self.previous, for_previous) {
            (Some(k), true) => k,
            _ => &self.current,
        };
        let state = &mut self.channels[ch];
        let out = if for_previous {
            &mut state.tail_previous
        } else {
            &mut state.tail
        };
        if kernel.partitions.is_empty() {
            out.fill(0.0);
            return;
        }
        self.sum.fill(Complex32::default());
        let sum = &mut self.sum;
        with_avx(
            #[inline(always)]
            || {
                for (p, h) in kernel.partitions.iter().enumerate() {
                    let x = &state.delay_line[(newest + MAX_PARTITIONS - p) % MAX_PARTITIONS];
                    for ((s, a), b) in sum.iter_mut().zip(x).zip(h) {
                        *s += a * b;
                    }
                }
            },
        );
        self.sum[0].im = 0.0;
        self.sum[BINS - 1].im = 0.0;
        let done =
            self.inverse
                .process_with_scratch(&mut self.sum, &mut self.time, &mut self.scratch);
        debug_assert!(done.is_ok());
        out.copy_from_slice(&self.time[PARTITION..]);
    }

    /// A block of `ch` is complete: store its segment's spectrum at `newest` and prepare the next
    /// block's tails.
    fn end_block(&mut self, ch: usize, newest: usize) {
        let state = &mut self.channels[ch];
        self.time.copy_from_slice(&state.segment);
        let done = self.forward.process_with_scratch(
            &mut self.time,
            &mut state.delay_line[newest],
            &mut self.scratch,
        );
        debug_assert!(done.is_ok());
        state.store_block(newest);
        self.compute_tail(ch, newest, false);
        if self.previous.is_some() {
            self.compute_tail(ch, newest, true);
        }
    }

    /// True while the filter passes its input through unchanged (no taps yet, or an identity,
    /// and nothing fading out).
    pub fn passes_through(&self) -> bool {
        self.current.is_identity() && !self.is_fading()
    }

    pub fn process(&mut self, io: &mut [&mut [f32]]) {
        if self.passes_through() {
            self.keep_history(io);
            return;
        }
        let len = io.first().map_or(0, |c| c.len());
        self.fresh = (self.fresh + (self.pos + len) / PARTITION).min(MAX_PARTITIONS);
        // The direct-form heads' sums are the most of the cost.
        with_avx(
            #[inline(always)]
            || self.filter(io),
        );
    }

    /// Runs the current filter (and the one fading out) over `io`, a run (up to the end of
    /// the block under way) at a time.
    #[inline(always)]
    fn filter(&mut self, io: &mut [&mut [f32]]) {
        // Every channel starts from the same place and advances the same way.
        let start = (self.pos, self.fade_pos, self.newest);
        let mut end = start;
        for (ch, chan) in io.iter_mut().enumerate() {
            let (mut pos, mut fade_pos, mut newest) = start;
            let mut rest = &mut chan[..];
            while !rest.is_empty() {
                let run = rest.len().min(PARTITION - pos);
                let (now, later) = std::mem::take(&mut rest).split_at_mut(run);
                rest = later;
                let state = &mut self.channels[ch];
                state.segment[PARTITION + pos..][..run].copy_from_slice(now);
                // The inputs the run's outputs need, from `len − 1` samples before it.
                let recent =
                    |len: usize| &state.segment[PARTITION + pos + 1 - len..][..run + len - 1];
                let (new, old) = (
                    &mut self.head_out[..run],
                    &mut self.head_out_previous[..run],
                );
                correlate(&self.current.head, recent(self.current.head.len()), new);
                let fading = self.previous.as_ref().filter(|_| fade_pos < self.fade_len);
                if let Some(previous) = fading {
                    correlate(&previous.head, recent(previous.head.len()), old);
                }
                let tail = &state.tail[pos..][..run];
                if fading.is_none() {
                    (now.iter_mut().zip(new.iter().zip(tail))).for_each(|(s, (y, t))| *s = y + t);
                } else {
                    for (j, s) in now.iter_mut().enumerate() {
                        let new = new[j] + tail[j];
                        *s = if fade_pos < self.fade_len {
                            let old = old[j] + state.tail_previous[pos + j];
                            let g = fade_pos as f32 / self.fade_len as f32;
                            fade_pos += 1;
                            old + g * (new - old)
                        } else {
                            new
                        };
                    }
                }
                pos += run;
                if pos == PARTITION {
                    newest = (newest + 1) % MAX_PARTITIONS;
                    self.end_block(ch, newest);
                    pos = 0;
                }
            }
            end = (pos, fade_pos, newest);
        }
        (self.pos, self.fade_pos, self.newest) = end;
    }

    /// The identity's output is its input: only the blocks are kept, their spectra skipped.
    fn keep_history(&mut self, io: &[&mut [f32]]) {
        let start = (self.pos, self.newest);
        let mut end = start;
        for (chan, state) in io.iter().zip(&mut self.channels) {
            let (mut pos, mut newest) = start;
            for part in chan.chunks(PARTITION) {
                let run = part.len().min(PARTITION - pos);
                for piece in [&part[..run], &part[run..]] {
                    state.segment[PARTITION + pos..][..piece.len()].copy_from_slice(piece);
                    pos += piece.len();
                    if pos == PARTITION {
                        newest = (newest + 1) % MAX_PARTITIONS;
                        state.store_block(newest);
                        pos = 0;
                    }
                }
            }
            end = (pos, newest);
        }
        if self.pos + io.first().map_or(0, |c| c.len()) >= PARTITION {
            self.fresh = 0;
        }
        (self.pos, self.newest) = end;
    }
}

#[cfg(test)]
#[path = "fir_tests.rs"]
mod tests;
