use super::*;
use crate::dsp::mel::{htk_mel_filterbank, MelBank};
use crate::dsp::stft::{stft, StftLayout};

const LAYOUT: StftLayout = StftLayout {
    n_fft: 512,
    hop: 128,
    win: 512,
    center: true,
};

/// Two seconds at 16 kHz of a chirp over two steady tones.
fn test_signal() -> Vec<f32> {
    (0..32000)
        .map(|n| {
            let t = n as f32 / 16000.0;
            let chirp = (std::f32::consts::TAU * (200.0 * t + 600.0 * t * t)).sin();
            let tones = (std::f32::consts::TAU * 440.0 * t).sin()
                + 0.5 * (std::f32::consts::TAU * 1250.0 * t).sin();
            0.3 * chirp + 0.2 * tones
        })
        .collect()
}

fn no_stop() -> bool {
    false
}

#[test]
fn the_true_phase_gives_the_signal_back() {
    let x = test_signal();
    let spectra = stft(&x, &LAYOUT).unwrap();
    let phase: Vec<Vec<f32>> = spectra
        .iter()
        .map(|f| f.iter().map(|c| c.arg()).collect())
        .collect();
    let settings = GlaSettings {
        iterations: 0,
        acceleration: Acceleration::Momentum(0.0),
        init: InitialPhase::Given(phase),
    };
    let r = griffin_lim(
        &magnitudes(&spectra),
        LAYOUT,
        x.len(),
        &settings,
        &no_stop,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(r.sc_db.len(), 1);
    assert!(r.sc_db[0] < -80.0, "{}", r.sc_db[0]);
    let err = x
        .iter()
        .zip(&r.signal)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err < 1e-4, "{err}");
}

#[test]
fn gla_never_increases_the_inconsistency_and_fast_and_accelerated_gla_get_further() {
    let x = test_signal();
    let target = magnitudes(&stft(&x, &LAYOUT).unwrap());
    let run = |acceleration| {
        let settings = GlaSettings {
            iterations: 32,
            acceleration,
            init: InitialPhase::Random(3),
        };
        griffin_lim(
            &target,
            LAYOUT,
            x.len(),
            &settings,
            &no_stop,
            &mut |_, _| {},
        )
        .unwrap()
    };
    let (gla, fgla) = (
        run(Acceleration::Momentum(0.0)),
        run(Acceleration::Momentum(0.99)),
    );
    let agla = run(Acceleration::AGLA);
    let guaranteed = run(Acceleration::AGLA_GUARANTEED);
    eprintln!(
        "32 iterations: GLA {:.1}, FGLA {:.1}, AGLA {:.1}, AGLA (guaranteed) {:.1} dB",
        gla.sc_db[32], fgla.sc_db[32], agla.sc_db[32], guaranteed.sc_db[32]
    );
    assert_eq!(gla.sc_db.len(), 33);
    for w in gla.sc_db.windows(2) {
        assert!(w[1] <= w[0] + 1e-3, "GLA went up: {:?}", gla.sc_db);
    }
    assert!(gla.sc_db[32] < gla.sc_db[0] - 6.0, "{:?}", gla.sc_db);
    assert!(
        fgla.sc_db[32] < gla.sc_db[32] - 3.0,
        "FGLA {:.1} dB, GLA {:.1} dB",
        fgla.sc_db[32],
        gla.sc_db[32]
    );
    assert!(
        agla.sc_db[32] < gla.sc_db[32] - 3.0,
        "AGLA {:?}",
        agla.sc_db
    );
    assert!(
        guaranteed.sc_db[32] < gla.sc_db[0] - 6.0,
        "AGLA {:?}",
        guaranteed.sc_db
    );
}

