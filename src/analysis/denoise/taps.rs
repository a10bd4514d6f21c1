//! Learning FIR taps from (noisy, clean) material.
//!
//! Least squares (Wiener-Hopf): the taps h minimising E[(d(n) - sum_k h(k) x(n-k))^2] solve
//! R h = p, R the Toeplitz matrix of the input's autocorrelation r(l) = sum_n x(n) x(n-l) and p the
//! input/target cross-correlation p(k) = sum_n d(n) x(n-k). Both are accumulated in f64 by FFT
//! correlation over chunks, so any amount of audio fits in memory proportional to the tap count;
//! the system is solved by Levinson's recursion (O(K^2)) with a small diagonal load.
//!
//! This is the autocorrelation method: R is exactly Toeplitz only for recordings that start and end
//! in silence; otherwise the ends of each recording perturb it by O(K/N), far below what matters
//! for audio and the price of an O(K^2) solve at 16384 taps.

use std::sync::Arc;

use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::analysis::denoise::metrics::{mse, si_sdr_db, snr_db};
use crate::analysis::denoise::Pair;
use crate::dsp::fir::{FirFilter, FirKernel, MAX_TAPS};

/// Diagonal load relative to r(0): far below any audible effect, enough to keep Levinson's
/// recursion positive definite on band-limited or silent input.
const DIAGONAL_LOAD: f64 = 1e-9;

/// Running correlation sums of a stream of (input, target) samples.
pub struct CorrelationStats {
    taps: usize,
    /// r(l) and p(k) for l, k = 0 .. taps.
    auto: Vec<f64>,
    cross: Vec<f64>,
    target_energy: f64,
    /// The last `taps - 1` input samples of the stream, so chunks join seamlessly.
    history: Vec<f64>,
    planner: RealFftPlanner<f64>,
}

impl CorrelationStats {
    pub fn new(taps: usize) -> Result<Self, String> {
        if taps == 0 || taps > MAX_TAPS {
            return Err(format!("tap count must be 1 to {MAX_TAPS}, got {taps}"));
        }
        Ok(Self {
            taps,
            auto: vec![0.0; taps],
            cross: vec![0.0; taps],
            target_energy: 0.0,
            history: vec![0.0; taps - 1],
            planner: RealFftPlanner::new(),
        })
    }

    /// Adds one independent recording (silence assumed before it), in chunks.
    pub fn add_recording(&mut self, input: &[f32], target: &[f32]) {
        // History plus chunk fill a power-of-two FFT exactly.
        let chunk = (8 * self.taps).next_power_of_two().max(16384) - (self.taps - 1);
        for (x, d) in input.chunks(chunk).zip(target.chunks(chunk)) {
            self.push(x, d);
        }
        self.history.fill(0.0);
    }

    /// Adds the next stretch of a continuous stream.
    pub fn push(&mut self, input: &[f32], target: &[f32]) {
        let (k, len) = (self.taps, input.len().min(target.len()));
        if len == 0 {
            return;
        }
        let size = (k - 1 + len).next_power_of_two();
        let forward: Arc<dyn RealToComplex<f64>> = self.planner.plan_fft_forward(size);
        let inverse: Arc<dyn ComplexToReal<f64>> = self.planner.plan_fft_inverse(size);
        // seg = [history, new input]; the sums run over the new samples only (positions k-1 ..).
        let mut seg = vec![0.0f64; size];
        seg[..k - 1].copy_from_slice(&self.history);
        for (s, x) in seg[k - 1..k - 1 + len].iter_mut().zip(input) {
            *s = *x as f64;
        }
        let mut new_x = vec![0.0f64; size];
        new_x[k - 1..k - 1 + len].copy_from_slice(&seg[k - 1..k - 1 + len]);
        let mut new_d = vec![0.0f64; size];
        for (s, d) in new_d[k - 1..k - 1 + len].iter_mut().zip(target) {
            *s = *d as f64;
            self.target_energy += *s * *s;
        }
        let spectrum = |buf: &mut Vec<f64>| {
            let mut out = forward.make_output_vec();
            let _ = forward.process(buf, &mut out);
            out
        };
        let silent_history = self.history.iter().all(|h| *h == 0.0);
        let seg_spec = spectrum(&mut seg.clone());
        // corr[l] = sum_i b[i] seg[i - l] = IFFT(B conj(SEG))[l]: no wrap-around for l < k.
        let correlate = |b_spec: &[Complex64], into: &mut Vec<f64>| {
            let mut prod: Vec<Complex64> = b_spec
                .iter()
                .zip(&seg_spec)
                .map(|(b, a)| b * a.conj())
                .collect();
            let mut out = vec![0.0f64; size];
            let _ = inverse.process(&mut prod, &mut out);
            for (acc, v) in into.iter_mut().zip(&out) {
                *acc += v / size as f64;
            }
        };
        // With silent history the new input is the whole segment: its spectrum is known already.
        let new_x_spec = if silent_history {
            seg_spec.clone()
        } else {
            spectrum(&mut new_x)
        };
        correlate(&new_x_spec, &mut self.auto);
        correlate(&spectrum(&mut new_d), &mut self.cross);
        // Keep the last k-1 input samples (from the history if the chunk is shorter).
        let keep = seg[len..len + k - 1].to_vec();
        self.history.copy_from_slice(&keep);
    }

