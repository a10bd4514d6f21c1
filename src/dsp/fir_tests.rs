use super::*;

/// 20 ms at 48 kHz.
const FADE: usize = 960;
use rand::{Rng, SeedableRng};

fn reference(taps: &[f32], x: &[f32]) -> Vec<f64> {
    (0..x.len())
        .map(|n| {
            taps.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, h)| *h as f64 * x[n - k] as f64)
                .sum::<f64>()
        })
        .collect()
}

fn random(len: usize, rng: &mut impl Rng) -> Vec<f32> {
    (0..len).map(|_| rng.random::<f32>() - 0.5).collect()
}

/// Worst error relative to the reference's peak, per channel, over blocks of `block`.
fn relative_error(taps: &[f32], x: &[Vec<f32>], block: usize) -> f64 {
    let mut stage = FirFilter::new(x.len());
    stage.install(Box::new(FirKernel::new(taps).unwrap()), 0);
    let mut y: Vec<Vec<f32>> = x.to_vec();
    let mut start = 0;
    while start < y[0].len() {
        let end = (start + block).min(y[0].len());
        let mut chans: Vec<&mut [f32]> = y.iter_mut().map(|c| &mut c[start..end]).collect();
        stage.process(&mut chans);
        start = end;
    }
    x.iter()
        .zip(&y)
        .map(|(xc, yc)| {
            let r = reference(taps, xc);
            let peak = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            r.iter()
                .zip(yc)
                .map(|(a, b)| (a - *b as f64).abs())
                .fold(0.0, f64::max)
                / peak
        })
        .fold(0.0, f64::max)
}

#[test]
fn matches_direct_convolution_for_random_taps_and_block_sizes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for (len, block) in [
        (1, 1),
        (37, 61),
        (81, 512),
        (128, 4096),
        (129, 1),
        (1000, 333),
        (5000, 4096),
        (16384, 127),
    ] {
        let taps = random(len, &mut rng);
        let frames = (2 * len + 3 * block).max(3000);
        let x = vec![random(frames, &mut rng), random(frames, &mut rng)];
        let err = relative_error(&taps, &x, block);
        assert!(err < 1e-5, "{len} taps, blocks of {block}: {err:e}");
    }
}

#[test]
fn rejects_empty_oversized_and_non_finite_taps() {
    assert!(FirKernel::new(&[]).is_err());
    assert!(FirKernel::new(&vec![0.0; MAX_TAPS + 1]).is_err());
    assert!(FirKernel::new(&[1.0, f32::NAN]).is_err());
}

/// From a filter, or from the identity, which passes the input as it is and skips the spectra.
#[test]
fn after_a_swap_the_new_long_filter_is_exact_from_the_whole_history() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (a, b) = (random(700, &mut rng), random(3000, &mut rng));
    let x = random(20000, &mut rng);
    for first in [Some(&a), None] {
        let mut stage = FirFilter::new(1);
        if let Some(a) = first {
            stage.install(Box::new(FirKernel::new(a).unwrap()), 0);
        }
        let mut y = x.clone();
        let (before, after) = y.split_at_mut(9001);
        for block in before.chunks_mut(333) {
            stage.process(&mut [block]);
        }
        if first.is_none() {
            assert_eq!(before, &x[..9001]);
        }
        assert!(stage
            .install(Box::new(FirKernel::new(&b).unwrap()), FADE)
            .is_none());
        for block in after.chunks_mut(100) {
            stage.process(&mut [block]);
        }
        // A faded-out identity is kept as the spare.
        assert_eq!(stage.take_faded_out().is_some(), first.is_some());
        let r = reference(&b, &x);
        let peak = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let after_fade = 9001 + FADE;
        for n in after_fade..x.len() {
            assert!((r[n] - y[n] as f64).abs() / peak < 1e-5, "sample {n}");
        }
    }
}

#[test]
fn a_swap_in_the_middle_of_a_sine_never_jumps() {
    let sr = 48000.0;
    let x: Vec<f32> = (0..9600)
        .map(|n| (std::f32::consts::TAU * 440.0 * n as f32 / sr).sin() * 0.5)
        .collect();
    let mut stage = FirFilter::new(1);
    let mut y = x.clone();
    let (a, b) = y.split_at_mut(4801);
    stage.process(&mut [a]);
    // A gain of -1: the most violent swap, sign inversion.
    assert!(stage
        .install(Box::new(FirKernel::new(&[-1.0]).unwrap()), FADE)
        .is_none());
    stage.process(&mut [b]);
    // The identity faded out is kept (for `pass_through`), not handed out.
    assert!(stage.take_faded_out().is_none() && stage.spare_identity.is_some());
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

#[test]
fn passing_through_switches_at_once_and_keeps_one_identity_for_the_next_time() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let learned = || {
        Box::new(FirKernel::new(&random(300, &mut rand::rngs::StdRng::seed_from_u64(1))).unwrap())
    };
    let mut fir = FirFilter::new(1);
    let x = random(2048, &mut rng);
    // From a learned filter, mid-fade to another: both come back for disposal, and the output
    // is the input from the next sample on.
    assert!(fir.install(learned(), 0).is_none(), "the identity is kept");
    let mut y = x[..700].to_vec();
    fir.process(&mut [&mut y[..]]);
    let _ = fir.install(learned(), FADE);
    let spent = fir.pass_through();
    assert!(spent
        .iter()
        .all(|k| k.as_ref().is_some_and(|k| k.len() == 300)));
    let mut y = x[700..].to_vec();
    fir.process(&mut [&mut y[..]]);
    assert_eq!(y, x[700..]);
    // Already passing through: nothing to dispose of; and again after a learned filter.
    assert!(fir.pass_through().iter().all(Option::is_none));
    assert!(fir.install(learned(), FADE).is_none());
    let [fading, replaced] = fir.pass_through();
    assert!(fading.is_none() && replaced.is_some_and(|k| k.len() == 300));
    assert!(fir.kernel().is_identity());
}
