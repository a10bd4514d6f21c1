//! `phasewright reorder` against the reference that librosa and scikit-learn give on the same
//! file (tests/data/trumpet_pca_reference.json, made by tests/data/make_pca_reference.py).

mod common;

use std::process::Command;

use common::{data, load};
use phasewright::analysis::order::features::{mel_db_features, Weighting};
use phasewright::analysis::order::N_MELS;
use phasewright::cli::reorder_file::ReorderSettings;
use phasewright::dsp::stft::stft;

fn reference() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/trumpet_pca_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn features_match_librosa_on_the_same_frames() {
    let reference = reference();
    let trumpet = load("music/trumpet.wav");
    let settings = ReorderSettings::default();
    let frames = stft(&trumpet.channels[0], &settings.layout()).unwrap();
    for (name, weighting) in [
        ("none", Weighting::None),
        ("volume", Weighting::Volume),
        ("logfreq", Weighting::Logfreq),
        ("both", Weighting::Both),
    ] {
        let ours = mel_db_features(&frames, trumpet.sample_rate as f64, N_MELS, weighting);
        // Every 50th frame (silence at the floor among them); a NaN counts as the worst.
        let sampled = reference["weightings"][name]["sampled_frames"]
            .as_array()
            .unwrap();
        assert!(sampled.len() > 20, "{name}: {} frames", sampled.len());
        for frame in sampled {
            let index = frame[0].as_u64().unwrap() as usize;
            let theirs = floats(&frame[1]);
            let worst = worst_difference(&ours[index], &theirs);
            assert!(worst < 0.01, "{name}, frame {index}: {worst} dB");
        }
    }
}

/// The largest absolute difference, infinite if either side holds a NaN.
fn worst_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .map(|d| if d.is_nan() { f64::INFINITY } else { d })
        .fold(0.0, f64::max)
}

#[test]
fn the_pca_order_matches_scikit_learn_up_to_reversal() {
    let reference = reference();
    let dir = tempfile::tempdir().unwrap();
    for name in ["none", "volume", "logfreq", "both"] {
        let out = dir.path().join(format!("{name}.wav"));
        let run = Command::new(env!("CARGO_BIN_EXE_phasewright"))
            .args(["reorder", data("music/trumpet.wav").to_str().unwrap(), "-o"])
            .arg(&out)
            .args(["--embed", "pca", "--weighting", name, "--json"])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let ours: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let theirs = &reference["weightings"][name];
        let (e, re) = (floats(&ours["embedding"]), floats(&theirs["embedding"]));
        assert_eq!(e.len(), re.len(), "{name}: frame count");
        // A principal component's sign is arbitrary: align it, then compare.
        let sign = e.iter().zip(&re).map(|(a, b)| a * b).sum::<f64>().signum();
        let range = re.iter().cloned().fold(f64::MIN, f64::max)
            - re.iter().cloned().fold(f64::MAX, f64::min);
        let aligned: Vec<f64> = e.iter().map(|a| sign * a).collect();
        let worst = worst_difference(&aligned, &re);
        assert!(worst < 1e-4 * range, "{name}: embedding off by {worst}");
        // The order, reversed with the sign, sorts scikit-learn's embedding (frames with equal
        // values, such as silent ones at the -80 dB floor, may come in any order, as in numpy).
        let mut order: Vec<usize> = ours["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        if sign < 0.0 {
            order.reverse();
        }
        for w in order.windows(2) {
            assert!(
                re[w[0]] <= re[w[1]] + 1e-5 * range,
                "{name}: frames {} then {}",
                w[0],
                w[1]
            );
        }
        let same = order
            .iter()
            .zip(theirs["order"].as_array().unwrap())
            .filter(|(a, b)| **a as u64 == b.as_u64().unwrap())
            .count();
        eprintln!(
            "{name}: embedding within {:.1e} of its range, {same} of {} frames where scikit-learn puts them",
            worst / range,
            order.len()
        );
        assert!(
            same as f64 >= 0.9 * order.len() as f64,
            "{name}: {same} of {} in place",
            order.len()
        );
        let audio = phasewright::cli::io::read_wav(&out).unwrap();
        assert_eq!(audio.frames(), load("music/trumpet.wav").frames());
    }
}

