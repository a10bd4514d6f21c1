//! How the DAW learn modes denoise 10-second mixes of the corpus's talkers, against the oracle:
//! the least-squares FIR computed from the true clean signal of the same file.
//!
//! `cargo run --release --example learn_modes [-- SPEECH_DIR [OUT.json]]`
//!
//! Each mix: three talkers of `../shared/data/speech` taking turns with pauses after a 0.3 s
//! noise-only lead-in, in white, pink or babble noise (the other talkers) at 5 dB SNR. Modes are
//! rendered through the engine exactly as `phasewright render` does (offline, deterministic):
//! noise profile with Learn automated on over the lead-in, adaptive, and reference with the clean
//! signal on the sidechain.

use std::path::PathBuf;

use phasewright::analysis::denoise::metrics::{si_sdr_db, snr_db};
use phasewright::analysis::denoise::taps::CorrelationStats;
use phasewright::cli::io::{read_wav, Audio, SampleFormat};
use phasewright::cli::mixes::{make_mix, Mix, MixSpec, NoiseKind};
use phasewright::cli::render::{render, Automation, RenderOptions};
use phasewright::params::{ParamId, LEARN_TAPS};
use phasewright::taps_file::TapsFile;

const ESPEAK: [&str; 4] = [
    "espeak_00_en",
    "espeak_01_en",
    "espeak_02_de",
    "espeak_03_fr",
];
const HUMAN: [&str; 4] = [
    "alsa_Front_Center",
    "alsa_Front_Left",
    "alsa_Front_Right",
    "alsa_Side_Left",
];
const LEAD_IN: f64 = 0.3;

#[derive(serde::Serialize)]
struct Row {
    mix: usize,
    noise: NoiseKind,
    taps: usize,
    mode: &'static str,
    snr_gain_db: f64,
    si_sdr_gain_db: f64,
}

fn mono(mix: &Mix, signal: &[f32]) -> Audio {
    Audio {
        sample_rate: mix.sample_rate,
        channels: vec![signal.to_vec()],
        format: SampleFormat::F32,
    }
}

