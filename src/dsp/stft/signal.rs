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

/// The transform pair for signals of one length, planned once with its buffers, so iterative
/// methods (phase reconstruction) go back and forth without allocating.
pub struct SignalTransform {
    layout: StftLayout,
    len: usize,
    frames: usize,
    analysis: FrameAnalysis<f32>,
    synthesis: FrameSynthesis<f32>,
    padded: Vec<f32>,
    sum: Vec<f64>,
    /// Summed squared window at each sample of the overlap-add.
    norm: Vec<f64>,
    spectrum: Vec<Complex32>,
}

impl SignalTransform {
    /// For signals of `len` samples, with as many frames as the layout gives them.
    pub fn new(layout: StftLayout, len: usize) -> Result<Self, String> {
        layout.check()?;
        Self::with_frames(layout, len, layout.frames(len))
    }

    /// For `frames` frames overlap-added into `len` samples (say, frames played in another
    /// order or number than analysed).
    pub fn with_frames(layout: StftLayout, len: usize, frames: usize) -> Result<Self, String> {
        layout.check()?;
        let n = layout.n_fft;
        let mut planner = RealFftPlanner::new();
        let window = layout.window();
        let total = n + layout.hop * frames.saturating_sub(1);
        let mut norm = vec![0.0f64; total];
        for t in 0..frames {
            for (s, w) in norm[t * layout.hop..].iter_mut().zip(&window) {
                *s += (w * w) as f64;
            }
        }
        Ok(Self {
            layout,
            len,
            frames,
            synthesis: FrameSynthesis::new(&mut planner, n),
            analysis: FrameAnalysis::new(&mut planner, window),
            padded: vec![0.0; (len + 2 * layout.offset()).max(total)],
            sum: vec![0.0; total],
            norm,
            spectrum: vec![Complex32::default(); n / 2 + 1],
        })
    }

    pub fn layout(&self) -> &StftLayout {
        &self.layout
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn frames(&self) -> usize {
        self.frames
    }

    pub fn bins(&self) -> usize {
        self.layout.n_fft / 2 + 1
    }

    /// Zeroed spectra, one per frame (allocates).
    pub fn spectra(&self) -> Vec<Vec<Complex32>> {
        vec![vec![Complex32::default(); self.bins()]; self.frames]
    }

    /// The spectra of the frames of `signal` (`len` samples) into `out` (one per frame).
    pub fn analyze(&mut self, signal: &[f32], out: &mut [Vec<Complex32>]) {
        let (n, offset) = (self.layout.n_fft, self.layout.offset());
        self.padded.fill(0.0);
        self.padded[offset..offset + signal.len()].copy_from_slice(signal);
        for (t, spectrum) in out.iter_mut().enumerate().take(self.frames) {
            let start = t * self.layout.hop;
            self.analysis
                .analyze(&self.padded[start..start + n], &[], spectrum);
        }
    }

    /// Overlap-adds the inverse transforms of `frames` into `out` (`len` samples), divided by
    /// the summed squared window.
    pub fn synthesize(&mut self, frames: &[Vec<Complex32>], out: &mut [f32]) {
        let (n, offset) = (self.layout.n_fft, self.layout.offset());
        let window = self.analysis.window();
        self.sum.fill(0.0);
        for (t, frame) in frames.iter().enumerate().take(self.frames) {
            self.spectrum.copy_from_slice(frame);
            let time = self.synthesis.synthesize(&mut self.spectrum);
            let start = t * self.layout.hop;
            for i in 0..n {
                self.sum[start + i] += (time[i] / n as f32 * window[i]) as f64;
            }
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = match (self.sum.get(i + offset), self.norm.get(i + offset)) {
                (Some(o), Some(s)) if *s > 1e-8 => (o / s) as f32,
                _ => 0.0,
            };
        }
    }
}

/// The spectra (`n_fft / 2 + 1` bins) of the frames of `signal`.
pub fn stft(signal: &[f32], layout: &StftLayout) -> Result<Vec<Vec<Complex32>>, String> {
    let mut transform = SignalTransform::new(*layout, signal.len())?;
    let mut spectra = transform.spectra();
    transform.analyze(signal, &mut spectra);
    Ok(spectra)
}

/// Overlap-adds the inverse transforms of `frames` into `len` samples.
pub fn istft(frames: &[Vec<Complex32>], layout: &StftLayout, len: usize) -> Vec<f32> {
    let mut out = vec![0.0; len];
    if let Ok(mut transform) = SignalTransform::with_frames(*layout, len, frames.len()) {
        transform.synthesize(frames, &mut out);
    }
    out
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
