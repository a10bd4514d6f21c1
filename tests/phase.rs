//! Phase reconstruction on real music, through `phasewright invert` as a user runs it.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::data;
use phasewright::analysis::phase::{magnitudes, spectral_convergence_db};
use phasewright::cli::io::{read_wav, write_wav, Audio, SampleFormat};
use phasewright::dsp::stft::{stft, StftLayout};

/// `phasewright COMMAND INPUT -o OUTPUT ARGS...`, as a user runs it.
fn phasewright(command: &str, input: &Path, output: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasewright"))
        .args([
            OsStr::new(command),
            input.as_os_str(),
            OsStr::new("-o"),
            output.as_os_str(),
        ])
        .args(args)
        .output()
        .unwrap()
}

/// Its standard output, once it has succeeded.
fn succeeded(out: Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `--set S` for every setting `S` (`id=value`) of a render.
fn set(settings: &[&str]) -> Vec<String> {
    settings
        .iter()
        .flat_map(|s| ["--set".to_string(), s.to_string()])
        .collect()
}

/// Seconds `from..to` of `music/NAME.wav` (its first channel), written into `dir` as
/// NAME.wav for the command line: the sample rate, the samples and the file.
fn music_excerpt(dir: &Path, name: &str, from: usize, to: usize) -> (usize, Vec<f32>, PathBuf) {
    let audio = read_wav(&data(&format!("music/{name}.wav"))).unwrap();
    let rate = audio.sample_rate as usize;
    let x = audio.channels[0][from * rate..to * rate].to_vec();
    let input = dir.join(format!("{name}.wav"));
    let excerpt = Audio {
        channels: vec![x.clone()],
        ..audio
    };
    write_wav(&input, &excerpt, SampleFormat::F32).unwrap();
    (rate, x, input)
}

/// SC after every iteration of `phasewright invert` on `input`, one list per channel.
fn invert(input: &Path, output: &Path, method: &str) -> Vec<Vec<f64>> {
    let args = ["--method", method, "--iters", "32", "--seed", "1", "--json"];
    let stdout = succeeded(phasewright("invert", input, output, &args));
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(report["method"], method);
    serde_json::from_value(report["sc_db"].clone()).unwrap()
}

#[test]
fn gla_and_fast_gla_never_increase_the_inconsistency_of_real_music_and_pghi_starts_them_best() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["trumpet", "violin", "piano"] {
        let audio = read_wav(&data(&format!("music/{name}.wav"))).unwrap();
        // Three seconds from the second second on.
        let rate = audio.sample_rate as usize;
        let excerpt = Audio {
            channels: vec![audio.channels[0][rate..4 * rate].to_vec()],
            ..audio
        };
        let input = dir.path().join(format!("{name}.wav"));
        write_wav(&input, &excerpt, SampleFormat::F32).unwrap();
        let mut last = Vec::new();
        for method in ["gla", "fgla", "pghi-fgla"] {
            let output = dir.path().join(format!("{name}_{method}.wav"));
            let sc = invert(&input, &output, method).remove(0);
            assert_eq!(sc.len(), 33, "{name} {method}");
            for (i, w) in sc.windows(2).enumerate() {
                assert!(
                    w[1] <= w[0] + 1e-3,
                    "{name} {method}: iteration {} went up: {sc:?}",
                    i + 1
                );
            }
            assert_eq!(read_wav(&output).unwrap().frames(), 3 * rate);
            eprintln!(
                "{name} {method}: SC {:.1} dB at 0, {:.1} at 8, {:.1} at 32",
                sc[0], sc[8], sc[32]
            );
            last.push(sc[32]);
        }
        // Frame by frame, PGHI loses little: nothing with a frame of look-ahead, a few dB without.
        let once = |method: &str| {
            let output = dir.path().join(format!("{name}_{method}.wav"));
            invert(&input, &output, method).remove(0)[0]
        };
        let (whole, ahead, causal) = (once("pghi"), once("rtpghi"), once("rtpghi-causal"));
        eprintln!("{name}: PGHI {whole:.1} dB, RTPGHI {ahead:.1} dB, causal {causal:.1} dB");
        assert!(
            ahead < whole + 1.5 && causal < whole + 5.0,
            "{name}: {whole:.1} / {ahead:.1} / {causal:.1} dB"
        );
        assert!(
            last[2] < last[1] - 3.0,
            "{name}: PGHI-started fast GLA {:.1} dB vs random-started {:.1} dB",
            last[2],
            last[1]
        );
        assert!(
            last[1] < last[0] - 2.0,
            "{name}: fast GLA {:.1} dB vs GLA {:.1} dB",
            last[1],
            last[0]
        );
    }
}

