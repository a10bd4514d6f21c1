//! Power spectra of audio streams, a noise tracker, and the causal Wiener filter designed from
//! spectra: what the noise-profile and adaptive learn modes use, as they know the noisy input and
//! an estimate of the noise but never the clean signal.
//!
//! With speech and noise uncorrelated, the input/target cross-spectrum is Px - Pn. Estimated from
//! two noisy spectra that difference goes negative in places and sends the least-squares
//! solution astray (worse than bypass), so the design works on averaged spectra, floors the gain
//! G = 1 - Pn/Px and caps it at 1, takes G Px as the cross-spectrum, and solves the causal K-tap
//! filter from it exactly as `taps` does (Wiener-Hopf, Levinson). Last, the filter is blended with
//! bypass in the proportion that minimises the error the same spectra predict, so by the
//! estimates it never does worse than leaving the input alone.
//!
//! Spectra are one-sided power spectra with `size / 2 + 1` bins, scaled so that white noise of
//! variance s^2 reads s^2 in every bin.

use rand::{Rng, SeedableRng};
use realfft::num_complex::Complex64;
use realfft::RealFftPlanner;

use crate::analysis::denoise::taps::solve_normal_equations;
use crate::dsp::stft::window::hann;
use crate::dsp::stft::{FrameAnalysis, StreamAnalyzer};

/// The power spectrum of each Hann-windowed frame of `size` samples every `hop` samples of a
/// stream, in f64 (statistics accumulate over seconds).
pub struct Periodograms {
    frames: StreamAnalyzer<f64>,
    /// Sum of the squared window: the scale that makes white noise read its variance.
    norm: f64,
    power: Vec<f64>,
}

impl Periodograms {
    pub fn new(size: usize, hop: usize) -> Self {
        let analysis = FrameAnalysis::new(&mut rustfft::FftPlanner::new(), hann::<f64>(size));
        Self {
            norm: analysis.window().iter().map(|w| w * w).sum(),
            frames: StreamAnalyzer::new(analysis, hop),
            power: vec![0.0; size / 2 + 1],
        }
    }

    pub fn bins(&self) -> usize {
        self.power.len()
    }

    pub fn hop(&self) -> usize {
        self.frames.hop()
    }

    /// Feeds `x`; `each` receives the power spectrum of every frame it completes.
    pub fn push(&mut self, x: &[f32], mut each: impl FnMut(&[f64])) {
        let (power, norm) = (&mut self.power, self.norm);
        self.frames.push(x, |spectrum| {
            for (p, c) in power.iter_mut().zip(spectrum) {
                *p = c.norm_sqr() / norm;
            }
            each(power);
        });
    }
}

/// An average of spectra that forgets with a time constant (in frames) and is unbiased from
/// the first frame on (the weights are normalised, not started from zero).
pub struct SpectrumAverage {
    sum: Vec<f64>,
    weight: f64,
    keep: f64,
    frames: u64,
}

impl SpectrumAverage {
    /// `memory_frames`: time constant; infinite for a plain mean.
    pub fn new(bins: usize, memory_frames: f64) -> Self {
        Self {
            sum: vec![0.0; bins],
            weight: 0.0,
            keep: (-1.0 / memory_frames).exp(),
            frames: 0,
        }
    }

    /// A plain mean (infinite memory) of `frames` spectra whose mean was `mean`.
    pub fn from_mean(mean: &[f64], frames: u64) -> Self {
        let weight = frames as f64;
        Self {
            sum: mean.iter().map(|m| m * weight).collect(),
            weight,
            keep: 1.0,
            frames,
        }
    }

