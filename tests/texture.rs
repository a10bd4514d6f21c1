//! The texture order of a frozen capture, rendered offline as the plugin renders for a
//! host's export (jobs inline): two renders are the same bit for bit, and the texture that
//! plays has the scattering coefficients of the captured loop to within the relative error
//! the stage reports.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::load;
use phasewright::analysis::scattering::Scattering;
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::params::ParamId;
use phasewright::worker::Executor;

const LOOP_SECONDS: f32 = 0.5;

/// Renders `x` (mono) with the capture frozen at `freeze` samples; returns the output and
/// the relative error the texture stage reported.
fn render(x: &[f32], rate: u32, freeze: usize) -> (Vec<f32>, f32, Engine) {
    let layout = Layout::from_values(|id| match id {
        ParamId::ReorderMode => 2.0,
        ParamId::ReorderLength => LOOP_SECONDS,
        _ => id.spec().default,
    });
    let shared = Arc::new(EngineShared::default());
    let executor = Executor::Inline { permit: |f| f() };
    let config = EngineConfig::new(rate as f32, 1, executor).with_layout(layout);
    let mut engine = Engine::new(config, shared.clone()).unwrap();
    engine.set(ParamId::DenoiseEnable, 0.0);
    engine.set(ParamId::ReorderOrder, 5.0);
    engine.set(ParamId::TextureJ, 6.0);
    engine.set(ParamId::TextureIterations, 60.0);
    let mut y = x.to_vec();
    for (k, block) in y.chunks_mut(512).enumerate() {
        if k * 512 >= freeze {
            engine.set(ParamId::ReorderCapture, 1.0);
        }
        engine.process(&mut [block], None::<&[&[f32]]>);
    }
    let error = shared.texture.relative_error.load(Ordering::Relaxed);
    (y, error, engine)
}

fn coefficients(s: &mut Scattering, x: &[f32]) -> Vec<f64> {
    let x: Vec<f64> = x.iter().map(|v| *v as f64).collect();
    let mut out = vec![0.0; s.paths().len() * s.frames()];
    s.transform(&x, &mut out);
    out
}

#[test]
fn a_texture_renders_the_same_twice_with_the_captured_loop_s_coefficients_within_its_error() {
    let audio = load("music/violin.wav");
    let rate = audio.sample_rate;
    let x = &audio.channels[0][rate as usize..5 * rate as usize];
    let freeze = rate as usize;
    let (y, reported, engine) = render(x, rate, freeze);
    let (again, _, _) = render(x, rate, freeze);
    assert!(y == again, "two offline renders differ");
    assert!(
        reported.is_finite() && reported < 0.5,
        "reported error {reported}"
    );
    // The capture holds the N samples (L frames) before the freeze; frame p of the loop
    // plays from output sample t0 + p·hop, t0 being the first frame after the freeze, so
    // in the loop's first pass out[t] = x[t − N − W] (W: the window, the STFT's latency).
    // t0 is a frame boundary next to the freeze: the one where that holds.
    let (hop, window) = (512, 2048);
    assert_eq!(engine.latency(), window);
    let n = (LOOP_SECONDS * rate as f32 / hop as f32).round() as usize * hop;
    let mismatch = |t0: usize| -> f32 {
        (t0 + window + rate as usize / 10..t0 + n - window)
            .map(|t| (y[t] - x[t - n - window]).abs())
            .fold(0.0, f32::max)
    };
    let boundary = freeze.div_ceil(hop) * hop;
    let t0 = [boundary - hop, boundary, boundary + hop]
        .into_iter()
        .min_by(|a, b| mismatch(*a).total_cmp(&mismatch(*b)))
        .unwrap();
    assert!(
        mismatch(t0) < 1e-4,
        "the captured loop does not play as captured"
    );
    let captured = &x[t0 - n - window..t0 - window];
    let texture = &y[t0 + 3 * n..t0 + 4 * n];
    // Periodic to the last bits (the overlap-add sums in another order each pass).
    let next = &y[t0 + 4 * n..t0 + 5 * n];
    let worst = (texture.iter().zip(next))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-6, "the texture does not loop: {worst}");
    assert!(captured != texture);
    let mut s = Scattering::new(6, n, (8, 1)).unwrap();
    let (a, b) = (
        coefficients(&mut s, captured),
        coefficients(&mut s, texture),
    );
    let difference: f64 = a.iter().zip(&b).map(|(a, b)| (a - b).powi(2)).sum();
    let norm: f64 = a.iter().map(|a| a * a).sum();
    let measured = (difference / norm).sqrt();
    eprintln!("texture's relative error: reported {reported:.4}, measured here {measured:.4}");
    assert!(
        measured <= 1.1 * reported as f64 + 0.02,
        "{measured} vs {reported}"
    );
}