    /// The least-squares taps.
    pub fn solve(&self) -> Result<Vec<f32>, String> {
        if self.auto[0] <= 0.0 {
            return Err("the training input is silent".into());
        }
        let h = solve_normal_equations(&self.auto, &self.cross)?;
        Ok(h.iter().map(|v| *v as f32).collect())
    }

    /// Forgets the stream's last samples, as after a gap in it.
    pub fn break_stream(&mut self) {
        self.history.fill(0.0);
    }

    /// Energy of the target so far.
    pub fn target_energy(&self) -> f64 {
        self.target_energy
    }

    /// Energy of the input so far.
    pub fn input_energy(&self) -> f64 {
        self.auto[0]
    }

    /// Squared error of `taps` on the material so far against that of passing the input
    /// unchanged, in dB (negative: the filter is better), from the statistics alone.
    pub fn error_vs_bypass_db(&self, taps: &[f32]) -> f64 {
        let k = self.taps.min(taps.len());
        let h: Vec<f64> = taps[..k].iter().map(|v| *v as f64).collect();
        let rh: f64 = (0..k)
            .map(|i| {
                let row: f64 = (0..k).map(|j| self.auto[i.abs_diff(j)] * h[j]).sum();
                h[i] * row
            })
            .sum();
        let ph: f64 = h.iter().zip(&self.cross).map(|(a, b)| a * b).sum();
        let filtered = self.target_energy - 2.0 * ph + rh;
        let bypass = self.target_energy - 2.0 * self.cross[0] + self.auto[0];
        10.0 * (filtered.max(1e-30) / bypass.max(1e-30)).log10()
    }
}

/// Solves the normal equations R h = p (R Toeplitz from the autocorrelation `auto`, p the
/// cross-correlation), raising the diagonal load until the recursion stays positive definite.
pub(crate) fn solve_normal_equations(auto: &[f64], cross: &[f64]) -> Result<Vec<f64>, String> {
    let mut load = DIAGONAL_LOAD;
    loop {
        let mut t = auto.to_vec();
        t[0] *= 1.0 + load;
        if let Some(h) = levinson(&t, cross) {
            return Ok(h);
        }
        load *= 100.0;
        if load > 1.0 {
            return Err("the training input's correlation could not be inverted".into());
        }
    }
}

