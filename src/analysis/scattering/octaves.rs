//! FFT plans for the padded length and each power-of-two subsampling of it, with numpy's
//! normalisation (the forward transform is a sum, the inverse a mean), so the transform reads
//! as kymatio's does.

use std::sync::Arc;

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

pub struct Octaves {
    /// Plans for length `padded >> k`, k = 0 to the coarsest octave.
    forward: Vec<Arc<dyn Fft<f64>>>,
    inverse: Vec<Arc<dyn Fft<f64>>>,
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
        let inverse: Vec<_> = lengths.map(|n| planner.plan_fft_inverse(n)).collect();
        let scratch = (forward.iter().chain(&inverse))
            .map(|f| f.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Self {
            forward,
            inverse,
            scratch: vec![Complex64::default(); scratch],
        }
    }

    fn plan(plans: &[Arc<dyn Fft<f64>>], len: usize) -> &Arc<dyn Fft<f64>> {
        let k = plans[0].len().trailing_zeros() - len.trailing_zeros();
        let plan = &plans[k as usize];
        debug_assert_eq!(plan.len(), len);
        plan
    }

    /// In place, X[k] = Σ x[n] e^(−2πikn/N).
    pub fn fft(&mut self, x: &mut [Complex64]) {
        Self::plan(&self.forward, x.len()).process_with_scratch(x, &mut self.scratch);
    }

    /// In place, x[n] = (1/N) Σ X[k] e^(2πikn/N).
    pub fn ifft(&mut self, x: &mut [Complex64]) {
        Self::plan(&self.inverse, x.len()).process_with_scratch(x, &mut self.scratch);
        let scale = 1.0 / x.len() as f64;
        x.iter_mut().for_each(|v| *v *= scale);
    }
}
