//! The test host's side of CLAP: the extensions it offers a plugin (log, gui, params, state,
//! latency) and the requests it records for the tests to read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_extensions::latency::{HostLatency, HostLatencyImpl};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
};
use clack_extensions::state::{HostState, HostStateImpl};
use clack_host::prelude::*;

pub struct TestHost;

#[derive(Default)]
pub struct HostShared {
    pub restart_requested: AtomicBool,
    pub callback_requested: AtomicBool,
    /// Errors and misbehaviour the plugin logged.
    pub errors: Mutex<Vec<String>>,
}

pub struct HostMainThread;

impl<'a> SharedHandler<'a> for HostShared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostLogImpl for HostShared {
    fn log(&self, severity: LogSeverity, message: &str) {
        if matches!(
            severity,
            LogSeverity::Error
                | LogSeverity::Fatal
                | LogSeverity::PluginMisbehaving
                | LogSeverity::HostMisbehaving
        ) {
            self.errors.lock().unwrap().push(message.to_string());
        }
    }
}

/// nice-plug's CLAP wrapper aborts if the host lacks the gui extension when the editor is made.
impl HostGuiImpl for HostShared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _: GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _: bool) {}
}

impl HostParamsImplShared for HostShared {
    fn request_flush(&self) {}
}

impl MainThreadHandler<'_> for HostMainThread {}

impl HostParamsImplMainThread for HostMainThread {
    fn rescan(&self, _: ParamRescanFlags) {}
    fn clear(&self, _: ClapId, _: ParamClearFlags) {}
}

impl HostLatencyImpl for HostMainThread {
    fn changed(&self) {}
}

impl HostStateImpl for HostMainThread {
    fn mark_dirty(&self) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = HostShared;
    type MainThread<'a> = HostMainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostGui>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostLatency>();
    }
}
