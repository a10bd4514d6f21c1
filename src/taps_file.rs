//! FIR taps as files and as plugin state: `{"sample_rate": .., "taps": [..], "metadata": {..}}`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::dsp::fir::FirKernel;
use crate::dsp::resample_taps::resample_taps;

/// Taps carried to another rate are used if their response stays within this of the
/// original's (against its peak gain).
const MAX_RESAMPLING_ERROR_DB: f64 = -30.0;

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

    /// The taps for use at `rate`: as they are, or carried over (the same response, no delay)
    /// with a note saying so; an error if carrying them would change their sound.
    pub fn at_rate(&self, rate: f32) -> Result<(Vec<f32>, String), String> {
        if self.sample_rate == rate {
            return Ok((self.taps.clone(), String::new()));
        }
        let moved = resample_taps(&self.taps, self.sample_rate, rate);
        if moved.error_db > MAX_RESAMPLING_ERROR_DB {
            return Err(format!(
                "taps made at {} Hz are not used at {rate} Hz: carried over, their response \
                 would change by {:.0} dB; learn again, or use taps made at this rate",
                self.sample_rate, moved.error_db
            ));
        }
        let note = format!(
            "taps made at {} Hz, resampled to {rate} Hz (response within {:.0} dB)",
            self.sample_rate, moved.error_db
        );
        Ok((moved.taps, note))
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
