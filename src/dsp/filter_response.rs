//! Magnitude response of a set of taps, for the editor's plot and the CLI's PNG: an analysis run
//! off the audio thread (it plans an FFT and allocates).

use realfft::RealFftPlanner;

/// Floor of `magnitude_response_db`: a null reads this.
pub const RESPONSE_FLOOR_DB: f32 = -100.0;

/// Magnitude response of `taps` in dB at `points` frequencies from 0 to Nyquist.
pub fn magnitude_response_db(taps: &[f32], points: usize) -> Vec<f32> {
    let n = (2 * (points - 1)).max(taps.len()).next_power_of_two();
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let mut time = vec![0.0f32; n];
    time[..taps.len()].copy_from_slice(taps);
    let mut spectrum = fft.make_output_vec();
    let _ = fft.process(&mut time, &mut spectrum);
    let step = (n / 2) as f32 / (points - 1) as f32;
    (0..points)
        .map(|i| {
            let c = spectrum[((i as f32 * step).round() as usize).min(n / 2)];
            (20.0 * c.norm().max(1e-10).log10()).max(RESPONSE_FLOOR_DB)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_of_simple_filters() {
        let flat = magnitude_response_db(&[1.0], 65);
        assert!(flat.iter().all(|v| v.abs() < 1e-5));
        // Two-tap average: 0 dB at DC, a null at Nyquist.
        let average = magnitude_response_db(&[0.5, 0.5], 65);
        assert!(average[0].abs() < 1e-5);
        assert_eq!(average[64], RESPONSE_FLOOR_DB);
    }
}
