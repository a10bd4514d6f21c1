//! Following a host's transport: the engine's timeline (see `Engine::locate`) is the host's
//! sample position while its transport plays. Hosts differ in what they report: a position
//! that stands still while the transport is stopped (live input), positions derived from
//! seconds and rounded, and, inside blocks the plugin framework splits for sample-accurate
//! automation, positions not moved on by the split (nice-plug's CLAP wrapper without a tempo).
//! So the engine is placed exactly when playback starts, and after that only a jump of at
//! least a host block counts as a new place (a locate, a loop); smaller disagreements are
//! the host's rounding and are ignored.
//!
//! The position a host reports is its playhead's. To compensate the plugin's latency, it
//! feeds the plugin audio that far ahead of the playhead (Ardour 7 does, measured through
//! `tests/daw.rs`), so the input's place on the timeline is the reported one plus the latency.

use super::Engine;

pub struct Transport {
    /// The engine was placed since the transport started playing.
    placed: bool,
    /// Smallest difference that is a jump: the host's largest block.
    jump: u64,
}

impl Transport {
    pub fn new(max_block: u32) -> Self {
        Self {
            placed: false,
            jump: max_block.max(1) as u64,
        }
    }

    /// After the engine was reset: place it again at the next block.
    pub fn unplace(&mut self) {
        self.placed = false;
    }

    /// Before each block: whether the transport plays and where (samples), if the host says.
    pub fn follow(&mut self, engine: &mut Engine, playing: bool, position: Option<i64>) {
        // A playhead before 0 (a pre-roll) may already feed input that lies after it.
        let input = position.map(|p| p.saturating_add(engine.latency() as i64));
        let Some(position) = input.filter(|p| playing && *p >= 0) else {
            self.placed = false;
            return;
        };
        let position = position as u64;
        if !self.placed || position.abs_diff(engine.position()) >= self.jump {
            engine.locate(position);
            self.placed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::{EngineConfig, EngineShared};
    use crate::worker::Executor;

    fn engine() -> Engine {
        let config = EngineConfig::new(48000.0, 1, Executor::Inline { permit: |f| f() });
        Engine::new(config, Arc::new(EngineShared::default())).unwrap()
    }

    fn play(engine: &mut Engine, samples: usize) {
        let mut block = vec![0.0f32; samples];
        engine.process(&mut [&mut block[..]], None::<&[&[f32]]>);
    }

    #[test]
    fn the_engine_is_placed_at_the_playhead_plus_its_latency_and_moves_only_on_jumps() {
        let mut e = engine();
        let latency = e.latency() as u64;
        let mut transport = Transport::new(512);
        // Stopped: the engine runs on from 0.
        transport.follow(&mut e, false, Some(10_000));
        play(&mut e, 512);
        assert_eq!(e.position(), 512);
        // Playback starts: placed exactly, the input lying the latency ahead of the playhead.
        transport.follow(&mut e, true, Some(10_000));
        assert_eq!(e.position(), 10_000 + latency);
        play(&mut e, 512);
        // A host whose split blocks lag by less than a block is not a jump.
        transport.follow(&mut e, true, Some(10_000 + 100));
        assert_eq!(e.position(), 10_512 + latency);
        // A locate is.
        transport.follow(&mut e, true, Some(90_000));
        assert_eq!(e.position(), 90_000 + latency);
        // A pre-roll before 0 still places the input that lies after it.
        transport.follow(&mut e, false, None);
        transport.follow(&mut e, true, Some(-(latency as i64)));
        assert_eq!(e.position(), 0);
        transport.follow(&mut e, true, Some(-(latency as i64) - 1));
        assert_eq!(
            e.position(),
            0,
            "input before the timeline: left where it was"
        );
    }
}
