//! A small CLAP host for the tests, built on clack-host: it loads the plugin's `.clap`, lists
//! ports and parameters, activates, processes audio (main and sidechain) on an audio thread with
//! sample-accurate parameter events, switches render mode, and saves and loads state.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGui, Window};
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{ParamValueEvent, TransportEvent, TransportFlags};
use clack_host::events::EventFlags;
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};
use phasewright::params::{ParamId, ParamKind};

use super::clap_host_handlers::{HostMainThread, HostShared, TestHost};

pub const PLUGIN_ID: &str = "org.phasewright.phasewright";

/// The plugin as the bundler ships it for CLAP: on Linux a `.clap` is the shared library itself.
/// The tests load the library cargo built for this very test run (with the allocation guard when
/// run with `--features assert_process_allocs`), copied under the bundle's name. That library sits
/// in `deps/` beside the test executable; `target/<profile>/libphasewright.so` is refreshed only by
/// `cargo build` and may be stale.
pub fn bundle() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let library = deps.join("libphasewright.so");
        assert!(library.exists(), "{} not built", library.display());
        let dir = deps
            .parent()
            .unwrap()
            .join("test-bundles")
            .join(std::process::id().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("Phasewright.clap");
        std::fs::copy(&library, &bundle).unwrap();
        bundle
    })
    .clone()
}

/// What the plugin says about one parameter.
#[derive(Clone, Debug)]
pub struct ParamDesc {
    pub id: ClapId,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub flags: ParamInfoFlags,
}

/// What the plugin says about one audio port.
#[derive(Clone, Debug, PartialEq)]
pub struct PortDesc {
    pub name: String,
    pub channels: u32,
}

/// A parameter change `sample` frames into the render.
#[derive(Clone, Copy, Debug)]
pub struct ParamChange {
    pub sample: usize,
    pub id: ClapId,
    pub value: f64,
}

/// The CLAP value of a plain engine value: nice-plug exposes float parameters normalised to 0..1,
/// toggles as 0/1, choices as their index and integers as steps above their minimum.
pub fn clap_value(id: ParamId, plain: f32) -> f64 {
    match id.spec().kind {
        ParamKind::Decibels { min, max } => ((plain - min) / (max - min)) as f64,
        // Skewed with factor 0.5 (`FloatRange::skew_factor(-1.0)`).
        ParamKind::Seconds { min, max } => (((plain - min) / (max - min)) as f64).sqrt(),
        ParamKind::Integer { min, .. } => (plain - min as f32) as f64,
        _ => plain as f64,
    }
}

pub fn change(plugin: &mut LoadedPlugin, sample: usize, id: ParamId, plain: f32) -> ParamChange {
    ParamChange {
        sample,
        id: plugin.param(id.spec().name).id,
        value: clap_value(id, plain),
    }
}

/// The audio processor between activation and deactivation. A host starts processing once and
/// keeps it started across `process` calls; nice-plug resets the plugin at every start.
enum Processor {
    Stopped(StoppedPluginAudioProcessor<TestHost>),
    Started(StartedPluginAudioProcessor<TestHost>),
}

impl Processor {
    fn start(self) -> StartedPluginAudioProcessor<TestHost> {
        match self {
            Processor::Stopped(p) => p.start_processing().expect("start processing"),
            Processor::Started(p) => p,
        }
    }

    fn stop(self) -> StoppedPluginAudioProcessor<TestHost> {
        match self {
            Processor::Stopped(p) => p,
            Processor::Started(p) => p.stop_processing(),
        }
    }
}

pub struct LoadedPlugin {
    instance: PluginInstance<TestHost>,
    processor: Option<Processor>,
    /// Sample rate of the current activation, and whether `process` keeps to real time.
    sample_rate: f64,
    real_time: bool,
    /// Where on a playing transport the next `process` call begins (None: no transport).
    timeline: Option<u64>,
    _entry: PluginEntry,
}