#[test]
fn a_cancelled_reconstruction_stops_at_once_with_what_it_has() {
    let x = test_signal();
    let target = magnitudes(&stft(&x, &LAYOUT).unwrap());
    let asked = std::cell::Cell::new(0);
    let stop = || {
        asked.set(asked.get() + 1);
        asked.get() > 4
    };
    let r = griffin_lim(
        &target,
        LAYOUT,
        x.len(),
        &GlaSettings::default(),
        &stop,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(r.iterations, 4);
    assert_eq!(r.sc_db.len(), 5);
    assert_eq!(r.signal.len(), x.len());
}

#[test]
fn wrong_shapes_and_momentum_are_refused() {
    let target = vec![vec![1.0f32; 100]; 10];
    let gla = |m: &[Vec<f32>], momentum| {
        let settings = GlaSettings {
            acceleration: Acceleration::Momentum(momentum),
            ..Default::default()
        };
        griffin_lim(m, LAYOUT, 4096, &settings, &no_stop, &mut |_, _| {})
    };
    assert!(gla(&target, 0.5).unwrap_err().contains("257"));
    assert!(gla(&vec![vec![1.0f32; 257]; 10], 1.5).is_err());
    assert_eq!(
        spectral_convergence_db(&[vec![0.0]], &[vec![Complex32::default()]]),
        f64::NEG_INFINITY
    );
}

/// PGHI alone (no iterations) on a chirp and on a sum of tones, at overlaps 8 and 4.
#[test]
fn pghi_rebuilds_a_chirp_and_tones_without_iterating() {
    let rate = 16000.0;
    let chirp: Vec<f32> = (0..32000)
        .map(|n| {
            let t = n as f32 / rate;
            0.5 * (std::f32::consts::TAU * (200.0 * t + 900.0 * t * t)).sin()
        })
        .collect();
    let tones: Vec<f32> = (0..32000)
        .map(|n| {
            let t = n as f32 / rate;
            [(330.0, 0.4), (1170.0, 0.3), (2500.0, 0.2)]
                .iter()
                .map(|(f, a)| a * (std::f32::consts::TAU * f * t).sin())
                .sum()
        })
        .collect();
    for (name, x) in [("chirp", &chirp), ("tones", &tones)] {
        for overlap in [8, 4] {
            let layout = StftLayout {
                n_fft: 1024,
                hop: 1024 / overlap,
                win: 1024,
                center: true,
            };
            let target = magnitudes(&stft(x, &layout).unwrap());
            let sc = |phase: Vec<Vec<f32>>| {
                signal_with_phase(&target, phase, layout, x.len())
                    .unwrap()
                    .sc_db[0]
            };
            let whole = sc(pghi(&target, &layout, TOLERANCE));
            let ahead = sc(rtpghi(&target, &layout, TOLERANCE, true));
            let causal = sc(rtpghi(&target, &layout, TOLERANCE, false));
            eprintln!(
                "{name} overlap {overlap}: PGHI {whole:.1} dB, RTPGHI look-ahead {ahead:.1} dB, causal {causal:.1} dB"
            );
            // The paper's bar is -25 dB at overlap 8; both signals clear it by 5 dB here.
            let bar = if overlap == 8 { -30.0 } else { -25.0 };
            assert!(whole < bar, "{name} overlap {overlap}: PGHI {whole:.1} dB");
            assert!(
                ahead < bar + 5.0,
                "{name} overlap {overlap}: RTPGHI {ahead:.1} dB"
            );
            assert!(
                causal < bar + 10.0,
                "{name} overlap {overlap}: causal RTPGHI {causal:.1} dB"
            );
        }
    }
}

/// Central differences of the loss against its gradient at a few samples, relative to the
/// gradient's largest component.
fn gradient_error(target: Target, layout: StftLayout, x: &[f64]) -> f64 {
    use crate::analysis::optim::Objective;
    let mut loss = SpectrogramLoss::new(target, layout, x.len()).unwrap();
    let mut g = vec![0.0; x.len()];
    loss.evaluate(x, &mut g);
    let largest = g.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let mut scratch = vec![0.0; x.len()];
    let mut worst = 0.0f64;
    for i in (0..x.len()).step_by(7) {
        let h = 1e-6;
        let mut y = x.to_vec();
        y[i] += h;
        let up = loss.evaluate(&y, &mut scratch);
        y[i] -= 2.0 * h;
        let down = loss.evaluate(&y, &mut scratch);
        worst = worst.max(((up - down) / (2.0 * h) - g[i]).abs() / largest);
    }
    worst
}

#[test]
fn the_loss_gradients_equal_finite_differences() {
    let noise = |seed| -> Vec<f64> {
        gaussian_noise(300, 0.3, seed)
            .iter()
            .map(|v| *v as f64)
            .collect()
    };
    let (x, other) = (noise(1), noise(2));
    for center in [true, false] {
        let layout = StftLayout {
            n_fft: 64,
            hop: 16,
            win: 48,
            center,
        };
        let other32: Vec<f32> = other.iter().map(|v| *v as f32).collect();
        let magnitude = magnitudes(&stft(&other32, &layout).unwrap());
        for exponent in [1.0, 2.0 / 3.0] {
            let target = Target::Magnitude {
                magnitude: magnitude.clone(),
                exponent,
            };
            let err = gradient_error(target, layout, &x);
            assert!(err < 1e-4, "center {center}, exponent {exponent}: {err}");
        }
        let bank = || MelBank::compact(htk_mel_filterbank(16000.0, 64, 8, 0.0, 6000.0));
        let mel = bank().spectrogram(&magnitude);
        for normalised in [true, false] {
            let target = Target::Mel {
                mel: mel.clone(),
                bank: bank(),
                normalised,
            };
            let err = gradient_error(target, layout, &x);
            assert!(
                err < 1e-4,
                "center {center}, mel normalised {normalised}: {err}"
            );
        }
    }
}

#[test]
fn lbfgs_improves_on_pghi_and_inverts_a_mel_spectrogram_from_noise() {
    let x = test_signal();
    let magnitude = magnitudes(&stft(&x, &LAYOUT).unwrap());
    let phase = pghi(&magnitude, &LAYOUT, TOLERANCE);
    let start = signal_with_phase(&magnitude, phase, LAYOUT, x.len()).unwrap();
    let target = Target::Magnitude {
        magnitude: magnitude.clone(),
        exponent: 1.0,
    };
    let r = invert_lbfgs(target, LAYOUT, &start.signal, 30, &no_stop, &mut |_, _| {}).unwrap();
    assert!(
        (r.sc_db[0] - start.sc_db[0]).abs() < 0.1,
        "{} vs {}",
        r.sc_db[0],
        start.sc_db[0]
    );
    assert!(*r.sc_db.last().unwrap() < r.sc_db[0] - 6.0, "{:?}", r.sc_db);
    // The mel spectrogram alone, from faint noise.
    let layout = StftLayout {
        center: false,
        ..LAYOUT
    };
    let bank = || MelBank::compact(htk_mel_filterbank(16000.0, 512, 40, 0.0, 8000.0));
    let mel = bank().spectrogram(&magnitudes(&stft(&x, &layout).unwrap()));
    let target = Target::Mel {
        mel,
        bank: bank(),
        normalised: true,
    };
    let noise = gaussian_noise(x.len(), 1e-3, 0);
    let r = invert_lbfgs(target, layout, &noise, 100, &no_stop, &mut |_, _| {}).unwrap();
    assert!(
        r.sc_db[0] > -3.0 && *r.sc_db.last().unwrap() < -20.0,
        "{:?}",
        r.sc_db
    );
}
