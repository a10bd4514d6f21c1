//! The gradient of a weighted sum of the coefficients, Σ G·S(x), with respect to x: every
//! step of the forward transform run backwards through its adjoint (reverse mode, written
//! out). A complex gradient is stored as ∂/∂re + i ∂/∂im. The adjoints:
//! - a row Re(ifft(v))[start..end]: zero-fill the row, fft, divide by the length;
//! - subsampling by k (mean of k blocks): repeat k times, divide by k;
//! - a real filter: multiply by it;
//! - U = |z|: ∂/∂z = ∂/∂U · z / |z|, and 0 where z = 0 (the modulus has no derivative
//!   there; 0 is what autodiff frameworks give too);
//! - fft of a real signal, ifft: ifft times the length, real part; fft divided by the length;
//! - reflect padding: each padded sample's gradient added back to the sample it copies.

use rustfft::num_complex::Complex64;

use super::forward::modulus;
use super::{Bank, Filter, Octaves, Padding, Scattering};

impl Scattering {
    /// The gradient of Σ `weights`·S(x) at the x last given to `transform` (`weights` laid
    /// out like its output) into `grad`.
    pub fn gradient(&mut self, weights: &[f64], grad: &mut [f64]) {
        let frames = self.frames();
        assert_eq!(
            weights.len(),
            self.paths.len() * frames,
            "one weight per coefficient"
        );
        assert_eq!(grad.len(), self.shape, "one gradient value per sample");
        let (l, padding) = (self.log2_t, &self.padding);
        let (Bank { psi1, psi2, phi }, octaves, work) =
            (&self.bank, &mut self.octaves, &mut self.work);
        let (low_rows, second_rows) = weights.split_at((1 + psi1.len()) * frames);
        let mut rows = low_rows.chunks_exact(frames);
        let mut second_rows = second_rows.chunks_exact(frames);
        let mut second_z = work.second.iter();
        let (low, low_real) = (&mut work.low, &mut work.low_real);
        let mut low_pass = |row: &[f64], octave: u32, out: &mut [Complex64], o: &mut Octaves| {
            low_real.fill(0.0);
            low_real[padding.start..padding.end].copy_from_slice(row);
            o.fft_real(low_real, low);
            let scale = 1.0 / low.len() as f64;
            low.iter_mut().for_each(|v| *v *= scale);
            out.fill(Complex64::default());
            upsample_and_filter(low, &phi[octave as usize], out);
        };
        let g0 = &mut work.grad_spectrum[..];
        low_pass(rows.next().unwrap(), 0, g0, octaves);
        for (p1, z1) in psi1.iter().zip(&work.first) {
            let k1 = p1.j.min(l);
            let g1 = &mut work.grad_first[..z1.len()];
            low_pass(rows.next().unwrap(), k1, g1, octaves);
            for p2 in psi2.iter().filter(|p2| p2.j > p1.j) {
                let k2 = p2.j.min(l).saturating_sub(k1);
                let z2 = second_z.next().unwrap();
                let g2 = &mut work.grad_second[..z2.len()];
                low_pass(second_rows.next().unwrap(), k1 + k2, g2, octaves);
                through_modulus(g2, z2, &mut work.real, octaves);
                upsample_and_filter(g2, &p2.levels[k1 as usize], g1);
            }
            through_modulus(g1, z1, &mut work.real, octaves);
            upsample_and_filter(g1, &p1.levels[0], g0);
        }
        octaves.ifft_real(g0, &mut work.grad_padded);
        let n = g0.len() as f64;
        work.grad_padded.iter_mut().for_each(|p| *p *= n);
        unpad_reflect(&work.grad_padded, padding, grad);
    }
}

/// From the gradient with respect to the spectrum of U = |z| (in `g`) to the gradient with
/// respect to the spectrum z came from, in place: back to U (ifft times the length, real part,
/// since U is real; `real` holds it), through the modulus, and to z's spectrum (fft over the
/// length). The two scalings cancel.
#[inline(always)]
fn through_modulus(g: &mut [Complex64], z: &[Complex64], real: &mut [f64], o: &mut Octaves) {
    let real = &mut real[..g.len()];
    o.ifft_real(g, real);
    for ((g, z), r) in g.iter_mut().zip(z).zip(real.iter()) {
        let m = modulus(*z);
        *g = if m > 0.0 {
            z * (r / m)
        } else {
            Complex64::default()
        };
    }
    o.fft(g);
}

/// The adjoint of `filter_and_subsample`, accumulated: `out[i] += g[i mod len(g)] · filter[i]
/// / k`, where k = len(out) / len(g).
#[inline(always)]
fn upsample_and_filter(g: &[Complex64], filter: &Filter, out: &mut [Complex64]) {
    let scale = g.len() as f64 / out.len() as f64;
    for piece in filter.pieces(g.len()) {
        let at = piece.start % g.len();
        let f = &filter.values[piece.clone()];
        for ((o, g), f) in out[piece].iter_mut().zip(&g[at..at + f.len()]).zip(f) {
            *o += g * (f * scale);
        }
    }
}

/// The adjoint of reflect padding: the unpadded stretch, plus each padded sample's gradient
/// added to the sample it copied.
#[inline(always)]
fn unpad_reflect(padded: &[f64], padding: &Padding, grad: &mut [f64]) {
    let (left, n) = (padding.left, grad.len());
    grad.copy_from_slice(&padded[left..left + n]);
    for (i, g) in padded[..left].iter().enumerate() {
        grad[left - i] += g;
    }
    for (q, g) in padded[left + n..].iter().enumerate() {
        grad[n - 2 - q] += g;
    }
}
