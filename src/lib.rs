//! Phasewright: a learned FIR denoiser and spectral frame manipulations, as a CLAP and VST3
//! plugin. This file is the thin plugin wrapper. The data flows through: `params` (the table),
//! `engine` (the chunk loop, dispatch, jobs), `stages` (one per real-time stage), `dsp` (pure
//! primitives), `worker` (background lanes) and `analysis` (what the worker computes); `cli`
//! holds the command line's tools. The command line, tests and benches drive the same engine.

use std::num::NonZeroU32;
use std::sync::Arc;

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;

pub mod analysis;
pub mod cli;
pub mod dsp;
pub mod editor;
pub mod engine;
pub mod params;
pub mod stages;
pub mod taps_file;
pub mod worker;

use engine::{Engine, EngineConfig, EngineShared, Layout, Transport};
use params::host::PluginParams;
use params::ALL_PARAMS;
use worker::Executor;

pub struct Phasewright {
    params: Arc<PluginParams>,
    engine: Option<Engine>,
    transport: Transport,
    /// Set once a restart has been asked for, so the host is asked only once.
    restart_requested: bool,
}

impl Default for Phasewright {
    fn default() -> Self {
        let editor_state =
            EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(980.0, 720.0), 1.0);
        Self {
            params: Arc::new(PluginParams::new(
                Arc::new(EngineShared::default()),
                editor_state,
            )),
            engine: None,
            transport: Transport::new(1),
            restart_requested: false,
        }
    }
}

/// Lets offline jobs, which run inside `process()`, allocate under nice-plug's allocation guard.
fn permit_alloc(job: &mut dyn FnMut()) {
    nice_plug::util::permit_alloc(job)
}

/// Main bus of `channels`, plus the stereo "Reference" sidechain. The Reference stays stereo in
/// every layout: nice-plug 0.4.2's VST3 `setBusArrangements` compares the sidechain's channel
/// count against the main bus's, so a mono-main/mono-Reference layout would be accepted for a
/// request with a stereo Reference and then report the wrong arrangement.
const STEREO_REFERENCE: &[NonZeroU32] = &[new_nonzero_u32(2)];

const fn layout(channels: u32) -> AudioIOLayout {
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(channels),
        main_output_channels: NonZeroU32::new(channels),
        aux_input_ports: STEREO_REFERENCE,
        aux_output_ports: &[],
        names: PortNames {
            layout: None,
            // Naming the main ports here would rename the output too (see NICE_PLUG_NOTES).
            main_input: None,
            main_output: None,
            aux_inputs: &["Reference"],
            aux_outputs: &[],
        },
    }
}

impl Plugin for Phasewright {
    const NAME: &'static str = "Phasewright";
    const VENDOR: &'static str = "Phasewright";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[layout(2), layout(1)];
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = nice_plug_egui::EguiEditor<editor::EditorApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let executor = match buffer_config.process_mode {
            ProcessMode::Offline => Executor::Inline {
                permit: permit_alloc,
            },
            _ => Executor::Thread,
        };
        let channels = audio_io_layout
            .main_output_channels
            .map_or(2, |c| c.get() as usize);
        let config = EngineConfig::new(buffer_config.sample_rate, channels, executor)
            .with_layout(Layout::from_values(|id| self.params.get(id).plain()));
        // Drop the previous engine (and join its worker) before starting the next.
        self.engine = None;
        let mut engine = match Engine::new(config, self.params.shared.clone()) {
            Ok(engine) => engine,
            Err(e) => {
                nice_error!("cannot activate: {e}");
                return false;
            }
        };
        for id in ALL_PARAMS {
            engine.set(id, self.params.get(id).plain());
        }
        context.set_latency_samples(engine.latency() as u32);
        self.transport = Transport::new(buffer_config.max_buffer_size);
        self.restart_requested = false;
        self.engine = Some(engine);
        true
    }

    fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset();
        }
        self.transport.unplace();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = &mut self.engine else {
            return ProcessStatus::Normal;
        };
        for id in ALL_PARAMS {
            engine.set(id, self.params.get(id).plain());
        }
        let transport = context.transport();
        let (playing, position) = (transport.playing, transport.pos_samples());
        self.transport.follow(engine, playing, position);
        let reference = aux.inputs.first().map(|b| b.as_slice_immutable());
        engine.process(buffer.as_slice(), reference);
        // A new layout changes the latency or the memory, which needs a new activation.
        if engine.layout_pending() && !self.restart_requested {
            self.restart_requested = true;
            context.request_restart();
        }
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.engine = None;
    }
}

impl ClapPlugin for Phasewright {
    const CLAP_ID: &'static str = "org.phasewright.phasewright";
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Restoration,
    ];
}

impl Vst3Plugin for Phasewright {
    const VST3_CLASS_ID: [u8; 16] = *b"PhasewrightFxV01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Restoration];
}

nice_export_clap!(Phasewright);
nice_export_vst3!(Phasewright);