#[test]
fn plot_convergence_draws_every_method_and_refuses_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let picture = dir.path().join("convergence.png");
    let run = |input: &Path| {
        let methods = ["--methods", "gla,fgla,pghi,pghi-fgla", "--iters", "4"];
        phasewright("plot-convergence", input, &picture, &methods)
    };
    succeeded(run(&data("speech/espeak_01_en.wav")));
    let png = image::open(&picture).unwrap();
    assert_eq!((png.width(), png.height()), (900, 600));
    let missing = run(&dir.path().join("missing.wav"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing.wav"));
}

/// Phase reset (magnitude only) heard through the plugin's chain, with and without the phase
/// stage rebuilding the phases: how far each output's STFT is from the magnitudes meant.
#[test]
fn rebuilding_the_phase_in_the_chain_makes_a_phase_reset_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let layout = StftLayout {
        n_fft: 2048,
        hop: 512,
        win: 2048,
        center: true,
    };
    for name in ["trumpet", "violin"] {
        let (rate, x, input) = music_excerpt(dir.path(), name, 1, 5);
        let meant = magnitudes(&stft(&x, &layout).unwrap());
        let sc = |phase_mode: &str, lookahead: &str| {
            let output = dir
                .path()
                .join(format!("{name}_{phase_mode}_{lookahead}.wav"));
            let (mode, ahead) = (
                format!("phase_mode={phase_mode}"),
                format!("phase_lookahead={lookahead}"),
            );
            let args = ["--set", "spec_phase=zero", "--set", &mode, "--set", &ahead];
            succeeded(phasewright("render", &input, &output, &args));
            let y = read_wav(&output).unwrap().channels.remove(0);
            assert_eq!(y.len(), x.len(), "the render makes up for the latency");
            // The first and last second hold the STFT's start-up and tail: compare the middle.
            let skip = rate / 512;
            let heard = stft(&y, &layout).unwrap();
            spectral_convergence_db(
                &meant[skip..meant.len() - skip],
                &heard[skip..heard.len() - skip],
            )
        };
        let reset = sc("keep", "off");
        let (causal, ahead) = (sc("rebuild", "off"), sc("rebuild", "on"));
        eprintln!(
            "{name}: phase reset SC {reset:.1} dB, with RTPGHI {causal:.1} dB, looking ahead {ahead:.1} dB"
        );
        for rebuilt in [causal, ahead] {
            assert!(
                rebuilt < reset - 6.0,
                "{name}: {rebuilt:.1} dB vs {reset:.1} dB"
            );
        }
        // Look-ahead fits better, and is heard in time (a hop late, it would fit worse).
        assert!(ahead < causal - 1.0, "{name}: {ahead:.1} vs {causal:.1} dB");
    }
}

