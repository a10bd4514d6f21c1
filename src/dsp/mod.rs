//! Pure signal-processing primitives: they import nothing outside `dsp`, and nothing here
//! allocates after construction except `filter_response`, which the editor and CLI call off the
//! audio thread.

pub mod denormal;
pub mod fast_math;
pub mod filter_response;
pub mod fir;
pub mod mel;
pub mod real_fft;
pub mod resample_taps;
pub mod smoother;
pub mod stft;
pub mod wide;
