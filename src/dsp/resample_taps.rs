//! FIR taps carried to another sample rate, keeping the filter's response and its zero delay.
//!
//! Tap n of the old filter acts at time n / `from`; its new place is x = n · `to` / `from`
//! samples. A tap on a whole sample goes there as it is; one between samples is spread by a
//! band-limited fractional delay (a Blackman-windowed sinc cut off at the new Nyquist). The
//! new filter's response is then the old one's below min(from, to) / 2, with no added delay;
//! going up, the response above the old Nyquist repeats the one below, as the old filter's own
//! response does. The approximation is at the start: a spread tap's share before sample 0 (the
//! filter is causal) is dropped. That costs little going up, where most taps land on or near
//! whole samples, and can cost much going down, where many early taps are spread: so the
//! result comes with its error, measured, for the caller to judge.

/// Zero crossings of the windowed sinc on each side: the response holds to about 0.95 of the
/// new Nyquist.
const HALF_WIDTH: usize = 64;
/// The share of the lower Nyquist over which the error is measured.
const CHECKED_BAND: f64 = 0.9;

/// Taps carried to another rate.
pub struct Resampled {
    pub taps: Vec<f32>,
    /// The largest difference of the two complex responses below 0.9 of the lower Nyquist,
    /// against the old filter's peak gain, in dB.
    pub error_db: f64,
}

/// `taps` made at `from` Hz, for use at `to` Hz. Its length is the old one's span at the new
/// rate plus the spreading's reach.
pub fn resample_taps(taps: &[f32], from: f32, to: f32) -> Resampled {
    let moved = spread(taps, to as f64 / from as f64);
    let top = CHECKED_BAND * from.min(to) as f64 / 2.0;
    let (mut worst, mut peak) = (0.0f64, 0.0f64);
    for f in (0..=256).map(|i| top * i as f64 / 256.0) {
        let (a, b) = (
            response(taps, from as f64, f),
            response(&moved, to as f64, f),
        );
        worst = worst.max((a.0 - b.0).hypot(a.1 - b.1));
        peak = peak.max(a.0.hypot(a.1));
    }
    Resampled {
        taps: moved,
        error_db: 20.0 * (worst / peak.max(f64::MIN_POSITIVE)).log10(),
    }
}

/// H(f) of `taps` at `rate`, as (re, im).
fn response(taps: &[f32], rate: f64, f: f64) -> (f64, f64) {
    let w = 2.0 * std::f64::consts::PI * f / rate;
    taps.iter()
        .enumerate()
        .fold((0.0, 0.0), |(re, im), (n, t)| {
            let (sin, cos) = (w * n as f64).sin_cos();
            (re + *t as f64 * cos, im - *t as f64 * sin)
        })
}

/// Each tap moved to n · `ratio` samples, spread there if that falls between samples.
fn spread(taps: &[f32], ratio: f64) -> Vec<f32> {
    if ratio == 1.0 || taps.is_empty() {
        return taps.to_vec();
    }
    let last = (taps.len() - 1) as f64 * ratio;
    let mut out = vec![0.0f64; last.ceil() as usize + HALF_WIDTH + 1];
    for (n, &tap) in taps.iter().enumerate() {
        let at = n as f64 * ratio;
        let whole = at.round();
        if (at - whole).abs() < 1e-9 {
            out[whole as usize] += tap as f64;
            continue;
        }
        let first = (at - HALF_WIDTH as f64).ceil().max(0.0) as usize;
        let end = ((at + HALF_WIDTH as f64).floor() as usize).min(out.len() - 1);
        for (k, o) in out.iter_mut().enumerate().take(end + 1).skip(first) {
            *o += tap as f64 * windowed_sinc(k as f64 - at);
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// sinc(x) under a Blackman window spanning ±`HALF_WIDTH`.
fn windowed_sinc(x: f64) -> f64 {
    use std::f64::consts::PI;
    let sinc = if x == 0.0 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    };
    let phase = PI * (x / HALF_WIDTH as f64 + 1.0);
    let window = 0.42 - 0.5 * phase.cos() + 0.08 * (2.0 * phase).cos();
    sinc * window
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A causal low-pass with most of its weight on its first taps, as learned denoisers are.
    fn lowpass(len: usize) -> Vec<f32> {
        (0..len)
            .map(|n| {
                let x = n as f64 + 0.5;
                (0.6 * (0.35 * std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                    * (-(n as f64) / 40.0).exp()) as f32
            })
            .collect()
    }

    #[test]
    fn going_up_or_between_near_rates_the_response_holds() {
        let taps = lowpass(256);
        for (from, to) in [
            (48000.0, 96000.0),
            (44100.0, 48000.0),
            (48000.0, 44100.0),
            (32000.0, 192000.0),
            (44100.0, 44123.45),
        ] {
            let moved = resample_taps(&taps, from, to);
            let error = moved.error_db;
            eprintln!(
                "{from} -> {to} Hz: {} taps, error {error:.1} dB",
                moved.taps.len()
            );
            assert!(error < -35.0, "{from} -> {to}: {error:.1} dB");
        }
    }

    #[test]
    fn going_far_down_the_error_is_measured() {
        // At less than half the rate most of the first taps are spread and cut at sample 0.
        let taps = lowpass(256);
        let moved = resample_taps(&taps, 48000.0, 22050.0);
        eprintln!("48000 -> 22050 Hz: error {:.1} dB", moved.error_db);
        assert!(moved.error_db > -30.0, "{:.1} dB", moved.error_db);
        // The measure itself: the same taps differ by nothing, a changed one by its share.
        assert_eq!(
            resample_taps(&taps, 48000.0, 48000.0).error_db,
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn an_impulse_stays_an_impulse_and_the_same_rate_changes_nothing() {
        let mut identity = vec![0.0f32; 8];
        identity[0] = 1.0;
        let up = resample_taps(&identity, 44100.0, 96000.0).taps;
        assert_eq!(up[0], 1.0);
        assert!(up[1..].iter().all(|v| *v == 0.0));
        let taps = lowpass(81);
        assert_eq!(resample_taps(&taps, 48000.0, 48000.0).taps, taps);
    }
}
