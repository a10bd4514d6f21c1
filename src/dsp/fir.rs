//! The denoise stage's per-channel FIR filter, y(n) = sum_k h(k) x(n-k), with zero latency.
//!
//! Direct form for now; new taps are crossfaded in (old and new filters run side by side for
//! `FADE_MS`) so swapping them never clicks.

/// Longest filter the stage accepts.
pub const MAX_TAPS: usize = 16384;
const FADE_MS: f32 = 20.0;

/// A filter ready for the audio thread: taps stored reversed so each output is a forward dot
/// product over the most recent input samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FirKernel {
    reversed: Vec<f32>,
}

impl FirKernel {
    pub fn new(taps: &[f32]) -> Result<Self, String> {
        if taps.is_empty() || taps.len() > MAX_TAPS {
            return Err(format!(
                "a filter needs 1 to {MAX_TAPS} taps, got {}",
                taps.len()
            ));
        }
        if let Some(bad) = taps.iter().position(|t| !t.is_finite()) {
            return Err(format!("tap {bad} is not a finite number"));
        }
        Ok(Self {
            reversed: taps.iter().rev().copied().collect(),
        })
    }

    /// The filter that passes its input unchanged.
    pub fn identity() -> Self {
        Self {
            reversed: vec![1.0],
        }
    }

    pub fn len(&self) -> usize {
        self.reversed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reversed.is_empty()
    }
}

/// Dot product with eight independent accumulators, which the compiler turns into SIMD.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The last `MAX_TAPS` input samples of one channel, written twice (at `pos` and `pos + MAX_TAPS`)
/// so that any recent stretch is one contiguous slice.
struct History {
    buf: Vec<f32>,
    pos: usize,
}

impl History {
    fn new() -> Self {
        Self {
            buf: vec![0.0; 2 * MAX_TAPS],
            pos: 0,
        }
    }

    #[inline]
    fn push(&mut self, x: f32) {
        self.buf[self.pos] = x;
        self.buf[self.pos + MAX_TAPS] = x;
        self.pos = (self.pos + 1) % MAX_TAPS;
    }

    /// The `len` most recent samples, oldest first.
    #[inline]
    fn recent(&self, len: usize) -> &[f32] {
        let end = self.pos + MAX_TAPS;
        &self.buf[end - len..end]
    }
}

pub struct FirStage {
    history: Vec<History>,
    current: Box<FirKernel>,
    /// The filter being faded out, and how far the fade has gone.
    previous: Option<Box<FirKernel>>,
    fade_pos: usize,
    fade_len: usize,
}

impl FirStage {
    pub fn new(channels: usize, sample_rate: f32) -> Self {
        Self {
            history: (0..channels).map(|_| History::new()).collect(),
            current: Box::new(FirKernel::identity()),
            previous: None,
            fade_pos: 0,
            fade_len: ((sample_rate * FADE_MS / 1000.0) as usize).max(1),
        }
    }

    pub fn kernel(&self) -> &FirKernel {
        &self.current
    }

    pub fn reset(&mut self) {
        for h in &mut self.history {
            h.buf.fill(0.0);
        }
    }

    /// Makes `kernel` the filter, fading from the present one, or switching at once if `fade` is
    /// false. Returns a kernel the caller must dispose of off the audio thread (one still fading
    /// out from an earlier swap, or the replaced one when not fading).
    pub fn install(&mut self, kernel: Box<FirKernel>, fade: bool) -> Option<Box<FirKernel>> {
        let old = std::mem::replace(&mut self.current, kernel);
        if fade {
            self.fade_pos = 0;
            self.previous.replace(old)
        } else {
            Some(old)
        }
    }

    /// The kernel whose fade-out has finished, for disposal off the audio thread.
    pub fn take_faded_out(&mut self) -> Option<Box<FirKernel>> {
        if self.fade_pos >= self.fade_len {
            self.previous.take()
        } else {
            None
        }
    }

    pub fn process(&mut self, io: &mut [&mut [f32]]) {
        let fade_start = self.fade_pos;
        let mut fade_end = fade_start;
        for (chan, history) in io.iter_mut().zip(&mut self.history) {
            let mut fade_pos = fade_start;
            for s in chan.iter_mut() {
                history.push(*s);
                let new = dot(&self.current.reversed, history.recent(self.current.len()));
                *s = match &self.previous {
                    Some(old) if fade_pos < self.fade_len => {
                        let old = dot(&old.reversed, history.recent(old.len()));
                        let g = fade_pos as f32 / self.fade_len as f32;
                        fade_pos += 1;
                        old + g * (new - old)
                    }
                    _ => new,
                };
            }
            fade_end = fade_pos;
        }
        self.fade_pos = fade_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(taps: &[f32], x: &[f32]) -> Vec<f32> {
        (0..x.len())
            .map(|n| {
                (0..taps.len())
                    .filter(|&k| k <= n)
                    .map(|k| taps[k] as f64 * x[n - k] as f64)
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn matches_direct_convolution_across_block_boundaries() {
        let taps: Vec<f32> = (0..37)
            .map(|k| ((k * 7919) % 13) as f32 / 13.0 - 0.5)
            .collect();
        let x: Vec<f32> = (0..1000)
            .map(|n| ((n * 104729) % 97) as f32 / 97.0 - 0.5)
            .collect();
        let mut stage = FirStage::new(1, 48000.0);
        stage.install(Box::new(FirKernel::new(&taps).unwrap()), false);
        let mut y = x.clone();
        for block in y.chunks_mut(61) {
            stage.process(&mut [block]);
        }
        for (a, b) in y.iter().zip(reference(&taps, &x)) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn rejects_empty_oversized_and_non_finite_taps() {
        assert!(FirKernel::new(&[]).is_err());
        assert!(FirKernel::new(&vec![0.0; MAX_TAPS + 1]).is_err());
        assert!(FirKernel::new(&[1.0, f32::NAN]).is_err());
    }

    #[test]
    fn a_swap_in_the_middle_of_a_sine_never_jumps() {
        let sr = 48000.0;
        let x: Vec<f32> = (0..9600)
            .map(|n| (std::f32::consts::TAU * 440.0 * n as f32 / sr).sin() * 0.5)
            .collect();
        let mut stage = FirStage::new(1, sr);
        let mut y = x.clone();
        let (a, b) = y.split_at_mut(4801);
        stage.process(&mut [a]);
        // A gain of -1: the most violent swap, sign inversion.
        assert!(stage
            .install(Box::new(FirKernel::new(&[-1.0]).unwrap()), true)
            .is_none());
        stage.process(&mut [b]);
        assert!(stage.take_faded_out().is_some());
        let max_step_in = x
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let max_step_out = y
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(
            max_step_out <= max_step_in * 1.01,
            "{max_step_out} vs {max_step_in}"
        );
        assert!(
            (y[9599] + x[9599]).abs() < 1e-6,
            "the new filter is fully in after the fade"
        );
    }
}
