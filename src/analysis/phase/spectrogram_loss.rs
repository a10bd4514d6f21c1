//! The distance between a target and the same representation of a signal, with its exact
//! gradient with respect to the signal (the adjoint of every step, written out), for the
//! L-BFGS inversion (Decorsière, Søndergaard, MacDonald and Dau 2015).
//!
//! The representation: frames of the signal (librosa's layout, zero padding when centred),
//! windowed, real FFT, magnitude |X|; then either |X|ᵖ (compressed linear magnitude) or the
//! mel spectrogram B·|X|. The adjoint runs the same steps backwards: ∂L/∂|X| to the complex
//! gradient ∂L/∂|X| · X / |X| (0 where X = 0), the real FFT's adjoint (the inverse transform
//! with interior bins halved), the window, and overlap-add.

use std::sync::Arc;

use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::analysis::optim::Objective;
use crate::dsp::mel::MelBank;
use crate::dsp::stft::StftLayout;
use crate::dsp::wide::with_avx;

/// What the representation is and what it is compared with (one row per frame).
pub enum Target {
    /// Loss ‖|X|ᵖ − Sᵖ‖² / ‖Sᵖ‖² against the magnitude S.
    Magnitude {
        magnitude: Vec<Vec<f32>>,
        exponent: f64,
    },
    /// The mel spectrogram B·|X| against `mel`. `normalised`: both sides scaled to unit l2 norm
    /// and compared by mean squared error (the reference notebook's loss); otherwise
    /// ‖B|X| − M‖² / ‖M‖².
    Mel {
        mel: Vec<Vec<f32>>,
        bank: MelBank,
        normalised: bool,
    },
}

impl Target {
    fn rows(&self) -> usize {
        match self {
            Target::Magnitude { magnitude, .. } => magnitude.len(),
            Target::Mel { mel, .. } => mel.len(),
        }
    }
}

pub struct SpectrogramLoss {
    layout: StftLayout,
    len: usize,
    target: Target,
    /// The target as the loss compares it: Sᵖ, M or M / ‖M‖, frame after frame.
    compared: Vec<f64>,
    scale: f64,
    fft: Arc<dyn RealToComplex<f64>>,
    ifft: Arc<dyn ComplexToReal<f64>>,
    window: Vec<f64>,
    padded: Vec<f64>,
    time: Vec<f64>,
    scratch: Vec<Complex64>,
    /// Every frame's spectrum, then its complex gradient.
    spectra: Vec<Complex64>,
    /// |X| per frame and bin, then ∂L/∂|X|.
    magnitude: Vec<f64>,
    /// B|X| per frame and band, then ∂L/∂(B|X|).
    mel: Vec<f64>,
    convergence_db: f64,
}

