//! Learning that runs off the audio thread (on the worker or from the command line).

pub mod metrics;
pub mod pairs;
pub mod sgd;
pub mod taps;
