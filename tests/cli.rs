//! The `phasewright` command line, run as a user runs it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{convolve, data, load, relative_error_db};
use phasewright::analysis::denoise::metrics::snr_db;
use phasewright::analysis::scattering::Scattering;
use phasewright::cli::demo::lowpass_taps;
use phasewright::cli::io::{read_wav, SampleFormat};

fn phasewright(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasewright"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Renders `input` with `args` at blocks of 512 and of 100 into `dir`, checks the two files are
/// the same bytes, and returns the path of one.
fn render_twice_at_two_block_sizes(dir: &Path, input: &Path, args: &[&str]) -> std::path::PathBuf {
    let outputs = ["512.wav", "100.wav"].map(|f| dir.join(f));
    for (out, block) in outputs.iter().zip(["512", "100"]) {
        let mut all = vec!["render", path(input), "-o", path(out), "--block", block];
        all.extend_from_slice(args);
        ok(&phasewright(&all));
    }
    assert_eq!(
        std::fs::read(&outputs[0]).unwrap(),
        std::fs::read(&outputs[1]).unwrap(),
        "block size changes nothing offline"
    );
    outputs[0].clone()
}

#[test]
fn render_is_bit_identical_run_to_run_and_keeps_length_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("music/trumpet.wav");
    let outputs = ["a.wav", "b.wav"].map(|f| dir.path().join(f));
    for out in &outputs {
        ok(&phasewright(&[
            "render",
            path(&input),
            "-o",
            path(out),
            "--block",
            "333",
        ]));
    }
    let (a, b) = (
        std::fs::read(&outputs[0]).unwrap(),
        std::fs::read(&outputs[1]).unwrap(),
    );
    assert_eq!(a, b);
    let (original, rendered) = (load("music/trumpet.wav"), read_wav(&outputs[0]).unwrap());
    assert_eq!(rendered.frames(), original.frames());
    assert_eq!(rendered.format, SampleFormat::I16);
    assert_eq!(rendered.sample_rate, original.sample_rate);
    // Identity settings: the latency is compensated, so the file comes back sample-aligned.
    let err = relative_error_db(&rendered.channels[0], &original.channels[0]);
    assert!(err < -80.0, "{err:.1} dB (16-bit)");
}

#[test]
fn a_preset_file_settings_automation_and_taps_all_shape_the_render_and_a_sidechain_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("speech/espeak_01_en.wav");
    let speech = load("speech/espeak_01_en.wav");
    let taps = lowpass_taps(2500.0, speech.sample_rate, 81);
    let taps_path = dir.path().join("taps.json");
    taps.write(&taps_path).unwrap();
    let preset = dir.path().join("preset.json");
    std::fs::write(
        &preset,
        r#"{"denoise_amount": 0.5, "out_mix": 0.5, "spec_window": 1024, "spec_overlap": 8}"#,
    )
    .unwrap();
    // Gain from silence at 0 s up to -6 dB at 1 s, then held.
    let automation = dir.path().join("automation.json");
    std::fs::write(
        &automation,
        r#"[{"id": "out_gain", "points": [[0.0, -60.0], [1.0, -6.0]]}]"#,
    )
    .unwrap();
    let out = dir.path().join("out.wav");
    let sidechain = data("speech/espeak_00_en.wav");
    let args = [
        "render",
        path(&input),
        "-o",
        path(&out),
        "--preset",
        path(&preset),
        "--set",
        "denoise_amount=0.75",
        "--automation",
        path(&automation),
        "--taps",
        path(&taps_path),
        "--sidechain",
        path(&sidechain),
        "--block",
        "100",
        "--format",
        "f32",
        "--json",
    ];
    let result = phasewright(&args);
    ok(&result);
    let summary: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(summary["frames"], speech.frames());
    let rendered = read_wav(&out).unwrap();
    assert_eq!(rendered.format, SampleFormat::F32);
    // The taps' share is --set's 0.75 (over the preset's 0.5); the preset's 50 % dry/wet mixes
    // that with the input (so the amount's share of the filter is 0.375).
    let expected: Vec<f32> = convolve(&taps.taps, &speech.channels[0])
        .iter()
        .zip(&speech.channels[0])
        .map(|(f, x)| (0.375 * f + 0.625 * x) * 10f32.powf(-6.0 / 20.0))
        .collect();
    // After the ramp (and the 20 ms smoother) the output is that at -6 dB.
    let settled = speech.sample_rate as usize * 11 / 10;
    let err = relative_error_db(&rendered.channels[0][settled..], &expected[settled..]);
    assert!(err < -90.0, "{err:.1} dB");
    // During the ramp it is quieter than that.
    let early = speech.sample_rate as usize / 4;
    let peak = |x: &[f32]| x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak(&rendered.channels[0][..early]) < 0.1 * peak(&expected[..early]).max(1e-3));
}

