//! The FFT of a real frame of even length n through a complex FFT of n/2 points (rustfft): the
//! even samples are taken as real parts and the odd ones as imaginary parts, and the two
//! half-length spectra are separated and recombined with the twiddles e^(−2πik/n). The
//! separation is written in blocks of plain array arithmetic, so it is vectorised (twice as
//! wide inside `wide::with_avx`); a scalar one took more time than the complex FFT itself.
//! The forward transform also applies the analysis window while packing the frame.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::num_traits::Zero;
use realfft::FftNum;
use rustfft::{Fft, FftPlanner};

/// Forward and inverse real FFTs of one even size, planned once; nothing allocates after.
pub struct RealFft<T: FftNum> {
    forward: Arc<dyn Fft<T>>,
    inverse: Arc<dyn Fft<T>>,
    twiddles: Twiddles<T>,
    pairs: Pairs<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftNum> RealFft<T> {
    /// For frames of `n` samples (even, at least 2).
    pub fn new(planner: &mut FftPlanner<T>, n: usize) -> Result<Self, String> {
        if n < 2 || !n.is_multiple_of(2) {
            return Err(format!(
                "a real FFT needs an even size of at least 2, not {n}"
            ));
        }
        let (forward, inverse) = (
            planner.plan_fft_forward(n / 2),
            planner.plan_fft_inverse(n / 2),
        );
        let scratch = forward
            .get_inplace_scratch_len()
            .max(inverse.get_inplace_scratch_len());
        let angle = |k| -2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let part = |f: fn(f64) -> f64| (1..=n / 4).map(move |k| T::from_f64(f(angle(k))).unwrap());
        let twiddles = Twiddles {
            re: part(f64::cos).collect(),
            im: part(f64::sin).collect(),
        };
        Ok(Self {
            forward,
            inverse,
            twiddles,
            pairs: Pairs::new((n / 2 - 1) / 2),
            scratch: vec![Complex::zero(); scratch],
        })
    }

    pub fn len(&self) -> usize {
        2 * self.forward.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The spectrum (n/2 + 1 bins) of `x · window` (both n samples).
    #[inline(always)]
    pub fn forward(&mut self, x: &[T], window: &[T], spectrum: &mut [Complex<T>]) {
        self.forward_parts([x, &[]], window, spectrum);
    }

    /// The spectrum of `parts[0]` followed by `parts[1]` (together n samples: a ring buffer's
    /// two halves, oldest first), times `window`, with no copy of the frame joined.
    #[inline(always)]
    pub fn forward_parts(&mut self, parts: [&[T]; 2], window: &[T], spectrum: &mut [Complex<T>]) {
        let m = self.forward.len();
        debug_assert!(parts[0].len() + parts[1].len() == 2 * m && window.len() == 2 * m);
        debug_assert!(spectrum.len() == m + 1);
        // Even samples as real parts, odd ones as imaginary parts: the frame in order.
        let packed = flat(&mut spectrum[..m]);
        let (packed_first, packed_second) = packed.split_at_mut(parts[0].len());
        let (window_first, window_second) = window.split_at(parts[0].len());
        for (packed, part, window) in [
            (packed_first, parts[0], window_first),
            (packed_second, parts[1], window_second),
        ] {
            for ((z, x), w) in packed.iter_mut().zip(part).zip(window) {
                *z = *x * *w;
            }
        }
        (self.forward).process_with_scratch(&mut spectrum[..m], &mut self.scratch);
        separate(spectrum, &self.twiddles, &mut self.pairs);
    }

    /// The n samples of `spectrum`, unnormalised (n times the mean: callers scale). The
    /// imaginary parts of DC and Nyquist are ignored; `spectrum` is used as the buffer and
    /// left garbled.
    #[inline(always)]
    pub fn inverse(&mut self, spectrum: &mut [Complex<T>], x: &mut [T]) {
        let m = self.inverse.len();
        debug_assert!(x.len() == 2 * m);
        self.inverse_in_place(spectrum);
        // Pairs, not `copy_from_slice`: glibc's memcpy of a few kilobytes (`rep movsb`) runs at
        // a fraction of this loop's speed on some CPUs (AMD Zen 3) for some buffer placements.
        for (x, z) in x.chunks_exact_mut(2).zip(&spectrum[..m]) {
            (x[0], x[1]) = (z.re, z.im);
        }
    }

    /// The n samples of `spectrum` (as `inverse`), left in its first n/2 bins' storage and
    /// returned from there, with no copy out.
    #[inline(always)]
    pub fn inverse_in_place<'a>(&mut self, spectrum: &'a mut [Complex<T>]) -> &'a [T] {
        let m = self.inverse.len();
        debug_assert!(spectrum.len() == m + 1);
        combine(spectrum, &self.twiddles, &mut self.pairs);
        (self.inverse).process_with_scratch(&mut spectrum[..m], &mut self.scratch);
        // The real parts are the even samples and the imaginary parts the odd ones.
        flat(&mut spectrum[..m])
    }
}

