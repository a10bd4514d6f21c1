//! Signal processing that runs in the audio callback. Nothing here allocates after construction.

pub mod denormal;
pub mod fir;
pub mod frame_ops;
pub mod reorder;
pub mod smoother;
pub mod stft;
pub mod window;
