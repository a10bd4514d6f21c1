//! PCA and 1-D t-SNE (exact at 500 frames; Barnes-Hut and FFT at 500 and 2000) of 128 mel-dB
//! features from the corpus's music (trumpet, violin, piano). At the end it prints the KL
//! divergence each t-SNE method reaches on 2000 frames, against the exact method's. The features are also written to
//! `target/embedding_features.json` so `benches/sklearn_embedding.py` can time scikit-learn on
//! exactly the same input in the same session.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use phasewright::analysis::order::embed::pca_1d;
use phasewright::analysis::order::features::{mel_db_features, Weighting};
use phasewright::analysis::order::tsne::{kl_divergence, tsne_1d, TsneMethod, TsneSettings};
use phasewright::analysis::order::N_MELS;
use phasewright::cli::io::read_wav;
use phasewright::cli::reorder_file::ReorderSettings;
use phasewright::dsp::stft::stft;

fn features() -> Vec<Vec<f64>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for name in ["trumpet", "violin", "piano"] {
        let path = root.join(format!("../shared/data/music/{name}.wav"));
        let audio = read_wav(&path).unwrap_or_else(|e| panic!("{e}"));
        let frames = stft(&audio.channels[0], &ReorderSettings::default().layout()).unwrap();
        all.extend(mel_db_features(
            &frames,
            audio.sample_rate as f64,
            N_MELS,
            Weighting::None,
        ));
    }
    all
}

fn embedding(c: &mut Criterion) {
    let all = features();
    assert!(all.len() >= 2000, "{} frames", all.len());
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/embedding_features.json");
    std::fs::write(&out, serde_json::to_string(&all[..2000]).unwrap()).unwrap();
    let mut group = c.benchmark_group("embedding");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    for frames in [500usize, 2000] {
        let x = &all[..frames];
        group.bench_with_input(BenchmarkId::new("pca", frames), x, |b, x| {
            b.iter(|| pca_1d(x))
        });
        for (name, method) in [
            ("tsne_exact", TsneMethod::Exact),
            ("tsne_barnes_hut", TsneMethod::BarnesHut),
            ("tsne_fft", TsneMethod::Fft),
        ] {
            // Exact t-SNE of 2000 frames takes a minute a run.
            if method == TsneMethod::Exact && frames > 500 {
                continue;
            }
            let settings = TsneSettings {
                method,
                ..Default::default()
            };
            group.bench_with_input(BenchmarkId::new(name, frames), x, |b, x| {
                b.iter(|| tsne_1d(x, &settings))
            });
        }
    }
    group.finish();
    report_divergences(&all[..2000]);
}

/// The KL divergence (against exact affinities) of each method's embedding, one run each.
fn report_divergences(x: &[Vec<f64>]) {
    let divergence = |method| {
        let settings = TsneSettings {
            method,
            ..Default::default()
        };
        kl_divergence(x, &tsne_1d(x, &settings), settings.perplexity)
    };
    let exact = divergence(TsneMethod::Exact);
    println!("KL divergence at 2000 frames: exact {exact:.4}");
    for (name, method) in [
        ("Barnes-Hut", TsneMethod::BarnesHut),
        ("FFT", TsneMethod::Fft),
    ] {
        let kl = divergence(method);
        println!(
            "  {name} {kl:.4} ({:+.2} % of exact)",
            100.0 * (kl / exact - 1.0)
        );
    }
}

criterion_group!(benches, embedding);
criterion_main!(benches);
