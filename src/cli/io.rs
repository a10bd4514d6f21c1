//! Reading and writing WAV files for the command line, with errors that say what is wrong.

use std::path::Path;

/// Sample formats the command line writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    I16,
    I24,
    F32,
}

/// Audio as the engine sees it: one vector per channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
    /// The file's own format, which output keeps by default.
    pub format: SampleFormat,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, |c| c.len())
    }
}

pub fn read_wav(path: &Path) -> Result<Audio, String> {
    let name = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("'{name}' is empty or cut short before its audio starts")
        }
        hound::Error::IoError(e) => format!("cannot open '{name}': {e}"),
        hound::Error::FormatError(why) => format!("'{name}' is not a readable WAV file ({why})"),
        hound::Error::Unsupported => format!("'{name}' uses a WAV encoding that is not supported"),
        e => format!("'{name}': {e}"),
    })?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if !(1..=2).contains(&channels) {
        return Err(format!(
            "'{name}' has {channels} channels; Phasewright takes mono or stereo"
        ));
    }
    let promised = reader.len() as usize;
    let (format, samples): (SampleFormat, Vec<Result<f32, hound::Error>>) =
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => {
                (SampleFormat::F32, reader.into_samples::<f32>().collect())
            }
            (hound::SampleFormat::Int, bits @ 8..=32) => {
                let scale = 1.0 / (1u64 << (bits - 1)) as f32;
                let format = if bits <= 16 {
                    SampleFormat::I16
                } else if bits <= 24 {
                    SampleFormat::I24
                } else {
                    SampleFormat::F32
                };
                (
                    format,
                    reader
                        .into_samples::<i32>()
                        .map(|s| s.map(|v| v as f32 * scale))
                        .collect(),
                )
            }
            (kind, bits) => {
                return Err(format!(
                    "'{name}' holds {bits}-bit {kind:?} samples, which are not supported"
                ))
            }
        };
    let mut data = Vec::with_capacity(samples.len());
    for s in samples {
        match s {
            Ok(v) => data.push(v),
            Err(_) => {
                return Err(format!(
                "'{name}' is truncated: its header promises {promised} samples, the file holds {}",
                data.len()
            ))
            }
        }
    }
    if data.is_empty() {
        return Err(format!("'{name}' contains no audio"));
    }
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "'{name}' contains a non-finite sample at index {i}"
        ));
    }
    let frames = data.len() / channels;
    let channels = (0..channels)
        .map(|c| (0..frames).map(|i| data[i * channels + c]).collect())
        .collect();
    Ok(Audio {
        sample_rate: spec.sample_rate,
        channels,
        format,
    })
}

/// Writes `audio` as `format`; returns how many samples had to be clipped to fit an integer format.
pub fn write_wav(path: &Path, audio: &Audio, format: SampleFormat) -> Result<usize, String> {
    let (bits, sample_format) = match format {
        SampleFormat::I16 => (16, hound::SampleFormat::Int),
        SampleFormat::I24 => (24, hound::SampleFormat::Int),
        SampleFormat::F32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate,
        bits_per_sample: bits,
        sample_format,
    };
    let fail = |e: hound::Error| format!("cannot write '{}': {e}", path.display());
    let mut writer = hound::WavWriter::create(path, spec).map_err(fail)?;
    let full_scale = (1i64 << (bits - 1)) as f32;
    let mut clipped = 0;
    for i in 0..audio.frames() {
        for chan in &audio.channels {
            let v = chan[i];
            match format {
                SampleFormat::F32 => writer.write_sample(v).map_err(fail)?,
                _ => {
                    let q = (v * full_scale).round();
                    if q >= full_scale || q < -full_scale {
                        clipped += 1;
                    }
                    writer
                        .write_sample(q.clamp(-full_scale, full_scale - 1.0) as i32)
                        .map_err(fail)?
                }
            }
        }
    }
    writer.finalize().map_err(fail)?;
    Ok(clipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Audio {
        Audio {
            sample_rate: 44100,
            channels: vec![vec![0.0, 0.5, -0.5, 0.25], vec![0.1, -0.1, 0.2, -1.0]],
            format: SampleFormat::F32,
        }
    }

    #[test]
    fn every_format_round_trips_within_its_resolution() {
        let dir = tempfile::tempdir().unwrap();
        for (format, tolerance) in [
            (SampleFormat::F32, 0.0),
            (SampleFormat::I24, 1.0 / 8388608.0),
            (SampleFormat::I16, 1.0 / 32768.0),
        ] {
            let path = dir.path().join("x.wav");
            assert_eq!(write_wav(&path, &sample(), format).unwrap(), 0);
            let back = read_wav(&path).unwrap();
            assert_eq!(back.format, format);
            for (a, b) in back
                .channels
                .iter()
                .flatten()
                .zip(sample().channels.iter().flatten())
            {
                assert!((a - b).abs() <= tolerance, "{format:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn broken_files_get_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.wav");
        write_wav(&good, &sample(), SampleFormat::I16).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let cases = [
            ("empty.wav", Vec::new(), "empty"),
            (
                "text.wav",
                b"hello, not audio at all".to_vec(),
                "not a readable WAV",
            ),
            ("cut.wav", bytes[..bytes.len() - 3].to_vec(), "truncated"),
        ];
        for (file, content, expected) in cases {
            let path = dir.path().join(file);
            std::fs::write(&path, content).unwrap();
            let err = read_wav(&path).unwrap_err();
            assert!(err.contains(expected), "{file}: {err}");
        }
        let err = read_wav(&dir.path().join("missing.wav")).unwrap_err();
        assert!(err.contains("cannot open"), "{err}");
    }
}
