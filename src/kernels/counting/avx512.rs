//! AVX-512 (avx512f) count lanes: a zmm of values and the counts of its
//! lanes in f64 zmm registers (two for 16 f32 lanes, one for 8 f64).
//! One product costs a compare into a mask (better or tied) and a test of
//! it; only a product that reaches some lane, rare past the first few k,
//! costs more: the compare for strictly better, a masked move of the
//! value, and per count register a masked move of zero (drop the old
//! count where the value improved) and a masked fused multiply-add (add
//! A's count × B's count where it improved or tied).
//! The fused multiply-add is exact whenever the result is below 2^53
//! (see `semiring::counting::COUNT_LIMIT`), as the portable `·` then `+`.

use std::arch::x86_64::*;

use super::{CountLanes, OneReg, TwoRegs};
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

/// f32 values, 16 lanes; their counts in two zmm (lanes 0–7, 8–15).
pub(crate) struct F32x16;

// SAFETY: `fold` uses avx512f only, and is called from entries compiled
// with it after detection.
unsafe impl CountLanes for F32x16 {
    type Values = F32s;
    type Count = F64s;
    type Counts = TwoRegs<__m512d>;

    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m512,
        acc_counts: &mut TwoRegs<__m512d>,
        x: __m512,
        a_count: __m512d,
        b_counts: TwoRegs<__m512d>,
    ) {
        // SAFETY: avx512f enabled.
        unsafe {
            let reached: u16 = reaches!(_mm512_cmp_ps_mask, MAX, x, *acc);
            if reached == 0 {
                // Past the first few k most steps reach no lane: then no
                // lane is better either, and nothing moves.
                return;
            }
            let better: u16 = beats!(_mm512_cmp_ps_mask, MAX, x, *acc);
            *acc = _mm512_mask_mov_ps(*acc, better, x);
            acc_counts.0 = update_counts(
                acc_counts.0,
                better as u8,
                reached as u8,
                a_count,
                b_counts.0,
            );
            acc_counts.1 = update_counts(
                acc_counts.1,
                (better >> 8) as u8,
                (reached >> 8) as u8,
                a_count,
                b_counts.1,
            );
        }
    }
}

/// f64 values, 8 lanes; their counts in one zmm.
pub(crate) struct F64x8;

// SAFETY: as for `F32x16`.
unsafe impl CountLanes for F64x8 {
    type Values = F64s;
    type Count = F64s;
    type Counts = OneReg<__m512d>;

    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m512d,
        acc_counts: &mut OneReg<__m512d>,
        x: __m512d,
        a_count: __m512d,
        b_counts: OneReg<__m512d>,
    ) {
        // SAFETY: avx512f enabled.
        unsafe {
            let reached: u8 = reaches!(_mm512_cmp_pd_mask, MAX, x, *acc);
            if reached == 0 {
                return; // as for f32
            }
            let better: u8 = beats!(_mm512_cmp_pd_mask, MAX, x, *acc);
            *acc = _mm512_mask_mov_pd(*acc, better, x);
            acc_counts.0 = update_counts(acc_counts.0, better, reached, a_count, b_counts.0);
        }
    }
}
