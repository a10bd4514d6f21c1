//! The command line's tools: audio files, offline rendering through the engine, pictures, the
//! demo signal, whole-file reordering, and the evaluation helpers (training pairs, test mixes).
//! The plugin itself uses none of this.

pub mod demo;
pub mod io;
pub mod mixes;
pub mod pairs;
pub mod plot;
pub mod render;
pub mod reorder_file;