fn run(mix: &Mix, options: RenderOptions, sidechain: bool) -> Vec<f32> {
    let reference = sidechain.then(|| mono(mix, &mix.clean));
    let out = render(&mono(mix, &mix.noisy), reference.as_ref(), &options, |_| {})
        .unwrap_or_else(|e| panic!("render: {e}"));
    out.channels.into_iter().next().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).map_or("../shared/data/speech", |s| s.as_str()));
    let load = |name: &str| {
        let audio = read_wav(&dir.join(format!("{name}.wav"))).unwrap_or_else(|e| panic!("{e}"));
        (audio.sample_rate, audio.channels[0].clone())
    };
    let espeak: Vec<_> = ESPEAK.iter().map(|n| load(n)).collect();
    let human: Vec<_> = HUMAN.iter().map(|n| load(n)).collect();
    let sample_rate = espeak[0].0;

    let mut rows = Vec::new();
    println!("mix noise   taps  mode       SNR gain  SI-SDR gain (dB)");
    for m in 0..4 {
        // Talkers: two synthetic voices and one human; babble: every other voice.
        let picks = [(0, m), (1, m), (0, (m + 1) % 4)];
        let talkers: Vec<Vec<f32>> = picks
            .iter()
            .map(|&(set, i)| if set == 0 { &espeak[i].1 } else { &human[i].1 }.clone())
            .collect();
        let others: Vec<Vec<f32>> = (0..4)
            .flat_map(|i| [(0, i), (1, i)])
            .filter(|p| !picks.contains(p))
            .map(|(set, i)| if set == 0 { &espeak[i].1 } else { &human[i].1 }.clone())
            .collect();
        for (n, noise) in [NoiseKind::White, NoiseKind::Pink, NoiseKind::Babble]
            .into_iter()
            .enumerate()
        {
            let spec = MixSpec {
                seconds: 10.0,
                lead_in: LEAD_IN,
                snr_db: 5.0,
                noise,
                seed: (10 * m + n) as u64,
            };
            let mix = make_mix(sample_rate, &talkers, &others, &spec).unwrap();
            let base = (
                snr_db(&mix.noisy, &mix.clean),
                si_sdr_db(&mix.noisy, &mix.clean),
            );
            for taps in [81, 256] {
                let taps_index = LEARN_TAPS.iter().position(|t| *t == taps).unwrap() as f32;
                let learned = |mode: f32| {
                    vec![
                        (ParamId::DenoiseMode, mode),
                        (ParamId::DenoiseTaps, taps_index),
                    ]
                };
                let mut stats = CorrelationStats::new(taps).unwrap();
                stats.add_recording(&mix.noisy, &mix.clean);
                let oracle = TapsFile {
                    sample_rate: sample_rate as f32,
                    taps: stats.solve().unwrap(),
                    metadata: serde_json::Value::Null,
                };
                let outputs: [(&str, Vec<f32>); 4] = [
                    (
                        "oracle",
                        run(
                            &mix,
                            RenderOptions {
                                taps: Some(oracle),
                                ..Default::default()
                            },
                            false,
                        ),
                    ),
                    (
                        "profile",
                        run(
                            &mix,
                            RenderOptions {
                                settings: learned(2.0),
                                automation: vec![Automation {
                                    id: "denoise_learn".into(),
                                    points: vec![
                                        (0.0, 1.0),
                                        (LEAD_IN - 0.001, 1.0),
                                        (LEAD_IN, 0.0),
                                    ],
                                }],
                                ..Default::default()
                            },
                            false,
                        ),
                    ),
                    (
                        "adaptive",
                        run(
                            &mix,
                            RenderOptions {
                                settings: learned(3.0),
                                ..Default::default()
                            },
                            false,
                        ),
                    ),
                    (
                        "reference",
                        run(
                            &mix,
                            RenderOptions {
                                settings: [learned(1.0), vec![(ParamId::DenoiseLearn, 1.0)]]
                                    .concat(),
                                ..Default::default()
                            },
                            true,
                        ),
                    ),
                ];
                for (mode, out) in outputs {
                    let row = Row {
                        mix: m,
                        noise,
                        taps,
                        mode,
                        snr_gain_db: snr_db(&out, &mix.clean) - base.0,
                        si_sdr_gain_db: si_sdr_db(&out, &mix.clean) - base.1,
                    };
                    println!(
                        "{m}   {:<7} {taps:<5} {mode:<10} {:>7.2}  {:>7.2}",
                        format!("{noise:?}"),
                        row.snr_gain_db,
                        row.si_sdr_gain_db
                    );
                    rows.push(row);
                }
            }
        }
    }
    summarise(&rows);
    if let Some(out) = args.get(2) {
        std::fs::write(out, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    }
}

/// Mean gains per noise class, mode and tap count, and each mode's share of the oracle's gain.
fn summarise(rows: &[Row]) {
    println!("\nmean SNR gain (dB) [share of oracle], min over mixes");
    for stationary in [true, false] {
        for taps in [81, 256] {
            let select = |mode: &str| -> Vec<f64> {
                rows.iter()
                    .filter(|r| {
                        r.noise.is_stationary() == stationary && r.taps == taps && r.mode == mode
                    })
                    .map(|r| r.snr_gain_db)
                    .collect()
            };
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let oracle = mean(&select("oracle"));
            let class = if stationary { "stationary" } else { "babble" };
            for mode in ["oracle", "profile", "adaptive", "reference"] {
                let v = select(mode);
                println!(
                    "{class:<10} K={taps:<4} {mode:<10} {:>6.2} [{:>4.0} %]  min {:>6.2}",
                    mean(&v),
                    100.0 * mean(&v) / oracle,
                    v.iter().cloned().fold(f64::MAX, f64::min)
                );
            }
        }
    }
}
