//! The counting tropical kernels' binding: the `#[target_feature]` tile
//! entries (declared in `binding::avx2` and `binding::avx512` by
//! `binding::entries::counting_tile_entry!`, so that the vzeroupper check of CI sees them
//! as `binding::{avx2,avx512}::counting_tile_entry`), the tile shape per
//! ISA and value type, and the ladder that picks one.

use crate::binding::dispatch::detected_isa;
use crate::isa::IsaLevel;
use crate::kernels::counting::{PORTABLE_MR, PORTABLE_NR, portable_tile};
use crate::semiring::counting::{CountValue, CountingKernel, CountingSemiring, CountingTileFn};

/// A tile entry with its name and shape (MR, NR).
type Tile<T> = (&'static str, CountingTileFn<T>, usize, usize);

/// The SIMD tiles of one value type, per ISA and direction. The tile
/// rows are what the registers hold: a row is a value register and its
/// count registers, and the tile leaves room for B's row and temporaries
/// (AVX-512, 32 zmm: 8 rows × 3 for f32, 12 × 2 for f64; AVX2, 16 ymm:
/// 3 × 3 for f32, 4 × 2 for f64).
pub(crate) trait CountingSimd: CountValue {
    /// The AVX-512 tile.
    #[cfg(target_arch = "x86_64")]
    fn avx512_tile<const MAX: bool>() -> Tile<Self>;
    /// The AVX2 tile.
    #[cfg(target_arch = "x86_64")]
    fn avx2_tile<const MAX: bool>() -> Tile<Self>;
}

#[cfg(target_arch = "x86_64")]
impl CountingSimd for f32 {
    fn avx512_tile<const MAX: bool>() -> Tile<f32> {
        use crate::kernels::counting::avx512::F32x16;
        let tile = crate::binding::avx512::counting_tile_entry::<F32x16, MAX, 8>;
        ("avx512-count-8x16", tile, 8, 16)
    }
    fn avx2_tile<const MAX: bool>() -> Tile<f32> {
        use crate::kernels::counting::avx2::F32x8;
        let tile = crate::binding::avx2::counting_tile_entry::<F32x8, MAX, 3>;
        ("avx2-count-3x8", tile, 3, 8)
    }
}

#[cfg(target_arch = "x86_64")]
impl CountingSimd for f64 {
    fn avx512_tile<const MAX: bool>() -> Tile<f64> {
        use crate::kernels::counting::avx512::F64x8;
        let tile = crate::binding::avx512::counting_tile_entry::<F64x8, MAX, 12>;
        ("avx512-count-12x8", tile, 12, 8)
    }
    fn avx2_tile<const MAX: bool>() -> Tile<f64> {
        use crate::kernels::counting::avx2::F64x4;
        let tile = crate::binding::avx2::counting_tile_entry::<F64x4, MAX, 4>;
        ("avx2-count-4x4", tile, 4, 4)
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl CountingSimd for f32 {}
#[cfg(not(target_arch = "x86_64"))]
impl CountingSimd for f64 {}

/// The portable counting kernel of `S`: always sound.
pub(crate) fn portable<S: CountingSemiring>() -> CountingKernel<S> {
    CountingKernel {
        name: "portable-count-4x8",
        level: IsaLevel::Scalar,
        mr: PORTABLE_MR,
        nr: PORTABLE_NR,
        tile: portable_tile::<S>,
    }
}

/// The best counting kernel for `S` at or below `level` that this CPU
/// runs: the check on the detected level is what makes the SIMD tiles
/// sound to call.
pub(crate) fn select<S>(level: IsaLevel) -> CountingKernel<S>
where
    S: CountingSemiring<Value: CountingSimd>,
{
    #[cfg(target_arch = "x86_64")]
    {
        let (name, tile, mr, nr, level) = match level.min(detected_isa()) {
            // FP16 adds nothing to the counting tiles.
            IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => {
                let (name, tile, mr, nr) = if S::MAXIMIZES {
                    S::Value::avx512_tile::<true>()
                } else {
                    S::Value::avx512_tile::<false>()
                };
                (name, tile, mr, nr, IsaLevel::Avx512)
            }
            IsaLevel::Avx2 => {
                let (name, tile, mr, nr) = if S::MAXIMIZES {
                    S::Value::avx2_tile::<true>()
                } else {
                    S::Value::avx2_tile::<false>()
                };
                (name, tile, mr, nr, IsaLevel::Avx2)
            }
            IsaLevel::Scalar => return portable::<S>(),
        };
        CountingKernel {
            name,
            level,
            mr,
            nr,
            tile,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (level, detected_isa());
        portable::<S>()
    }
}
