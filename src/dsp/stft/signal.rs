//! The transform of a whole signal, with librosa's conventions and names: a periodic Hann window
//! of `win_length` samples centred in an `n_fft`-point frame, a frame every `hop_length`
//! samples, frame t centred on sample t·hop when `center` (the signal zero-padded by n_fft / 2
//! on both sides), and an inverse that overlap-adds the windowed frames and divides by the summed
//! squared window (the least-squares inverse, as `librosa.istft`).

use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

use super::frame::{FrameAnalysis, FrameSynthesis};
use super::window::centred_hann;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StftLayout {
    pub n_fft: usize,
    pub hop: usize,
    /// Window length; the window is zero-padded to `n_fft`.
    pub win: usize,
    pub center: bool,
}

impl StftLayout {
    pub fn check(&self) -> Result<(), String> {
        let s = self;
        if s.n_fft < 16 || s.win == 0 || s.win > s.n_fft || s.hop == 0 || s.hop > s.win {
            return Err(format!(
                "window {} / hop {} / FFT {} do not fit: need 0 < hop <= window <= FFT, FFT >= 16",
                s.win, s.hop, s.n_fft
            ));
        }
        Ok(())
    }

    pub fn window(&self) -> Vec<f32> {
        centred_hann(self.win, self.n_fft)
    }

    /// Frames of a signal of `len` samples.
    pub fn frames(&self, len: usize) -> usize {
        if self.center {
            1 + len / self.hop
        } else if len >= self.n_fft {
            1 + (len - self.n_fft) / self.hop
        } else {
            0
        }
    }

    /// Where frame 0 starts, relative to the signal's first sample.
    fn offset(&self) -> usize {
        if self.center {
            self.n_fft / 2
        } else {
            0
        }
    }
}

/// The spectra (`n_fft / 2 + 1` bins) of the frames of `signal`.
pub fn stft(signal: &[f32], layout: &StftLayout) -> Result<Vec<Vec<Complex32>>, String> {
    layout.check()?;
    let (n, offset) = (layout.n_fft, layout.offset());
    let mut padded = vec![0.0f32; offset];
    padded.extend_from_slice(signal);
    padded.resize(padded.len() + offset, 0.0);
    let mut analysis = FrameAnalysis::new(&mut RealFftPlanner::new(), layout.window());
    Ok((0..layout.frames(signal.len()))
        .map(|t| {
            let mut spectrum = vec![Complex32::default(); n / 2 + 1];
            let start = t * layout.hop;
            analysis.analyze(&padded[start..start + n], &[], &mut spectrum);
            spectrum
        })
        .collect())
}

/// Overlap-adds the inverse transforms of `frames` into `len` samples.
pub fn istft(frames: &[Vec<Complex32>], layout: &StftLayout, len: usize) -> Vec<f32> {
    let n = layout.n_fft;
    let mut synthesis = FrameSynthesis::new(&mut RealFftPlanner::new(), n);
    let w = layout.window();
    let total = n + layout.hop * frames.len().saturating_sub(1);
    let (mut out, mut norm) = (vec![0.0f64; total], vec![0.0f64; total]);
    let mut spectrum = vec![Complex32::default(); n / 2 + 1];
    for (t, frame) in frames.iter().enumerate() {
        spectrum.copy_from_slice(frame);
        let time = synthesis.synthesize(&mut spectrum);
        let start = t * layout.hop;
        for i in 0..n {
            out[start + i] += (time[i] / n as f32 * w[i]) as f64;
            norm[start + i] += (w[i] * w[i]) as f64;
        }
    }
    let offset = layout.offset();
    (0..len)
        .map(|i| match (out.get(i + offset), norm.get(i + offset)) {
            (Some(o), Some(s)) if *s > 1e-8 => (o / s) as f32,
            _ => 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(center: bool) -> StftLayout {
        StftLayout {
            n_fft: 2000,
            hop: 400,
            win: 2000,
            center,
        }
    }

    #[test]
    fn the_transform_pair_gives_back_the_signal() {
        let x: Vec<f32> = (0..20000)
            .map(|n| ((n as f32) * 0.013).sin() * 0.5)
            .collect();
        for center in [true, false] {
            let s = layout(center);
            let y = istft(&stft(&x, &s).unwrap(), &s, x.len());
            // Without centring the first and last partial frames are not covered.
            let inner = if center {
                0..x.len()
            } else {
                2000..x.len() - 2000
            };
            let err: f32 = inner.map(|i| (x[i] - y[i]).abs()).fold(0.0, f32::max);
            assert!(err < 1e-5, "center {center}: {err}");
        }
        assert!(stft(
            &x,
            &StftLayout {
                hop: 0,
                ..layout(true)
            }
        )
        .is_err());
    }

    #[test]
    fn frames_are_counted_as_librosa_counts_them() {
        assert_eq!(layout(true).frames(20000), 51);
        assert_eq!(layout(false).frames(20000), 46);
        assert_eq!(layout(false).frames(1999), 0);
    }
}
