//! One frame of the transform: windowing and forward FFT (`FrameAnalysis`), inverse FFT
//! (`FrameSynthesis`), and a stream cut into frames every hop (`StreamAnalyzer`). Generic over
//! f32 (the audio path) and f64 (statistics that accumulate over seconds).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, FftNum, RealFftPlanner, RealToComplex};

/// Windows a frame and transforms it. Buffers are made once; `analyze` allocates nothing.
pub struct FrameAnalysis<T: FftNum> {
    fft: Arc<dyn RealToComplex<T>>,
    window: Vec<T>,
    time: Vec<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftNum> FrameAnalysis<T> {
    /// An analysis with `window`; its length is the FFT size.
    pub fn new(planner: &mut RealFftPlanner<T>, window: Vec<T>) -> Self {
        let fft = planner.plan_fft_forward(window.len());
        Self {
            time: vec![T::zero(); window.len()],
            scratch: fft.make_scratch_vec(),
            window,
            fft,
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
        for ((t, x), w) in self
            .time
            .iter_mut()
            .zip(first.iter().chain(second))
            .zip(&self.window)
        {
            *t = *x * *w;
        }
        let done = self
            .fft
            .process_with_scratch(&mut self.time, spectrum, &mut self.scratch);
        debug_assert!(done.is_ok());
    }
}

/// The inverse FFT of one frame, unnormalised (the sum, not the mean: callers scale).
pub struct FrameSynthesis<T: FftNum> {
    ifft: Arc<dyn ComplexToReal<T>>,
    time: Vec<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftNum> FrameSynthesis<T> {
    pub fn new(planner: &mut RealFftPlanner<T>, size: usize) -> Self {
        let ifft = planner.plan_fft_inverse(size);
        Self {
            time: vec![T::zero(); size],
            scratch: ifft.make_scratch_vec(),
            ifft,
        }
    }

    /// The frame of `spectrum`, which is used as scratch. DC and Nyquist are made real first,
    /// whatever a frame operation did to them (the inverse real FFT needs them real).
    #[inline(always)]
    pub fn synthesize(&mut self, spectrum: &mut [Complex<T>]) -> &[T] {
        let last = spectrum.len() - 1;
        spectrum[0].im = T::zero();
        spectrum[last].im = T::zero();
        let done = self
            .ifft
            .process_with_scratch(spectrum, &mut self.time, &mut self.scratch);
        debug_assert!(done.is_ok());
        &self.time
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
