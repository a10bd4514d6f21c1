//! One frame of the transform: windowing and forward FFT (`FrameAnalysis`), inverse FFT
//! (`FrameSynthesis`), and a stream cut into frames every hop (`StreamAnalyzer`). Generic over
//! f32 (the audio path) and f64 (statistics that accumulate over seconds).

use realfft::num_complex::Complex;
use realfft::FftNum;
use rustfft::FftPlanner;

use crate::dsp::real_fft::RealFft;

/// Windows a frame and transforms it. Buffers are made once; `analyze` allocates nothing.
pub struct FrameAnalysis<T: FftNum> {
    fft: RealFft<T>,
    window: Vec<T>,
}

impl<T: FftNum> FrameAnalysis<T> {
    /// An analysis with `window`; its length (even) is the FFT size.
    pub fn new(planner: &mut FftPlanner<T>, window: Vec<T>) -> Self {
        Self {
            fft: RealFft::new(planner, window.len()).expect("an even FFT size"),
            window,
        }
    }

    pub fn size(&self) -> usize {
        self.window.len()
    }

    pub fn window(&self) -> &[T] {
        &self.window
    }

    /// The spectrum (`size / 2 + 1` bins) of the frame `first` followed by `second` (together
    /// `size` samples; a ring buffer passes its two halves, oldest first).
    #[inline(always)]
    pub fn analyze(&mut self, first: &[T], second: &[T], spectrum: &mut [Complex<T>]) {
        debug_assert_eq!(first.len() + second.len(), self.size());
        (self.fft).forward_parts([first, second], &self.window, spectrum);
    }
}

/// The inverse FFT of one frame, unnormalised (the sum, not the mean: callers scale).
pub struct FrameSynthesis<T: FftNum> {
    ifft: RealFft<T>,
}

impl<T: FftNum> FrameSynthesis<T> {
    /// For frames of `size` samples (even).
    pub fn new(planner: &mut FftPlanner<T>, size: usize) -> Self {
        Self {
            ifft: RealFft::new(planner, size).expect("an even FFT size"),
        }
    }

    /// The frame of `spectrum`, computed in its storage and read from there. The imaginary
    /// parts of DC and Nyquist, whatever a frame operation did to them, are ignored (a real
    /// frame has none).
    #[inline(always)]
    pub fn synthesize<'a>(&mut self, spectrum: &'a mut [Complex<T>]) -> &'a [T] {
        self.ifft.inverse_in_place(spectrum)
    }
}

/// Cuts a stream into frames of the analysis size every `hop` samples and hands over each
/// frame's spectrum.
pub struct StreamAnalyzer<T: FftNum> {
    analysis: FrameAnalysis<T>,
    hop: usize,
    pending: Vec<T>,
    spectrum: Vec<Complex<T>>,
}

impl<T: FftNum + From<f32>> StreamAnalyzer<T> {
    pub fn new(analysis: FrameAnalysis<T>, hop: usize) -> Self {
        let size = analysis.size();
        Self {
            hop,
            pending: Vec::with_capacity(2 * size),
            spectrum: vec![Complex::new(T::zero(), T::zero()); size / 2 + 1],
            analysis,
        }
    }

    pub fn analysis(&self) -> &FrameAnalysis<T> {
        &self.analysis
    }

    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Feeds `x`; `each` receives the spectrum of every frame it completes.
    pub fn push(&mut self, x: &[f32], mut each: impl FnMut(&[Complex<T>])) {
        let size = self.analysis.size();
        for chunk in x.chunks(self.hop) {
            self.pending.extend(chunk.iter().map(|v| T::from(*v)));
            while self.pending.len() >= size {
                self.analysis
                    .analyze(&self.pending[..size], &[], &mut self.spectrum);
                each(&self.spectrum);
                self.pending.drain(..self.hop);
            }
        }
    }
}
