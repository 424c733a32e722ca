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

/// The SIMD tiles of one value type, per ISA and direction.
pub(crate) trait CountingSimd: CountValue {
    /// The tile at exactly `level`, if this type has one there.
    fn tile<const MAX: bool>(_level: IsaLevel) -> Option<Tile<Self>> {
        None
    }
}

/// The tile table: per value type, per ISA, the count lanes and MR (NR
/// is the lanes' width). The tile rows are what the registers hold: a
/// row is a value register, its count registers and its product (tested
/// for the whole tile before any row folds), and the tile leaves room for
/// B's row (AVX-512, 32 zmm: 6 rows × 4 for f32; 12 rows × 3 for f64 is
/// more than 32, so some live in memory; AVX2, 16 ymm: 3 × 4 for f32,
/// 4 × 3 for f64).
macro_rules! counting_tiles {
    ($($t:ty: $(($level:ident, $isa:ident::$lanes:ident, $mr:literal, $name:literal))*;)*) => {$(
        #[cfg(target_arch = "x86_64")]
        impl CountingSimd for $t {
            fn tile<const MAX: bool>(level: IsaLevel) -> Option<Tile<$t>> {
                use crate::kernels::counting::CountLanes;
                use crate::kernels::simd::ops::Lanes;
                match level {
                    $(IsaLevel::$level => {
                        type L = crate::kernels::counting::$isa::$lanes;
                        let tile = crate::binding::$isa::counting_tile_entry::<L, MAX, $mr>;
                        Some(($name, tile, $mr, <L as CountLanes>::Values::LANES))
                    })*
                    _ => None,
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        impl CountingSimd for $t {}
    )*};
}

counting_tiles! {
    f32: (Avx512, avx512::F32x16, 6, "avx512-count-6x16") (Avx2, avx2::F32x8, 3, "avx2-count-3x8");
    f64: (Avx512, avx512::F64x8, 12, "avx512-count-12x8") (Avx2, avx2::F64x4, 4, "avx2-count-4x4");
}

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
    // FP16 adds nothing to the counting tiles: their top level is Avx512.
    let level = level.min(detected_isa()).min(IsaLevel::Avx512);
    let tile = if S::MAXIMIZES {
        S::Value::tile::<true>(level)
    } else {
        S::Value::tile::<false>(level)
    };
    match tile {
        Some((name, tile, mr, nr)) => CountingKernel {
            name,
            level,
            mr,
            nr,
            tile,
        },
        None => portable::<S>(),
    }
}
