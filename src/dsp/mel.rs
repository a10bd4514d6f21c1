//! Mel filterbanks as librosa makes them (`filters.mel` defaults): Slaney's mel scale (linear
//! below 1 kHz, logarithmic above), 0 Hz to Nyquist, triangles normalised to equal area
//! (`norm="slaney"`); as TensorFlow makes them (`linear_to_mel_weight_matrix`: HTK's scale,
//! triangles drawn on the mel axis, peak 1, DC bin left out), for the mel inversion's reference
//! setting; and a compact form of a bank for the audio thread.

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

/// `n_mels` triangles from `fmin` to `fmax` Hz over the `n_fft / 2 + 1` bins, as TensorFlow's
/// `linear_to_mel_weight_matrix`: HTK's mel scale 1127 ln(1 + f / 700), band edges evenly spaced
/// in mel, weights interpolated in mel, no area normalisation, the DC bin's weights zero.
pub fn htk_mel_filterbank(
    sample_rate: f64,
    n_fft: usize,
    n_mels: usize,
    fmin: f64,
    fmax: f64,
) -> Vec<Vec<f64>> {
    let mel = |hz: f64| 1127.0 * (1.0 + hz / 700.0).ln();
    let bins = n_fft / 2 + 1;
    // TensorFlow spaces the bins from 0 to Nyquist inclusive.
    let bin_mel: Vec<f64> = (0..bins)
        .map(|k| mel(k as f64 * sample_rate / 2.0 / (bins - 1) as f64))
        .collect();
    let (lo, hi) = (mel(fmin), mel(fmax));
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| lo + (hi - lo) * i as f64 / (n_mels + 1) as f64)
        .collect();
    (0..n_mels)
        .map(|i| {
            let (left, centre, right) = (edges[i], edges[i + 1], edges[i + 2]);
            let mut row: Vec<f64> = bin_mel
                .iter()
                .map(|m| {
                    ((m - left) / (centre - left))
                        .min((right - m) / (right - centre))
                        .max(0.0)
                })
                .collect();
            row[0] = 0.0;
            row
        })
        .collect()
}

/// A filter's first non-zero weight's bin and its weights from there to its last non-zero one
/// (the first weight alone when all are zero): products outside add nothing.
pub fn support(filter: &[f64]) -> (usize, &[f64]) {
    let first = filter.iter().position(|w| *w > 0.0).unwrap_or(0);
    let last = filter.iter().rposition(|w| *w > 0.0).unwrap_or(0);
    (first, &filter[first..=last.max(first)])
}

/// The mel filterbank with each triangle stored from its first to its last non-zero bin, for
/// the audio thread: one frame costs about two multiplications per bin.
pub struct MelBank {
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelBank {
    /// librosa's bank. Allocates: not for the audio thread.
    pub fn new(sample_rate: f64, n_fft: usize, n_mels: usize) -> Self {
        Self::compact(mel_filterbank(sample_rate, n_fft, n_mels))
    }

    /// A dense bank (one row of weights per band) stored compactly.
    pub fn compact(dense: Vec<Vec<f64>>) -> Self {
        let bands = dense
            .into_iter()
            .map(|filter| {
                let (first, weights) = support(&filter);
                (first, weights.iter().map(|w| *w as f32).collect())
            })
            .collect();
        Self { bands }
    }

    pub fn len(&self) -> usize {
        self.bands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bands.is_empty()
    }

    /// Each band's first bin and its weights from there.
    pub fn bands(&self) -> impl Iterator<Item = (usize, &[f32])> {
        self.bands.iter().map(|(first, w)| (*first, w.as_slice()))
    }

    /// The mel spectrogram of a spectrogram (one row per frame; allocates).
    pub fn spectrogram(&self, rows: &[Vec<f32>]) -> Vec<Vec<f32>> {
        rows.iter()
            .map(|row| {
                let mut out = vec![0.0; self.len()];
                self.apply(row, &mut out);
                out
            })
            .collect()
    }

    /// A spectrum whose mel spectrum is close to `mel` (allocates): each band's mean level
    /// (its value over its weights' sum) spread back over its bins, weighted by the
    /// triangles, over `bins` bins. Bins no band covers stay zero. A start for inverting a mel
    /// spectrogram.
    pub fn spread(&self, mel: &[f32], bins: usize) -> Vec<f32> {
        let (mut sum, mut weight) = (vec![0.0f32; bins], vec![0.0f32; bins]);
        for ((first, w), m) in self.bands.iter().zip(mel) {
            let level = m / w.iter().sum::<f32>().max(f32::MIN_POSITIVE);
            for (k, w) in w.iter().enumerate().filter(|(k, _)| first + k < bins) {
                sum[first + k] += w * level;
                weight[first + k] += w;
            }
        }
        sum.iter()
            .zip(&weight)
            .map(|(s, w)| if *w > 0.0 { s / w } else { 0.0 })
            .collect()
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
    fn the_htk_bank_is_tensorflow_s() {
        let bank = htk_mel_filterbank(44100.0, 2048, 80, 0.0, 8000.0);
        assert_eq!((bank.len(), bank[0].len()), (80, 1025));
        assert!(bank.iter().all(|row| row[0] == 0.0));
        // Nothing above the upper edge; peaks of height close to 1, rising in frequency.
        let bin_hz = 44100.0 / 2048.0;
        assert!(bank.iter().all(|row| row[(8000.0 / bin_hz) as usize + 1..]
            .iter()
            .all(|w| *w == 0.0)));
        let peaks: Vec<usize> = bank
            .iter()
            .map(|f| (0..f.len()).max_by(|a, b| f[*a].total_cmp(&f[*b])).unwrap())
            .collect();
        assert!(peaks.windows(2).all(|w| w[0] < w[1]), "{peaks:?}");
        assert!(bank[40..]
            .iter()
            .all(|row| row.iter().cloned().fold(0.0, f64::max) > 0.8));
        // Band 40's centre, from the HTK scale: mel(8000) · 41 / 81.
        let centre_mel = 1127.0 * (1.0f64 + 8000.0 / 700.0).ln() * 41.0 / 81.0;
        let centre_hz = 700.0 * ((centre_mel / 1127.0).exp() - 1.0);
        assert!(
            (peaks[40] as f64 * bin_hz - centre_hz).abs() <= bin_hz,
            "{centre_hz}"
        );
    }

    #[test]
    fn spreading_a_mel_spectrum_back_gives_a_flat_spectrum_its_level() {
        let bank = MelBank::compact(htk_mel_filterbank(44100.0, 2048, 80, 0.0, 8000.0));
        let flat = vec![0.5f32; 1025];
        let mut mel = vec![0.0; 80];
        bank.apply(&flat, &mut mel);
        let back = bank.spread(&mel, 1025);
        assert_eq!(back.len(), 1025);
        // Inside the banks' span the flat level comes back; outside it, zero.
        assert!(
            back[10..370].iter().all(|v| (v - 0.5).abs() < 1e-4),
            "{:?}",
            &back[..20]
        );
        assert!(back[0] == 0.0 && back[400..].iter().all(|v| *v == 0.0));
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
