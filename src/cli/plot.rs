//! Pictures for people: spectrograms as PNG files, labelled with the editor's font.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::dsp::fir::{magnitude_response_db, RESPONSE_FLOOR_DB as FLOOR_DB};
use crate::dsp::stft::{stft, StftLayout};

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// The transform of the pictures: 2048-point frames every 512 samples, centred.
const LAYOUT: StftLayout = StftLayout {
    n_fft: 2048,
    hop: 512,
    win: 2048,
    center: true,
};

/// Magnitude in dB (relative to a full-scale sine) of each frame and bin.
pub fn spectrogram_db(samples: &[f32]) -> Vec<Vec<f32>> {
    // A full-scale sine reads half the window's sum in its bin.
    let norm = LAYOUT.window().iter().sum::<f32>() / 2.0;
    let frames = stft(samples, &LAYOUT).unwrap_or_default();
    frames
        .iter()
        .map(|spectrum| {
            spectrum
                .iter()
                .map(|c| (20.0 * (c.norm() / norm).max(1e-10).log10()).max(FLOOR_DB))
                .collect()
        })
        .collect()
}

/// A perceptual dark-to-bright colour scale (anchors of matplotlib's magma, interpolated).
fn colour(x: f32) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 6] = [
        (0, 0, 4),
        (59, 15, 112),
        (140, 41, 129),
        (222, 73, 104),
        (254, 159, 109),
        (252, 253, 191),
    ];
    let x = x.clamp(0.0, 1.0) * (ANCHORS.len() - 1) as f32;
    let i = (x as usize).min(ANCHORS.len() - 2);
    let f = x - i as f32;
    let mix = |a: u8, b: u8| (a as f32 + f * (b as f32 - a as f32)).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Writes a spectrogram of `samples` (time across, frequency up, -100 to 0 dB) to `path`.
pub fn spectrogram_png(
    samples: &[f32],
    sample_rate: u32,
    title: &str,
    path: &Path,
) -> Result<(), String> {
    register_font();
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    let spec = spectrogram_db(samples);
    let seconds = samples.len() as f64 / sample_rate as f64;
    let nyquist_khz = sample_rate as f64 / 2000.0;
    let root = BitMapBackend::new(path, (1000, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..seconds, 0.0..nyquist_khz)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (s)")
        .y_desc("frequency (kHz)")
        .draw()
        .map_err(|e| fail(&e))?;
    let area = chart.plotting_area();
    let (w, h) = area.dim_in_pixel();
    let (x0, y0) = area.get_base_pixel();
    let bins = spec[0].len();
    for px in 0..w {
        let column = &spec[(px as usize * spec.len() / w as usize).min(spec.len() - 1)];
        for py in 0..h {
            let bin = ((h - 1 - py) as usize * bins / h as usize).min(bins - 1);
            let c = colour((column[bin] - FLOOR_DB) / -FLOOR_DB);
            root.draw_pixel((x0 + px as i32, y0 + py as i32), &c)
                .map_err(|e| fail(&e))?;
        }
    }
    root.present().map_err(|e| fail(&e))
}

/// Writes the taps (top) and their magnitude response in dB (bottom) to `path`.
pub fn taps_png(taps: &[f32], sample_rate: f32, title: &str, path: &Path) -> Result<(), String> {
    register_font();
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    let root = BitMapBackend::new(path, (1000, 700)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| fail(&e))?;
    let (upper, lower) = root.split_vertically(300);
    let peak = taps.iter().fold(0.0f32, |m, t| m.max(t.abs())).max(1e-6);
    let mut chart = ChartBuilder::on(&upper)
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(
            0.0..taps.len() as f64,
            (-peak * 1.1) as f64..(peak * 1.1) as f64,
        )
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("tap")
        .y_desc("value")
        .draw()
        .map_err(|e| fail(&e))?;
    chart
        .draw_series(LineSeries::new(
            taps.iter().enumerate().map(|(k, t)| (k as f64, *t as f64)),
            &BLUE,
        ))
        .map_err(|e| fail(&e))?;
    let points = 1024;
    let response = magnitude_response_db(taps, points);
    let top = response.iter().fold(FLOOR_DB, |m, v| m.max(*v)).ceil() + 3.0;
    let bottom = response.iter().fold(top, |m, v| m.min(*v)).max(top - 80.0);
    let nyquist = sample_rate as f64 / 2.0;
    let mut chart = ChartBuilder::on(&lower)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..nyquist / 1000.0, bottom as f64..top as f64)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("frequency (kHz)")
        .y_desc("magnitude (dB)")
        .draw()
        .map_err(|e| fail(&e))?;
    chart
        .draw_series(LineSeries::new(
            response.iter().enumerate().map(|(i, v)| {
                (
                    i as f64 * nyquist / 1000.0 / (points - 1) as f64,
                    (*v).max(bottom) as f64,
                )
            }),
            &RED,
        ))
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

/// Frames as points of a 2-D embedding, coloured by time (blue at the start, red at the end),
/// with the time line drawn faintly between successive frames, as the notebook plots them.
pub fn embedding_png(
    points: &[Vec<f64>],
    seconds_per_frame: f64,
    title: &str,
    path: &Path,
) -> Result<(), String> {
    register_font();
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    if points.is_empty() || points.iter().any(|p| p.len() < 2) {
        return Err("an embedding picture needs two coordinates per frame".into());
    }
    let range = |c: usize| {
        let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p[c]), hi.max(p[c]))
        });
        let pad = ((hi - lo) * 0.05).max(1e-9);
        lo - pad..hi + pad
    };
    let root = BitMapBackend::new(path, (900, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(range(0), range(1))
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("dimension 1")
        .y_desc("dimension 2")
        .draw()
        .map_err(|e| fail(&e))?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p[0], p[1])),
            RGBColor(200, 200, 200).stroke_width(1),
        ))
        .map_err(|e| fail(&e))?;
    let last = (points.len() - 1).max(1) as f64;
    chart
        .draw_series(points.iter().enumerate().map(|(i, p)| {
            let t = i as f64 / last;
            Circle::new(
                (p[0], p[1]),
                3,
                HSLColor(0.66 * (1.0 - t), 0.9, 0.45).filled(),
            )
        }))
        .map_err(|e| fail(&e))?;
    let end = points.len() as f64 * seconds_per_frame;
    root.draw_text(
        &format!("colour: time, blue 0 s to red {end:.1} s"),
        &("sans-serif", 16).into_text_style(&root),
        (80, 780),
    )
    .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_peaks_at_zero_db_in_its_bin() {
        let sr = 48000.0;
        let f = 1500.0; // exactly bin 64 of a 2048-point FFT at 48 kHz
        let x: Vec<f32> = (0..8192)
            .map(|n| (std::f32::consts::TAU * f * n as f32 / sr).sin())
            .collect();
        let spec = spectrogram_db(&x);
        let mid = &spec[spec.len() / 2];
        let (peak_bin, peak) =
            mid.iter()
                .enumerate()
                .fold((0, f32::MIN), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
        assert_eq!(peak_bin, 64);
        assert!(peak.abs() < 0.1, "{peak} dB");
    }
}
