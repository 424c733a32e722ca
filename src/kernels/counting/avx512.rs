//! AVX-512 (avx512f) count lanes: a zmm of values and the counts of its
//! lanes in f64 zmm registers (two for 16 f32 lanes, one for 8 f64).
//! One product costs a compare into a mask, under the mask of the rows
//! before it in its short chain (the lanes missed so far), and the tile
//! tests the chains' masks, and-ed, once per depth; only a depth that some
//! lane of some row reaches, rare past the first few k, costs more: each
//! row's compare again (better or tied), for a row it reaches the compare
//! for strictly better, a masked move of the value, and per count register
//! a masked move of zero (drop the old count where the value improved) and
//! a masked fused multiply-add (add A's count × B's count where it improved
//! or tied). The fused multiply-add is exact whenever the result is below
//! 2^53 (see `semiring::counting::COUNT_LIMIT`), as the portable `·` then
//! `+`.

use std::arch::x86_64::*;

use super::{LaneMask, OneReg, TwoRegs};
use crate::kernels::simd::avx512::{F32s, F64s};

/// The count update of one f64 register under the masks of its lanes.
#[inline(always)]
unsafe fn update_counts(
    counts: __m512d,
    better: u8,
    reached: u8,
    a: __m512d,
    b: __m512d,
) -> __m512d {
    // SAFETY: avx512f is enabled by the caller's entry.
    unsafe {
        // A masked move of a zero register, not a zero-masked move under
        // `!better`: the mask negation (`knotw`) would be one more
        // instruction on port 5, which the compares already load most.
        let kept = _mm512_mask_mov_pd(counts, better, _mm512_setzero_pd());
        _mm512_mask3_fmadd_pd(a, b, kept, reached)
    }
}

// Mask registers: a lane is a bit.
macro_rules! bit_masks {
    ($($t:ty),*) => {$(
        // SAFETY: plain integer operations.
        unsafe impl LaneMask for $t {
            #[inline(always)]
            unsafe fn either(self, other: Self) -> Self {
                self | other
            }
            #[inline(always)]
            unsafe fn none(self) -> bool {
                self == 0
            }
        }
    )*};
}
bit_masks!(u8, u16);

count_lanes! {
    /// f32 values, 16 lanes; their counts in two zmm (lanes 0–7, 8–15).
    F32x16: values = F32s, counts = TwoRegs<__m512d>, mask = u16, cmp = _mm512_cmp_ps_mask,
        chain = _mm512_mask_cmp_ps_mask;
    fold = |acc, acc_counts, x, better, reached, a_count, b_counts| {
        *acc = _mm512_mask_mov_ps(*acc, better, x);
        let (low, high) = (b_counts.0, b_counts.1);
        acc_counts.0 = update_counts(acc_counts.0, better as u8, reached as u8, a_count, low);
        acc_counts.1 =
            update_counts(acc_counts.1, (better >> 8) as u8, (reached >> 8) as u8, a_count, high);
    }
}

count_lanes! {
    /// f64 values, 8 lanes; their counts in one zmm.
    F64x8: values = F64s, counts = OneReg<__m512d>, mask = u8, cmp = _mm512_cmp_pd_mask,
        chain = _mm512_mask_cmp_pd_mask;
    fold = |acc, acc_counts, x, better, reached, a_count, b_counts| {
        *acc = _mm512_mask_mov_pd(*acc, better, x);
        acc_counts.0 = update_counts(acc_counts.0, better, reached, a_count, b_counts.0);
    }
}
