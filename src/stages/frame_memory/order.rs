//! The orders frames of the memory play in: the `reorder_order` options, their settings, and
//! the orders drawn rather than computed (reverse, seeded random).

use rand::{Rng, SeedableRng};

use crate::analysis::order::{Embedding, OrderSettings};

crate::choice! {
    /// The order frames of the memory play in: the `reorder_order` options.
    pub enum FrameOrder {
        Reverse = "Reverse",
        /// A seeded random permutation, drawn afresh for each segment or pass of a capture.
        Random = "Random",
        Pca = "PCA",
        Tsne = "t-SNE",
        /// A nearest-neighbour walk that plays every frame once.
        Walk = "Walk",
        /// The capture's loop in order, resynthesised from its scattering coefficients (the
        /// texture stage); elsewhere, frames play in order.
        Texture = "Texture",
    }
}

impl FrameOrder {
    /// The orders the worker computes from the frames' features.
    pub(super) fn embedding(self) -> Option<Embedding> {
        match self {
            FrameOrder::Reverse | FrameOrder::Random | FrameOrder::Texture => None,
            FrameOrder::Pca => Some(Embedding::Pca),
            FrameOrder::Tsne => Some(Embedding::Tsne),
            FrameOrder::Walk => Some(Embedding::Walk),
        }
    }
}

/// How frames are ordered (the live parameters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameOrderSettings {
    pub order: FrameOrder,
    /// What the worker is asked for similarity orders; `seed` also seeds random orders.
    pub similarity: OrderSettings,
}

impl Default for FrameOrderSettings {
    fn default() -> Self {
        Self {
            order: FrameOrder::Pca,
            similarity: OrderSettings {
                // Every order is a permutation: the walk never repeats a frame in a pass.
                memory: usize::MAX,
                ..OrderSettings::default()
            },
        }
    }
}

/// Fills `order` with a reverse, random (seeded by the settings and `draw`) or the natural
/// order (Texture); false
/// for similarity orders, which the worker computes.
pub(super) fn draw_order(settings: &FrameOrderSettings, order: &mut [usize], draw: u64) -> bool {
    let len = order.len();
    match settings.order {
        FrameOrder::Reverse => {
            for (i, o) in order.iter_mut().enumerate() {
                *o = len - 1 - i;
            }
            true
        }
        FrameOrder::Random => {
            let key = settings.similarity.seed << 40 ^ draw.wrapping_mul(0x9e37_79b9);
            let mut rng = rand::rngs::StdRng::seed_from_u64(key);
            for (i, o) in order.iter_mut().enumerate() {
                *o = i;
            }
            for i in (1..len).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            true
        }
        FrameOrder::Texture => {
            for (i, o) in order.iter_mut().enumerate() {
                *o = i;
            }
            true
        }
        _ => false,
    }
}
