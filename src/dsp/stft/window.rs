//! Analysis and synthesis windows for the short-time Fourier transform.

use realfft::FftNum;

/// Periodic Hann window of length `n` (the DFT-even form, which overlaps to a constant),
/// computed in f64.
pub fn hann<T: FftNum>(n: usize) -> Vec<T> {
    centred_hann(n, n)
}

/// A periodic Hann window of `win` samples centred in `n` (zero outside), as librosa pads a
/// window shorter than its FFT.
pub fn centred_hann<T: FftNum>(win: usize, n: usize) -> Vec<T> {
    let mut w = vec![T::zero(); n];
    let offset = (n - win) / 2;
    for i in 0..win {
        let phase = std::f64::consts::TAU * i as f64 / win as f64;
        w[offset + i] = T::from_f64(0.5 - 0.5 * phase.cos()).unwrap_or_else(T::zero);
    }
    w
}

/// Synthesis window that makes overlap-add of `analysis`-windowed frames with hop `hop` an exact
/// inverse: `analysis / sum_k analysis^2(n + k hop)`, also divided by `n` to undo an unnormalised
/// inverse FFT. This is the least-squares inverse (Griffin and Lim 1984), valid for any overlap at
/// which the squared windows never sum to zero, so overlap 2 works with a plain Hann window too.
pub fn synthesis(analysis: &[f32], hop: usize) -> Vec<f32> {
    let n = analysis.len();
    let mut norm = vec![0.0f64; hop];
    for (i, w) in analysis.iter().enumerate() {
        norm[i % hop] += (*w as f64) * (*w as f64);
    }
    analysis
        .iter()
        .enumerate()
        .map(|(i, w)| (*w as f64 / (norm[i % hop] * n as f64)) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesis_window_undoes_overlap_for_every_supported_hop() {
        for n in [256, 2048] {
            let a = hann::<f32>(n);
            for overlap in [2, 4, 8, 16] {
                let hop = n / overlap;
                let s = synthesis(&a, hop);
                for phase in 0..hop {
                    let sum: f64 = (phase..n)
                        .step_by(hop)
                        .map(|i| a[i] as f64 * s[i] as f64 * n as f64)
                        .sum();
                    assert!((sum - 1.0).abs() < 1e-6, "n {n} overlap {overlap}: {sum}");
                }
            }
        }
    }

    #[test]
    fn a_short_window_sits_in_the_middle_of_its_frame() {
        let w = centred_hann::<f64>(4, 8);
        assert_eq!(&w[..2], &[0.0, 0.0]);
        assert_eq!(&w[6..], &[0.0, 0.0]);
        assert_eq!(&w[2..6], &hann::<f64>(4)[..]);
    }
}
