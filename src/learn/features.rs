//! Frame features for similarity reordering: the dB mel spectrum of each STFT frame, as the
//! resynthesis notebook computes it with librosa, plus its two optional weightings.
//!
//! - Mel filterbank: librosa's defaults (`filters.mel`): Slaney's mel scale (linear below 1 kHz,
//!   logarithmic above), 0 Hz to Nyquist, triangles normalised to equal area (`norm="slaney"`).
//! - The power mel spectrogram goes through `amplitude_to_db(S, ref=1, amin=1e-5, top_db=80)`,
//!   as the notebook does: 20 log10(max(1e-5, S)), floored 80 dB under the file's maximum.
//! - Volume weighting: each mel band divided by its sum over time, before the dB.
//! - Log-frequency weighting: band j (1-based) times ln(n_mels + 1 - j) after the dB, so high
//!   bands weigh less. (The notebook's `matmul` sums all bands into one number; a per-band weight
//!   is what it means.)

use realfft::num_complex::Complex32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    #[default]
    None,
    Volume,
    Logfreq,
    Both,
}

impl Weighting {
    /// The weighting of a `reorder_weighting` plain value.
    pub fn from_index(index: usize) -> Self {
        match index {
            1 => Weighting::Volume,
            2 => Weighting::Logfreq,
            3 => Weighting::Both,
            _ => Weighting::None,
        }
    }

    fn volume(self) -> bool {
        matches!(self, Weighting::Volume | Weighting::Both)
    }

    fn logfreq(self) -> bool {
        matches!(self, Weighting::Logfreq | Weighting::Both)
    }
}

const AMIN: f64 = 1e-5;
const TOP_DB: f64 = 80.0;

fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_hz / f_sp + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// `n_mels` triangular filters over the `n_fft / 2 + 1` bins of an `n_fft`-point spectrum.
pub fn mel_filterbank(sample_rate: f64, n_fft: usize, n_mels: usize) -> Vec<Vec<f64>> {
    let bins = n_fft / 2 + 1;
    let fft_hz: Vec<f64> = (0..bins)
        .map(|k| k as f64 * sample_rate / n_fft as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0));
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    (0..n_mels)
        .map(|i| {
            let (left, centre, right) = (edges[i], edges[i + 1], edges[i + 2]);
            let area = 2.0 / (right - left);
            fft_hz
                .iter()
                .map(|f| {
                    let rising = (f - left) / (centre - left);
                    let falling = (right - f) / (right - centre);
                    rising.min(falling).max(0.0) * area
                })
                .collect()
        })
        .collect()
}

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
    let mel: Vec<Vec<f64>> = frames
        .iter()
        .map(|spectrum| {
            bank.iter()
                .map(|filter| {
                    filter
                        .iter()
                        .zip(spectrum)
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

/// The mel filterbank with each triangle stored from its first to its last non-zero bin, for
/// the audio thread: one frame costs about two multiplications per bin.
pub struct MelBank {
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelBank {
    /// Allocates: not for the audio thread.
    pub fn new(sample_rate: f64, n_fft: usize, n_mels: usize) -> Self {
        let bands = mel_filterbank(sample_rate, n_fft, n_mels)
            .into_iter()
            .map(|filter| {
                let first = filter.iter().position(|w| *w > 0.0).unwrap_or(0);
                let last = filter.iter().rposition(|w| *w > 0.0).unwrap_or(0);
                let weights = filter[first..=last.max(first)]
                    .iter()
                    .map(|w| *w as f32)
                    .collect();
                (first, weights)
            })
            .collect();
        Self { bands }
    }

    /// The power mel spectrum of a power spectrum, into `out` (one value per band).
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        for ((first, weights), o) in self.bands.iter().zip(out) {
            *o = weights
                .iter()
                .zip(&power[*first..])
                .map(|(w, p)| w * p)
                .sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mel_scale_round_trips_and_bends_at_one_kilohertz() {
        for hz in [0.0, 440.0, 999.0, 1000.0, 5000.0, 22050.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(6400.0) - 42.0).abs() < 1e-9);
    }

    #[test]
    fn filters_have_equal_area_and_cover_the_band_in_order() {
        let bank = mel_filterbank(44100.0, 2048, 128);
        assert_eq!(bank.len(), 128);
        let bin_hz = 44100.0 / 2048.0;
        let peaks: Vec<usize> = bank
            .iter()
            .map(|f| (0..f.len()).max_by(|a, b| f[*a].total_cmp(&f[*b])).unwrap())
            .collect();
        assert!(peaks.windows(2).all(|w| w[0] <= w[1]));
        // Slaney normalisation: each triangle integrates (in Hz) to about 1 where it spans bins.
        for f in &bank[40..] {
            let area: f64 = f.iter().sum::<f64>() * bin_hz;
            assert!((area - 1.0).abs() < 0.05, "{area}");
        }
    }

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

    #[test]
    fn the_compact_bank_gives_the_dense_bank_s_mel_spectrum() {
        let (rate, n_fft) = (48000.0, 2048);
        let power: Vec<f32> = (0..n_fft / 2 + 1)
            .map(|k| 1.0 + (k as f32 * 0.37).sin().abs())
            .collect();
        let mut compact = vec![0.0f32; 128];
        MelBank::new(rate, n_fft, 128).apply(&power, &mut compact);
        for (filter, c) in mel_filterbank(rate, n_fft, 128).iter().zip(&compact) {
            let dense: f64 = filter.iter().zip(&power).map(|(w, p)| w * *p as f64).sum();
            assert!((dense - *c as f64).abs() <= 1e-5 * dense, "{dense} vs {c}");
        }
    }
}