    pub fn add(&mut self, power: &[f64]) {
        for (s, p) in self.sum.iter_mut().zip(power) {
            *s = self.keep * *s + p;
        }
        self.weight = self.keep * self.weight + 1.0;
        self.frames += 1;
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The average, or None before the first frame.
    pub fn mean(&self) -> Option<Vec<f64>> {
        (self.weight > 0.0).then(|| self.sum.iter().map(|s| s / self.weight).collect())
    }
}

/// Minimum statistics (after R. Martin, 2001): the noise spectrum is the minimum of the smoothed
/// input spectrum over a window of a second or two, long enough to span a speech pause, scaled by
/// the bias of such a minimum. The minimum is tracked over `SUBWINDOWS` sub-windows so it costs
/// O(1) per frame and bin.
pub struct MinimumStatistics {
    alpha: f64,
    smoothed: Vec<f64>,
    current: Vec<f64>,
    past: Vec<Vec<f64>>,
    in_current: usize,
    sub_len: usize,
    next: usize,
    bias: f64,
    frames: u64,
}

const SUBWINDOWS: usize = 8;

impl MinimumStatistics {
    /// `window_frames`: frames the minimum spans; `alpha`: per-frame smoothing of the input
    /// spectrum before the minimum is taken.
    pub fn new(bins: usize, window_frames: usize, alpha: f64) -> Self {
        let sub_len = window_frames.div_ceil(SUBWINDOWS).max(1);
        Self {
            alpha,
            smoothed: vec![0.0; bins],
            current: vec![f64::INFINITY; bins],
            past: Vec::with_capacity(SUBWINDOWS),
            in_current: 0,
            sub_len,
            next: 0,
            bias: Self::calibrate(sub_len, alpha),
            frames: 0,
        }
    }

    /// The factor between the mean of a stationary noise spectrum and the tracked minimum, found
    /// by running the tracker on seeded noise (one-sided periodogram bins of Gaussian noise are
    /// exponentially distributed).
    fn calibrate(sub_len: usize, alpha: f64) -> f64 {
        let bins = 256;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x6d696e);
        let mut probe = MinimumStatistics {
            alpha,
            smoothed: vec![0.0; bins],
            current: vec![f64::INFINITY; bins],
            past: Vec::new(),
            in_current: 0,
            sub_len,
            next: 0,
            bias: 1.0,
            frames: 0,
        };
        let warm_up = 2 * SUBWINDOWS * sub_len;
        let (mut sum, mut count) = (0.0, 0usize);
        let mut frame = vec![0.0; bins];
        for t in 0..warm_up + 4 * SUBWINDOWS * sub_len {
            for f in frame.iter_mut() {
                *f = -(1.0 - rng.random::<f64>()).ln();
            }
            probe.push(&frame);
            if t >= warm_up {
                sum += probe.minimum().iter().sum::<f64>();
                count += bins;
            }
        }
        count as f64 / sum
    }

    pub fn push(&mut self, power: &[f64]) {
        let a = if self.frames == 0 { 0.0 } else { self.alpha };
        for ((s, c), p) in self.smoothed.iter_mut().zip(&mut self.current).zip(power) {
            *s = a * *s + (1.0 - a) * p;
            *c = c.min(*s);
        }
        self.frames += 1;
        self.in_current += 1;
        if self.in_current == self.sub_len {
            let done = std::mem::replace(&mut self.current, vec![f64::INFINITY; power.len()]);
            if self.past.len() < SUBWINDOWS {
                self.past.push(done);
            } else {
                self.past[self.next] = done;
            }
            self.next = (self.next + 1) % SUBWINDOWS;
            self.in_current = 0;
        }
    }

    fn minimum(&self) -> Vec<f64> {
        let mut m = self.current.clone();
        for past in &self.past {
            for (m, p) in m.iter_mut().zip(past) {
                *m = m.min(*p);
            }
        }
        m
    }

    /// The noise spectrum estimate, or None before the first frame.
    pub fn noise(&self) -> Option<Vec<f64>> {
        (self.frames > 0).then(|| self.minimum().iter().map(|m| m * self.bias).collect())
    }

    /// The smoothed input spectrum (recent seconds' fraction).
    pub fn smoothed(&self) -> &[f64] {
        &self.smoothed
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }
}