#[test]
fn broken_input_gets_a_clear_error_and_a_failing_exit_code_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(data("music/violin.wav")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.wav",
            b"this is not audio".to_vec(),
            "not a readable WAV",
        ),
        ("empty.wav", Vec::new(), "empty"),
        ("cut.wav", good[..good.len() / 2 - 1].to_vec(), "truncated"),
    ];
    let out = dir.path().join("out.wav");
    for (name, bytes, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let result = phasewright(&["render", path(&file), "-o", path(&out)]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains(expected),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: no output is written for bad input");
    }
    let missing = phasewright(&["render", "/nonexistent/x.wav", "-o", path(&out)]);
    assert_eq!(missing.status.code(), Some(1));
    let bad_param = phasewright(&[
        "render",
        path(&data("music/violin.wav")),
        "-o",
        path(&out),
        "--set",
        "spec_window=1000",
    ]);
    assert!(String::from_utf8_lossy(&bad_param.stderr).contains("expected one of"));
    assert_eq!(bad_param.status.code(), Some(1));
}

#[test]
fn params_lists_every_parameter_as_json() {
    let result = phasewright(&["params"]);
    ok(&result);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&result.stdout).unwrap();
    let ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = phasewright::params::PARAMS.iter().map(|p| p.id).collect();
    assert_eq!(ids, expected);
    let window = list.iter().find(|p| p["id"] == "spec_window").unwrap();
    assert_eq!(window["default"], 2048);
    assert_eq!(window["layout"], true);
}

