//! The transform of a whole signal, with librosa's conventions and names: a periodic Hann window
//! of `win_length` samples centred in an `n_fft`-point frame, a frame every `hop_length`
//! samples, frame t centred on sample t·hop when `center` (the signal zero-padded by n_fft / 2
//! on both sides), and an inverse that overlap-adds the windowed frames and divides by the summed
//! squared window (the least-squares inverse, as `librosa.istft`).

use realfft::num_complex::Complex32;
use rustfft::FftPlanner;

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
        let odd = !s.n_fft.is_multiple_of(2);
        if odd || s.n_fft < 16 || s.win == 0 || s.win > s.n_fft || s.hop == 0 || s.hop > s.win {
            return Err(format!(
                "window {} / hop {} / FFT {} do not fit: need 0 < hop <= window <= FFT, FFT even and >= 16",
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
    /// A frame that reaches past either end of the signal, zero-padded.
    edge: Vec<f32>,
    /// The synthesis window over the inverse FFT's scale (1 / n_fft).
    synthesis_window: Vec<f32>,
    sum: Vec<f32>,
    /// 1 / the summed squared window at each sample of the overlap-add (0 where it vanishes).
    inverse_norm: Vec<f32>,
    /// The spectrum just analysed, and the one to synthesise next.
    spectrum: Vec<Complex32>,
    next: Vec<Complex32>,
    /// Frames wrap around the end of the signal (a loop): frame t covers samples t·hop to
    /// t·hop + n_fft, modulo the length.
    circular: bool,
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
        Self::build(layout, len, frames, false)
    }

    /// For a loop of `frames` frames, `frames · hop` samples long, whose frames wrap around
    /// its end (no centring: frame 0 starts at sample 0), so the seam is analysed like any
    /// other stretch. The loop must be at least one FFT long.
    pub fn circular(layout: StftLayout, frames: usize) -> Result<Self, String> {
        let len = frames * layout.hop;
        if len < layout.n_fft {
            return Err(format!(
                "a loop of {len} samples is shorter than the {}-point FFT",
                layout.n_fft
            ));
        }
        Self::build(layout, len, frames, true)
    }

    fn build(
        layout: StftLayout,
        len: usize,
        frames: usize,
        circular: bool,
    ) -> Result<Self, String> {
        layout.check()?;
        let n = layout.n_fft;
        let mut planner = FftPlanner::new();
        let window = layout.window();
        let total = if circular {
            len
        } else {
            n + layout.hop * frames.saturating_sub(1)
        };
        let mut norm = vec![0.0f64; total];
        for t in 0..frames {
            for (i, w) in window.iter().enumerate() {
                let at = t * layout.hop + i;
                let at = if circular { at % len } else { at };
                norm[at] += (w * w) as f64;
            }
        }
        Ok(Self {
            layout,
            len,
            frames,
            synthesis: FrameSynthesis::new(&mut planner, n),
            synthesis_window: window.iter().map(|w| w / n as f32).collect(),
            analysis: FrameAnalysis::new(&mut planner, window),
            edge: vec![0.0; n],
            sum: vec![0.0; total],
            inverse_norm: norm
                .iter()
                .map(|s| if *s > 1e-8 { (1.0 / s) as f32 } else { 0.0 })
                .collect(),
            spectrum: vec![Complex32::default(); n / 2 + 1],
            next: vec![Complex32::default(); n / 2 + 1],
            circular,
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
        for (t, out) in out.iter_mut().enumerate().take(self.frames) {
            self.analyze_frame(signal, t);
            out.copy_from_slice(&self.spectrum);
        }
    }

    /// Frame t's spectrum into `self.spectrum`. A frame inside the signal is read where it
    /// lies; one reaching past an end is copied and zero-padded.
    #[inline(always)]
    fn analyze_frame(&mut self, signal: &[f32], t: usize) {
        let (n, offset) = (self.layout.n_fft, self.offset());
        // Frame t covers signal[start - offset .. start - offset + n].
        let start = t * self.layout.hop;
        if start >= offset && start - offset + n <= signal.len() {
            let first = start - offset;
            (self.analysis).analyze(&signal[first..first + n], &[], &mut self.spectrum);
        } else {
            let len = signal.len();
            for (i, e) in self.edge.iter_mut().enumerate() {
                *e = if self.circular {
                    signal[(start + i) % len]
                } else {
                    (start + i)
                        .checked_sub(offset)
                        .and_then(|j| signal.get(j))
                        .copied()
                        .unwrap_or(0.0)
                };
            }
            self.analysis.analyze(&self.edge, &[], &mut self.spectrum);
        }
    }

    /// Where frame 0 starts before the signal's first sample.
    fn offset(&self) -> usize {
        if self.circular {
            0
        } else {
            self.layout.offset()
        }
    }

    /// Overlap-adds the inverse transforms of `frames` into `out` (`len` samples), divided by
    /// the summed squared window.
    pub fn synthesize(&mut self, frames: &[Vec<Complex32>], out: &mut [f32]) {
        self.sum.fill(0.0);
        for (t, frame) in frames.iter().enumerate().take(self.frames) {
            self.next.copy_from_slice(frame);
            self.add_frame(t);
        }
        self.normalise(out);
    }

    /// One analysis-synthesis round trip, frame by frame: each frame t of `signal` is
    /// analysed, `each(t, spectrum, next)` writes the spectrum to synthesise in its place,
    /// and those are overlap-added into `out`. An iterative method (Griffin-Lim) then keeps
    /// nothing the size of a spectrogram but what it must remember, and every frame is
    /// worked on while it is in cache.
    #[inline(always)]
    pub fn round_trip(
        &mut self,
        signal: &[f32],
        out: &mut [f32],
        mut each: impl FnMut(usize, &[Complex32], &mut [Complex32]),
    ) {
        self.sum.fill(0.0);
        for t in 0..self.frames {
            self.analyze_frame(signal, t);
            each(t, &self.spectrum, &mut self.next);
            self.add_frame(t);
        }
        self.normalise(out);
    }

    /// Adds the windowed inverse transform of `self.next` as frame t (`next` is the inverse
    /// FFT's scratch and is left garbled).
    #[inline(always)]
    fn add_frame(&mut self, t: usize) {
        let n = self.layout.n_fft;
        let time = self.synthesis.synthesize(&mut self.next);
        let start = t * self.layout.hop;
        if start + n <= self.sum.len() {
            for ((s, x), w) in self.sum[start..start + n]
                .iter_mut()
                .zip(time)
                .zip(&self.synthesis_window)
            {
                *s += x * w;
            }
        } else {
            // Only a circular transform's frames run past the end.
            let len = self.sum.len();
            for (i, (x, w)) in time.iter().zip(&self.synthesis_window).enumerate() {
                self.sum[(start + i) % len] += x * w;
            }
        }
    }

    #[inline(always)]
    fn normalise(&self, out: &mut [f32]) {
        let offset = self.offset();
        let sum = self.sum.get(offset..).unwrap_or(&[]);
        let norm = self.inverse_norm.get(offset..).unwrap_or(&[]);
        out.fill(0.0);
        for ((o, s), w) in out.iter_mut().zip(sum).zip(norm) {
            *o = s * w;
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
    fn a_circular_transform_wraps_its_frames_around_the_loop() {
        let hop = 400;
        let x: Vec<f32> = (0..hop * 20)
            .map(|n| (std::f32::consts::TAU * 3.0 * n as f32 / (hop * 20) as f32).sin())
            .collect();
        let mut loop_transform = SignalTransform::circular(layout(false), 20).unwrap();
        let mut spectra = loop_transform.spectra();
        loop_transform.analyze(&x, &mut spectra);
        // The last frame straddles the seam: the same as frame 0 of the loop turned round.
        let mut turned = x.clone();
        turned.rotate_left(19 * hop);
        let plain = stft(&turned, &layout(false)).unwrap();
        let err = spectra[19]
            .iter()
            .zip(&plain[0])
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f32::max);
        assert!(err < 1e-3, "{err}");
        let mut y = vec![0.0; x.len()];
        loop_transform.synthesize(&spectra, &mut y);
        let err = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-5, "{err}");
        assert!(SignalTransform::circular(layout(false), 4).is_err());
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
