//! AVX2 count lanes: a ymm of values and the counts of its lanes in f64
//! ymm registers (two for 8 f32 lanes, one for 4 f64). AVX2 has no mask
//! registers: the compares give all-ones lanes, widened from 32 to 64
//! bits for f32 values (`vpmovsxdq`), and the counts are updated with
//! `andnot` (drop where improved) and `and` + `add` (add where improved or
//! tied). No FMA (the `avx2` level does not imply it): `·` then `+`,
//! exact below 2^53 as every path.

use std::arch::x86_64::*;

use super::{CountLanes, OneReg, TwoRegs};
use crate::kernels::simd::avx2::{F32s, F64s};

/// The count update of one f64 register under all-ones lane masks.
#[inline(always)]
unsafe fn update_counts(
    counts: __m256d,
    better: __m256d,
    reached: __m256d,
    a: __m256d,
    b: __m256d,
) -> __m256d {
    // SAFETY: avx enabled by the caller's entry.
    unsafe {
        let kept = _mm256_andnot_pd(better, counts);
        _mm256_add_pd(kept, _mm256_and_pd(reached, _mm256_mul_pd(a, b)))
    }
}

/// The 8 32-bit lane masks of `m` as two registers of 4 64-bit masks.
#[inline(always)]
unsafe fn widen(m: __m256) -> (__m256d, __m256d) {
    // SAFETY: avx2 enabled by the caller's entry.
    unsafe {
        let m = _mm256_castps_si256(m);
        let lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(m));
        let hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(m));
        (_mm256_castsi256_pd(lo), _mm256_castsi256_pd(hi))
    }
}

/// f32 values, 8 lanes; their counts in two ymm (lanes 0–3, 4–7).
pub(crate) struct F32x8;

// SAFETY: `fold` uses avx/avx2 only, and is called from entries compiled
// with them after detection.
unsafe impl CountLanes for F32x8 {
    type Values = F32s;
    type Count = F64s;
    type Counts = TwoRegs<__m256d>;

    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m256,
        acc_counts: &mut TwoRegs<__m256d>,
        x: __m256,
        a_count: __m256d,
        b_counts: TwoRegs<__m256d>,
    ) {
        // SAFETY: avx/avx2 enabled.
        unsafe {
            let reached = reaches!(_mm256_cmp_ps, MAX, x, *acc);
            if _mm256_testz_ps(reached, reached) != 0 {
                // As on AVX-512: most steps reach no lane, and then
                // nothing moves.
                return;
            }
            let better = beats!(_mm256_cmp_ps, MAX, x, *acc);
            *acc = _mm256_blendv_ps(*acc, x, better);
            let (better_lo, better_hi) = widen(better);
            let (reached_lo, reached_hi) = widen(reached);
            acc_counts.0 = update_counts(acc_counts.0, better_lo, reached_lo, a_count, b_counts.0);
            acc_counts.1 = update_counts(acc_counts.1, better_hi, reached_hi, a_count, b_counts.1);
        }
    }
}

/// f64 values, 4 lanes; their counts in one ymm.
pub(crate) struct F64x4;

// SAFETY: as for `F32x8`.
unsafe impl CountLanes for F64x4 {
    type Values = F64s;
    type Count = F64s;
    type Counts = OneReg<__m256d>;

    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m256d,
        acc_counts: &mut OneReg<__m256d>,
        x: __m256d,
        a_count: __m256d,
        b_counts: OneReg<__m256d>,
    ) {
        // SAFETY: avx enabled.
        unsafe {
            let reached = reaches!(_mm256_cmp_pd, MAX, x, *acc);
            if _mm256_testz_pd(reached, reached) != 0 {
                return; // as for f32
            }
            let better = beats!(_mm256_cmp_pd, MAX, x, *acc);
            *acc = _mm256_blendv_pd(*acc, x, better);
            acc_counts.0 = update_counts(acc_counts.0, better, reached, a_count, b_counts.0);
        }
    }
}
