//! (noisy, clean) training material: pairs of equally long mono WAV files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;

pub use crate::analysis::denoise::Pair;
use crate::cli::io::read_wav;

/// Reads one pair; both files must be mono, at one rate, and equally long.
pub fn read_pair(name: &str, noisy: &Path, clean: &Path) -> Result<Pair, String> {
    let (n, c) = (read_wav(noisy)?, read_wav(clean)?);
    if n.sample_rate != c.sample_rate {
        return Err(format!(
            "{name}: noisy is at {} Hz, clean at {} Hz",
            n.sample_rate, c.sample_rate
        ));
    }
    if n.channels.len() != 1 || c.channels.len() != 1 {
        return Err(format!("{name}: training pairs must be mono"));
    }
    if n.frames() != c.frames() {
        return Err(format!(
            "{name}: noisy has {} samples, clean {}",
            n.frames(),
            c.frames()
        ));
    }
    Ok(Pair {
        name: name.to_string(),
        sample_rate: n.sample_rate,
        noisy: n.channels.into_iter().next().unwrap_or_default(),
        clean: c.channels.into_iter().next().unwrap_or_default(),
        noise_type: None,
    })
}

/// Every `NNNN_noisy.wav` in `dir` with its `NNNN_clean.wav`, sorted by name.
pub fn read_pairs_dir(dir: &Path) -> Result<Vec<Pair>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read '{}': {e}", dir.display()))?;
    let mut stems: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix("_noisy.wav")
                .map(String::from)
        })
        .collect();
    stems.sort();
    if stems.is_empty() {
        return Err(format!("no *_noisy.wav files in '{}'", dir.display()));
    }
    let types = noise_types(&dir.join("pairs.csv"))?;
    let pairs: Vec<Pair> = stems
        .iter()
        .map(|s| {
            let file = |kind: &str| -> PathBuf { dir.join(format!("{s}_{kind}.wav")) };
            let mut pair = read_pair(s, &file("noisy"), &file("clean"))?;
            pair.noise_type = types.get(&format!("{s}_noisy.wav")).cloned();
            Ok(pair)
        })
        .collect::<Result<_, String>>()?;
    if pairs.iter().any(|p| p.sample_rate != pairs[0].sample_rate) {
        return Err(format!(
            "the pairs in '{}' are not all at one sample rate",
            dir.display()
        ));
    }
    Ok(pairs)
}

/// Noise type by noisy file name, from the `noisy` and `noise_type` columns of `path` (empty when
/// there is no such file).
fn noise_types(path: &Path) -> Result<HashMap<String, String>, String> {
    if !path.exists() {
        return Ok(HashMap::new());
    }
    let bad = |e: &dyn std::fmt::Display| format!("'{}': {e}", path.display());
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(&e))?;
    let headers = reader.headers().map_err(|e| bad(&e))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(&format!("no '{name}' column")))
    };
    let (noisy, kind) = (column("noisy")?, column("noise_type")?);
    reader
        .records()
        .map(|r| {
            let r = r.map_err(|e| bad(&e))?;
            Ok((r[noisy].to_string(), r[kind].to_string()))
        })
        .collect()
}

/// Splits `pairs` into (train, test) with `test_fraction` of them, chosen by a seeded shuffle.
pub fn split(mut pairs: Vec<Pair>, test_fraction: f64, seed: u64) -> (Vec<Pair>, Vec<Pair>) {
    pairs.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let test = ((pairs.len() as f64 * test_fraction).round() as usize).min(pairs.len());
    let train = pairs.split_off(test);
    (train, pairs)
}