impl SpectrogramLoss {
    /// For signals of `len` samples; the target needs one row for each of their frames.
    pub fn new(target: Target, layout: StftLayout, len: usize) -> Result<Self, String> {
        layout.check()?;
        let (n, bins, frames) = (layout.n_fft, layout.n_fft / 2 + 1, layout.frames(len));
        if target.rows() != frames {
            return Err(format!(
                "the target has {} frames; a signal of {len} samples has {frames}",
                target.rows()
            ));
        }
        let compared: Vec<f64> = match &target {
            Target::Magnitude {
                magnitude,
                exponent,
            } => {
                if magnitude.iter().any(|r| r.len() != bins) {
                    return Err(format!("every frame needs {bins} magnitudes"));
                }
                if !(*exponent > 0.0 && *exponent <= 2.0) {
                    return Err(format!("compression exponent {exponent} is outside (0, 2]"));
                }
                flatten(magnitude)
                    .map(|s| s.max(0.0).powf(*exponent))
                    .collect()
            }
            Target::Mel {
                mel,
                bank,
                normalised,
            } => {
                if mel.iter().any(|r| r.len() != bank.len()) {
                    return Err(format!("every frame needs {} mel bands", bank.len()));
                }
                let m: Vec<f64> = flatten(mel).collect();
                let norm = if *normalised { l2(&m) } else { 1.0 };
                m.iter().map(|m| m / norm.max(f64::MIN_POSITIVE)).collect()
            }
        };
        let scale = match &target {
            Target::Mel {
                normalised: true, ..
            } => 1.0 / compared.len() as f64,
            _ => {
                1.0 / compared
                    .iter()
                    .map(|c| c * c)
                    .sum::<f64>()
                    .max(f64::MIN_POSITIVE)
            }
        };
        let mut planner = RealFftPlanner::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n);
        let offset = if layout.center { n / 2 } else { 0 };
        let mels = match &target {
            Target::Mel { bank, .. } => bank.len(),
            Target::Magnitude { .. } => 0,
        };
        Ok(Self {
            layout,
            len,
            compared,
            scale,
            window: layout.window().iter().map(|w| *w as f64).collect(),
            padded: vec![0.0; (len + 2 * offset).max(n + layout.hop * frames.saturating_sub(1))],
            time: vec![0.0; n],
            scratch: vec![Complex64::default(); fft.get_scratch_len().max(ifft.get_scratch_len())],
            spectra: vec![Complex64::default(); frames * bins],
            magnitude: vec![0.0; frames * bins],
            mel: vec![0.0; frames * mels],
            convergence_db: 0.0,
            target,
            fft,
            ifft,
        })
    }

    fn offset(&self) -> usize {
        if self.layout.center {
            self.layout.n_fft / 2
        } else {
            0
        }
    }

    /// The spectral convergence in dB of the point evaluated last: of |X| against the target
    /// magnitude, or of the mel spectrogram against the target's (both l2-normalised when the
    /// loss is).
    pub fn convergence_db(&self) -> f64 {
        self.convergence_db
    }

    /// Frames, windows and transforms `x` into `spectra` and `magnitude`.
    #[inline(always)]
    fn analyze(&mut self, x: &[f64]) {
        let (n, hop, offset) = (self.layout.n_fft, self.layout.hop, self.offset());
        let bins = n / 2 + 1;
        self.padded.fill(0.0);
        self.padded[offset..offset + x.len()].copy_from_slice(x);
        for (t, spectrum) in self.spectra.chunks_exact_mut(bins).enumerate() {
            let frame = &self.padded[t * hop..t * hop + n];
            for ((o, x), w) in self.time.iter_mut().zip(frame).zip(&self.window) {
                *o = x * w;
            }
            let _ = self
                .fft
                .process_with_scratch(&mut self.time, spectrum, &mut self.scratch);
        }
        for (m, x) in self.magnitude.iter_mut().zip(&self.spectra) {
            // Not `norm()`: libm's overflow-safe hypot costs several times more.
            *m = x.norm_sqr().sqrt();
        }
    }

    /// The loss of the magnitudes just analysed; leaves ∂L/∂|X| in `magnitude`.
    #[inline(always)]
    fn loss_and_magnitude_gradient(&mut self) -> f64 {
        let bins = self.layout.n_fft / 2 + 1;
        match &self.target {
            Target::Magnitude {
                exponent,
                magnitude,
            } => {
                let (p, mut loss) = (*exponent, 0.0);
                let (mut error, mut total) = (0.0, 0.0);
                for ((a, s), target) in self
                    .magnitude
                    .iter_mut()
                    .zip(&self.compared)
                    .zip(flatten(magnitude))
                {
                    error += (*a - target) * (*a - target);
                    total += target * target;
                    let r = a.powf(p) - s;
                    loss += r * r;
                    // d|X|ᵖ/d|X| = p|X|ᵖ⁻¹, taken as 0 at |X| = 0 (its subgradient when p < 1).
                    let slope = if *a > 0.0 { p * a.powf(p - 1.0) } else { 0.0 };
                    *a = 2.0 * self.scale * r * slope;
                }
                self.convergence_db = ratio_db(error, total);
                loss * self.scale
            }
            Target::Mel {
                bank, normalised, ..
            } => {
                let mels = bank.len();
                for (mel, a) in self
                    .mel
                    .chunks_exact_mut(mels)
                    .zip(self.magnitude.chunks_exact(bins))
                {
                    for (m, (first, w)) in mel.iter_mut().zip(bank.bands()) {
                        *m = w.iter().zip(&a[first..]).map(|(w, a)| *w as f64 * a).sum();
                    }
                }
                let norm = if *normalised {
                    l2(&self.mel).max(f64::MIN_POSITIVE)
                } else {
                    1.0
                };
                let (mut loss, mut along) = (0.0, 0.0);
                for (m, c) in self.mel.iter().zip(&self.compared) {
                    let r = m / norm - c;
                    loss += r * r;
                    along += m / norm * r;
                }
                self.convergence_db = ratio_db(loss, self.compared.iter().map(|c| c * c).sum());
                // ∂L/∂M = 2s (r − m̂ (m̂·r)) / ν for M scaled to m̂ = M / ν; the projection only
                // when normalised (ν = ‖M‖).
                if !*normalised {
                    along = 0.0;
                }
                for (m, c) in self.mel.iter_mut().zip(&self.compared) {
                    let unit = *m / norm;
                    *m = 2.0 * self.scale * (unit - c - unit * along) / norm;
                }
                for (a, g) in self
                    .magnitude
                    .chunks_exact_mut(bins)
                    .zip(self.mel.chunks_exact(mels))
                {
                    a.fill(0.0);
                    for (g, (first, w)) in g.iter().zip(bank.bands()) {
                        for (a, w) in a[first..].iter_mut().zip(w) {
                            *a += *w as f64 * g;
                        }
                    }
                }
                loss * self.scale
            }
        }
    }

    /// ∂L/∂x from ∂L/∂|X| (in `magnitude`) into `gradient`.
    #[inline(always)]
    fn backward(&mut self, gradient: &mut [f64]) {
        let (n, hop, offset) = (self.layout.n_fft, self.layout.hop, self.offset());
        let bins = n / 2 + 1;
        self.padded.fill(0.0);
        for (t, (spectrum, da)) in self
            .spectra
            .chunks_exact_mut(bins)
            .zip(self.magnitude.chunks_exact(bins))
            .enumerate()
        {
            for (k, (x, da)) in spectrum.iter_mut().zip(da).enumerate() {
                let norm = x.norm_sqr().sqrt();
                // The real FFT's adjoint is Re Σₖ Gₖ e^{2πikn/N} over the kept bins; the inverse
                // real FFT counts interior bins twice, so they go in halved.
                let half = if k == 0 || k == bins - 1 { 1.0 } else { 0.5 };
                *x = if norm > 0.0 {
                    *x * (da * half / norm)
                } else {
                    Complex64::default()
                };
            }
            spectrum[0].im = 0.0;
            spectrum[bins - 1].im = 0.0;
            let _ = self
                .ifft
                .process_with_scratch(spectrum, &mut self.time, &mut self.scratch);
            for ((p, t), w) in self.padded[t * hop..]
                .iter_mut()
                .zip(&self.time)
                .zip(&self.window)
            {
                *p += t * w;
            }
        }
        gradient.copy_from_slice(&self.padded[offset..offset + self.len]);
    }
}

impl Objective for SpectrogramLoss {
    fn evaluate(&mut self, x: &[f64], gradient: &mut [f64]) -> f64 {
        with_avx(
            #[inline(always)]
            || {
                self.analyze(x);
                let loss = self.loss_and_magnitude_gradient();
                self.backward(gradient);
                loss
            },
        )
    }
}

fn flatten(rows: &[Vec<f32>]) -> impl Iterator<Item = f64> + '_ {
    rows.iter().flatten().map(|v| *v as f64)
}

fn l2(v: &[f64]) -> f64 {
    v.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// 10 log10 of a squared error over the target's squared norm.
fn ratio_db(error: f64, total: f64) -> f64 {
    10.0 * (error / total).log10()
}