impl LoadedPlugin {
    pub fn load(path: &Path) -> Self {
        // SAFETY: the library is this project's own plugin.
        let entry = unsafe { PluginEntry::load(path) }.expect("load the .clap");
        // Keep the library loaded for the life of the process, as DAWs do: threads the plugin
        // started (its editor's window thread winds down asynchronously) must never outlive its
        // code.
        std::mem::forget(entry.clone());
        let id = CString::new(PLUGIN_ID).unwrap();
        {
            let factory = entry.get_plugin_factory().expect("plugin factory");
            assert!(
                factory
                    .plugin_descriptors()
                    .any(|d| d.id() == Some(id.as_c_str())),
                "plugin id {PLUGIN_ID} not in the factory"
            );
        }
        let info = HostInfo::new("Phasewright tests", "Phasewright", "", "1.0").unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| HostShared::default(),
            |_| HostMainThread,
            &entry,
            &id,
            &info,
        )
        .expect("instantiate");
        Self {
            instance,
            processor: None,
            sample_rate: 0.0,
            real_time: false,
            timeline: None,
            _entry: entry,
        }
    }

    pub fn new() -> Self {
        Self::load(&bundle())
    }

    pub fn params(&mut self) -> Vec<ParamDesc> {
        let handle = self.instance.plugin_handle();
        let ext: PluginParams = handle.get_extension().expect("params extension");
        (0..ext.count(&handle))
            .map(|i| {
                let mut buf = ParamInfoBuffer::new();
                let info = ext.get_info(&handle, i, &mut buf).expect("param info");
                ParamDesc {
                    id: info.id,
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    flags: info.flags,
                }
            })
            .collect()
    }

    /// The parameter shown to the user as `name`.
    pub fn param(&mut self, name: &str) -> ParamDesc {
        self.params()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
    }

    pub fn param_value(&mut self, id: ClapId) -> f64 {
        let handle = self.instance.plugin_handle();
        let ext: PluginParams = handle.get_extension().unwrap();
        ext.get_value(&handle, id).expect("param value")
    }

    pub fn ports(&mut self, input: bool) -> Vec<PortDesc> {
        let handle = self.instance.plugin_handle();
        let ext: PluginAudioPorts = handle.get_extension().expect("audio-ports extension");
        (0..ext.count(&handle, input))
            .map(|i| {
                let mut buf = AudioPortInfoBuffer::new();
                let info = ext.get(&handle, i, input, &mut buf).expect("port info");
                PortDesc {
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    channels: info.channel_count,
                }
            })
            .collect()
    }

    /// Selects the port configuration whose main bus has `channels` channels (before
    /// activating), as a host does for a mono track.
    pub fn select_main_channels(&mut self, channels: u32) {
        let handle = self.instance.plugin_handle();
        let ext: PluginAudioPortsConfig = handle.get_extension().expect("audio-ports-config");
        let id = (0..ext.count(&handle))
            .find_map(|i| {
                let mut buf = AudioPortsConfigBuffer::new();
                let config = ext.get(&handle, i, &mut buf)?;
                let main = config.main_input.as_ref()?;
                (main.channel_count == channels).then_some(config.id)
            })
            .unwrap_or_else(|| panic!("no configuration with {channels} main channels"));
        ext.select(&handle, id).expect("configuration selected");
    }

    pub fn set_render_mode(&mut self, offline: bool) {
        let handle = self.instance.plugin_handle();
        let ext: PluginRender = handle.get_extension().expect("render extension");
        let mode = if offline {
            RenderMode::Offline
        } else {
            RenderMode::Realtime
        };
        ext.set(&handle, mode).expect("render mode accepted");
    }

    /// Makes `process` report a playing transport for input whose first sample lies at
    /// `start` on the timeline (None: no transport). As a DAW compensating the plugin's
    /// latency, it reports the playhead, which is the latency behind the input (as seconds on
    /// CLAP's seconds timeline, with a tempo), before 0 while the input's start is closer.
    pub fn play_at(&mut self, start: Option<u64>) {
        self.timeline = start;
    }

    /// Makes `process` hand over each block no faster than a sound card would.
    pub fn pace_in_real_time(&mut self, on: bool) {
        self.real_time = on;
    }

    pub fn activate(&mut self, sample_rate: f64, max_block: u32) {
        self.deactivate();
        self.sample_rate = sample_rate;
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block,
        };
        let processor = self.instance.activate(|_, _| (), config).expect("activate");
        self.processor = Some(Processor::Stopped(processor));
        self.run_main_thread_callbacks();
    }

    pub fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop());
        }
    }

    /// Stops processing, as a host does when the transport stops or it suspends the plugin; the
    /// next `process` starts it again, and the plugin resets.
    pub fn stop_processing(&mut self) {
        let processor = self.processor.take().expect("activate first");
        self.processor = Some(Processor::Stopped(processor.stop()));
    }

    pub fn latency(&mut self) -> u32 {
        let handle = self.instance.plugin_handle();
        let ext: PluginLatency = handle.get_extension().expect("latency extension");
        ext.get(&handle)
    }

    /// True once the plugin has asked to be restarted (and clears the request).
    pub fn take_restart_request(&mut self) -> bool {
        self.run_main_thread_callbacks();
        self.instance
            .access_shared_handler(|h| h.restart_requested.swap(false, Ordering::SeqCst))
    }

    pub fn errors(&self) -> Vec<String> {
        self.instance
            .access_shared_handler(|h| h.errors.lock().unwrap().clone())
    }

    fn run_main_thread_callbacks(&mut self) {
        if self
            .instance
            .access_shared_handler(|h| h.callback_requested.swap(false, Ordering::SeqCst))
        {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Processes `main` (one vector per channel) in blocks of `block` frames on a separate audio
    /// thread, with `reference` on the sidechain (None: silence) and `changes` (sorted by
    /// sample) as events.
    pub fn process(
        &mut self,
        main: &[Vec<f32>],
        reference: Option<&[Vec<f32>]>,
        block: usize,
        changes: &[ParamChange],
    ) -> Vec<Vec<f32>> {
        self.process_blocks(main, reference, &[block], changes)
    }

    /// As `process`, with block sizes taken from `sizes` in turn (a host whose blocks vary).
    pub fn process_blocks(
        &mut self,
        main: &[Vec<f32>],
        reference: Option<&[Vec<f32>]>,
        sizes: &[usize],
        changes: &[ParamChange],
    ) -> Vec<Vec<f32>> {
        let silence = vec![vec![0.0f32; main[0].len()]; 2];
        self.process_with_sidechain(main, reference.unwrap_or(&silence), sizes, changes)
    }

    /// As `process_blocks`, with the sidechain's channels as given: none is a sidechain the
    /// host has not connected.
    pub fn process_with_sidechain(
        &mut self,
        main: &[Vec<f32>],
        reference: &[Vec<f32>],
        sizes: &[usize],
        changes: &[ParamChange],
    ) -> Vec<Vec<f32>> {
        let processor = self.processor.take().expect("activate first");
        let channels = main.len();
        let frames = main[0].len();
        let pace = self.real_time.then_some(self.sample_rate);
        let (timeline, rate) = (self.timeline, self.sample_rate);
        let latency = self.latency() as i64;
        let (processor, output) = std::thread::scope(|s| {
            s.spawn(move || {
                let began = std::time::Instant::now();
                let mut processor = processor.start();
                let mut output = vec![vec![0.0f32; frames]; channels];
                let mut inputs = AudioPorts::with_capacity(channels + 2, 2);
                let mut outputs = AudioPorts::with_capacity(channels, 1);
                let mut out_events = EventBuffer::new();
                let (mut start, mut k) = (0, 0);
                while start < frames {
                    let end = (start + sizes[k % sizes.len()]).min(frames);
                    k += 1;
                    let events: Vec<ParamValueEvent> = changes
                        .iter()
                        .filter(|c| c.sample >= start && c.sample < end)
                        .map(|c| {
                            ParamValueEvent::new(
                                (c.sample - start) as u32,
                                c.id,
                                Pckn::match_all(),
                                c.value,
                            )
                        })
                        .collect();
                    let mut main_in: Vec<Vec<f32>> =
                        main.iter().map(|c| c[start..end].to_vec()).collect();
                    let mut ref_in: Vec<Vec<f32>> =
                        reference.iter().map(|c| c[start..end].to_vec()).collect();
                    let mut out: Vec<Vec<f32>> = vec![vec![0.0; end - start]; channels];
                    let input_audio = inputs.with_input_buffers([
                        AudioPortBuffer {
                            latency: 0,
                            channels: AudioPortBufferType::f32_input_only(
                                main_in.iter_mut().map(InputChannel::variable),
                            ),
                        },
                        AudioPortBuffer {
                            latency: 0,
                            channels: AudioPortBufferType::f32_input_only(
                                ref_in.iter_mut().map(InputChannel::variable),
                            ),
                        },
                    ]);
                    let mut output_audio = outputs.with_output_buffers([AudioPortBuffer {
                        latency: 0,
                        channels: AudioPortBufferType::f32_output_only(
                            out.iter_mut().map(|c| c.as_mut_slice()),
                        ),
                    }]);
                    let playhead = timeline.map(|at| (at + start as u64) as i64 - latency);
                    let transport = playhead.map(|at| {
                        let seconds = at as f64 / rate;
                        let beats = seconds * 2.0;
                        TransportEvent {
                            header: EventHeader::new_core(0, EventFlags::empty()),
                            flags: TransportFlags::IS_PLAYING
                                | TransportFlags::HAS_SECONDS_TIMELINE
                                | TransportFlags::HAS_BEATS_TIMELINE
                                | TransportFlags::HAS_TEMPO,
                            song_pos_beats: BeatTime::from_float(beats),
                            song_pos_seconds: SecondsTime::from_float(seconds),
                            tempo: 120.0,
                            tempo_inc: 0.0,
                            loop_start_beats: BeatTime::default(),
                            loop_end_beats: BeatTime::default(),
                            loop_start_seconds: SecondsTime::default(),
                            loop_end_seconds: SecondsTime::default(),
                            bar_start: BeatTime::default(),
                            bar_number: 0,
                            time_signature_numerator: 4,
                            time_signature_denominator: 4,
                        }
                    });
                    let in_events = InputEvents::from_buffer(&events);
                    out_events.clear();
                    let mut out_ev = OutputEvents::from_buffer(&mut out_events);
                    processor
                        .process(
                            &input_audio,
                            &mut output_audio,
                            &in_events,
                            &mut out_ev,
                            None,
                            transport.as_ref(),
                        )
                        .expect("process");
                    for (o, c) in output.iter_mut().zip(&out) {
                        o[start..end].copy_from_slice(c);
                    }
                    start = end;
                    if let Some(rate) = pace {
                        let due = std::time::Duration::from_secs_f64(start as f64 / rate);
                        std::thread::sleep(due.saturating_sub(began.elapsed()));
                    }
                }
                (Processor::Started(processor), output)
            })
            .join()
            .expect("audio thread panicked")
        });
        self.processor = Some(processor);
        self.run_main_thread_callbacks();
        output
    }

    /// Embeds the editor in the X11 window `parent` and shows it; returns the editor's size.
    pub fn open_editor(&mut self, parent: u32) -> GuiSize {
        let handle = self.instance.plugin_handle();
        let gui: PluginGui = handle.get_extension().expect("gui extension");
        let config = GuiConfiguration {
            api_type: GuiApiType::X11,
            is_floating: false,
        };
        gui.create(&handle, config).expect("create the editor");
        // SAFETY: `parent` is a live X11 window the caller keeps open until `close_editor`.
        unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent as _)) }
            .expect("set parent");
        gui.show(&handle).expect("show the editor");
        gui.get_size(&handle).expect("editor size")
    }

    pub fn close_editor(&mut self) {
        let handle = self.instance.plugin_handle();
        let gui: PluginGui = handle.get_extension().expect("gui extension");
        gui.destroy(&handle);
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let ext: PluginState = handle.get_extension().expect("state extension");
        let mut bytes = Vec::new();
        ext.save(&handle, &mut bytes).expect("save state");
        bytes
    }

    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let handle = self.instance.plugin_handle();
        let ext: PluginState = handle.get_extension().expect("state extension");
        let result = ext
            .load(&handle, &mut &bytes[..])
            .map_err(|e| format!("{e:?}"));
        self.run_main_thread_callbacks();
        result
    }
}

impl Drop for LoadedPlugin {
    fn drop(&mut self) {
        self.deactivate();
    }
}
