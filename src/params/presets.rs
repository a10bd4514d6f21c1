//! Factory presets: a starting point for each main use. A preset names the settings it
//! changes, in the same words as `--set` and preset files (`ParamSpec::parse`); every other
//! parameter goes back to its default, so a preset always sounds the same. The editor offers
//! them, `phasewright render --preset NAME` takes them, and a project saves the values.

use super::{letters, ParamId, ALL_PARAMS};

pub struct Preset {
    pub name: &'static str,
    /// What it is for, in a sentence.
    pub purpose: &'static str,
    settings: &'static [(&'static str, &'static str)],
}

pub const FACTORY: [Preset; 5] = [
    Preset {
        name: "Hum and hiss: learn noise profile",
        purpose: "Hold Learn over a passage of noise alone; the denoiser learns to remove it.",
        settings: &[("denoise_mode", "noise_profile"), ("denoise_taps", "512")],
    },
    Preset {
        name: "Voice cleanup: adaptive",
        purpose: "Learns the noise between words as it plays, with no noise-only passage.",
        settings: &[("denoise_mode", "adaptive")],
    },
    Preset {
        name: "Phase reset robot",
        purpose: "Every frame's phase set to zero: a monotone, robotic voice (10 dB of output gain make up most of the 12 to 15 dB the pulses lose).",
        settings: &[
            ("denoise_enable", "off"),
            ("spec_window", "1024"),
            ("spec_phase", "zero"),
            ("out_gain", "10"),
        ],
    },
    Preset {
        name: "Spectral shuffle (PCA segments)",
        purpose: "Half-second segments replayed in the order of their frames' first principal component.",
        settings: &[
            ("denoise_enable", "off"),
            ("reorder_mode", "segment"),
            ("reorder_length", "0.5"),
            ("phase_mode", "rebuild"),
        ],
    },
    Preset {
        name: "Frozen texture",
        purpose: "Turn Capture on: the last two seconds become a texture resynthesised from their scattering coefficients.",
        settings: &[
            ("denoise_enable", "off"),
            ("reorder_mode", "capture"),
            ("reorder_order", "texture"),
            ("reorder_length", "2"),
        ],
    },
];

impl Preset {
    /// The factory preset called `name` (case, spaces and punctuation aside).
    pub fn find(name: &str) -> Option<&'static Preset> {
        FACTORY.iter().find(|p| letters(p.name) == letters(name))
    }

    /// Every parameter's plain value under this preset.
    pub fn values(&self) -> Vec<(ParamId, f32)> {
        ALL_PARAMS
            .iter()
            .map(|&id| {
                let given = self.settings.iter().find(|(s, _)| *s == id.spec().id);
                let value = given.map_or(id.spec().default, |(_, text)| {
                    id.spec()
                        .parse(text)
                        .expect("factory presets hold valid values")
                });
                (id, value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factory_preset_names_real_parameters_with_valid_values_and_differs_from_the_defaults()
    {
        for preset in &FACTORY {
            for (id, text) in preset.settings {
                let id = ParamId::from_id(id).unwrap_or_else(|| panic!("{}: {id}", preset.name));
                let value = id.spec().parse(text).unwrap();
                assert_ne!(
                    value,
                    id.spec().default,
                    "{}: {} is the default",
                    preset.name,
                    text
                );
            }
            let values = preset.values();
            assert_eq!(values.len(), ALL_PARAMS.len());
            assert!(Preset::find(&preset.name.to_uppercase()).is_some());
        }
        assert!(Preset::find("no such preset").is_none());
    }
}