#[test]
fn tsne_keeps_the_frames_of_each_distinct_note_together() {
    use phasewright::analysis::order::tsne::TsneMethod;
    use phasewright::analysis::order::{Embedding, OrderSettings};
    use phasewright::cli::reorder_file::reorder;
    // Four notes of different pitch and timbre, 0.4 s each, played A B C D three times.
    let rate = 22050usize;
    let notes: [(f64, f64); 4] = [(220.0, 1.0), (330.0, 0.5), (495.0, 0.25), (742.5, 0.7)];
    let note_len = (0.4 * rate as f64) as usize;
    let mut signal = Vec::new();
    let mut labels_of_samples = Vec::new();
    for _ in 0..3 {
        for (label, (f0, brightness)) in notes.iter().enumerate() {
            for n in 0..note_len {
                let t = n as f64 / rate as f64;
                let v: f64 = (1..8)
                    .map(|h| {
                        brightness.powi(h - 1)
                            * (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin()
                    })
                    .sum();
                signal.push((0.2 * v) as f32);
                labels_of_samples.push(label);
            }
        }
    }
    for tsne_method in [TsneMethod::Exact, TsneMethod::BarnesHut, TsneMethod::Fft] {
        let settings = ReorderSettings {
            order: OrderSettings {
                embedding: Embedding::Tsne,
                tsne_method,
                ..Default::default()
            },
            ..Default::default()
        };
        let found = reorder(&signal, rate as f64, &settings).unwrap();
        // Frames whose whole window lies inside one note carry its label.
        let half = settings.win / 2;
        let label = |frame: usize| {
            let centre = frame * settings.hop;
            let (lo, hi) = (centre.checked_sub(half)?, centre + half);
            let l = *labels_of_samples.get(lo)?;
            (labels_of_samples.get(hi - 1) == Some(&l)).then_some(l)
        };
        let sequence: Vec<usize> = found.order.iter().filter_map(|f| label(*f)).collect();
        assert!(sequence.len() > 100);
        let changes = sequence.windows(2).filter(|w| w[0] != w[1]).count();
        let text: String = sequence.iter().map(|l| l.to_string()).collect();
        assert!(changes <= 5, "{tsne_method:?}: {changes} changes: {text}");
    }
}

/// FFT-interpolated t-SNE reaches the divergence exact t-SNE reaches (KL against exact
/// affinities) on 400 frames of real music each: within 2 % (the part left is P's cut to
/// 4·perplexity neighbours; a grid four times finer changes it by 0.3 %), and at least as low
/// as Barnes-Hut, scikit-learn's method, over the same P.
#[test]
fn fft_tsne_reaches_the_exact_divergence() {
    use phasewright::analysis::order::tsne::{kl_divergence, tsne_1d, TsneMethod, TsneSettings};
    for name in ["music/violin.wav", "music/piano.wav"] {
        let audio = load(name);
        let frames = stft(&audio.channels[0], &ReorderSettings::default().layout()).unwrap();
        let all = mel_db_features(&frames, audio.sample_rate as f64, N_MELS, Weighting::None);
        let x = &all[..400];
        let divergence = |method| {
            let settings = TsneSettings {
                method,
                ..Default::default()
            };
            kl_divergence(x, &tsne_1d(x, &settings), settings.perplexity)
        };
        let [exact, barnes_hut, fft] =
            [TsneMethod::Exact, TsneMethod::BarnesHut, TsneMethod::Fft].map(divergence);
        eprintln!("{name}: KL exact {exact:.4}, Barnes-Hut {barnes_hut:.4}, FFT {fft:.4}");
        assert!(
            (fft / exact - 1.0).abs() < 0.02,
            "{name}: {fft} against {exact}"
        );
        assert!(fft <= barnes_hut * 1.002, "{name}: {fft}, {barnes_hut}");
    }
}

#[test]
fn plot_embedding_draws_a_png_and_refuses_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("e.png");
    let run = |embed: &str| {
        Command::new(env!("CARGO_BIN_EXE_phasewright"))
            .args([
                "plot-embedding",
                data("music/violin.wav").to_str().unwrap(),
                "-o",
            ])
            .arg(&png)
            .args(["--embed", embed])
            .output()
            .unwrap()
    };
    let ok = run("pca");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    assert!(
        bytes.len() > 20_000,
        "a picture with points: {} bytes",
        bytes.len()
    );
    let walk = run("walk");
    assert_eq!(walk.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&walk.stderr).contains("no embedding"));
}
