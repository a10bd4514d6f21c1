//! What the benches share: real speech, fed as a host feeds a plugin.

use phasewright::cli::io::read_wav;

/// Frames per host block in every bench.
pub const BLOCK: usize = 512;

/// A speech file from `../shared/data` (mono) and its sample rate.
pub fn speech(file: &str) -> (u32, Vec<f32>) {
    let path = format!(
        "{}/../shared/data/speech/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let audio =
        read_wav(std::path::Path::new(&path)).expect("../shared/data beside the repository");
    (audio.sample_rate, audio.channels[0].clone())
}

/// Successive stereo blocks of `signal` (the same on both channels), looping at its end.
pub struct Blocks<'a> {
    signal: &'a [f32],
    pos: usize,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl<'a> Blocks<'a> {
    pub fn new(signal: &'a [f32]) -> Self {
        Self {
            signal,
            pos: 0,
            left: vec![0.0; BLOCK],
            right: vec![0.0; BLOCK],
        }
    }

    /// Loads the next block into `left` and `right`.
    pub fn advance(&mut self) {
        if self.pos + BLOCK > self.signal.len() {
            self.pos = 0;
        }
        let next = &self.signal[self.pos..self.pos + BLOCK];
        self.left.copy_from_slice(next);
        self.right.copy_from_slice(next);
        self.pos += BLOCK;
    }
}