#[test]
fn demo_needs_no_input_denoises_its_phrases_and_writes_audio_and_spectrograms() {
    let dir = tempfile::tempdir().unwrap();
    let out = phasewright(&["demo", "-o", path(dir.path())]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let read = |name: &str| read_wav(&dir.path().join(format!("{name}.wav"))).unwrap();
    let (input, clean) = (read("input"), read("clean"));
    for name in [
        "input",
        "clean",
        "denoised_profile",
        "denoised_adaptive",
        "robot",
        "shuffle",
    ] {
        let audio = read(name);
        assert_eq!(audio.frames(), input.frames(), "{name}");
        let bytes = std::fs::read(dir.path().join(format!("{name}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
    }
    // Both denoisers bring the phrases out of the noise, as measured here and as printed.
    let lead = input.sample_rate as usize;
    let snr = |x: &[f32]| snr_db(&x[lead..], &clean.channels[0][lead..]);
    let snr_in = snr(&input.channels[0]);
    for (name, caption) in [
        ("denoised_profile", "noise profile"),
        ("denoised_adaptive", "adaptive"),
    ] {
        let gain = snr(&read(name).channels[0]) - snr_in;
        assert!(gain > 3.0, "{name}: {gain:.2} dB");
        let printed = format!("a gain of {gain:+.1} dB");
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(caption) && l.contains(&printed)),
            "{name}: '{printed}' in {stdout}"
        );
    }
    // The effects change the phrases' sound but keep them audible.
    let energy = |x: &[f32]| x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
    for name in ["robot", "shuffle"] {
        let y = &read(name).channels[0];
        let changed = relative_error_db(y, &clean.channels[0]);
        let level = energy(y) / energy(&clean.channels[0]);
        assert!(
            changed > -6.0 && (0.1..10.0).contains(&level),
            "{name}: {changed:.1} dB from the clean phrases, energy ratio {level:.2}"
        );
    }
    // The scattering example: the rebuilt signal has nearly the original's coefficients
    // (scattering is homogeneous, so the shared output gain does not matter) without being
    // a copy of its samples.
    let samples =
        |name: &str| -> Vec<f64> { read(name).channels[0].iter().map(|v| *v as f64).collect() };
    let (x, y) = (samples("harmonic"), samples("harmonic_rebuilt"));
    assert_eq!((x.len(), y.len()), (8192, 8192));
    let mut scattering = Scattering::new(6, x.len(), (16, 1)).unwrap();
    let coefficients = |s: &mut Scattering, v: &[f64]| {
        let mut out = vec![0.0; s.paths().len() * s.frames()];
        s.transform(v, &mut out);
        out
    };
    let (sx, sy) = (
        coefficients(&mut scattering, &x),
        coefficients(&mut scattering, &y),
    );
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|v| v * v).sum::<f64>().sqrt();
    let error = norm(&mut sx.iter().zip(&sy).map(|(a, b)| a - b)) / norm(&mut sx.iter().copied());
    assert!(error < 0.12, "relative scattering error {error}");
    let difference = norm(&mut x.iter().zip(&y).map(|(a, b)| a - b));
    assert!(
        difference > 0.5 * norm(&mut x.iter().copied()),
        "{difference}"
    );
}

#[test]
fn train_learns_taps_that_beat_the_noisy_input_on_held_out_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let taps = dir.path().join("taps.json");
    let pairs = data("denoise");
    let result = phasewright(&[
        "train",
        "--pairs",
        path(&pairs),
        "--taps",
        "81",
        "--method",
        "ls",
        "--seed",
        "0",
        "-o",
        path(&taps),
        "--json",
    ]);
    ok(&result);
    let report: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let test = &report["result"]["test"];
    assert_eq!(report["result"]["test_pairs"], 24);
    assert!(
        test["mse"].as_f64().unwrap() < test["noisy_mse"].as_f64().unwrap(),
        "{test}"
    );
    let file = phasewright::taps_file::TapsFile::read(&taps).unwrap();
    assert_eq!(file.taps.len(), 81);
    assert_eq!(file.sample_rate, 32000.0);
    // The learned taps render through the plugin's chain.
    let out = dir.path().join("out.wav");
    let noisy = pairs.join("0000_noisy.wav");
    ok(&phasewright(&[
        "render",
        path(&noisy),
        "-o",
        path(&out),
        "--taps",
        path(&taps),
    ]));
    let missing = phasewright(&["train", "--pairs", "/nonexistent", "-o", path(&taps)]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn render_learns_a_noise_profile_from_automation_and_repeats_whatever_the_block_size() {
    use phasewright::cli::io::{write_wav, Audio};
    use phasewright::cli::mixes::{make_mix, MixSpec, NoiseKind};
    let dir = tempfile::tempdir().unwrap();
    let talker = load("speech/espeak_02_de.wav").channels[0].clone();
    let spec = MixSpec {
        seconds: 3.0,
        lead_in: 0.3,
        snr_db: 5.0,
        noise: NoiseKind::Pink,
        seed: 5,
    };
    let mix = make_mix(48000, &[talker], &[], &spec).unwrap();
    let noisy = dir.path().join("noisy.wav");
    let audio = Audio {
        sample_rate: 48000,
        channels: vec![mix.noisy.clone()],
        format: SampleFormat::F32,
    };
    write_wav(&noisy, &audio, SampleFormat::F32).unwrap();
    let automation = dir.path().join("learn.json");
    std::fs::write(
        &automation,
        r#"[{"id": "denoise_learn", "points": [[0, 1], [0.299, 1], [0.3, 0]]}]"#,
    )
    .unwrap();
    let output = render_twice_at_two_block_sizes(
        dir.path(),
        &noisy,
        &[
            "--set",
            "denoise_mode=noise_profile",
            "--set",
            "denoise_taps=128",
            "--automation",
            path(&automation),
        ],
    );
    let cleaned = read_wav(&output).unwrap().channels[0].clone();
    let from = 48000;
    let gain = relative_error_db(&cleaned[from..], &mix.clean[from..])
        - relative_error_db(&mix.noisy[from..], &mix.clean[from..]);
    assert!(
        gain < -2.0,
        "error to the clean speech changed by {gain:.2} dB"
    );
}

#[test]
fn render_captures_and_loops_from_automation_and_repeats_whatever_the_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("music/violin.wav");
    let automation = dir.path().join("capture.json");
    std::fs::write(
        &automation,
        r#"[{"id": "reorder_capture", "points": [[0, 0], [2.0, 0], [2.001, 1], [5.0, 1], [5.001, 0]]}]"#,
    )
    .unwrap();
    let output = render_twice_at_two_block_sizes(
        dir.path(),
        &input,
        &[
            "--set",
            "reorder_mode=capture",
            "--set",
            "reorder_order=walk",
            "--set",
            "reorder_length=0.5",
            "--automation",
            path(&automation),
            "--format",
            "f32",
        ],
    );
    let (original, rendered) = (load("music/violin.wav"), read_wav(&output).unwrap());
    let (x, y) = (&original.channels[0], &rendered.channels[0]);
    let rate = original.sample_rate as usize;
    // Latency compensated: untouched before the capture, a loop of 0.5 s (rounded to whole
    // 512-sample hops) during it, the input again well after it.
    assert!(relative_error_db(&y[..rate * 19 / 10], &x[..rate * 19 / 10]) < -100.0);
    let period = (0.5 * rate as f32 / 512.0).round() as usize * 512;
    let during = 3 * rate;
    let loop_db = relative_error_db(
        &y[during + period..during + 2 * period],
        &y[during..during + period],
    );
    assert!(loop_db < -100.0, "{loop_db:.1} dB");
    assert!(relative_error_db(&y[during..during + period], &x[during..during + period]) > -10.0);
    assert!(relative_error_db(&y[6 * rate..], &x[6 * rate..]) < -100.0);
}

#[test]
fn plot_spectrogram_draws_a_file_and_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("s.png");
    let input = data("music/trumpet.wav");
    ok(&phasewright(&[
        "plot-spectrogram",
        path(&input),
        "-o",
        path(&png),
    ]));
    let image = image::open(&png).unwrap().to_rgb8();
    assert!(image.width() >= 800 && image.height() >= 400);
    // Not a blank picture: the spectrogram's colours vary.
    let distinct: std::collections::HashSet<_> = image.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 100, "{} colours", distinct.len());
    let missing = phasewright(&["plot-spectrogram", "/nonexistent.wav", "-o", path(&png)]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nonexistent"));
}

/// A factory preset by name renders as its settings given one by one, and a name that is
/// neither a preset nor a file is refused with the list of presets.
#[test]
fn render_takes_a_factory_preset_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("speech/espeak_01_en.wav");
    let (by_name, by_hand) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    let render = |out: &Path, extra: &[&str]| {
        let mut args = vec!["render", path(&input), "-o", path(out)];
        args.extend(extra);
        ok(&phasewright(&args));
        std::fs::read(out).unwrap()
    };
    let preset = render(&by_name, &["--preset", "PHASE RESET ROBOT"]);
    let settings = [
        "--set",
        "denoise_enable=off",
        "--set",
        "spec_window=1024",
        "--set",
        "spec_phase=zero",
        "--set",
        "out_gain=10",
    ];
    assert!(preset == render(&by_hand, &settings));
    assert!(preset != std::fs::read(&input).unwrap());
    let refused = phasewright(&[
        "render",
        path(&input),
        "-o",
        path(&by_name),
        "--preset",
        "nope",
    ]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("Frozen texture"), "{message}");
}
