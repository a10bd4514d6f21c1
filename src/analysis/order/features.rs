//! Frame features for similarity reordering: the dB mel spectrum of each STFT frame, as the
//! resynthesis notebook computes it with librosa, plus its two optional weightings.
//!
//! - Mel filterbank: librosa's defaults (`dsp::mel`).
//! - The power mel spectrogram goes through `amplitude_to_db(S, ref=1, amin=1e-5, top_db=80)`,
//!   as the notebook does: 20 log10(max(1e-5, S)), floored 80 dB under the file's maximum.
//! - Volume weighting: each mel band divided by its sum over time, before the dB.
//! - Log-frequency weighting: band j (1-based) times ln(n_mels + 1 - j) after the dB, so high
//!   bands weigh less. (The notebook's `matmul` sums all bands into one number; a per-band weight
//!   is what it means.)

use realfft::num_complex::Complex32;

use crate::dsp::mel::{mel_filterbank, support};

crate::choice! {
    /// The `reorder_weighting` options.
    #[derive(Default, serde::Serialize, clap::ValueEnum)]
    #[serde(rename_all = "lowercase")]
    pub enum Weighting {
        #[default]
        None = "None",
        Volume = "Volume",
        Logfreq = "Log-freq",
        Both = "Both",
    }
}

impl Weighting {
    fn volume(self) -> bool {
        matches!(self, Weighting::Volume | Weighting::Both)
    }

    fn logfreq(self) -> bool {
        matches!(self, Weighting::Logfreq | Weighting::Both)
    }
}

const AMIN: f64 = 1e-5;
const TOP_DB: f64 = 80.0;

/// The features of each frame (rows: frames, columns: mel bands) from its spectrum.
pub fn mel_db_features(
    frames: &[Vec<Complex32>],
    sample_rate: f64,
    n_mels: usize,
    weighting: Weighting,
) -> Vec<Vec<f64>> {
    let Some(first) = frames.first() else {
        return Vec::new();
    };
    let n_fft = 2 * (first.len() - 1);
    let bank = mel_filterbank(sample_rate, n_fft, n_mels);
    let bands: Vec<(usize, &[f64])> = bank.iter().map(|filter| support(filter)).collect();
    let mel: Vec<Vec<f64>> = frames
        .iter()
        .map(|spectrum| {
            (bands.iter())
                .map(|(first, weights)| {
                    (weights.iter().zip(&spectrum[*first..]))
                        .map(|(w, c)| w * c.norm_sqr() as f64)
                        .sum()
                })
                .collect()
        })
        .collect();
    mel_db(mel, weighting)
}

/// The dB features of power mel spectra (rows: frames): volume weighting, `amplitude_to_db`
/// with its 80 dB floor under the maximum, log-frequency weighting.
pub fn mel_db(mut mel: Vec<Vec<f64>>, weighting: Weighting) -> Vec<Vec<f64>> {
    let n_mels = mel.first().map_or(0, |row| row.len());
    if weighting.volume() {
        for j in 0..n_mels {
            let total: f64 = mel.iter().map(|row| row[j]).sum();
            if total > 0.0 {
                mel.iter_mut().for_each(|row| row[j] /= total);
            }
        }
    }
    let mut db: Vec<Vec<f64>> = mel
        .iter()
        .map(|row| row.iter().map(|m| 20.0 * m.max(AMIN).log10()).collect())
        .collect();
    let top = db.iter().flatten().fold(f64::MIN, |a, b| a.max(*b));
    for v in db.iter_mut().flatten() {
        *v = v.max(top - TOP_DB);
    }
    if weighting.logfreq() {
        for row in db.iter_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v *= ((n_mels - j) as f64).ln();
            }
        }
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_features_floor_at_80_db_under_the_peak_and_weight_high_bands_less() {
        let loud = vec![Complex32::new(1000.0, 0.0); 1025];
        let silent = vec![Complex32::default(); 1025];
        let f = mel_db_features(
            &[loud.clone(), silent.clone()],
            44100.0,
            128,
            Weighting::None,
        );
        let top = f[0].iter().cloned().fold(f64::MIN, f64::max);
        assert!(f[1].iter().all(|v| (*v - (top - 80.0)).abs() < 1e-9));
        let w = mel_db_features(&[loud, silent], 44100.0, 128, Weighting::Logfreq);
        assert!((w[0][0] / f[0][0] - 128f64.ln()).abs() < 1e-9);
        assert_eq!(w[0][127], 0.0);
    }
}
