//! FIR taps as files and as plugin state: `{"sample_rate": .., "taps": [..], "metadata": {..}}`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::dsp::fir::FirKernel;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TapsFile {
    /// The rate the taps were designed or trained at.
    pub sample_rate: f32,
    pub taps: Vec<f32>,
    /// Free-form: how the taps were made (method, data, figures).
    #[serde(default)]
    pub metadata: serde_json::Value,
}

impl TapsFile {
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read taps file '{}': {e}", path.display()))?;
        let taps: Self = serde_json::from_str(&text)
            .map_err(|e| format!("'{}' is not a taps file: {e}", path.display()))?;
        taps.validate()
            .map_err(|e| format!("'{}': {e}", path.display()))?;
        Ok(taps)
    }

    pub fn write(&self, path: &std::path::Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write '{}': {e}", path.display()))
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0) {
            return Err(format!("sample rate {} is not valid", self.sample_rate));
        }
        FirKernel::new(&self.taps).map(|_| ())
    }
}

/// The taps an instance should use, shared by the editor, the host's state and the engine. The
/// engine notices a new generation and has its worker build the filter.
#[derive(Default)]
pub struct TapsSlot {
    taps: RwLock<Option<TapsFile>>,
    generation: AtomicU64,
    /// What the worker made of the last taps: empty when all is well, else an error or warning.
    status: Mutex<String>,
}

impl TapsSlot {
    /// Replaces the taps (None: back to the identity filter) and returns their generation. Not
    /// for the audio thread.
    pub fn set(&self, taps: Option<TapsFile>) -> u64 {
        let mut slot = self.taps.write().unwrap_or_else(|e| e.into_inner());
        *slot = taps;
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub fn get(&self) -> Option<TapsFile> {
        self.taps.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Lock-free: what the audio thread checks each block.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn status(&self) -> String {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_status(&self, text: String) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = text;
    }
}
