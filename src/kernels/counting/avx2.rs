//! AVX2 count lanes: a ymm of values and the counts of its lanes in f64
//! ymm registers (two for 8 f32 lanes, one for 4 f64). AVX2 has no mask
//! registers: the compares give all-ones lanes, widened from 32 to 64
//! bits for f32 values (`vpmovsxdq`), and the counts are updated with
//! `andnot` (drop where improved) and `and` + `add` (add where improved or
//! tied). No FMA (the `avx2` level does not imply it): `·` then `+`,
//! exact below 2^53 as every path.

use std::arch::x86_64::*;

use super::CountLanes;

/// (better, better or tied) as all-ones lanes; ordered predicates, so a
/// NaN on either side gives neither.
macro_rules! predicates {
    ($cmp:ident, $max:expr, $x:expr, $acc:expr) => {
        if $max {
            ($cmp::<_CMP_GT_OQ>($x, $acc), $cmp::<_CMP_GE_OQ>($x, $acc))
        } else {
            ($cmp::<_CMP_LT_OQ>($x, $acc), $cmp::<_CMP_LE_OQ>($x, $acc))
        }
    };
}

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
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct F32x8;

// SAFETY: every method uses avx/avx2 only, and is called from entries
// compiled with them after detection.
unsafe impl CountLanes for F32x8 {
    type T = f32;
    type Values = __m256;
    type Counts = (__m256d, __m256d);
    type Count = __m256d;
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn load_values(p: *const f32) -> __m256 {
        // SAFETY: the caller's contract (8 values at p).
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store_values(p: *mut f32, v: __m256) {
        // SAFETY: the caller's contract.
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_counts(p: *const f64) -> (__m256d, __m256d) {
        // SAFETY: the caller's contract (8 counts at p).
        unsafe { (_mm256_loadu_pd(p), _mm256_loadu_pd(p.add(4))) }
    }
    #[inline(always)]
    unsafe fn store_counts(p: *mut f64, c: (__m256d, __m256d)) {
        // SAFETY: the caller's contract.
        unsafe {
            _mm256_storeu_pd(p, c.0);
            _mm256_storeu_pd(p.add(4), c.1);
        }
    }
    #[inline(always)]
    unsafe fn splat_value(x: f32) -> __m256 {
        // SAFETY: avx enabled.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn splat_count(x: f64) -> __m256d {
        // SAFETY: avx enabled.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn add_values(a: __m256, b: __m256) -> __m256 {
        // SAFETY: avx enabled.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m256,
        acc_counts: &mut (__m256d, __m256d),
        x: __m256,
        a_count: __m256d,
        b_counts: (__m256d, __m256d),
    ) {
        // SAFETY: avx/avx2 enabled.
        unsafe {
            let (better, reached) = predicates!(_mm256_cmp_ps, MAX, x, *acc);
            *acc = _mm256_blendv_ps(*acc, x, better);
            let (better_lo, better_hi) = widen(better);
            let (reached_lo, reached_hi) = widen(reached);
            acc_counts.0 = update_counts(acc_counts.0, better_lo, reached_lo, a_count, b_counts.0);
            acc_counts.1 = update_counts(acc_counts.1, better_hi, reached_hi, a_count, b_counts.1);
        }
    }
}

/// f64 values, 4 lanes; their counts in one ymm.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct F64x4;

// SAFETY: as for `F32x8`.
unsafe impl CountLanes for F64x4 {
    type T = f64;
    type Values = __m256d;
    type Counts = __m256d;
    type Count = __m256d;
    const LANES: usize = 4;

    #[inline(always)]
    unsafe fn load_values(p: *const f64) -> __m256d {
        // SAFETY: the caller's contract (4 values at p).
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store_values(p: *mut f64, v: __m256d) {
        // SAFETY: the caller's contract.
        unsafe { _mm256_storeu_pd(p, v) }
    }
    #[inline(always)]
    unsafe fn load_counts(p: *const f64) -> __m256d {
        // SAFETY: the caller's contract (4 counts at p).
        unsafe { _mm256_loadu_pd(p) }
    }
    #[inline(always)]
    unsafe fn store_counts(p: *mut f64, c: __m256d) {
        // SAFETY: the caller's contract.
        unsafe { _mm256_storeu_pd(p, c) }
    }
    #[inline(always)]
    unsafe fn splat_value(x: f64) -> __m256d {
        // SAFETY: avx enabled.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn splat_count(x: f64) -> __m256d {
        // SAFETY: avx enabled.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    unsafe fn add_values(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: avx enabled.
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    unsafe fn fold<const MAX: bool>(
        acc: &mut __m256d,
        acc_counts: &mut __m256d,
        x: __m256d,
        a_count: __m256d,
        b_counts: __m256d,
    ) {
        // SAFETY: avx enabled.
        unsafe {
            let (better, reached) = predicates!(_mm256_cmp_pd, MAX, x, *acc);
            *acc = _mm256_blendv_pd(*acc, x, better);
            *acc_counts = update_counts(*acc_counts, better, reached, a_count, b_counts);
        }
    }
}