/// Averages groups of `factor` neighbouring bins: a spectrum at `factor` times coarser resolution.
pub fn coarsen(power: &[f64], factor: usize) -> Vec<f64> {
    let size = (power.len() - 1) / factor;
    (0..=size)
        .map(|k| {
            // Bin k of the coarse spectrum covers fine bins centred on k * factor.
            let lo = (k * factor).saturating_sub(factor / 2);
            let hi = (k * factor + factor.div_ceil(2)).min(power.len());
            power[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

/// A filter designed from spectra, with what the design expects of it.
#[derive(Clone, Debug)]
pub struct WienerDesign {
    pub taps: Vec<f32>,
    /// Share of the Wiener solution in the final filter (the rest is bypass).
    pub blend: f64,
    /// Error of the filter against that of bypass, predicted from the spectra, in dB.
    pub predicted_db: f64,
}

/// Designs Wiener filters from spectra, keeping its FFT plans between designs.
#[derive(Default)]
pub struct WienerDesigner {
    planner: RealFftPlanner<f64>,
}

impl WienerDesigner {
    /// The causal `taps`-tap filter closest (least squares) to the gain max(floor, 1 - Pn/Px)
    /// for input spectrum `px` and noise spectrum `pn` (same bins), blended with bypass as the
    /// spectra advise (see the module notes).
    pub fn design(
        &mut self,
        px: &[f64],
        pn: &[f64],
        taps: usize,
        floor: f64,
    ) -> Result<WienerDesign, String> {
        let bins = px.len();
        let size = 2 * (bins - 1);
        if pn.len() != bins || taps == 0 || 2 * taps > size {
            return Err(format!(
                "cannot design {taps} taps from spectra of {bins} and {} bins",
                pn.len()
            ));
        }
        let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        let px: Vec<f64> = px.iter().map(|v| clean(*v)).collect();
        let pn: Vec<f64> = pn.iter().map(|v| clean(*v)).collect();
        if px.iter().all(|v| *v == 0.0) {
            return Err("the input is silent".into());
        }
        let gain: Vec<f64> = px
            .iter()
            .zip(&pn)
            .map(|(x, n)| {
                if *x > 0.0 {
                    (1.0 - n / x).clamp(floor, 1.0)
                } else {
                    1.0
                }
            })
            .collect();
        let inverse = self.planner.plan_fft_inverse(size);
        let correlation = |spectrum: Vec<f64>| -> Vec<f64> {
            let mut s: Vec<Complex64> = spectrum.iter().map(|v| Complex64::new(*v, 0.0)).collect();
            let mut out = vec![0.0; size];
            let _ = inverse.process(&mut s, &mut out);
            out.truncate(taps);
            out.iter_mut().for_each(|v| *v /= size as f64);
            out
        };
        let auto = correlation(px.clone());
        let cross = correlation(px.iter().zip(&gain).map(|(x, g)| x * g).collect());
        let h = solve_normal_equations(&auto, &cross)?;

        // Predicted error of h_a = bypass + a (h - bypass) for the spectra's signal and noise:
        // E(a) = sum w [a^2 |D|^2 (Ps + Pn) + 2 a Re(D) Pn + Pn], D = H - 1.
        let forward = self.planner.plan_fft_forward(size);
        let mut padded = vec![0.0; size];
        padded[..taps].copy_from_slice(&h);
        let mut response = forward.make_output_vec();
        let _ = forward.process(&mut padded, &mut response);
        let (mut quad, mut lin, mut bypass) = (0.0, 0.0, 0.0);
        for k in 0..bins {
            let w = if k == 0 || k == bins - 1 { 0.5 } else { 1.0 };
            let d = response[k] - 1.0;
            let signal = (px[k] - pn[k]).max(0.0);
            quad += w * d.norm_sqr() * (signal + pn[k]);
            lin += w * d.re * pn[k];
            bypass += w * pn[k];
        }
        let blend = if quad > 0.0 {
            (-lin / quad).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let error = blend * blend * quad + 2.0 * blend * lin + bypass;
        let mut taps_out: Vec<f32> = h.iter().map(|v| (blend * v) as f32).collect();
        taps_out[0] += (1.0 - blend) as f32;
        Ok(WienerDesign {
            taps: taps_out,
            blend,
            predicted_db: if bypass > 0.0 {
                10.0 * (error.max(1e-30) / bypass).log10()
            } else {
                0.0
            },
        })
    }
}

#[cfg(test)]
#[path = "noise_tests.rs"]
mod tests;