/// The real and imaginary parts of `z` in turn, as one slice of twice its length.
#[inline(always)]
fn flat<T>(z: &mut [Complex<T>]) -> &mut [T] {
    // SAFETY: `Complex<T>` is `#[repr(C)]` with fields `re` and `im` of type T, so a slice of
    // them is 2 · len Ts, in that order, at T's alignment; the borrow carries over.
    unsafe { std::slice::from_raw_parts_mut(z.as_mut_ptr().cast::<T>(), 2 * z.len()) }
}

/// wᵏ = e^(−2πik/n) for k = 1 to n/4, real and imaginary parts apart.
struct Twiddles<T> {
    re: Vec<T>,
    im: Vec<T>,
}

/// The bins k = 1 to p (below the middle) and m − k, taken apart into arrays of real and
/// imaginary parts: the arithmetic on them is then plain loops over arrays, which the
/// compiler vectorises (on interleaved complex numbers it stays scalar).
struct Pairs<T> {
    low_re: Vec<T>,
    low_im: Vec<T>,
    high_re: Vec<T>,
    high_im: Vec<T>,
}

impl<T: FftNum> Pairs<T> {
    fn new(pairs: usize) -> Self {
        let zero = vec![T::zero(); pairs];
        Self {
            low_re: zero.clone(),
            low_im: zero.clone(),
            high_re: zero.clone(),
            high_im: zero,
        }
    }

    /// The four arrays and the twiddles, cut to one length, so indexing them in a loop up to
    /// that length needs no bounds checks (which would keep it from being vectorised).
    #[allow(clippy::type_complexity)]
    #[inline(always)]
    fn with<'a>(
        &'a mut self,
        w: &'a Twiddles<T>,
    ) -> (
        &'a mut [T],
        &'a mut [T],
        &'a mut [T],
        &'a mut [T],
        (&'a [T], &'a [T]),
    ) {
        let p = self.low_re.len();
        (
            &mut self.low_re[..p],
            &mut self.low_im[..p],
            &mut self.high_re[..p],
            &mut self.high_im[..p],
            (&w.re[..p], &w.im[..p]),
        )
    }

    /// `v[k]` and `v[m − k]` for k = 1 to p into the arrays (v has m + 1 bins).
    #[inline(always)]
    fn gather(&mut self, v: &[Complex<T>]) {
        let (p, m) = (self.low_re.len(), v.len() - 1);
        let (low_im, high_im) = (&mut self.low_im[..p], &mut self.high_im[..p]);
        for ((re, im), low) in self.low_re.iter_mut().zip(low_im).zip(&v[1..=p]) {
            (*re, *im) = (low.re, low.im);
        }
        for ((re, im), high) in self
            .high_re
            .iter_mut()
            .zip(high_im)
            .zip(v[m - p..m].iter().rev())
        {
            (*re, *im) = (high.re, high.im);
        }
    }

    /// The arrays back into `v[k]` and `v[m − k]`.
    #[inline(always)]
    fn scatter(&self, v: &mut [Complex<T>]) {
        let (p, m) = (self.low_re.len(), v.len() - 1);
        for ((re, im), low) in self.low_re.iter().zip(&self.low_im).zip(&mut v[1..=p]) {
            *low = Complex::new(*re, *im);
        }
        for ((re, im), high) in
            (self.high_re.iter().zip(&self.high_im)).zip(v[m - p..m].iter_mut().rev())
        {
            *high = Complex::new(*re, *im);
        }
    }
}

/// In place, the half-length spectrum Z of z = x_even + i·x_odd (in `z[..m]`) into the real
/// spectrum X (`z[..=m]`): with A = Z[k] and B = conj Z[m − k], the even and odd samples'
/// spectra are E = (A + B)/2 and O = −i(A − B)/2, and X[k] = E + wᵏO, X[m − k] = conj(E − wᵏO).
/// At the middle (k = m/2, w = −i) that is X = conj Z; at k = 0, X[0] and X[m] are the sum
/// and difference of Z[0]'s parts.
#[inline(always)]
fn separate<T: FftNum>(z: &mut [Complex<T>], w: &Twiddles<T>, pairs: &mut Pairs<T>) {
    let m = z.len() - 1;
    let z0 = z[0];
    z[0] = Complex::new(z0.re + z0.im, T::zero());
    z[m] = Complex::new(z0.re - z0.im, T::zero());
    if m.is_multiple_of(2) && m > 1 {
        z[m / 2] = z[m / 2].conj();
    }
    pairs.gather(z);
    let half = T::from_f64(0.5).unwrap();
    let (low_re, low_im, high_re, high_im, w) = pairs.with(w);
    for j in 0..low_re.len() {
        let (ar, ai, br, bi) = (low_re[j], low_im[j], high_re[j], -high_im[j]);
        let (er, ei) = ((ar + br) * half, (ai + bi) * half);
        let (dr, di) = ((ar - br) * half, (ai - bi) * half);
        let (wr, wi) = (w.0[j], w.1[j]);
        let (pr, pi) = (wr * di + wi * dr, wi * di - wr * dr);
        (low_re[j], low_im[j]) = (er + pr, ei + pi);
        (high_re[j], high_im[j]) = (er - pr, pi - ei);
    }
    pairs.scatter(z);
}

