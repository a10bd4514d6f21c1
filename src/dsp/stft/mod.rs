//! The one short-time Fourier transform of Phasewright: windows (`window`), the framing and FFT
//! of one frame (`frame`), the real-time streaming transform of the audio callback
//! (`streaming`), and the whole-signal transform pair with librosa's conventions (`signal`) that
//! the command line, the noise estimator and the worker use. Every path windows and transforms
//! a frame through `FrameAnalysis`, so they agree on window and scaling.

mod frame;
pub mod signal;
mod streaming;
pub mod window;

pub use frame::{FrameAnalysis, FrameSynthesis, StreamAnalyzer};
pub use signal::{istft, stft, SignalTransform, StftLayout};
pub use streaming::{FrameBuffers, StreamingStft, MAX_WINDOW, OVERLAPS, WINDOW_SIZES};
