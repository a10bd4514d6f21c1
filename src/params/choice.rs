//! Parameters that choose one of a list of named options. Each list is declared once, with the
//! `choice!` macro, beside the code that uses it: the enum, its names in parameter order (what
//! hosts show and `--set` accepts), and the mapping from a plain value all come from that one
//! declaration.

/// A list of named options whose plain value is the index into `NAMES`.
pub trait Choice: Copy + Eq + std::fmt::Debug + 'static {
    const NAMES: &'static [&'static str];
    /// The option of a plain value; out-of-range indices take the last option.
    fn from_index(index: usize) -> Self;
    fn index(self) -> usize;
}

/// Declares an enum of options and its `Choice` names:
/// `choice! { pub enum Mode { Off = "Off", On = "On" } }`. Attributes on the enum and on each
/// option pass through (derives, doc comments, `clap` and `serde` names).
#[macro_export]
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$option_meta:meta])* $option:ident = $label:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$option_meta])* $option),+
        }

        impl $crate::params::Choice for $name {
            const NAMES: &'static [&'static str] = &[$($label),+];

            fn from_index(index: usize) -> Self {
                const ALL: &[$name] = &[$($name::$option),+];
                ALL[index.min(ALL.len() - 1)]
            }

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

#[cfg(test)]
pub(crate) fn round_trips<C: Choice>() {
    for (i, name) in C::NAMES.iter().enumerate() {
        let option = C::from_index(i);
        assert_eq!(option.index(), i, "{name}");
    }
    assert_eq!(
        C::from_index(C::NAMES.len() + 3).index(),
        C::NAMES.len() - 1
    );
}