/// In place, the real spectrum X (`x[..=m]`) into 2·Z, the half-length spectrum whose inverse
/// is n/2 · 2 · (x_even + i·x_odd): with F = X[k] and G = conj X[m − k], the even and odd
/// samples' spectra (doubled) are E = F + G and O = (F − G)·conj wᵏ, and Z[k] = E + iO,
/// Z[m − k] = conj E + i·conj O. At the middle that is 2·conj X; at k = 0, E and O are the
/// sum and difference of X[0] and X[m] (their imaginary parts unread).
#[inline(always)]
fn combine<T: FftNum>(x: &mut [Complex<T>], w: &Twiddles<T>, pairs: &mut Pairs<T>) {
    let m = x.len() - 1;
    let (dc, nyquist) = (x[0].re, x[m].re);
    x[0] = Complex::new(dc + nyquist, dc - nyquist);
    if m.is_multiple_of(2) && m > 1 {
        x[m / 2] = x[m / 2].conj() * T::from_f64(2.0).unwrap();
    }
    pairs.gather(x);
    let (low_re, low_im, high_re, high_im, w) = pairs.with(w);
    for j in 0..low_re.len() {
        let (fr, fi, gr, gi) = (low_re[j], low_im[j], high_re[j], -high_im[j]);
        let (er, ei, dr, di) = (fr + gr, fi + gi, fr - gr, fi - gi);
        let (wr, wi) = (w.0[j], w.1[j]);
        let (or, oi) = (dr * wr + di * wi, di * wr - dr * wi);
        (low_re[j], low_im[j]) = (er - oi, ei + or);
        (high_re[j], high_im[j]) = (er + oi, or - ei);
    }
    pairs.scatter(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dft(x: &[f64]) -> Vec<Complex<f64>> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                x.iter().enumerate().fold(Complex::zero(), |s, (t, x)| {
                    let a = -2.0 * std::f64::consts::PI * (k * t % n) as f64 / n as f64;
                    s + Complex::new(a.cos(), a.sin()) * x
                })
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0)
            .collect()
    }

    #[test]
    fn forward_equals_the_dft_of_the_windowed_frame_at_every_even_size() {
        let mut planner = FftPlanner::new();
        for n in [2, 4, 6, 16, 18, 34, 36, 50, 64, 70, 2048] {
            let (x, window) = (signal(n), signal(n + 3)[3..].to_vec());
            let mut fft = RealFft::new(&mut planner, n).unwrap();
            let mut spectrum = vec![Complex::zero(); n / 2 + 1];
            fft.forward(&x, &window, &mut spectrum);
            let windowed: Vec<f64> = x.iter().zip(&window).map(|(x, w)| x * w).collect();
            let worst = (spectrum.iter().zip(dft(&windowed)))
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(worst < 1e-9 * n as f64, "n = {n}: off by {worst}");
        }
    }

    #[test]
    fn inverse_undoes_forward_times_n_and_ignores_the_imaginary_dc_and_nyquist() {
        let mut planner = FftPlanner::new();
        for n in [2, 4, 6, 16, 18, 34, 36, 50, 64, 70, 2048] {
            let x = signal(n);
            let mut fft = RealFft::new(&mut planner, n).unwrap();
            let mut spectrum = vec![Complex::zero(); n / 2 + 1];
            fft.forward(&x, &vec![1.0; n], &mut spectrum);
            spectrum[0].im = 3.0;
            spectrum[n / 2].im = -2.0;
            let mut back = vec![0.0; n];
            fft.inverse(&mut spectrum, &mut back);
            let worst = (back.iter().zip(&x))
                .map(|(b, x)| (b / n as f64 - x).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-12, "n = {n}: off by {worst}");
        }
    }

    #[test]
    fn a_frame_in_two_parts_at_any_split_gives_the_same_bits_and_inverts_in_place() {
        let n = 70;
        let (x, window) = (signal(n), signal(n + 3)[3..].to_vec());
        let mut fft = RealFft::new(&mut FftPlanner::new(), n).unwrap();
        let mut whole = vec![Complex::zero(); n / 2 + 1];
        fft.forward(&x, &window, &mut whole);
        for split in [0, 1, 2, 33, 35, 69, 70] {
            let mut parts = vec![Complex::zero(); n / 2 + 1];
            fft.forward_parts([&x[..split], &x[split..]], &window, &mut parts);
            assert_eq!(parts, whole, "split at {split}");
        }
        let mut back = vec![0.0; n];
        fft.inverse(&mut whole.clone(), &mut back);
        assert_eq!(fft.inverse_in_place(&mut whole), &back[..]);
    }

    #[test]
    fn odd_sizes_are_refused() {
        assert!(RealFft::<f32>::new(&mut FftPlanner::new(), 17).is_err());
        assert!(RealFft::<f32>::new(&mut FftPlanner::new(), 0).is_err());
    }
}
