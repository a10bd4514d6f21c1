//! Phase reconstruction on the corpus's 15-s trumpet: GLA-family iterations (their cost per
//! iteration is the difference between the 10- and 0-iteration runs, divided by 10), and the
//! mel inversion's loss-and-gradient evaluation and L-BFGS iterations in the reference
//! notebook's setting (first 3 s). `tests/data/make_phase_reference.py` times librosa's
//! `griffinlim` and scipy's L-BFGS-B on the same input; run both in one session.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use phasewright::analysis::optim::Objective;
use phasewright::analysis::phase::{
    gaussian_noise, griffin_lim, invert_lbfgs, magnitudes, Acceleration, GlaSettings, InitialPhase,
    SpectrogramLoss, Target,
};
use phasewright::cli::io::read_wav;
use phasewright::dsp::mel::{htk_mel_filterbank, MelBank};
use phasewright::dsp::stft::{stft, StftLayout};

fn trumpet() -> (u32, Vec<f32>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/music/trumpet.wav");
    let audio = read_wav(&path).unwrap_or_else(|e| panic!("{e}"));
    (audio.sample_rate, audio.channels[0].clone())
}

fn griffin_lim_family(c: &mut Criterion) {
    let (_, x) = trumpet();
    let layout = StftLayout {
        n_fft: 2048,
        hop: 512,
        win: 2048,
        center: true,
    };
    let target = magnitudes(&stft(&x, &layout).unwrap());
    let mut group = c.benchmark_group("griffin_lim_15s");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(8));
    for (name, acceleration) in [
        ("fgla", Acceleration::Momentum(0.99)),
        ("agla", Acceleration::AGLA),
    ] {
        for iterations in [0usize, 10] {
            let settings = GlaSettings {
                iterations,
                acceleration,
                init: InitialPhase::Random(0),
            };
            group.bench_with_input(BenchmarkId::new(name, iterations), &settings, |b, s| {
                b.iter(|| griffin_lim(&target, layout, x.len(), s, &|| false, &mut |_, _| {}))
            });
        }
    }
    group.finish();
}

fn mel_inversion(c: &mut Criterion) {
    let (rate, x) = trumpet();
    let x = &x[..3 * rate as usize];
    let layout = StftLayout {
        n_fft: 2048,
        hop: 1024,
        win: 2048,
        center: false,
    };
    let bank = || MelBank::compact(htk_mel_filterbank(rate as f64, 2048, 80, 0.0, 8000.0));
    let mel = bank().spectrogram(&magnitudes(&stft(x, &layout).unwrap()));
    let target = || Target::Mel {
        mel: mel.clone(),
        bank: bank(),
        normalised: true,
    };
    let start = gaussian_noise(x.len(), 1e-3, 0);
    let mut group = c.benchmark_group("mel_inversion_3s");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    let mut loss = SpectrogramLoss::new(target(), layout, x.len()).unwrap();
    let point: Vec<f64> = start.iter().map(|v| *v as f64).collect();
    let mut gradient = vec![0.0; x.len()];
    group.bench_function("loss_and_gradient", |b| {
        b.iter(|| loss.evaluate(&point, &mut gradient))
    });
    group.bench_function("lbfgs_20_iterations", |b| {
        b.iter(|| invert_lbfgs(target(), layout, &start, 20, &|| false, &mut |_, _| {}))
    });
    group.finish();
}

criterion_group!(benches, griffin_lim_family, mel_inversion);
criterion_main!(benches);
