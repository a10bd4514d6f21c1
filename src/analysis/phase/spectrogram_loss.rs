//! The distance between a target and the same representation of a signal, with its exact
//! gradient with respect to the signal (the adjoint of every step, written out), for the
//! L-BFGS inversion (Decorsière, Søndergaard, MacDonald and Dau 2015).
//!
//! The representation: frames of the signal (librosa's layout, zero padding when centred),
//! windowed, real FFT, magnitude |X|; then either |X|ᵖ (compressed linear magnitude) or the
//! mel spectrogram B·|X|. The adjoint runs the same steps backwards: ∂L/∂|X| to the complex
//! gradient ∂L/∂|X| · X / |X| (0 where X = 0), the real FFT's adjoint (the inverse transform
//! with interior bins halved), the window, and overlap-add.

use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;

use crate::analysis::optim::Objective;
use crate::dsp::mel::MelBank;
use crate::dsp::real_fft::RealFft;
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
    fft: RealFft<f64>,
    window: Vec<f64>,
    /// One frame: an edge frame's samples with its zero padding, or a frame's gradient.
    time: Vec<f64>,
    /// Every frame's spectrum, then its complex gradient.
    spectra: Vec<Complex64>,
    /// |X| per frame and bin, and ∂L/∂|X|.
    magnitude: Vec<f64>,
    slope: Vec<f64>,
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
            time: vec![0.0; n],
            spectra: vec![Complex64::default(); frames * bins],
            magnitude: vec![0.0; frames * bins],
            slope: vec![0.0; frames * bins],
            mel: vec![0.0; frames * mels],
            convergence_db: 0.0,
            target,
            fft: RealFft::new(&mut FftPlanner::new(), n)?,
        })
    }

    /// Where frame `t` starts in the signal (before its first sample when centred), and the
    /// part of the frame that lies inside the signal: its first index and the signal's range.
    fn span(&self, t: usize) -> (usize, std::ops::Range<usize>) {
        let offset = if self.layout.center {
            self.layout.n_fft / 2
        } else {
            0
        };
        let start = (t * self.layout.hop) as isize - offset as isize;
        let first = start.max(0) as usize;
        let end = ((start + self.layout.n_fft as isize).max(0) as usize).min(self.len);
        ((first as isize - start) as usize, first.min(end)..end)
    }

    /// The spectral convergence in dB of the point evaluated last: of |X| against the target
    /// magnitude, or of the mel spectrogram against the target's (both l2-normalised when the
    /// loss is).
    pub fn convergence_db(&self) -> f64 {
        self.convergence_db
    }

    /// Frames, windows and transforms `x` into `spectra` and `magnitude`. Frames inside the
    /// signal are read in place; only edge frames are copied out with their zero padding.
    #[inline(always)]
    fn analyze(&mut self, x: &[f64]) {
        let (n, bins) = (self.layout.n_fft, self.layout.n_fft / 2 + 1);
        for t in 0..self.spectra.len() / bins {
            let (skip, range) = self.span(t);
            let spectrum = &mut self.spectra[t * bins..(t + 1) * bins];
            if skip == 0 && range.len() == n {
                self.fft.forward(&x[range], &self.window, spectrum);
            } else {
                self.time.fill(0.0);
                self.time[skip..skip + range.len()].copy_from_slice(&x[range]);
                self.fft.forward(&self.time, &self.window, spectrum);
            }
        }
        for (m, x) in self.magnitude.iter_mut().zip(&self.spectra) {
            // Not `norm()`: libm's overflow-safe hypot costs several times more.
            *m = x.norm_sqr().sqrt();
        }
    }

    /// The loss of the magnitudes just analysed; leaves ∂L/∂|X| in `slope`.
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
                for (((a, da), s), target) in (self.magnitude.iter())
                    .zip(self.slope.iter_mut())
                    .zip(&self.compared)
                    .zip(flatten(magnitude))
                {
                    error += (*a - target) * (*a - target);
                    total += target * target;
                    let r = a.powf(p) - s;
                    loss += r * r;
                    // d|X|ᵖ/d|X| = p|X|ᵖ⁻¹, taken as 0 at |X| = 0 (its subgradient when p < 1).
                    let slope = if *a > 0.0 { p * a.powf(p - 1.0) } else { 0.0 };
                    *da = 2.0 * self.scale * r * slope;
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
                    .slope
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

    /// ∂L/∂x from ∂L/∂|X| (in `slope`) into `gradient`, overlap-added in place.
    #[inline(always)]
    fn backward(&mut self, gradient: &mut [f64]) {
        let bins = self.layout.n_fft / 2 + 1;
        gradient.fill(0.0);
        for t in 0..self.spectra.len() / bins {
            let spectrum = &mut self.spectra[t * bins..(t + 1) * bins];
            let slope = &self.slope[t * bins..(t + 1) * bins];
            let magnitude = &self.magnitude[t * bins..(t + 1) * bins];
            // ∂L/∂X = ∂L/∂|X| · X / |X| (0 where X = 0). The real FFT's adjoint is
            // Re Σₖ Gₖ e^{2πikn/N} over the kept bins; the inverse real FFT counts interior
            // bins twice, so they go in halved (and it ignores the imaginary parts of DC and
            // Nyquist, as the adjoint must).
            for ((x, da), a) in spectrum.iter_mut().zip(slope).zip(magnitude) {
                let f = if *a > 0.0 { 0.5 * da / a } else { 0.0 };
                x.re *= f;
                x.im *= f;
            }
            spectrum[0] *= 2.0;
            spectrum[bins - 1] *= 2.0;
            self.fft.inverse(spectrum, &mut self.time);
            let (skip, range) = self.span(t);
            let window = &self.window[skip..];
            for ((g, t), w) in gradient[range]
                .iter_mut()
                .zip(&self.time[skip..])
                .zip(window)
            {
                *g += t * w;
            }
        }
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
