//! Real-time phase-gradient heap integration (Průša and Holighaus 2017): each frame's phase
//! is integrated from its magnitude and the frame before (`analysis::phase`'s method run frame
//! by frame in place). Causal, the time derivative of the log magnitude is a backward
//! difference; with one frame of look-ahead (one hop more latency, which the caller holds the
//! frame back for) it is the centred difference, as the paper's real-time variant has it.
//!
//! Each channel has its own state; nothing is allocated after construction. The heap of the
//! method is a bucket queue (`bucket_queue`).

use realfft::num_complex::Complex32;

use super::bucket_queue::BucketQueue;
use crate::analysis::phase::hann_gamma;

/// Bins under this share of the frame's largest keep a zero phase (the paper's tolerance).
const TOLERANCE: f32 = 1e-5;

/// One channel's memory of the frames before.
struct ChannelState {
    /// Log magnitudes, oldest first: causal, the last two frames and this one; with
    /// look-ahead, the last frame, this one and the next.
    log: [Vec<f32>; 3],
    /// The last frame's magnitudes, phases (time origin at the frame centre) and phase turns
    /// per hop.
    magnitude: Vec<f32>,
    phase: Vec<f32>,
    turn: Vec<f32>,
    /// Frames rebuilt since the state was cleared (0, 1 or 2 and more).
    frames: u8,
}

/// Causal RTPGHI for every channel, with its scratch made once.
pub(super) struct RtPghi {
    channels: Vec<ChannelState>,
    bins: usize,
    /// Phase turn per hop of bin 1, and the two derivative scales (hop a, FFT size M, γ):
    /// a·M/γ for the frequency slope and γ/(a·M) for the time slope.
    bin_turn: f32,
    freq_scale: f32,
    time_scale: f32,
    /// Bins to integrate from, largest first: bin m of this frame is entry m, of the frame
    /// before entry bins + m.
    queue: BucketQueue,
    done: Vec<bool>,
    turn_now: Vec<f32>,
    phase_now: Vec<f32>,
    /// This frame's magnitudes, and its bins largest first (sorted only when needed): where
    /// integration starts anew when the queue runs dry, which is often when many bins are
    /// isolated (a checkerboard), so a scan of all bins each time would cost bins².
    magnitude_now: Vec<f32>,
    /// Complemented keys, so an ascending sort puts the largest first.
    by_size: Vec<u64>,
}

/// Sort key of bin `m` with `magnitude` (non-negative, so its bits order as it does): the
/// largest first, the highest bin of equal ones, once complemented.
fn size_key(magnitude: f32, m: usize) -> u64 {
    !((magnitude.to_bits() as u64) << 32 | m as u64)
}

fn bin_of(key: u64) -> usize {
    (!key & 0xffff_ffff) as usize
}

impl RtPghi {
    /// For `channels` channels of `window`-point frames every `hop` samples. Allocates.
    pub fn new(channels: usize, window: usize, hop: usize) -> Self {
        let bins = window / 2 + 1;
        let (a, m, gamma) = (hop as f64, window as f64, hann_gamma(window));
        let state = || ChannelState {
            log: [vec![0.0; bins], vec![0.0; bins], vec![0.0; bins]],
            magnitude: vec![0.0; bins],
            phase: vec![0.0; bins],
            turn: vec![0.0; bins],
            frames: 0,
        };
        Self {
            channels: (0..channels).map(|_| state()).collect(),
            bins,
            bin_turn: (std::f64::consts::TAU * a / m) as f32,
            freq_scale: (a * m / gamma) as f32,
            time_scale: (gamma / (a * m)) as f32,
            queue: BucketQueue::new(2 * bins),
            done: vec![false; bins],
            turn_now: vec![0.0; bins],
            phase_now: vec![0.0; bins],
            magnitude_now: vec![0.0; bins],
            by_size: Vec::with_capacity(bins),
        }
    }

