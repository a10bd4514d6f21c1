//! Learning the denoiser's taps: least squares (`taps`) and the lab's gradient descent (`sgd`)
//! from (noisy, clean) pairs; noise spectra and Wiener design (`noise`); learning while the
//! plugin plays (`live`); quality figures (`metrics`).

pub mod live;
pub mod metrics;
pub mod noise;
pub mod sgd;
pub mod taps;

/// One (noisy, clean) training pair of equally long mono signals.
#[derive(Clone, Debug)]
pub struct Pair {
    /// File stem shared by the two files (e.g. `0007`).
    pub name: String,
    pub sample_rate: u32,
    pub noisy: Vec<f32>,
    pub clean: Vec<f32>,
    /// The kind of noise, when a `pairs.csv` beside the files says.
    pub noise_type: Option<String>,
}
