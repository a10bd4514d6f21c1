use super::*;
use rand::rngs::StdRng;

fn gaussian(n: usize, rng: &mut StdRng) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let (u, v) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
        })
        .collect()
}

/// Gaussian noise through a one-pole low-pass: a coloured, stationary noise.
fn coloured(n: usize, rng: &mut StdRng) -> Vec<f32> {
    let mut y = 0.0f32;
    gaussian(n, rng)
        .into_iter()
        .map(|x| {
            y = 0.9 * y + 0.1 * x;
            y
        })
        .collect()
}

fn mean_spectrum(x: &[f32], size: usize) -> Vec<f64> {
    let mut frames = Periodograms::new(size, size / 2);
    let mut avg = SpectrumAverage::new(frames.bins(), f64::INFINITY);
    frames.push(x, |p| avg.add(p));
    avg.mean().unwrap()
}

#[test]
fn white_noise_reads_its_variance_in_every_bin() {
    let mut rng = StdRng::seed_from_u64(1);
    let x: Vec<f32> = gaussian(1 << 18, &mut rng)
        .iter()
        .map(|v| 0.5 * v)
        .collect();
    let p = mean_spectrum(&x, 512);
    let mean = p[1..p.len() - 1].iter().sum::<f64>() / (p.len() - 2) as f64;
    assert!((mean / 0.25 - 1.0).abs() < 0.02, "{mean}");
}

#[test]
fn minimum_statistics_finds_the_noise_under_intermittent_tones() {
    let mut rng = StdRng::seed_from_u64(2);
    let sr = 16000.0;
    let noise = coloured(10 * 16000, &mut rng);
    // Loud bursts of a chord, on half the time in 0.4 s bursts: the noise shows in the pauses.
    let noisy: Vec<f32> = noise
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let t = i as f32 / sr;
            let on = ((t / 0.4) as usize).is_multiple_of(2);
            let tone = [300.0, 700.0, 1900.0]
                .iter()
                .map(|f| (2.0 * std::f32::consts::PI * f * t).sin())
                .sum::<f32>();
            n + if on { 0.3 * tone } else { 0.0 }
        })
        .collect();
    let size = 512;
    let mut frames = Periodograms::new(size, size / 2);
    let mut tracker = MinimumStatistics::new(frames.bins(), 94, 0.85);
    frames.push(&noisy, |p| tracker.push(p));
    let estimate = tracker.noise().unwrap();
    let truth = mean_spectrum(&noise, size);
    // Mean log error over the bins away from the tones: within 1.5 dB.
    let tone_bins: Vec<usize> = [300.0, 700.0, 1900.0]
        .iter()
        .map(|f| (f * size as f32 / sr).round() as usize)
        .collect();
    let errors: Vec<f64> = (1..estimate.len() - 1)
        .filter(|k| tone_bins.iter().all(|t| k.abs_diff(*t) > 3))
        .map(|k| 10.0 * (estimate[k] / truth[k]).log10())
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(mean.abs() < 1.5, "mean error {mean:.2} dB");
}

fn filtered_error(taps: &[f32], x: &[f32], clean: &[f32]) -> f64 {
    let y: Vec<f64> = (0..x.len())
        .map(|n| {
            (0..taps.len().min(n + 1))
                .map(|k| taps[k] as f64 * x[n - k] as f64)
                .sum()
        })
        .collect();
    y.iter()
        .zip(clean)
        .map(|(y, c)| (y - *c as f64).powi(2))
        .sum()
}

#[test]
fn with_the_true_noise_spectrum_the_design_matches_the_least_squares_oracle() {
    // Low-pass "speech" in white noise. Given the noise's own spectrum, the design (no floor)
    // is the causal Wiener filter, which the oracle computes from the clean signal itself.
    let mut rng = StdRng::seed_from_u64(4);
    let n = 1 << 17;
    let clean: Vec<f32> = coloured(n, &mut rng).iter().map(|v| 4.0 * v).collect();
    let noise: Vec<f32> = gaussian(n, &mut rng).iter().map(|v| 0.8 * v).collect();
    let noisy: Vec<f32> = clean.iter().zip(&noise).map(|(c, n)| c + n).collect();
    let taps = 64;
    let design = WienerDesigner::default()
        .design(
            &mean_spectrum(&noisy, 512),
            &mean_spectrum(&noise, 512),
            taps,
            0.0,
        )
        .unwrap();
    let mut stats = crate::analysis::denoise::taps::CorrelationStats::new(taps).unwrap();
    stats.add_recording(&noisy, &clean);
    let oracle = stats.solve().unwrap();
    let bypass = filtered_error(&[1.0], &noisy, &clean);
    let by_design = 10.0 * (filtered_error(&design.taps, &noisy, &clean) / bypass).log10();
    let by_oracle = 10.0 * (filtered_error(&oracle, &noisy, &clean) / bypass).log10();
    assert!(by_oracle < -3.0, "oracle {by_oracle:.2} dB");
    assert!(
        by_design < by_oracle + 0.3,
        "design {by_design:.2} dB, oracle {by_oracle:.2} dB"
    );
    // And the spectra predicted that figure.
    assert!(
        (design.predicted_db - by_design).abs() < 0.5,
        "{} vs {by_design}",
        design.predicted_db
    );
}

#[test]
fn designs_are_never_predicted_worse_than_bypass() {
    // Random, wildly inconsistent spectra (noise often above the input): the blend keeps the
    // predicted error at or below bypass, and the taps finite.
    let mut rng = StdRng::seed_from_u64(3);
    for taps in [1, 16, 81, 128] {
        let bins = 129;
        let px: Vec<f64> = (0..bins).map(|_| rng.random::<f64>().powi(4)).collect();
        let pn: Vec<f64> = (0..bins).map(|_| rng.random::<f64>().powi(4)).collect();
        let design = WienerDesigner::default()
            .design(&px, &pn, taps, 0.1)
            .unwrap();
        assert!(design.predicted_db <= 1e-9, "{}", design.predicted_db);
        assert!((0.0..=1.0).contains(&design.blend));
        assert!(design.taps.iter().all(|t| t.is_finite()));
    }
    let pn = vec![1.0; 129];
    assert!(WienerDesigner::default()
        .design(&vec![0.0; 129], &pn, 32, 0.1)
        .is_err());
    assert!(WienerDesigner::default()
        .design(&pn, &pn, 200, 0.1)
        .is_err());
}

#[test]
fn coarsening_keeps_the_level_of_a_flat_spectrum() {
    let c = coarsen(&vec![2.0; 2049], 4);
    assert_eq!(c.len(), 513);
    assert!(c.iter().all(|v| (*v - 2.0).abs() < 1e-12));
}
