//! The spectral frame operations on real music (`../shared/data/music`), each checked for the
//! property that defines it, inside the streaming STFT the plugin runs.

mod common;

use common::{load, relative_error_db};
use phasewright::dsp::stft::{FrameBuffers, StreamingStft};
use phasewright::stages::frame_ops::{FrameOps, PhaseMode};
use phasewright::stages::FrameStage;
use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

const WINDOW: usize = 2048;
const BINS: usize = WINDOW / 2 + 1;

fn trumpet(seconds: f32) -> Vec<f32> {
    let audio = load("music/trumpet.wav");
    let n = (seconds * audio.sample_rate as f32) as usize;
    audio.channels[0][..n.min(audio.frames())].to_vec()
}

/// Runs `signal` (as two channels, the second scaled) through the STFT with `hook` on every frame;
/// returns the output channels.
fn stream(signal: &[f32], mut hook: impl FnMut(&mut FrameBuffers)) -> [Vec<f32>; 2] {
    let mut stft = StreamingStft::new(2, WINDOW, 4).unwrap();
    let mut left = signal.to_vec();
    let mut right: Vec<f32> = signal.iter().map(|x| -0.5 * x).collect();
    for (l, r) in left.chunks_mut(700).zip(right.chunks_mut(700)) {
        stft.process(&mut [l, r], &mut hook);
    }
    [left, right]
}

fn copy(frame: &mut FrameBuffers) -> Vec<Vec<Complex32>> {
    (0..frame.channels())
        .map(|c| frame.channel(c).to_vec())
        .collect()
}

fn energy(x: &[Complex32]) -> f64 {
    x.iter().map(|c| c.norm_sqr() as f64).sum()
}

#[test]
fn phase_reset_leaves_zero_phase_frames_with_the_same_magnitudes() {
    let mut ops = FrameOps::new(BINS);
    ops.settings.phase = PhaseMode::Zero;
    let mut frames = 0;
    stream(&trumpet(2.0), |f| {
        let before = copy(f);
        ops.apply(f);
        for (c, original) in before.iter().enumerate() {
            for (y, x) in f.channel(c).iter().zip(original) {
                assert!(y.im == 0.0 && y.re >= 0.0, "{y}");
                assert!((y.re - x.norm()).abs() <= 1e-6 * x.norm().max(1.0));
            }
        }
        frames += 1;
    });
    assert!(frames > 100);
}

#[test]
fn conjugating_a_frame_time_reverses_the_windowed_frame() {
    let mut planner = RealFftPlanner::<f32>::new();
    let inverse = planner.plan_fft_inverse(WINDOW);
    let mut ops = FrameOps::new(BINS);
    ops.settings.phase = PhaseMode::Conjugate;
    let to_time = |spectrum: &[Complex32]| {
        let mut s = spectrum.to_vec();
        s[0].im = 0.0;
        s[BINS - 1].im = 0.0;
        let mut out = vec![0.0f32; WINDOW];
        inverse.process(&mut s, &mut out).unwrap();
        out
    };
    let (mut worst, mut checked) = (f64::MIN, 0);
    stream(&trumpet(2.0), |f| {
        let windowed = to_time(f.channel(0));
        ops.apply(f);
        let conjugated = to_time(f.channel(0));
        // x(-n mod N): the frame played backwards around its first sample.
        let reversed: Vec<f32> = (0..WINDOW)
            .map(|n| windowed[(WINDOW - n) % WINDOW])
            .collect();
        if windowed.iter().any(|v| *v != 0.0) {
            worst = worst.max(relative_error_db(&conjugated, &reversed));
            checked += 1;
        }
    });
    assert!(checked > 100, "{checked} frames");
    eprintln!("conjugation vs time-reversed windowed frame, worst of {checked}: {worst:.1} dB");
    assert!(worst < -100.0, "{worst:.1} dB");
}

