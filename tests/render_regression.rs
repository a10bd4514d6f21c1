//! Sound does not change by accident: a fixed set of settings is rendered by the command line on
//! real audio and each output is compared, bit for bit, with a hash of the render the code made
//! when the set was recorded (`tests/data/render_hashes.json`).
//!
//! A deliberate change of sound re-records the hashes:
//! `PHASEWRIGHT_RECORD_RENDERS=1 cargo test --test render_regression`, and says why in its commit.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::data;

const HASHES: &str = "tests/data/render_hashes.json";

/// The settings recorded: name, then the `render` arguments after the input and output.
const CASES: &[(&str, Input, &[&str])] = &[
    ("identity", Input::Music, &[]),
    ("denoise_taps_file", Input::Speech, &["--taps", "TAPS"]),
    (
        "noise_profile_learning",
        Input::Speech,
        &[
            "--set",
            "denoise_mode=noise_profile",
            "--automation",
            "LEARN",
        ],
    ),
    ("phase_zero", Input::Music, &["--set", "spec_phase=zero"]),
    (
        "phase_conjugate",
        Input::Music,
        &["--set", "spec_phase=conjugate"],
    ),
    (
        "phase_random",
        Input::Music,
        &["--set", "spec_phase=random", "--set", "spec_seed=7"],
    ),
    (
        "permute_bins",
        Input::Music,
        &["--set", "spec_permute=on", "--set", "spec_seed=3"],
    ),
    ("reverse_bins", Input::Music, &["--set", "spec_reverse=on"]),
    (
        "phase_zero_rebuilt",
        Input::Music,
        &["--set", "spec_phase=zero", "--set", "phase_mode=rebuild"],
    ),
    (
        "checkerboard",
        Input::Music,
        &["--set", "spec_checkerboard=on"],
    ),
    (
        "segment_pca",
        Input::Music,
        &[
            "--set",
            "reorder_mode=segment",
            "--set",
            "reorder_order=pca",
            "--set",
            "reorder_length=0.5",
        ],
    ),
    (
        "capture_walk",
        Input::Music,
        &[
            "--set",
            "reorder_mode=capture",
            "--set",
            "reorder_order=walk",
            "--set",
            "reorder_length=0.8",
            "--automation",
            "CAPTURE",
        ],
    ),
];

#[derive(Clone, Copy)]
enum Input {
    /// 4 s of stereo music at 44.1 kHz: violin left, trumpet right.
    Music,
    /// Speech in noise at 32 kHz: half a second of noise alone, then four noisy sentences.
    Speech,
}

fn read_mono(rel: &str) -> (u32, Vec<f32>) {
    let mut reader = hound::WavReader::open(data(rel)).unwrap();
    let rate = reader.spec().sample_rate;
    let samples = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    (rate, samples)
}

fn write(path: &Path, rate: u32, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            writer.write_sample(c[i]).unwrap();
        }
    }
    writer.finalize().unwrap();
}

fn make_input(dir: &Path, input: Input) -> PathBuf {
    let path = dir.join(match input {
        Input::Music => "music.wav",
        Input::Speech => "speech.wav",
    });
    if path.exists() {
        return path;
    }
    match input {
        Input::Music => {
            let excerpt = |rel| {
                let (rate, x) = read_mono(rel);
                let start = 2 * rate as usize;
                (rate, x[start..start + 4 * rate as usize].to_vec())
            };
            let (rate, left) = excerpt("music/violin.wav");
            let (_, right) = excerpt("music/trumpet.wav");
            write(&path, rate, &[left, right]);
        }
        Input::Speech => {
            let (rate, noisy) = read_mono("denoise/0000_noisy.wav");
            let (_, clean) = read_mono("denoise/0000_clean.wav");
            let mut x: Vec<f32> = noisy
                .iter()
                .zip(&clean)
                .take(rate as usize / 2)
                .map(|(n, c)| n - c)
                .collect();
            for pair in ["0001", "0002", "0003", "0004"] {
                x.extend(read_mono(&format!("denoise/{pair}_noisy.wav")).1);
            }
            write(&path, rate, &[x]);
        }
    }
    path
}

/// The files the cases name: a 63-tap windowed-sinc low-pass at a quarter of the sample rate,
/// Learn on over the noise-only lead-in, and a capture from 1.5 s to 3 s.
fn support_file(dir: &Path, name: &str) -> PathBuf {
    let (file, text) = match name {
        "TAPS" => {
            let taps: Vec<f64> = (0..63)
                .map(|i| {
                    let t = i as f64 - 31.0;
                    let sinc = if t == 0.0 {
                        0.5
                    } else {
                        (0.5 * std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
                    };
                    let w = 0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / 62.0).cos();
                    sinc * w
                })
                .collect();
            (
                "taps.json",
                serde_json::json!({"sample_rate": 32000, "taps": taps}).to_string(),
            )
        }
        "LEARN" => (
            "learn.json",
            r#"[{"id": "denoise_learn", "points": [[0.0, 1], [0.45, 1], [0.46, 0]]}]"#.to_string(),
        ),
        "CAPTURE" => (
            "capture.json",
            r#"[{"id": "reorder_capture", "points": [[1.49, 0], [1.5, 1], [3.0, 1], [3.01, 0]]}]"#
                .to_string(),
        ),
        _ => return PathBuf::from(name),
    };
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// FNV-1a, 64 bits: enough to tell two renders apart, and nothing to install.
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn render(dir: &Path, input: Input, args: &[&str], name: &str) -> String {
    let input = make_input(dir, input);
    let output = dir.join(format!("{name}.wav"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phasewright"));
    cmd.arg("render").arg(&input).arg("-o").arg(&output);
    cmd.args(["--format", "f32", "--block", "512"]);
    for a in args {
        cmd.arg(support_file(dir, a));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fnv1a(&std::fs::read(&output).unwrap())
}

#[test]
fn renders_match_the_recorded_hashes_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let hashes: BTreeMap<String, String> = CASES
        .iter()
        .map(|(name, input, args)| (name.to_string(), render(dir.path(), *input, args, name)))
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(HASHES);
    if std::env::var_os("PHASEWRIGHT_RECORD_RENDERS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&hashes).unwrap() + "\n").unwrap();
        return;
    }
    let recorded: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let changed: Vec<&String> = hashes
        .iter()
        .filter(|(name, hash)| recorded.get(*name) != Some(*hash))
        .map(|(name, _)| name)
        .collect();
    assert!(changed.is_empty(), "renders that changed: {changed:?}");
    assert_eq!(
        recorded.len(),
        CASES.len(),
        "every recorded case is rendered"
    );
}