/// Solves T x = b for the symmetric positive definite Toeplitz matrix T whose first column is `t`
/// (Levinson's recursion, Golub and Van Loan algorithm 4.7.2). None if T is not numerically
/// positive definite.
fn levinson(t: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = t.len();
    let t0 = t[0];
    if n == 1 {
        return Some(vec![b[0] / t0]);
    }
    let r: Vec<f64> = t[1..].iter().map(|v| v / t0).collect();
    let b: Vec<f64> = b.iter().map(|v| v / t0).collect();
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let mut scratch = vec![0.0; n];
    x[0] = b[0];
    y[0] = -r[0];
    let (mut beta, mut alpha) = (1.0, -r[0]);
    for k in 1..n {
        beta *= 1.0 - alpha * alpha;
        // Not positive, or NaN.
        if beta.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let rx: f64 = (0..k).map(|i| r[i] * x[k - 1 - i]).sum();
        let mu = (b[k] - rx) / beta;
        for i in 0..k {
            scratch[i] = x[i] + mu * y[k - 1 - i];
        }
        x[..k].copy_from_slice(&scratch[..k]);
        x[k] = mu;
        if k < n - 1 {
            let ry: f64 = (0..k).map(|i| r[i] * y[k - 1 - i]).sum();
            alpha = (-r[k] - ry) / beta;
            for i in 0..k {
                scratch[i] = y[i] + alpha * y[k - 1 - i];
            }
            y[..k].copy_from_slice(&scratch[..k]);
            y[k] = alpha;
        }
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// How a filter does on held-out pairs: mean over pairs of each measure, the gains against the
/// unprocessed noisy input.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Evaluation {
    pub pairs: usize,
    pub mse: f64,
    pub noisy_mse: f64,
    pub snr_gain_db: f64,
    pub si_sdr_gain_db: f64,
}

/// Runs `taps` through the plugin's own FIR stage on each pair's noisy signal.
pub fn evaluate(taps: &[f32], pairs: &[Pair]) -> Result<Evaluation, String> {
    let kernel = FirKernel::new(taps)?;
    let mut e = Evaluation {
        pairs: pairs.len(),
        ..Default::default()
    };
    for pair in pairs {
        let mut stage = FirFilter::new(1);
        stage.install(Box::new(kernel.clone()), 0);
        let mut out = pair.noisy.clone();
        stage.process(&mut [&mut out]);
        e.mse += mse(&out, &pair.clean);
        e.noisy_mse += mse(&pair.noisy, &pair.clean);
        e.snr_gain_db += snr_db(&out, &pair.clean) - snr_db(&pair.noisy, &pair.clean);
        e.si_sdr_gain_db += si_sdr_db(&out, &pair.clean) - si_sdr_db(&pair.noisy, &pair.clean);
    }
    let n = pairs.len().max(1) as f64;
    e.mse /= n;
    e.noisy_mse /= n;
    e.snr_gain_db /= n;
    e.si_sdr_gain_db /= n;
    Ok(e)
}

/// `evaluate` for each noise type among `pairs` (pairs of unknown type are left out).
pub fn evaluate_by_noise_type(
    taps: &[f32],
    pairs: &[Pair],
) -> Result<std::collections::BTreeMap<String, Evaluation>, String> {
    let mut types: Vec<&String> = pairs.iter().filter_map(|p| p.noise_type.as_ref()).collect();
    types.sort();
    types.dedup();
    types
        .into_iter()
        .map(|t| {
            let subset: Vec<Pair> = pairs
                .iter()
                .filter(|p| p.noise_type.as_ref() == Some(t))
                .cloned()
                .collect();
            Ok((t.clone(), evaluate(taps, &subset)?))
        })
        .collect()
}

/// Least-squares taps over all of `pairs`.
pub fn least_squares(pairs: &[Pair], taps: usize) -> Result<Vec<f32>, String> {
    let mut stats = CorrelationStats::new(taps)?;
    for p in pairs {
        stats.add_recording(&p.noisy, &p.clean);
    }
    stats.solve()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn noise(len: usize, rng: &mut impl Rng) -> Vec<f32> {
        (0..len).map(|_| rng.random::<f32>() - 0.5).collect()
    }

    fn filter(h: &[f64], x: &[f32]) -> Vec<f32> {
        (0..x.len())
            .map(|n| {
                h.iter()
                    .enumerate()
                    .take(n + 1)
                    .map(|(k, v)| v * x[n - k] as f64)
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_filter_from_its_input_and_output() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let truth: Vec<f64> = (0..48)
            .map(|k| (-(k as f64) / 9.0).exp() * ((k as f64) * 0.7).cos())
            .collect();
        let mut stats = CorrelationStats::new(truth.len()).unwrap();
        // Several complete recordings (silence before and after, so the Toeplitz normal equations
        // are exact), one long enough to be cut into chunks.
        for len in [5000, 70000, 1234] {
            let mut x = noise(len, &mut rng);
            x.resize(len + truth.len(), 0.0);
            stats.add_recording(&x, &filter(&truth, &x));
        }
        let h = stats.solve().unwrap();
        for (a, b) in h.iter().zip(&truth) {
            assert!((*a as f64 - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn chunked_streaming_equals_one_pass() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let (x, d) = (noise(50000, &mut rng), noise(50000, &mut rng));
        let mut whole = CorrelationStats::new(300).unwrap();
        whole.push(&x, &d);
        let mut parts = CorrelationStats::new(300).unwrap();
        for (a, b) in x.chunks(777).zip(d.chunks(777)) {
            parts.push(a, b);
        }
        for (a, b) in whole
            .auto
            .iter()
            .chain(&whole.cross)
            .zip(parts.auto.iter().chain(&parts.cross))
        {
            assert!((a - b).abs() < 1e-8 * whole.auto[0], "{a} vs {b}");
        }
    }

    #[test]
    fn silent_input_is_an_error_not_a_nan_filter() {
        let mut stats = CorrelationStats::new(16).unwrap();
        stats.add_recording(&[0.0; 1000], &[0.1; 1000]);
        assert!(stats.solve().is_err());
        assert!(CorrelationStats::new(0).is_err());
    }
}