#[test]
fn reversing_bins_twice_and_undoing_a_permutation_give_back_the_input() {
    let signal = trumpet(3.0);
    let reference = stream(&signal, |_| {});
    let mut reverse = FrameOps::new(BINS);
    reverse.settings.reverse_bins = true;
    let twice = stream(&signal, |f| {
        reverse.apply(f);
        reverse.apply(f);
    });
    let mut permute = FrameOps::new(BINS);
    permute.settings.permute_bins = true;
    permute.settings.seed = 1234;
    let undone = stream(&signal, |f| {
        permute.apply(f);
        for c in 0..f.channels() {
            permute.unpermute(f.channel(c));
        }
    });
    for (out, name) in [
        (twice, "bins reversed twice"),
        (undone, "permutation undone"),
    ] {
        for (o, r) in out.iter().zip(&reference) {
            let err = relative_error_db(o, r);
            eprintln!("{name}: {err:.1} dB");
            assert!(err < -100.0, "{err:.1} dB");
        }
    }
    // And each alone really changes the sound.
    let once = stream(&signal, |f| reverse.apply(f));
    assert!(relative_error_db(&once[0], &reference[0]) > -3.0);
}

#[test]
fn permutations_and_reversal_keep_every_frames_energy_and_move_every_bin() {
    let mut ops = FrameOps::new(BINS);
    ops.settings.permute_bins = true;
    ops.settings.reverse_bins = true;
    ops.settings.seed = 99;
    let order = ops.order().to_vec();
    let fixed = order.iter().enumerate().filter(|(i, o)| i == *o).count();
    assert!(fixed < 10, "{fixed} bins stay put");
    stream(&trumpet(2.0), |f| {
        let before = copy(f);
        ops.apply(f);
        for (c, original) in before.iter().enumerate() {
            let (a, b) = (energy(original), energy(f.channel(c)));
            assert!((a - b).abs() <= 1e-6 * a.max(1e-12), "{a} vs {b}");
            // Reversal after permutation: bin i now holds original bin order[BINS - 1 - i].
            for (i, y) in f.channel(c).iter().enumerate() {
                assert_eq!(*y, original[order[BINS - 1 - i]]);
            }
        }
    });
}

#[test]
fn the_checkerboard_mutes_exactly_the_notebooks_cells() {
    // The notebook's cells: after dropping the phase, even bins of even frames and odd bins of
    // odd frames are zero; everything else keeps its magnitude.
    let mut ops = FrameOps::new(BINS);
    ops.settings.phase = PhaseMode::Zero;
    ops.settings.checkerboard = true;
    let mut frame_index = 0usize;
    stream(&trumpet(2.0), |f| {
        let before = copy(f);
        ops.apply(f);
        for (c, original) in before.iter().enumerate() {
            for (k, (y, x)) in f.channel(c).iter().zip(original).enumerate() {
                if k % 2 == frame_index % 2 {
                    assert_eq!(*y, Complex32::default(), "frame {frame_index} bin {k}");
                } else {
                    // The magnitude, to the rounding of its square root.
                    let close = (y.re - x.norm()).abs() <= 1e-6 * x.norm();
                    assert!(
                        y.im == 0.0 && close,
                        "frame {frame_index} bin {k}: {y} vs {x}"
                    );
                }
            }
        }
        frame_index += 1;
    });
}

#[test]
fn random_phases_keep_magnitudes_repeat_with_the_seed_and_differ_across_seeds() {
    let signal = trumpet(1.0);
    let run = |seed: u32| {
        let mut ops = FrameOps::new(BINS);
        ops.settings.phase = PhaseMode::Random;
        ops.settings.seed = seed;
        stream(&signal, |f| {
            let before = copy(f);
            ops.apply(f);
            for (c, original) in before.iter().enumerate() {
                for (y, x) in f.channel(c).iter().zip(original) {
                    assert!((y.norm() - x.norm()).abs() <= 1e-5 * x.norm().max(1.0));
                }
            }
        })
    };
    let a = run(3);
    assert_eq!(a, run(3));
    assert!(relative_error_db(&a[0], &run(4)[0]) > -3.0);
}
