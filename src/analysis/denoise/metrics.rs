//! Quality measures of an estimate against its clean reference.

fn energy(x: impl Iterator<Item = f64>) -> f64 {
    x.map(|v| v * v).sum()
}

/// Mean squared error.
pub fn mse(estimate: &[f32], reference: &[f32]) -> f64 {
    energy(
        estimate
            .iter()
            .zip(reference)
            .map(|(e, r)| *e as f64 - *r as f64),
    ) / reference.len().max(1) as f64
}

/// Signal-to-noise ratio of `estimate` in dB, the noise being its difference from `reference`.
pub fn snr_db(estimate: &[f32], reference: &[f32]) -> f64 {
    let signal = energy(reference.iter().map(|r| *r as f64));
    let noise = energy(
        estimate
            .iter()
            .zip(reference)
            .map(|(e, r)| *e as f64 - *r as f64),
    );
    10.0 * (signal / noise.max(1e-30)).log10()
}

/// Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019): the part of `estimate`
/// along `reference` against everything else.
pub fn si_sdr_db(estimate: &[f32], reference: &[f32]) -> f64 {
    let dot: f64 = estimate
        .iter()
        .zip(reference)
        .map(|(e, r)| *e as f64 * *r as f64)
        .sum();
    let ref_energy = energy(reference.iter().map(|r| *r as f64)).max(1e-30);
    let alpha = dot / ref_energy;
    let target = alpha * alpha * ref_energy;
    let residual = energy(
        estimate
            .iter()
            .zip(reference)
            .map(|(e, r)| *e as f64 - alpha * *r as f64),
    );
    10.0 * (target.max(1e-30) / residual.max(1e-30)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_match_hand_computed_values() {
        let reference = [1.0, -1.0, 1.0, -1.0];
        let noisy = [1.5, -0.5, 1.5, -0.5]; // reference + 0.5: noise energy 1 vs signal 4
        assert!((snr_db(&noisy, &reference) - 10.0 * 4f64.log10()).abs() < 1e-9);
        assert!((mse(&noisy, &reference) - 0.25).abs() < 1e-12);
        // A scaled copy is perfect for SI-SDR, not for SNR.
        let scaled = [0.5, -0.5, 0.5, -0.5];
        assert!(si_sdr_db(&scaled, &reference) > 200.0);
        assert!((snr_db(&scaled, &reference) - 10.0 * 4f64.log10()).abs() < 1e-9);
    }
}
