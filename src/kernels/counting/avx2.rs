//! AVX2 count lanes: a ymm of values and the counts of its lanes in f64
//! ymm registers (two for 8 f32 lanes, one for 4 f64). AVX2 has no mask
//! registers: the compares give all-ones lanes, widened from 32 to 64
//! bits for f32 values (`vpmovsxdq`), and the counts are updated with
//! `andnot` (drop where improved) and `and` + `add` (add where improved or
//! tied). No FMA (the `avx2` level does not imply it): `·` then `+`,
//! exact below 2^53 as every path.

use std::arch::x86_64::*;

use super::{LaneMask, OneReg, TwoRegs};
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

// All-ones lanes in float registers: `vorps`/`vorpd`, and `vtestps`/
// `vtestpd` of the sign bits (a set lane is all ones, sign bit included).
macro_rules! vector_masks {
    ($($t:ty: $or:ident, $testz:ident);*) => {$(
        // SAFETY: the methods use AVX only (the caller's entry enables it).
        unsafe impl LaneMask for $t {
            #[inline(always)]
            unsafe fn either(self, other: Self) -> Self {
                // SAFETY: AVX enabled.
                unsafe { $or(self, other) }
            }
            #[inline(always)]
            unsafe fn none(self) -> bool {
                // SAFETY: AVX enabled.
                unsafe { $testz(self, self) != 0 }
            }
        }
    )*};
}
vector_masks!(__m256: _mm256_or_ps, _mm256_testz_ps; __m256d: _mm256_or_pd, _mm256_testz_pd);

count_lanes! {
    /// f32 values, 8 lanes; their counts in two ymm (lanes 0–3, 4–7).
    F32x8: values = F32s, counts = TwoRegs<__m256d>, mask = __m256, cmp = _mm256_cmp_ps;
    fold = |acc, acc_counts, x, better, reached, a_count, b_counts| {
        *acc = _mm256_blendv_ps(*acc, x, better);
        let (better_lo, better_hi) = widen(better);
        let (reached_lo, reached_hi) = widen(reached);
        acc_counts.0 = update_counts(acc_counts.0, better_lo, reached_lo, a_count, b_counts.0);
        acc_counts.1 = update_counts(acc_counts.1, better_hi, reached_hi, a_count, b_counts.1);
    }
}

count_lanes! {
    /// f64 values, 4 lanes; their counts in one ymm.
    F64x4: values = F64s, counts = OneReg<__m256d>, mask = __m256d, cmp = _mm256_cmp_pd;
    fold = |acc, acc_counts, x, better, reached, a_count, b_counts| {
        *acc = _mm256_blendv_pd(*acc, x, better);
        acc_counts.0 = update_counts(acc_counts.0, better, reached, a_count, b_counts.0);
    }
}
