//! FFT plans for the padded length and each power-of-two subsampling of it, with numpy's
//! normalisation (the forward transform is a sum, the inverse a mean), so the transform reads
//! as kymatio's does. Most signals the transform meets are real (the padded input, moduli,
//! rows at the averaging scale), and so is most of what the gradient needs of an inverse (its
//! real part): those go through real FFTs of half the work (`fft_real`, `ifft_real`).

use std::sync::Arc;

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use crate::dsp::real_fft::RealFft;

pub struct Octaves {
    /// Plans for length `padded >> k`, k = 0 to the coarsest octave.
    forward: Vec<Arc<dyn Fft<f64>>>,
    inverse: Vec<Arc<dyn Fft<f64>>>,
    /// Real FFTs for the same lengths, where they are at least 4 (even halves).
    real: Vec<Option<RealFft<f64>>>,
    /// A rectangular window for the real FFT.
    ones: Vec<f64>,
    scratch: Vec<Complex64>,
}

impl Octaves {
    pub fn new(padded: usize, coarsest: u32) -> Self {
        let mut planner = FftPlanner::new();
        let lengths = (0..=coarsest).map(|k| (padded >> k).max(1));
        let forward: Vec<_> = lengths
            .clone()
            .map(|n| planner.plan_fft_forward(n))
            .collect();
        let inverse: Vec<_> = lengths
            .clone()
            .map(|n| planner.plan_fft_inverse(n))
            .collect();
        let real = lengths
            .map(|n| {
                (n >= 4)
                    .then(|| RealFft::new(&mut planner, n).ok())
                    .flatten()
            })
            .collect();
        let scratch = (forward.iter().chain(&inverse))
            .map(|f| f.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Self {
            forward,
            inverse,
            real,
            ones: vec![1.0; padded],
            scratch: vec![Complex64::default(); scratch],
        }
    }

    /// The k of the plans for length `padded >> k`.
    fn octave(&self, len: usize) -> usize {
        let k = (self.forward[0].len().trailing_zeros() - len.trailing_zeros()) as usize;
        debug_assert_eq!(self.forward[k].len(), len);
        k
    }

    /// `spectrum` = the FFT of the real signal `x` (same length), every bin: the real FFT's
    /// half, the rest mirrored (X[N − k] = conj X[k]).
    pub fn fft_real(&mut self, x: &[f64], spectrum: &mut [Complex64]) {
        let n = x.len();
        debug_assert_eq!(spectrum.len(), n);
        let octave = self.octave(n);
        let Some(real) = self.real[octave].as_mut() else {
            for (s, x) in spectrum.iter_mut().zip(x) {
                *s = Complex64::new(*x, 0.0);
            }
            return self.fft(spectrum);
        };
        real.forward(x, &self.ones[..n], &mut spectrum[..=n / 2]);
        let (low, high) = spectrum.split_at_mut(n / 2 + 1);
        for (h, l) in high.iter_mut().rev().zip(&low[1..]) {
            *h = l.conj();
        }
    }

    /// `x` = the real part of the inverse FFT of `spectrum` (same length), which is the
    /// inverse of its Hermitian part (X[k] + conj X[N − k]) / 2, a real signal. `spectrum` is
    /// used as the buffer and left garbled.
    pub fn ifft_real(&mut self, spectrum: &mut [Complex64], x: &mut [f64]) {
        let n = x.len();
        debug_assert_eq!(spectrum.len(), n);
        let octave = self.octave(n);
        let Some(real) = self.real[octave].as_mut() else {
            self.ifft(spectrum);
            for (x, s) in x.iter_mut().zip(spectrum.iter()) {
                *x = s.re;
            }
            return;
        };
        let (low, high) = spectrum.split_at_mut(n / 2 + 1);
        for (l, h) in low[1..].iter_mut().zip(high.iter().rev()) {
            *l = (*l + h.conj()) * 0.5;
        }
        real.inverse(low, x);
        let scale = 1.0 / n as f64;
        x.iter_mut().for_each(|v| *v *= scale);
    }

    /// In place, X[k] = Σ x[n] e^(−2πikn/N).
    pub fn fft(&mut self, x: &mut [Complex64]) {
        let k = self.octave(x.len());
        self.forward[k].process_with_scratch(x, &mut self.scratch);
    }

    /// In place, x[n] = (1/N) Σ X[k] e^(2πikn/N).
    pub fn ifft(&mut self, x: &mut [Complex64]) {
        let k = self.octave(x.len());
        self.inverse[k].process_with_scratch(x, &mut self.scratch);
        let scale = 1.0 / x.len() as f64;
        x.iter_mut().for_each(|v| *v *= scale);
    }
}
