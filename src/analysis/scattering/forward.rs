//! The forward transform. The complex wavelet coefficients of every path are kept (in `Work`),
//! because the gradient runs back through their moduli.

use rustfft::num_complex::Complex64;

use super::{filter_and_subsample, Bank, Octaves, Padding, Path, Scattering, Wavelet};

/// Buffers made once for a transform.
pub(super) struct Work {
    /// The padded signal's spectrum.
    pub spectrum: Vec<Complex64>,
    /// x ⋆ ψ₁, subsampled, for each first-order wavelet.
    pub first: Vec<Vec<Complex64>>,
    /// U₁ ⋆ ψ₂, subsampled, for each second-order path in row order.
    pub second: Vec<Vec<Complex64>>,
    /// The spectrum of the current |x ⋆ ψ₁| and |U₁ ⋆ ψ₂|.
    pub modulus_first: Vec<Complex64>,
    pub modulus_second: Vec<Complex64>,
    /// A row at the averaging scale, before and after its inverse FFT.
    pub low: Vec<Complex64>,
    pub low_real: Vec<f64>,
    /// A real signal about to be transformed: the padded input, a modulus, or (gradient)
    /// the real part of an inverse.
    pub real: Vec<f64>,
    /// The gradient with respect to the spectra of the padded signal, a first-order modulus
    /// and a second-order modulus.
    pub grad_spectrum: Vec<Complex64>,
    pub grad_first: Vec<Complex64>,
    pub grad_second: Vec<Complex64>,
    /// The gradient with respect to the padded signal.
    pub grad_padded: Vec<f64>,
}

impl Work {
    pub fn new(
        padding: &Padding,
        log2_t: u32,
        psi1: &[Wavelet],
        psi2: &[Wavelet],
        paths: &[Path],
    ) -> Self {
        let n = padding.padded;
        let zeros = |len: usize| vec![Complex64::default(); len];
        let first_octave = |n1: usize| psi1[n1].j.min(log2_t);
        let second = (paths.iter())
            .filter_map(|p| match *p {
                Path::Two(n1, n2) => {
                    let k1 = first_octave(n1);
                    Some(zeros(n >> psi2[n2].j.min(log2_t).max(k1)))
                }
                _ => None,
            })
            .collect();
        Self {
            spectrum: zeros(n),
            first: (0..psi1.len())
                .map(|n1| zeros(n >> first_octave(n1)))
                .collect(),
            second,
            modulus_first: zeros(n),
            modulus_second: zeros(n),
            low: zeros(n >> log2_t),
            low_real: vec![0.0; n >> log2_t],
            real: vec![0.0; n],
            grad_spectrum: zeros(n),
            grad_first: zeros(n),
            grad_second: zeros(n),
            grad_padded: vec![0.0; n],
        }
    }
}

impl Scattering {
    /// S(x) into `out`, row-major: `paths().len()` rows of `frames()` values.
    pub fn transform(&mut self, x: &[f64], out: &mut [f64]) {
        let frames = self.frames();
        assert_eq!(
            x.len(),
            self.shape,
            "the signal must have the transform's length"
        );
        assert_eq!(out.len(), self.paths.len() * frames, "one row per path");
        let (l, padding) = (self.log2_t, &self.padding);
        let (Bank { psi1, psi2, phi }, octaves, work) =
            (&self.bank, &mut self.octaves, &mut self.work);
        let (low_rows, second_rows) = out.split_at_mut((1 + psi1.len()) * frames);
        let mut rows = low_rows.chunks_exact_mut(frames);
        let mut second_rows = second_rows.chunks_exact_mut(frames);
        let mut second_z = work.second.iter_mut();
        pad_reflect(x, padding, &mut work.real);
        octaves.fft_real(&work.real, &mut work.spectrum);
        let frames = padding.start..padding.end;
        let (low, low_real) = (&mut work.low, &mut work.low_real);
        let mut low_pass =
            |spectrum: &[Complex64], octave: u32, row: &mut [f64], octaves: &mut Octaves| {
                filter_and_subsample(spectrum, &phi[octave as usize], low);
                octaves.ifft_real(low, low_real);
                row.copy_from_slice(&low_real[frames.clone()]);
            };
        low_pass(&work.spectrum, 0, rows.next().unwrap(), octaves);
        for (p1, z1) in psi1.iter().zip(work.first.iter_mut()) {
            let k1 = p1.j.min(l);
            filter_and_subsample(&work.spectrum, &p1.levels[0], z1);
            octaves.ifft(z1);
            let u1 = &mut work.modulus_first[..z1.len()];
            let real = &mut work.real[..z1.len()];
            for (u, z) in real.iter_mut().zip(z1.iter()) {
                *u = modulus(*z);
            }
            octaves.fft_real(real, u1);
            low_pass(u1, k1, rows.next().unwrap(), octaves);
            for p2 in psi2.iter().filter(|p2| p2.j > p1.j) {
                let k2 = p2.j.min(l).saturating_sub(k1);
                let z2 = second_z.next().unwrap();
                filter_and_subsample(u1, &p2.levels[k1 as usize], z2);
                octaves.ifft(z2);
                let u2 = &mut work.modulus_second[..z2.len()];
                let real = &mut work.real[..z2.len()];
                for (u, z) in real.iter_mut().zip(z2.iter()) {
                    *u = modulus(*z);
                }
                octaves.fft_real(real, u2);
                low_pass(u2, k1 + k2, second_rows.next().unwrap(), octaves);
            }
        }
    }
}

/// |z| as √(re² + im²) (no overflow-safe hypot: these are far from overflow, and it is fast).
#[inline(always)]
pub(super) fn modulus(z: Complex64) -> f64 {
    (z.re * z.re + z.im * z.im).sqrt()
}

/// x reflected about its end samples (numpy's 'reflect', which does not repeat them) to the
/// padded length.
#[inline(always)]
fn pad_reflect(x: &[f64], padding: &Padding, out: &mut [f64]) {
    let (left, n) = (padding.left, x.len());
    for (i, o) in out.iter_mut().enumerate() {
        let at = if i < left {
            left - i
        } else if i < left + n {
            i - left
        } else {
            n - 2 - (i - left - n)
        };
        *o = x[at];
    }
}
