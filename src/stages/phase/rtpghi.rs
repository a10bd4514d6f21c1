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
use crate::dsp::fast_math::{ln, sin_cos, wrap_phase};
use crate::dsp::wide::with_avx;

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
    /// This frame's magnitudes, and its phase turns per bin from the slope across time.
    magnitude_now: Vec<f32>,
    step_now: Vec<f32>,
    /// This frame's bins largest first (queued only when needed): where integration starts
    /// anew when the queue runs dry, which is often when many bins are isolated (a
    /// checkerboard), so a scan of all bins each time would cost bins², and a sort each frame
    /// cost more than the integration.
    starts: BucketQueue,
    /// Cosines and sines of this frame's phases.
    cos_now: Vec<f32>,
    sin_now: Vec<f32>,
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
            step_now: vec![0.0; bins],
            starts: BucketQueue::new(bins),
            cos_now: vec![0.0; bins],
            sin_now: vec![0.0; bins],
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
        let (bin_turn, freq_scale) = (self.bin_turn, self.freq_scale);
        let turn_at = |m: usize, slope: f32| bin_turn * m as f32 + freq_scale * slope;
        self.turn_now[0] = turn_at(0, now[1] - now[0]);
        self.turn_now[bins - 1] = turn_at(bins - 1, now[bins - 1] - now[bins - 2]);
        let inner = self.turn_now[1..bins - 1].iter_mut().zip(now.windows(3));
        for (m, (t, w)) in inner.enumerate() {
            *t = turn_at(m + 1, (w[2] - w[0]) / 2.0);
        }
        let (step, scale) = (&mut self.step_now, -self.time_scale);
        let frames = [&older[..], &old[..], &newest[..]];
        match (ahead.is_some(), state.frames) {
            (false, 0) => step.fill(scale * 0.0),
            (false, 1) | (true, 0) => fill_steps(step, frames, |[_, old, new]| scale * (new - old)),
            // Second-order backward difference.
            (false, _) => fill_steps(step, frames, |[older, old, new]| {
                scale * ((3.0 * new - 4.0 * old + older) / 2.0)
            }),
            (true, _) => fill_steps(step, frames, |[older, _, new]| {
                scale * ((new - older) / 2.0)
            }),
        }
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
        let mut starts_queued = false;
        loop {
            let Some(entry) = self.queue.pop() else {
                if left == 0 {
                    break;
                }
                // Nothing to carry the phase from: start anew at the largest bin left (to
                // within a bucket; the highest of equal ones).
                if !starts_queued {
                    self.starts.clear();
                    for (m, (done, magnitude)) in self.done.iter().zip(magnitude).enumerate() {
                        if !done {
                            self.starts.push(m, *magnitude);
                        }
                    }
                    starts_queued = true;
                }
                let largest = std::iter::from_fn(|| self.starts.pop()).find(|m| !self.done[*m]);
                let Some(m) = largest else { break };
                self.done[m] = true;
                left -= 1;
                self.queue.push(m, magnitude[m]);
                continue;
            };
            let (from_before, m) = match entry.checked_sub(bins) {
                Some(m) => (true, m),
                None => (false, entry),
            };
            if from_before {
                if !self.done[m] {
                    self.done[m] = true;
                    left -= 1;
                    let turn = (state.turn[m] + self.turn_now[m]) / 2.0;
                    self.phase_now[m] = wrap_phase(state.phase[m] + turn);
                    self.queue.push(m, magnitude[m]);
                }
                continue;
            }
            for (next, sign) in [(m + 1, 1.0), (m.wrapping_sub(1), -1.0)] {
                if next < bins && !self.done[next] {
                    self.done[next] = true;
                    left -= 1;
                    let turn = sign * (step[m] + step[next]) / 2.0;
                    self.phase_now[next] = self.phase_now[m] + turn;
                    self.queue.push(next, magnitude[next]);
                }
            }
        }
        let (phase, cos, sin) = (&self.phase_now, &mut self.cos_now, &mut self.sin_now);
        with_avx(
            #[inline(always)]
            || {
                for (m, ((p, c), s)) in phase
                    .iter()
                    .zip(cos.iter_mut())
                    .zip(sin.iter_mut())
                    .enumerate()
                {
                    // Our frames' time origin is their first sample, half an FFT before the
                    // centre.
                    (*s, *c) = sin_cos(p + std::f32::consts::PI * (m % 2) as f32);
                }
                let polar = magnitude.iter().zip(cos.iter()).zip(sin.iter());
                for (c, ((r, cos), sin)) in spectrum.iter_mut().zip(polar) {
                    let rebuilt = Complex32::new(r * cos, r * sin);
                    *c += (rebuilt - *c) * share;
                }
            },
        );
        state.magnitude.copy_from_slice(magnitude);
        state.phase.copy_from_slice(&self.phase_now);
        state.turn.copy_from_slice(&self.turn_now);
        state.frames = state.frames.saturating_add(1).min(2);
    }
}

/// `step` of bin m is `slope` of bin m's log magnitudes in the three frames, oldest first.
#[inline(always)]
fn fill_steps(step: &mut [f32], frames: [&[f32]; 3], slope: impl Fn([f32; 3]) -> f32) {
    let [older, old, newest] = frames;
    for (s, ((older, old), newest)) in step.iter_mut().zip(older.iter().zip(old).zip(newest)) {
        *s = slope([*older, *old, *newest]);
    }
}

/// The log magnitudes of `spectrum` into `out`; gives the largest magnitude.
fn log_magnitudes(spectrum: &[Complex32], out: &mut [f32]) -> f32 {
    with_avx(
        #[inline(always)]
        || {
            for (l, c) in out.iter_mut().zip(spectrum) {
                *l = c.norm_sqr().sqrt();
            }
            let peak = out.iter().fold(0.0f32, |p, m| p.max(*m));
            for l in out.iter_mut() {
                *l = ln(l.max(f32::MIN_POSITIVE));
            }
            peak
        },
    )
}
