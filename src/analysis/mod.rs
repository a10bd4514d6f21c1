//! Worker-side algorithms: what runs off the audio thread, on the worker or from the command
//! line. No file I/O and no plugin framework here.

pub mod denoise;
pub mod optim;
pub mod order;
pub mod phase;
pub mod scattering;
