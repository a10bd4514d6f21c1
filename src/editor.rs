//! The egui editor: every parameter, the denoiser's current magnitude response and learning
//! progress, the frames of the last similarity order as points, the latency, the loaded taps and
//! the engine's counters.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};

use crate::analysis::denoise::live::LearnMode;
use crate::dsp::filter_response::magnitude_response_db;
use crate::params::host::{HostParam, PluginParams};
use crate::params::presets::FACTORY;
use crate::params::{Choice, Group, ParamId, ALL_PARAMS};
use crate::stages::frame_memory::{FrameOrder, ReorderMode};
use crate::stages::phase::PhaseRebuild;
use crate::stages::texture::status::lock;
use crate::taps_file::TapsFile;

/// Frequencies of the response curve, linearly spaced (the curve is drawn on a log axis).
const RESPONSE_POINTS: usize = 2048;
const RESPONSE_TOP_DB: f32 = 12.0;
const RESPONSE_BOTTOM_DB: f32 = -42.0;
const ORANGE: egui::Color32 = egui::Color32::from_rgb(255, 170, 80);

pub struct EditorApp {
    params: Arc<PluginParams>,
    gui: Option<nice_plug::context::gui::GuiContext>,
    taps_path: String,
    load_error: String,
    /// The response of the taps of slot generation `.0` (None: identity).
    response: (u64, Option<(Vec<f32>, f32)>),
}

pub fn create(params: Arc<PluginParams>) -> Option<EguiEditor<EditorApp>> {
    let state = params.editor_state.clone();
    create_egui_editor(
        state,
        RepaintNotifier::new(),
        EguiNiceSettings::new().with_tile("Phasewright"),
        EditorApp {
            params,
            gui: None,
            taps_path: String::new(),
            load_error: String::new(),
            response: (u64::MAX, None),
        },
    )
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: nice_plug::context::gui::GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        egui_ctx.set_visuals(egui::Visuals::dark());
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = &self.gui else { return };
        let setter = gui.param_setter();
        ui.horizontal(|ui| {
            ui.heading("Phasewright");
            ui.add_space(24.0);
            egui::ComboBox::from_id_salt("preset")
                .selected_text("Factory presets")
                .width(280.0)
                .show_ui(ui, |ui| {
                    for preset in &FACTORY {
                        let item = ui.selectable_label(false, preset.name);
                        if item.on_hover_text(preset.purpose).clicked() {
                            for (id, value) in preset.values() {
                                self.params.get(id).set_plain(&setter, value);
                            }
                        }
                    }
                });
        });
        ui.separator();
        // Three columns: the denoiser and the output; the spectral stage and phase; reordering.
        let column = |id: &ParamId| match id.spec().group {
            Group::Denoise | Group::Output => 0,
            Group::Spectral | Group::Phase => 1,
            Group::Reorder | Group::Texture => 2,
        };
        ui.columns(3, |columns| {
            for (c, ui) in columns.iter_mut().enumerate() {
                egui::Grid::new(("params", c))
                    .num_columns(2)
                    .show(ui, |ui| {
                        for id in ALL_PARAMS.iter().filter(|id| column(id) == c) {
                            ui.label(id.spec().name);
                            match self.params.get(*id) {
                                HostParam::Float(p) => ui.add(ParamSlider::for_param(p, &setter)),
                                HostParam::Toggle(p) => ui.add(ParamSlider::for_param(p, &setter)),
                                HostParam::Choice(p) => ui.add(ParamSlider::for_param(p, &setter)),
                            };
                            ui.end_row();
                        }
                    });
            }
        });
        ui.separator();
        ui.columns(2, |columns| {
            self.response_plot(&mut columns[0]);
            self.learn_progress(&mut columns[0]);
            self.phase_progress(&mut columns[0]);
            self.embedding_plot(&mut columns[1]);
            self.texture_progress(&mut columns[1]);
        });
        ui.separator();
        let shared = &self.params.shared;
        let status = &shared.status;
        let latency = status.latency.load(Ordering::Relaxed);
        let rate = status.sample_rate.load(Ordering::Relaxed);
        ui.label(format!(
            "Latency: {latency} samples ({:.1} ms)",
            latency as f32 * 1000.0 / rate.max(1.0)
        ));
        if status.layout_pending.load(Ordering::Relaxed) {
            ui.colored_label(
                ORANGE,
                "The new STFT layout or reorder mode/length applies when the host restarts the plugin.",
            );
        }
        let peak = shared.denoise.reference_peak.load(Ordering::Relaxed);
        ui.label(format!(
            "Reference input: {}",
            if peak > 0.0 {
                format!("{:.1} dBFS peak", 20.0 * peak.log10())
            } else {
                "silent".into()
            }
        ));
        ui.label(format!(
            "Background jobs dropped: {}, failed: {}",
            status.dropped_jobs.load(Ordering::Relaxed),
            status.failed_jobs.load(Ordering::Relaxed)
        ));
        ui.separator();
        let taps = shared.taps.get();
        ui.label(match &taps {
            Some(t) => format!("Denoise taps: {} at {} Hz", t.taps.len(), t.sample_rate),
            None => "Denoise taps: none (identity)".into(),
        });
        ui.horizontal(|ui| {
            ui.label("Taps file:");
            ui.text_edit_singleline(&mut self.taps_path);
            if ui.button("Load").clicked() {
                match TapsFile::read(std::path::Path::new(self.taps_path.trim())) {
                    Ok(t) => {
                        shared.taps.set(Some(t));
                        self.load_error.clear();
                    }
                    Err(e) => self.load_error = e,
                }
            }
            if ui.button("Clear").clicked() {
                shared.taps.set(None);
                self.load_error.clear();
            }
        });
        for message in [&self.load_error, &shared.taps.status()] {
            if !message.is_empty() {
                ui.colored_label(ORANGE, message.as_str());
            }
        }
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }
}