    /// Forgets the frames before: the next frame starts anew.
    pub fn reset(&mut self) {
        for state in &mut self.channels {
            state.frames = 0;
        }
    }

    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// Rebuilds the phase of one channel's `spectrum` in place, `share` of the way; `ahead`
    /// is the frame after it (look-ahead), or None (causal).
    pub fn rebuild(
        &mut self,
        ch: usize,
        spectrum: &mut [Complex32],
        ahead: Option<&[Complex32]>,
        share: f32,
    ) {
        let bins = self.bins;
        for (m, c) in self.magnitude_now.iter_mut().zip(spectrum.iter()) {
            *m = c.norm_sqr().sqrt();
        }
        let magnitude = &self.magnitude_now;
        let state = &mut self.channels[ch];
        state.log.rotate_left(1);
        let peak = match ahead {
            None => log_magnitudes(spectrum, &mut state.log[2]),
            Some(next) => {
                log_magnitudes(next, &mut state.log[2]);
                if state.frames == 0 {
                    log_magnitudes(spectrum, &mut state.log[1]);
                }
                magnitude.iter().copied().fold(0.0, f32::max)
            }
        };
        let floor = peak * TOLERANCE;
        let [older, old, newest] = &state.log;
        let now = if ahead.is_some() { old } else { newest };
        // Phase turn per hop from the slope across frequency; phase turn per bin from the
        // slope across time.
        for m in 0..bins {
            let slope = match m {
                0 => now[1] - now[0],
                m if m == bins - 1 => now[m] - now[m - 1],
                m => (now[m + 1] - now[m - 1]) / 2.0,
            };
            self.turn_now[m] = self.bin_turn * m as f32 + self.freq_scale * slope;
        }
        let time_slope = |m: usize| match (ahead.is_some(), state.frames) {
            (false, 0) => 0.0,
            (false, 1) => newest[m] - old[m],
            // Second-order backward difference.
            (false, _) => (3.0 * newest[m] - 4.0 * old[m] + older[m]) / 2.0,
            (true, 0) => newest[m] - old[m],
            (true, _) => (newest[m] - older[m]) / 2.0,
        };
        let step = |m: usize| -self.time_scale * time_slope(m);
        let mut left = 0;
        for (d, m) in self.done.iter_mut().zip(magnitude) {
            *d = *m <= floor;
            left += !*d as usize;
        }
        self.phase_now.fill(0.0);
        self.queue.clear();
        if state.frames > 0 {
            for m in 0..bins {
                if state.magnitude[m] > floor {
                    self.queue.push(bins + m, state.magnitude[m]);
                }
            }
        }
        self.by_size.clear();
        let mut next_largest = 0;
        loop {
            let Some(entry) = self.queue.pop() else {
                if left == 0 {
                    break;
                }
                // Nothing to carry the phase from: start anew at the largest bin left (the
                // highest of equal ones).
                if self.by_size.is_empty() {
                    self.by_size
                        .extend((0..bins).map(|m| size_key(magnitude[m], m)));
                    self.by_size.sort_unstable();
                }
                let largest = self.by_size[next_largest..]
                    .iter()
                    .position(|k| !self.done[bin_of(*k)]);
                let Some(offset) = largest else { break };
                next_largest += offset;
                let m = bin_of(self.by_size[next_largest]);
                self.done[m] = true;
                left -= 1;
                self.queue.push(m, magnitude[m]);
                continue;
            };
            let (from_before, m) = (entry >= bins, entry % bins);
            if from_before {
                if !self.done[m] {
                    self.done[m] = true;
                    left -= 1;
                    let turn = (state.turn[m] + self.turn_now[m]) / 2.0;
                    self.phase_now[m] = (state.phase[m] + turn) % std::f32::consts::TAU;
                    self.queue.push(m, magnitude[m]);
                }
                continue;
            }
            for (next, sign) in [(m + 1, 1.0), (m.wrapping_sub(1), -1.0)] {
                if next < bins && !self.done[next] {
                    self.done[next] = true;
                    left -= 1;
                    let turn = sign * (step(m) + step(next)) / 2.0;
                    self.phase_now[next] = self.phase_now[m] + turn;
                    self.queue.push(next, magnitude[next]);
                }
            }
        }
        for (m, c) in spectrum.iter_mut().enumerate() {
            let magnitude = magnitude[m];
            state.magnitude[m] = magnitude;
            // Our frames' time origin is their first sample, half an FFT before the centre.
            let angle = self.phase_now[m] + std::f32::consts::PI * (m % 2) as f32;
            let rebuilt = Complex32::from_polar(magnitude, angle);
            *c += (rebuilt - *c) * share;
        }
        state.phase.copy_from_slice(&self.phase_now);
        state.turn.copy_from_slice(&self.turn_now);
        state.frames = state.frames.saturating_add(1).min(2);
    }
}

/// The log magnitudes of `spectrum` into `out`; gives the largest magnitude.
fn log_magnitudes(spectrum: &[Complex32], out: &mut [f32]) -> f32 {
    let mut peak = 0.0f32;
    for (l, c) in out.iter_mut().zip(spectrum) {
        let magnitude = c.norm_sqr().sqrt();
        peak = peak.max(magnitude);
        *l = magnitude.max(f32::MIN_POSITIVE).ln();
    }
    peak
}
