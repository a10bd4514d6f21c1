//! Learning that runs off the audio thread (on the worker or from the command line).

pub mod embed;
pub mod features;
pub mod live;
pub mod metrics;
pub mod mixes;
pub mod pairs;
pub mod sgd;
pub mod spectral;
pub mod taps;
pub mod tsne;
