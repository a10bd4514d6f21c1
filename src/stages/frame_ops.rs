//! Operations on each STFT frame, as the resynthesis notebook makes them, combinable and live:
//! phase (keep, reset to zero, conjugate, random), a seeded permutation of the bins, reversal of
//! the bin axis and a checkerboard mute (bin k of frame f is muted when k and f have the same
//! parity: even bins of even frames, odd bins of odd frames).
//!
//! They run in that order on every channel alike (random phases and permutations are shared, so
//! the stereo image holds). DC and Nyquist stay real: the permutation moves only the bins between
//! them (so it can be undone exactly), and the reversal swaps DC and Nyquist, both real.
//! Everything random comes from the seed and the frame's index, so a render repeats.

use rand::{Rng, RngCore, SeedableRng};
use realfft::num_complex::Complex32;

use crate::dsp::stft::FrameBuffers;
use crate::params::{Choice, ParamId};
use crate::stages::FrameStage;

crate::choice! {
    /// What happens to each frame's phase: the `spec_phase` options. Zero keeps the magnitude
    /// only (the notebook's `abs`); Random gives it a uniformly random phase per bin and frame.
    pub enum PhaseMode { Keep = "Keep", Zero = "Zero", Conjugate = "Conjugate", Random = "Random" }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameOpsSettings {
    pub phase: PhaseMode,
    pub permute_bins: bool,
    pub reverse_bins: bool,
    pub checkerboard: bool,
    pub seed: u32,
}

impl Default for FrameOpsSettings {
    fn default() -> Self {
        Self {
            phase: PhaseMode::Keep,
            permute_bins: false,
            reverse_bins: false,
            checkerboard: false,
            seed: 0,
        }
    }
}

/// Random phases are drawn from this many equally spaced ones: a step of 0.35°, far finer than
/// any ear can tell a random phase by, and a frame then needs no sine or cosine.
const PHASE_STEPS: usize = 1 << PHASE_BITS;
const PHASE_BITS: u32 = 10;
/// Phases taken from one 64-bit random number, `PHASE_BITS` bits each.
const PHASES_PER_DRAW: usize = (u64::BITS / PHASE_BITS) as usize;

pub struct FrameOps {
    pub settings: FrameOpsSettings,
    bins: usize,
    /// Permutation of the inner bins 1 .. bins-1 (`order[i]` is where bin i is taken from) and the
    /// seed it was drawn with.
    order: Vec<usize>,
    drawn_for: Option<u32>,
    /// Unit phasors of the current frame (random phase mode), drawn from `table`, and a copy for
    /// the permutation.
    phasors: Vec<Complex32>,
    table: Vec<Complex32>,
    scratch: Vec<Complex32>,
    frame_index: u64,
}

impl FrameOps {
    /// Operations for frames of `bins` bins (allocates: not for the audio thread).
    pub fn new(bins: usize) -> Self {
        Self {
            settings: FrameOpsSettings::default(),
            bins,
            order: (0..bins).collect(),
            drawn_for: None,
            phasors: vec![Complex32::new(1.0, 0.0); bins],
            table: (0..PHASE_STEPS)
                .map(|k| {
                    Complex32::from_polar(
                        1.0,
                        std::f32::consts::TAU * k as f32 / PHASE_STEPS as f32,
                    )
                })
                .collect(),
            scratch: vec![Complex32::default(); bins],
            frame_index: 0,
        }
    }

    /// True when the operations leave frames as they are.
    fn is_identity(&self) -> bool {
        let s = &self.settings;
        s.phase == PhaseMode::Keep && !s.permute_bins && !s.reverse_bins && !s.checkerboard
    }

    /// Where each inner bin is taken from under the current seed: a Fisher-Yates shuffle of
    /// 1 .. bins-1 from a generator seeded by it. In place, no allocation.
    fn draw_order(&mut self) {
        let seed = self.settings.seed;
        if self.drawn_for == Some(seed) {
            return;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7065_726d ^ seed as u64);
        for (i, o) in self.order.iter_mut().enumerate() {
            *o = i;
        }
        let inner = &mut self.order[1..self.bins - 1];
        for i in (1..inner.len()).rev() {
            inner.swap(i, rng.random_range(0..=i));
        }
        self.drawn_for = Some(seed);
    }

    /// The permutation in use (for tests and the editor): `order[i]` is the source of bin i.
    pub fn order(&mut self) -> &[usize] {
        self.draw_order();
        &self.order
    }

    /// Undoes the bin permutation of the current seed on one spectrum (for tests of it).
    pub fn unpermute(&mut self, spectrum: &mut [Complex32]) {
        self.draw_order();
        self.scratch.copy_from_slice(spectrum);
        for (i, from) in self.order.iter().enumerate() {
            spectrum[*from] = self.scratch[i];
        }
    }
}

impl FrameOps {
    /// What the operations make of a frame's magnitudes (the phase options leave them as they
    /// are) if it is the stream's frame `frame_index`: how the worker knows the magnitudes a
    /// frame will play with. `scratch` holds a frame.
    pub fn map_magnitudes(&mut self, frame_index: u64, magnitude: &mut [f32], scratch: &mut [f32]) {
        if self.settings.permute_bins {
            self.draw_order();
        }
        let parity = (frame_index % 2) as usize;
        move_bins(&self.settings, &self.order, parity, magnitude, scratch);
    }
}

/// The operations that move or mute bins (permutation `order`, reversal, checkerboard on bins
/// of `parity`), on complex spectra or on magnitudes alike.
fn move_bins<T: Copy + Default>(
    s: &FrameOpsSettings,
    order: &[usize],
    parity: usize,
    bins: &mut [T],
    scratch: &mut [T],
) {
    if s.permute_bins {
        scratch.copy_from_slice(bins);
        for (c, from) in bins.iter_mut().zip(order) {
            *c = scratch[*from];
        }
    }
    if s.reverse_bins {
        bins.reverse();
    }
    if s.checkerboard {
        for c in bins.iter_mut().skip(parity).step_by(2) {
            *c = T::default();
        }
    }
}

impl FrameStage for FrameOps {
    /// Takes the parameters of the operations (and the seed). They switch at frame boundaries;
    /// overlap-add blends them.
    fn set(&mut self, id: ParamId, value: f32) {
        let on = value >= 0.5;
        let s = &mut self.settings;
        match id {
            ParamId::SpecPhase => s.phase = PhaseMode::from_index(value.round() as usize),
            ParamId::SpecPermute => s.permute_bins = on,
            ParamId::SpecReverse => s.reverse_bins = on,
            ParamId::SpecCheckerboard => s.checkerboard = on,
            ParamId::SpecSeed => s.seed = value.round() as u32,
            _ => {}
        }
    }

    /// Back to the first frame (so a restarted render repeats).
    fn reset(&mut self) {
        self.frame_index = 0;
    }

    fn locate(&mut self, frame: u64) {
        self.frame_index = frame;
    }

    /// Applies the operations to one frame, all channels. Frames are counted even while nothing
    /// is on, so the checkerboard and random phases depend only on the position in the stream.
    fn apply(&mut self, frame: &mut FrameBuffers) {
        if self.is_identity() {
            self.frame_index += 1;
            return;
        }
        let s = self.settings;
        if s.phase == PhaseMode::Random {
            let key = (s.seed as u64) << 32 ^ self.frame_index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut rng = rand::rngs::SmallRng::seed_from_u64(key);
            // Six phases from each 64-bit draw, not one: the generator's calls were a tenth of
            // the frame operations' cost.
            for six in self.phasors[1..self.bins - 1].chunks_mut(PHASES_PER_DRAW) {
                let mut bits = rng.next_u64();
                for p in six {
                    *p = self.table[bits as usize % PHASE_STEPS];
                    bits >>= PHASE_BITS;
                }
            }
        }
        if s.permute_bins {
            self.draw_order();
        }
        let parity = (self.frame_index % 2) as usize;
        for ch in 0..frame.channels() {
            let spectrum = frame.channel(ch);
            match s.phase {
                PhaseMode::Keep => {}
                PhaseMode::Zero => spectrum
                    .iter_mut()
                    .for_each(|c| *c = Complex32::new(c.norm_sqr().sqrt(), 0.0)),
                PhaseMode::Conjugate => spectrum.iter_mut().for_each(|c| *c = c.conj()),
                PhaseMode::Random => {
                    for (c, p) in spectrum.iter_mut().zip(&self.phasors) {
                        *c = p * c.norm_sqr().sqrt();
                    }
                }
            }
            move_bins(&s, &self.order, parity, spectrum, &mut self.scratch);
        }
        self.frame_index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_moves_only_inner_bins_and_changes_with_the_seed() {
        let mut ops = FrameOps::new(1025);
        ops.settings.seed = 7;
        let a = ops.order().to_vec();
        assert_eq!((a[0], a[1024]), (0, 1024));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..1025).collect::<Vec<_>>());
        ops.settings.seed = 8;
        assert_ne!(ops.order(), &a[..]);
        ops.settings.seed = 7;
        assert_eq!(
            ops.order(),
            &a[..],
            "the same seed draws the same permutation"
        );
    }

    /// Random phases cover the circle evenly, and a bin's phase tells nothing of the next's
    /// (six come from each random number).
    #[test]
    fn random_phases_are_uniform_and_independent_bin_to_bin() {
        use std::f32::consts::TAU;
        let (bins, frames_drawn) = (1025, 40);
        let mut ops = FrameOps::new(bins);
        ops.settings.phase = PhaseMode::Random;
        let mut frames = FrameBuffers::new(1, bins);
        let (mut sectors, mut steps) = ([0usize; 16], [0usize; 16]);
        let sector = |a: f32| ((a.rem_euclid(TAU) / TAU * 16.0) as usize).min(15);
        for _ in 0..frames_drawn {
            frames.channel(0).fill(Complex32::new(1.0, 0.0));
            ops.apply(&mut frames);
            let inner = &frames.spectrum(0)[1..bins - 1];
            let phases: Vec<f32> = inner.iter().map(|c| c.arg()).collect();
            phases.iter().for_each(|p| sectors[sector(*p)] += 1);
            phases
                .windows(2)
                .for_each(|w| steps[sector(w[1] - w[0])] += 1);
        }
        let expected = (frames_drawn * (bins - 2)) as f64 / 16.0;
        for counts in [sectors, steps] {
            let even = counts
                .iter()
                .all(|c| (*c as f64 / expected - 1.0).abs() < 0.1);
            assert!(even, "{counts:?}");
        }
    }

    #[test]
    fn mapped_magnitudes_are_the_magnitudes_the_operations_play() {
        let bins = 33;
        let mut ops = FrameOps::new(bins);
        let mut worker = FrameOps::new(bins);
        for (i, id) in [
            ParamId::SpecPermute,
            ParamId::SpecReverse,
            ParamId::SpecCheckerboard,
        ]
        .into_iter()
        .enumerate()
        {
            ops.set(id, 1.0);
            ops.set(ParamId::SpecPhase, 3.0);
            ops.set(ParamId::SpecSeed, 5.0 + i as f32);
            worker.settings = ops.settings;
            let mut frames = FrameBuffers::new(1, bins);
            for frame_index in 0..2 {
                let x: Vec<Complex32> = (0..bins)
                    .map(|k| Complex32::new(1.0 + k as f32, (k * k) as f32 * 0.1))
                    .collect();
                frames.channel(0).copy_from_slice(&x);
                ops.apply(&mut frames);
                let mut mapped: Vec<f32> = x.iter().map(|c| c.norm()).collect();
                worker.map_magnitudes(frame_index, &mut mapped, &mut vec![0.0; bins]);
                for (c, m) in frames.spectrum(0).iter().zip(&mapped) {
                    assert!((c.norm() - m).abs() < 1e-3 * (1.0 + m), "{c} vs {m}");
                }
            }
            ops.reset();
        }
    }
}