impl EditorApp {
    /// The denoiser's magnitude response on a log-frequency axis, recomputed when the taps change.
    fn response_plot(&mut self, ui: &mut egui::Ui) {
        let slot = &self.params.shared.taps;
        let generation = slot.generation();
        if self.response.0 != generation {
            let response = slot.get().map(|t| {
                (
                    magnitude_response_db(&t.taps, RESPONSE_POINTS),
                    t.sample_rate,
                )
            });
            self.response = (generation, response);
        }
        ui.label("Denoise filter response");
        let width = ui.available_width().min(600.0);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 130.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, egui::Color32::from_gray(24));
        let rate = self
            .params
            .shared
            .status
            .sample_rate
            .load(Ordering::Relaxed);
        let nyquist = self
            .response
            .1
            .as_ref()
            .map_or(rate, |(_, r)| *r)
            .max(2000.0)
            / 2.0;
        let x_of =
            |hz: f32| rect.left() + rect.width() * (hz / 20.0).log10() / (nyquist / 20.0).log10();
        let y_of = |db: f32| {
            let t = (RESPONSE_TOP_DB - db.clamp(RESPONSE_BOTTOM_DB, RESPONSE_TOP_DB))
                / (RESPONSE_TOP_DB - RESPONSE_BOTTOM_DB);
            rect.top() + rect.height() * t
        };
        let grid = egui::Stroke::new(1.0, egui::Color32::from_gray(60));
        let text = egui::Color32::from_gray(150);
        let font = egui::FontId::proportional(10.0);
        for db in [0.0, -12.0, -24.0, -36.0] {
            let y = y_of(db);
            painter.hline(rect.x_range(), y, grid);
            let label = format!("{db:.0} dB");
            painter.text(
                egui::pos2(rect.left() + 3.0, y),
                egui::Align2::LEFT_BOTTOM,
                label,
                font.clone(),
                text,
            );
        }
        for (hz, label) in [(100.0, "100"), (1000.0, "1k"), (10000.0, "10k")] {
            if hz < nyquist {
                let x = x_of(hz);
                painter.vline(x, rect.y_range(), grid);
                painter.text(
                    egui::pos2(x + 2.0, rect.bottom()),
                    egui::Align2::LEFT_BOTTOM,
                    label,
                    font.clone(),
                    text,
                );
            }
        }
        let points: Vec<egui::Pos2> = match &self.response.1 {
            Some((db, _)) => db
                .iter()
                .enumerate()
                .map(|(i, v)| (nyquist * i as f32 / (RESPONSE_POINTS - 1) as f32, *v))
                .filter(|(hz, _)| *hz >= 20.0)
                .map(|(hz, v)| egui::pos2(x_of(hz), y_of(v)))
                .collect(),
            None => vec![
                egui::pos2(rect.left(), y_of(0.0)),
                egui::pos2(rect.right(), y_of(0.0)),
            ],
        };
        painter.add(egui::Shape::line(
            points,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(120, 200, 255)),
        ));
    }

    /// The frames of the last similarity order: each at its 1-D coordinate (across) and its time
    /// in the memory (down), coloured by time as `plot-embedding` colours them; then what the
    /// reorder stage is doing and how many orders came too late.
    fn embedding_plot(&self, ui: &mut egui::Ui) {
        let shared = &self.params.shared;
        let status = &shared.reorder;
        let view = status.embedding.lock().ok();
        let view = view.as_ref().and_then(|v| v.as_ref());
        ui.label(match view {
            Some(v) => {
                let name = FrameOrder::NAMES[v.order.index()];
                format!(
                    "Frame order: {name} of {} frames ({:.2} s)",
                    v.coords.len(),
                    v.coords.len() as f32 * v.seconds_per_frame
                )
            }
            None => "Frame order: no similarity order yet".into(),
        });
        let width = ui.available_width().min(600.0);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 130.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, egui::Color32::from_gray(24));
        let font = egui::FontId::proportional(10.0);
        let text = egui::Color32::from_gray(150);
        if let Some(v) = view.filter(|v| !v.coords.is_empty()) {
            let (lo, hi) = v
                .coords
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), c| (a.min(*c), b.max(*c)));
            let span = (hi - lo).max(f32::EPSILON);
            let last = (v.coords.len() - 1).max(1) as f32;
            let inner = rect.shrink(6.0);
            for (i, c) in v.coords.iter().enumerate() {
                let t = i as f32 / last;
                let pos = egui::pos2(
                    inner.left() + inner.width() * (c - lo) / span,
                    inner.top() + inner.height() * t,
                );
                let colour = egui::ecolor::Hsva::new(0.66 * (1.0 - t), 0.9, 0.95, 1.0);
                painter.circle_filled(pos, 2.5, colour);
            }
            painter.text(
                rect.left_bottom() + egui::vec2(3.0, -2.0),
                egui::Align2::LEFT_BOTTOM,
                "down: time (blue first), across: order",
                font,
                text,
            );
        }
        let mode = ReorderMode::from_index(self.params.get(ParamId::ReorderMode).plain() as usize);
        let frames = status.frames.load(Ordering::Relaxed);
        let mut line = format!("Reorder: {}", ReorderMode::NAMES[mode.index()]);
        if frames > 0 {
            let seconds = status.seconds.load(Ordering::Relaxed);
            line += &format!(", {frames} frames ({seconds:.2} s) per memory");
        }
        if status.capturing.load(Ordering::Relaxed) {
            line += ", capture playing";
        }
        ui.label(line);
        let misses = status.misses.load(Ordering::Relaxed);
        let label = format!("Orders not back in time: {misses}");
        if misses > 0 {
            ui.colored_label(ORANGE, label);
        } else {
            ui.label(label);
        }
    }

    /// The phase mode, and the last background loop reconstruction's progress and SC.
    fn phase_progress(&self, ui: &mut egui::Ui) {
        let status = &self.params.shared.phase;
        let mode = PhaseRebuild::from_index(self.params.get(ParamId::PhaseMode).plain() as usize);
        let mut line = format!("Phase: {}", PhaseRebuild::NAMES[mode.index()]);
        if mode == PhaseRebuild::Reconstruct {
            let progress = status.progress.load(Ordering::Relaxed);
            line += &format!(
                ". Loop reconstruction {:.0} %, SC {:.1} dB",
                100.0 * progress,
                status.sc_db.load(Ordering::Relaxed)
            );
            if status.playing.load(Ordering::Relaxed) {
                line += ", playing";
            }
        }
        ui.label(line);
    }

    /// The texture's reconstruction: how far it is, the error of what plays, and the relative
    /// error at every evaluation on a log axis (1 at the top, 0.01 at the bottom).
    fn texture_progress(&self, ui: &mut egui::Ui) {
        let order = FrameOrder::from_index(self.params.get(ParamId::ReorderOrder).plain() as usize);
        if order != FrameOrder::Texture {
            return;
        }
        let status = &self.params.shared.texture;
        let message = lock(&status.message).clone();
        if !message.is_empty() {
            ui.colored_label(ORANGE, format!("Texture: {message}"));
            return;
        }
        let curve = lock(&status.curve).clone();
        let error = status.relative_error.load(Ordering::Relaxed);
        let mut line = format!(
            "Texture: {:.0} % (J {}), error {}",
            100.0 * status.progress.load(Ordering::Relaxed),
            status.j.load(Ordering::Relaxed),
            if error.is_finite() {
                format!("{:.1} %", 100.0 * error)
            } else {
                "-".into()
            },
        );
        if status.playing.load(Ordering::Relaxed) {
            line += ", playing";
        }
        ui.label(line);
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), 80.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, egui::Color32::from_gray(24));
        if curve.len() < 2 {
            return;
        }
        let last = (curve.len() - 1) as f32;
        let points: Vec<egui::Pos2> = (curve.iter().enumerate())
            .map(|(i, e)| {
                let y = -e.clamp(1e-2, 1.0).log10() / 2.0;
                egui::pos2(
                    rect.left() + rect.width() * i as f32 / last,
                    rect.top() + rect.height() * y,
                )
            })
            .collect();
        painter.add(egui::Shape::line(points, egui::Stroke::new(1.5, ORANGE)));
    }

    /// What the learn mode has gathered and what its last design expects.
    fn learn_progress(&self, ui: &mut egui::Ui) {
        let learn = &self.params.shared.denoise.learn;
        let index = self.params.get(ParamId::DenoiseMode).plain() as usize;
        let mode = LearnMode::from_index(index);
        if mode == LearnMode::File {
            ui.label("Learn mode: File (taps from a file or a saved project)");
            return;
        }
        let seconds =
            |ms: &std::sync::atomic::AtomicU64| ms.load(Ordering::Relaxed) as f32 / 1000.0;
        let mut line = format!(
            "Learn mode: {}. {:.1} s learned, {} updates",
            LearnMode::NAMES[mode.index()],
            seconds(&learn.material_ms),
            learn.solves.load(Ordering::Relaxed),
        );
        if learn.solves.load(Ordering::Relaxed) > 0 {
            line += &format!(", expected error {:+.1} dB vs bypass", learn.predicted_db());
        }
        ui.label(line);
        if mode == LearnMode::NoiseProfile {
            ui.label(format!(
                "Noise profile: {:.2} s",
                seconds(&learn.profile_ms)
            ));
        }
        let note = learn.note();
        if !note.is_empty() {
            ui.colored_label(ORANGE, note);
        }
    }
}
