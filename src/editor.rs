//! The egui editor: every parameter, the latency, the loaded taps and the engine's counters.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};

use crate::param_spec::ALL_PARAMS;
use crate::params::{HostParam, PluginParams};
use crate::taps_file::TapsFile;

pub struct EditorApp {
    params: Arc<PluginParams>,
    gui: Option<nice_plug::context::gui::GuiContext>,
    taps_path: String,
    load_error: String,
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
        egui::Grid::new("params").num_columns(2).show(ui, |ui| {
            for id in ALL_PARAMS {
                ui.label(id.spec().name);
                match self.params.get(id) {
                    HostParam::Float(p) => ui.add(ParamSlider::for_param(p, &setter)),
                    HostParam::Toggle(p) => ui.add(ParamSlider::for_param(p, &setter)),
                    HostParam::Choice(p) => ui.add(ParamSlider::for_param(p, &setter)),
                };
                ui.end_row();
            }
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
                egui::Color32::from_rgb(255, 170, 80),
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
                ui.colored_label(egui::Color32::from_rgb(255, 170, 80), message.as_str());
            }
        }
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }
}
