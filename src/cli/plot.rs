//! Pictures for people: spectrograms as PNG files, labelled with the editor's font.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::dsp::filter_response::{magnitude_response_db, RESPONSE_FLOOR_DB as FLOOR_DB};
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

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type Chart<'c, 'a> =
    ChartContext<'c, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The axes of one plot on `area`: their ranges, descriptions and label room (x, y), a grid or
/// not. Errors name the file being drawn.
struct Axes<'t> {
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    desc: (&'t str, &'t str),
    label_room: (u32, u32),
    grid: bool,
}

impl Axes<'_> {
    fn draw<'c, 'a>(
        self,
        area: &'c Area<'a>,
        caption: Option<&str>,
        fail: &dyn Fn(&dyn std::fmt::Display) -> String,
    ) -> Result<Chart<'c, 'a>, String> {
        let mut builder = ChartBuilder::on(area);
        if let Some(caption) = caption {
            builder.caption(caption, ("sans-serif", 22));
        }
        let mut chart = builder
            .margin(12)
            .x_label_area_size(self.label_room.0)
            .y_label_area_size(self.label_room.1)
            .build_cartesian_2d(self.x, self.y)
            .map_err(|e| fail(&e))?;
        let mut mesh = chart.configure_mesh();
        if !self.grid {
            mesh.disable_mesh();
        }
        mesh.x_desc(self.desc.0)
            .y_desc(self.desc.1)
            .draw()
            .map_err(|e| fail(&e))?;
        Ok(chart)
    }

    /// The axes and one curve through `line`, in `colour`.
    fn plot_line<'a>(
        self,
        area: &Area<'a>,
        line: impl IntoIterator<Item = (f64, f64)>,
        colour: &RGBColor,
        fail: &dyn Fn(&dyn std::fmt::Display) -> String,
    ) -> Result<(), String> {
        let mut chart = self.draw(area, None, fail)?;
        chart
            .draw_series(LineSeries::new(line, colour))
            .map_err(|e| fail(&e))?;
        Ok(())
    }
}

/// A white canvas of `size` pixels for `path`.
fn canvas<'a>(
    path: &'a Path,
    size: (u32, u32),
    fail: &dyn Fn(&dyn std::fmt::Display) -> String,
) -> Result<Area<'a>, String> {
    register_font();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    Ok(root)
}

/// Writes a spectrogram of `samples` (time across, frequency up, -100 to 0 dB) to `path`.
pub fn spectrogram_png(
    samples: &[f32],
    sample_rate: u32,
    title: &str,
    path: &Path,
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    let spec = spectrogram_db(samples);
    let seconds = samples.len() as f64 / sample_rate as f64;
    let nyquist_khz = sample_rate as f64 / 2000.0;
    let root = canvas(path, (1000, 500), &fail)?;
    let axes = Axes {
        x: 0.0..seconds,
        y: 0.0..nyquist_khz,
        desc: ("time (s)", "frequency (kHz)"),
        label_room: (40, 55),
        grid: false,
    };
    let chart = axes.draw(&root, Some(title), &fail)?;
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
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    let root = canvas(path, (1000, 700), &fail)?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| fail(&e))?;
    let (upper, lower) = root.split_vertically(300);
    let peak = taps.iter().fold(0.0f32, |m, t| m.max(t.abs())).max(1e-6);
    Axes {
        x: 0.0..taps.len() as f64,
        y: (-peak * 1.1) as f64..(peak * 1.1) as f64,
        desc: ("tap", "value"),
        label_room: (35, 60),
        grid: true,
    }
    .plot_line(
        &upper,
        taps.iter().enumerate().map(|(k, t)| (k as f64, *t as f64)),
        &BLUE,
        &fail,
    )?;
    let points = 1024;
    let response = magnitude_response_db(taps, points);
    let top = response.iter().fold(FLOOR_DB, |m, v| m.max(*v)).ceil() + 3.0;
    let bottom = response.iter().fold(top, |m, v| m.min(*v)).max(top - 80.0);
    let nyquist = sample_rate as f64 / 2.0;
    let khz_per_point = nyquist / 1000.0 / (points - 1) as f64;
    Axes {
        x: 0.0..nyquist / 1000.0,
        y: bottom as f64..top as f64,
        desc: ("frequency (kHz)", "magnitude (dB)"),
        label_room: (40, 60),
        grid: true,
    }
    .plot_line(
        &lower,
        (response.iter().enumerate())
            .map(|(i, v)| (i as f64 * khz_per_point, (*v).max(bottom) as f64)),
        &RED,
        &fail,
    )?;
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
    let root = canvas(path, (900, 800), &fail)?;
    let axes = Axes {
        x: range(0),
        y: range(1),
        desc: ("dimension 1", "dimension 2"),
        label_room: (35, 60),
        grid: true,
    };
    let mut chart = axes.draw(&root, Some(title), &fail)?;
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

/// Curves of spectral convergence (dB) against iteration, one per method, in one picture.
pub fn convergence_png(
    curves: &[(String, Vec<f64>)],
    title: &str,
    path: &Path,
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw '{}': {e}", path.display());
    let values = curves
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0f64, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi == f64::MIN {
        return Err("no convergence figures to draw".into());
    }
    let longest = curves
        .iter()
        .map(|(_, c)| c.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let root = canvas(path, (900, 600), &fail)?;
    let axes = Axes {
        x: 0.0..(longest - 1) as f64,
        y: (lo - 2.0).floor()..(hi + 2.0).ceil(),
        desc: ("iteration", "spectral convergence (dB)"),
        label_room: (40, 60),
        grid: true,
    };
    let mut chart = axes.draw(&root, Some(title), &fail)?;
    for (i, (name, sc)) in curves.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let points: Vec<(f64, f64)> = sc.iter().enumerate().map(|(k, v)| (k as f64, *v)).collect();
        // A method without iterations (PGHI) is one point: draw it as a level line.
        let line = if points.len() == 1 {
            vec![(0.0, points[0].1), ((longest - 1) as f64, points[0].1)]
        } else {
            points
        };
        chart
            .draw_series(LineSeries::new(line, colour.stroke_width(2)))
            .map_err(|e| fail(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
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