/// A frozen capture (phase reset, so its phases are incoherent) with the loop rebuilt in the
/// background: offline the rebuilt loop comes in one pass after the freeze, crossfaded (no
/// step larger than RTPGHI's own output has), and two renders are the same bit for bit.
#[test]
fn a_frozen_capture_rebuilt_in_the_background_crossfades_in_and_renders_the_same_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (rate, _, input) = music_excerpt(dir.path(), "violin", 1, 6);
    let automation = dir.path().join("capture.json");
    let freeze = r#"[{"id": "reorder_capture", "points": [[1.99, 0], [2.0, 1]]}]"#;
    std::fs::write(&automation, freeze).unwrap();
    let render = |phase_mode: &str, name: &str| {
        let output = dir.path().join(name);
        let mode = format!("phase_mode={phase_mode}");
        let mut args = set(&[
            "reorder_mode=capture",
            "reorder_length=1.0",
            "reorder_order=reverse",
            "spec_phase=zero",
            &mode,
        ]);
        args.extend(["--automation".into(), automation.to_str().unwrap().into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        succeeded(phasewright("render", &input, &output, &args));
        (
            std::fs::read(&output).unwrap(),
            read_wav(&output).unwrap().channels.remove(0),
        )
    };
    let (first, rebuilt) = render("reconstruct", "a.wav");
    let (second, _) = render("reconstruct", "b.wav");
    assert!(first == second, "two offline renders differ");
    let (_, rtpghi) = render("rebuild", "rtpghi.wav");
    // RTPGHI alone until the loop has played once through (1 s after the freeze, plus the
    // capture's 50-ms fade-in), then the rebuilt loop.
    let differs = (rebuilt.iter().zip(&rtpghi)).position(|(a, b)| (a - b).abs() > 1e-6);
    let at = differs.expect("the rebuilt loop never came in") as f32 / rate as f32;
    assert!(
        (2.9..3.3).contains(&at),
        "the rebuilt loop came in at {at:.3} s"
    );
    let largest_step = |y: &[f32]| {
        y[2 * rate..5 * rate]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    let (ours, theirs) = (largest_step(&rebuilt), largest_step(&rtpghi));
    eprintln!("largest step: {ours:.3} with the rebuilt loop, {theirs:.3} with RTPGHI alone");
    assert!(ours <= 1.1 * theirs, "{ours} vs {theirs}");
}

/// Segment mode in reverse order with phase reset: each segment's frames play reversed two
/// segments late (the render makes up for it). With Reconstruct, each segment's phases are
/// rebuilt on the worker within that latency, so the output's STFT comes far closer to the
/// reversed magnitudes than with RTPGHI alone; and renders repeat bit for bit.
#[test]
fn segments_rebuilt_in_the_background_match_their_reordered_magnitudes_better_than_rtpghi() {
    let dir = tempfile::tempdir().unwrap();
    let (window, hop) = (2048, 512);
    let layout = StftLayout {
        n_fft: window,
        hop,
        win: window,
        center: true,
    };
    for name in ["trumpet", "piano"] {
        let (rate, x, input) = music_excerpt(dir.path(), name, 1, 7);
        // Streaming frame k is centred on input sample (k - 1)·hop: the centred STFT's frame
        // k - 1. Segment s holds frames sN .. (s+1)N and plays them reversed.
        let n = (0.5 * rate as f32 / hop as f32).round() as usize;
        let frames = magnitudes(&stft(&x, &layout).unwrap());
        let meant: Vec<Vec<f32>> = (0..frames.len())
            .map(|t| {
                let k = t + 1;
                let s = k / n;
                let source = s * n + (n - 1 - (k - s * n));
                frames[source.saturating_sub(1).min(frames.len() - 1)].clone()
            })
            .collect();
        let render = |phase_mode: &str| {
            let output = dir.path().join(format!("{name}_{phase_mode}.wav"));
            let mode = format!("phase_mode={phase_mode}");
            let args = set(&[
                "reorder_mode=segment",
                "reorder_length=0.5",
                "reorder_order=reverse",
                "spec_phase=zero",
                &mode,
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            succeeded(phasewright("render", &input, &output, &args));
            std::fs::read(&output).unwrap()
        };
        let sc = |phase_mode: &str| {
            let bytes = render(phase_mode);
            let path = dir.path().join(format!("{name}_{phase_mode}.wav"));
            let y = read_wav(&path).unwrap().channels.remove(0);
            let heard = stft(&y, &layout).unwrap();
            // Whole segments only, past the start-up.
            let (from, to) = (2 * n, (heard.len() / n - 1) * n);
            (
                spectral_convergence_db(&meant[from..to], &heard[from..to]),
                bytes,
            )
        };
        let (reset, _) = sc("keep");
        let (rtpghi, _) = sc("rebuild");
        let (rebuilt, first) = sc("reconstruct");
        eprintln!("{name}: reversed segments, phase reset SC {reset:.1} dB, RTPGHI {rtpghi:.1} dB, rebuilt {rebuilt:.1} dB");
        assert!(rtpghi < reset - 3.0, "{name}: {rtpghi:.1} vs {reset:.1} dB");
        assert!(
            rebuilt < rtpghi - 2.0,
            "{name}: {rebuilt:.1} vs {rtpghi:.1} dB"
        );
        assert!(first == render("reconstruct"), "{name}: two renders differ");
    }
}
