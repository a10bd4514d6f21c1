//! The egui editor: every parameter, the denoiser's current magnitude response and learning
//! progress, the latency, the loaded taps and the engine's counters.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};

use crate::learn::live::LearnMode;
use crate::param_spec::{ParamId, ALL_PARAMS, LEARN_MODES};
use crate::params::{HostParam, PluginParams};
use crate::plot::magnitude_response_db;
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
        ui.heading("Phasewright");
        ui.separator();
        // Two columns: bypass and the denoiser; the spectral stage and the output.
        let left = |id: &ParamId| {
            let name = id.spec().id;
            name == "bypass" || name.starts_with("denoise")
        };
        ui.columns(2, |columns| {
            for (c, ui) in columns.iter_mut().enumerate() {
                egui::Grid::new(("params", c))
                    .num_columns(2)
                    .show(ui, |ui| {
                        for id in ALL_PARAMS.iter().filter(|id| left(id) == (c == 0)) {
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
        self.response_plot(ui);
        self.learn_progress(ui);
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
                "The new STFT window/overlap applies when the host restarts the plugin.",
            );
        }
        let peak = status.reference_peak.load(Ordering::Relaxed);
        ui.label(format!(
            "Reference input: {}",
            if peak > 0.0 {
                format!("{:.1} dBFS peak", 20.0 * peak.log10())
            } else {
                "silent".into()
            }
        ));
        ui.label(format!(
            "Background jobs dropped: {}",
            status.dropped_jobs.load(Ordering::Relaxed)
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

    /// What the learn mode has gathered and what its last design expects.
    fn learn_progress(&self, ui: &mut egui::Ui) {
        let learn = &self.params.shared.learn;
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
            LEARN_MODES[index.min(LEARN_MODES.len() - 1)],
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
