//! Building kernel handles: the portable kernel, and a microkernel bound
//! to the generic drivers.

use std::marker::PhantomData;

use crate::blocking::TilingParams;
use crate::frame;
use crate::isa::IsaLevel;
use crate::kernels::micro::{ArgTile, MicroKernel, TileC};
use crate::kernels::portable;
use crate::semiring::kernel::{BatchFn, GemmFn, TileInfo};
use crate::semiring::{ArgKernel, Kernel, SelectingSemiring, Semiring};

impl<S: Semiring> Kernel<S> {
    /// The portable kernel, correct for every semiring on every CPU.
    pub fn portable() -> Self {
        // SAFETY: the portable kernel uses no instruction beyond the
        // target's baseline.
        unsafe { Self::from_microkernel::<portable::PortableKernel>("portable", IsaLevel::Scalar) }
    }

    /// Binds a microkernel to the generic driver.
    ///
    /// # Safety
    /// The CPU must have `K`'s instructions: the returned value runs them
    /// from safe code.
    pub(crate) unsafe fn from_microkernel<K: MicroKernel<S, Out = TileC<S::Scalar>>>(
        name: &'static str,
        isa: IsaLevel,
    ) -> Self {
        Self {
            tile: tile_info::<S, K>(name, isa),
            a_spread: K::A_SPREAD,
            small_tile: (K::MR, K::NR),
            packed: frame::packed::gemm_packed::<S, K>,
            small: frame::small::gemm_small::<S>,
            batch: None,
            probe: portable::probe::<S>,
            _semiring: PhantomData,
        }
    }

    /// Replaces the small-matrix routine (SIMD kernels bind their own),
    /// whose tallest tile is `small_tile` (rows, columns).
    pub(crate) fn with_small(self, small: GemmFn<S>, small_tile: (usize, usize)) -> Self {
        Self {
            small,
            small_tile,
            ..self
        }
    }

    /// Adds a batch entry (SIMD kernels bind their own).
    pub(crate) fn with_batch(self, batch: BatchFn<S::Scalar>) -> Self {
        Self {
            batch: Some(batch),
            ..self
        }
    }

    /// Replaces the peak probe (SIMD kernels bind their own).
    pub(crate) fn with_probe(self, probe: fn(usize) -> u64) -> Self {
        Self { probe, ..self }
    }

    /// The block sizes this kernel gets from the detected cache sizes,
    /// ignoring any tuned table or file: what the tuner measures its
    /// candidates against.
    pub fn cache_derived_tiling(&self) -> TilingParams {
        crate::binding::tuning::derived_tiling(
            std::mem::size_of::<S::Scalar>(),
            self.a_spread,
            self.mr(),
            self.nr(),
        )
    }
}

impl<S: SelectingSemiring> ArgKernel<S> {
    /// The portable argmax kernel, correct for every selecting semiring.
    pub fn portable() -> Self {
        // SAFETY: the portable kernel uses no instruction beyond the
        // target's baseline.
        unsafe {
            Self::from_microkernel::<portable::PortableArgKernel>("portable-arg", IsaLevel::Scalar)
        }
    }

    /// Binds an argmax microkernel to the generic driver.
    ///
    /// # Safety
    /// The CPU must have `K`'s instructions: the returned value runs them
    /// from safe code.
    pub(crate) unsafe fn from_microkernel<K: MicroKernel<S, Out = ArgTile<S::Scalar>>>(
        name: &'static str,
        isa: IsaLevel,
    ) -> Self {
        Self {
            tile: tile_info::<S, K>(name, isa),
            packed: frame::packed::gemm_packed_arg::<S, K>,
            small: frame::small::gemm_small_arg::<S>,
        }
    }
}

/// The name, level and register tile of a handle for microkernel `K`.
fn tile_info<S: Semiring, K: MicroKernel<S>>(name: &'static str, isa: IsaLevel) -> TileInfo {
    TileInfo {
        name,
        isa,
        mr: K::MR,
        nr: K::NR,
    }
}
