//! The scattering transform in kymatio's reconstruction example's setting (J = 6, Q = 16,
//! 2^13 samples): forward + gradient of the loss ‖S(y) − S(x)‖, and the example's
//! 200-iteration reconstruction. `tests/data/make_scattering_reference.py` times kymatio's
//! torch frontend on the same setting; run both in one session.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use phasewright::analysis::scattering::{reconstruct, Method, ReconstructionSettings, Scattering};

/// The reference's harmonic signal and kymatio's starting noise.
fn harmonic() -> (Vec<f64>, Vec<f64>) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scattering_reference.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let h = &reference["harmonic"];
    (numbers(&h["signal"]), numbers(&h["example"]["start"]))
}

fn scattering(c: &mut Criterion) {
    let (x, start) = harmonic();
    let mut s = Scattering::new(6, x.len(), (16, 1)).unwrap();
    let size = s.paths().len() * s.frames();
    let mut target = vec![0.0; size];
    s.transform(&x, &mut target);
    let mut group = c.benchmark_group("scattering_j6_q16_8192");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    let (mut out, mut grad) = (vec![0.0; size], vec![0.0; x.len()]);
    group.bench_function("forward_and_gradient", |b| {
        b.iter(|| {
            s.transform(&start, &mut out);
            let loss = (out.iter().zip(&target))
                .map(|(o, t)| (o - t).powi(2))
                .sum::<f64>()
                .sqrt();
            out.iter_mut()
                .zip(&target)
                .for_each(|(o, t)| *o = (*o - t) / loss);
            s.gradient(&out, &mut grad);
        })
    });
    group.measurement_time(Duration::from_secs(20));
    for (name, method) in [
        ("bold_driver_200", Method::BoldDriver),
        ("lbfgs_200", Method::Lbfgs),
    ] {
        let settings = ReconstructionSettings {
            method,
            ..Default::default()
        };
        group.bench_function(name, |b| {
            // The plans are made outside the timing, as the plugin's worker keeps them.
            b.iter_batched(
                || {
                    (
                        Scattering::new(6, start.len(), (16, 1)).unwrap(),
                        target.clone(),
                    )
                },
                |(s, target)| {
                    reconstruct(
                        s,
                        target,
                        start.clone(),
                        &settings,
                        &|| false,
                        &mut |_, _| {},
                    )
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, scattering);
criterion_main!(benches);
