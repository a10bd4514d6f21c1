//! The scattering transform against kymatio 0.3.0 (`tests/data/scattering_reference.json`,
//! made by `tests/data/make_scattering_reference.py`): coefficients on real audio of three
//! lengths under three settings, `meta()`, and the reconstruction example's loss history
//! from kymatio's own starting noise.

use std::path::PathBuf;

use phasewright::analysis::scattering::{
    reconstruct, Method, PathInfo, ReconstructionSettings, Scattering,
};
use phasewright::cli::io::read_wav;
use serde_json::Value;

fn reference() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scattering_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn q_of(case: &Value) -> (usize, usize) {
    let q = numbers(&case["Q"]);
    (q[0] as usize, q[1] as usize)
}

fn segment(file: &str, first: usize, length: usize) -> Vec<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(file);
    let audio = read_wav(&path).unwrap_or_else(|e| panic!("{e}"));
    audio.channels[0][first..first + length]
        .iter()
        .map(|v| *v as f64)
        .collect()
}

#[test]
fn coefficients_equal_kymatio_on_audio_of_three_lengths_and_three_settings() {
    let reference = reference();
    for case in reference["cases"].as_array().unwrap() {
        let length = case["length"].as_u64().unwrap() as usize;
        let x = segment(
            case["file"].as_str().unwrap(),
            case["first"].as_u64().unwrap() as usize,
            length,
        );
        let (j, q) = (case["J"].as_u64().unwrap() as u32, q_of(case));
        let mut s = Scattering::new(j, length, q).unwrap();
        let shape = numbers(&case["shape"]);
        assert_eq!(
            (s.paths().len(), s.frames()),
            (shape[0] as usize, shape[1] as usize)
        );
        let mut out = vec![0.0; s.paths().len() * s.frames()];
        s.transform(&x, &mut out);
        let frames: Vec<usize> = numbers(&case["frames"])
            .iter()
            .map(|f| *f as usize)
            .collect();
        let (mut worst, mut largest) = (0.0f64, 0.0f64);
        for (row, expected) in out
            .chunks(s.frames())
            .zip(case["coefficients"].as_array().unwrap())
        {
            for (f, e) in frames.iter().zip(numbers(expected)) {
                worst = worst.max((row[*f] - e).abs());
                largest = largest.max(e.abs());
            }
        }
        let relative = worst / largest;
        println!("N {length} J {j} Q {q:?}: max |ours - kymatio| / max |kymatio| = {relative:.2e}");
        assert!(relative <= 1e-5, "N {length} J {j} Q {q:?}: {relative:e}");
    }
}

#[test]
fn meta_equals_kymatios() {
    let reference = reference();
    for setting in reference["meta"].as_array().unwrap() {
        let (j, q) = (setting["J"].as_u64().unwrap() as u32, q_of(setting));
        let ours = Scattering::new(j, 8192, q).unwrap().meta();
        let theirs = setting["paths"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "J {j} Q {q:?}");
        for (o, t) in ours.iter().zip(theirs) {
            let PathInfo {
                order,
                j: oj,
                xi,
                sigma,
                n,
            } = o;
            assert_eq!(*order as u64, t["order"].as_u64().unwrap());
            let pair = |key: &str, ours: [Option<f64>; 2], tolerance: f64| {
                for (o, t) in ours.iter().zip(t[key].as_array().unwrap()) {
                    match (o, t.as_f64()) {
                        (Some(o), Some(t)) => {
                            assert!((o - t).abs() <= tolerance * t.abs(), "{key}: {o} vs {t}")
                        }
                        (None, None) => {}
                        other => panic!("{key}: {other:?}"),
                    }
                }
            };
            pair("j", oj.map(|v| v.map(f64::from)), 0.0);
            pair("n", n.map(|v| v.map(|v| v as f64)), 0.0);
            pair("xi", *xi, 1e-12);
            pair("sigma", *sigma, 1e-12);
        }
    }
}

/// kymatio's example from its own starting noise: the loss history tracks kymatio's while
/// the accept/reject decisions agree (they are discrete, so float32 and float64 rounding may
/// part later), and stays within a few percent after.
#[test]
fn the_reference_procedure_tracks_kymatios_loss_history() {
    let reference = reference();
    let harmonic = &reference["harmonic"];
    let example = harmonic
        .get("example")
        .expect("the reference was made with torch");
    let x = numbers(&harmonic["signal"]);
    let mut s = Scattering::new(6, x.len(), (16, 1)).unwrap();
    let mut target = vec![0.0; s.paths().len() * s.frames()];
    s.transform(&x, &mut target);
    let settings = ReconstructionSettings {
        method: Method::BoldDriver,
        iterations: 51,
        ..Default::default()
    };
    let found = reconstruct(
        s,
        target,
        numbers(&example["start"]),
        &settings,
        &|| false,
        &mut |_, _| {},
    )
    .unwrap();
    let theirs = numbers(&example["loss"]);
    for (k, tolerance) in [(0, 1e-5), (10, 1e-3), (50, 0.05)] {
        let (o, t) = (found.loss[k], theirs[k]);
        println!("iteration {k}: ours {o:.6}, kymatio {t:.6}");
        assert!((o - t).abs() <= tolerance * t, "iteration {k}: {o} vs {t}");
    }
}
