//! The project's real FFT (`dsp::real_fft`) against realfft, its peer: a windowed forward
//! transform and an inverse of one frame, at the STFT sizes the plugin and the phase
//! reconstruction use. Both run inside `with_avx`, as the iterative methods call them.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use phasewright::dsp::real_fft::RealFft;
use phasewright::dsp::wide::with_avx;
use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;
use rustfft::FftPlanner;

fn frame(n: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n)
        .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
        .collect();
    let window = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
        .collect();
    (x, window)
}

fn forward_and_inverse(c: &mut Criterion) {
    let mut group = c.benchmark_group("real_fft_forward_inverse");
    for n in [512usize, 2048, 8192] {
        let (x, window) = frame(n);
        let mut spectrum = vec![Complex32::default(); n / 2 + 1];
        let mut time = vec![0.0f32; n];
        let mut ours = RealFft::new(&mut FftPlanner::new(), n).unwrap();
        group.bench_with_input(BenchmarkId::new("phasewright", n), &n, |b, _| {
            b.iter(|| {
                with_avx(
                    #[inline(always)]
                    || {
                        ours.forward(&x, &window, &mut spectrum);
                        ours.inverse(&mut spectrum, &mut time);
                    },
                )
            })
        });
        let mut planner = RealFftPlanner::new();
        let (forward, inverse) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
        let mut scratch = forward.make_scratch_vec();
        scratch.extend(inverse.make_scratch_vec());
        group.bench_with_input(BenchmarkId::new("realfft", n), &n, |b, _| {
            b.iter(|| {
                with_avx(
                    #[inline(always)]
                    || {
                        for ((t, x), w) in time.iter_mut().zip(&x).zip(&window) {
                            *t = x * w;
                        }
                        let _ =
                            forward.process_with_scratch(&mut time, &mut spectrum, &mut scratch);
                        let _ =
                            inverse.process_with_scratch(&mut spectrum, &mut time, &mut scratch);
                    },
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, forward_and_inverse);
criterion_main!(benches);
