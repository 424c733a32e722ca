//! AVX2 kernels: an 8-row tile of one ymm register per row, so 8×8 for
//! f32/i32, 8×4 for f64/i64 and 8×32 for bool. 8 accumulators leave 8 of
//! the 16 ymm registers for B, broadcasts and the i64 compare masks.

use std::arch::x86_64::*;

use super::lanes::float_lanes;

// Whole-register permutes in 32-bit units (`vpermps`/`vpermd`; an f64
// register is permuted as 8 floats, which moves each f64's two halves
// together when the indices come in pairs).
super::lane_permutes!(__m256i, 8, _mm256_loadu_si256;
    __m256: |v, index| _mm256_permutevar8x32_ps(v, index),
    __m256d: |v, index| _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), index)),
    __m256i: |v, index| _mm256_permutevar8x32_epi32(v, index),
);

float_lanes!(
    f32s,
    f32,
    __m256,
    8,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_max_ps,
    _mm256_min_ps,
    _mm256_add_ps,
    _mm256_mul_ps
);
float_lanes!(
    f64s,
    f64,
    __m256d,
    4,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_max_pd,
    _mm256_min_pd,
    _mm256_add_pd,
    _mm256_mul_pd
);

/// Selects `x` where `mask` lanes are all ones, else `y`.
#[inline(always)]
unsafe fn select(mask: __m256i, x: __m256i, y: __m256i) -> __m256i {
    // SAFETY: callers run with AVX2 enabled.
    unsafe { _mm256_blendv_epi8(y, x, mask) }
}

/// Lane masks for `vmaskmov`: 8 − count lanes into this table start the
/// mask of the first `count` 32-bit lanes.
static FIRST_LANES_32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
/// As `FIRST_LANES_32`, for 64-bit lanes.
static FIRST_LANES_64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];

/// The `vmaskmov` mask of the first `count` (≤ 8) 32-bit lanes.
///
/// # Safety
/// `count` ≤ 8; AVX enabled.
#[inline(always)]
unsafe fn first_lanes_32(count: usize) -> __m256i {
    debug_assert!(count <= 8);
    // SAFETY: count ≤ 8 (contract), so the 8 values from 8 − count lie
    // in the 16-entry table; AVX is enabled by the caller.
    unsafe { _mm256_loadu_si256(FIRST_LANES_32.as_ptr().add(8 - count).cast()) }
}
/// The `vmaskmov` mask of the first `count` (≤ 4) 64-bit lanes.
///
/// # Safety
/// `count` ≤ 4; AVX enabled.
#[inline(always)]
unsafe fn first_lanes_64(count: usize) -> __m256i {
    debug_assert!(count <= 4);
    // SAFETY: count ≤ 4 (contract), so the 4 values from 4 − count lie
    // in the 8-entry table; AVX is enabled by the caller.
    unsafe { _mm256_loadu_si256(FIRST_LANES_64.as_ptr().add(4 - count).cast()) }
}

// Edge stores and loads of the first `count` lanes: `vmaskmov`, which
// never touches, and (Intel SDM; also what LLVM relies on for its own
// masked operations) never faults on, the lanes it leaves out.
// SAFETY: (these eight) callers run with AVX2 enabled, pass pointers
// valid for `count` elements, and `count` < the vector's lanes (which
// keeps the mask tables in bounds).
#[inline(always)]
unsafe fn store_first_ps(p: *mut f32, v: __m256, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskstore_ps(p, first_lanes_32(count), v) }
}
#[inline(always)]
unsafe fn load_first_ps(p: *const f32, count: usize) -> __m256 {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskload_ps(p, first_lanes_32(count)) }
}
#[inline(always)]
unsafe fn store_first_pd(p: *mut f64, v: __m256d, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskstore_pd(p, first_lanes_64(count), v) }
}
#[inline(always)]
unsafe fn load_first_pd(p: *const f64, count: usize) -> __m256d {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskload_pd(p, first_lanes_64(count)) }
}
#[inline(always)]
unsafe fn store_first_epi32(p: *mut i32, v: __m256i, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskstore_epi32(p, first_lanes_32(count), v) }
}
#[inline(always)]
unsafe fn load_first_epi32(p: *const i32, count: usize) -> __m256i {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskload_epi32(p, first_lanes_32(count)) }
}
#[inline(always)]
unsafe fn store_first_epi64(p: *mut i64, v: __m256i, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskstore_epi64(p, first_lanes_64(count), v) }
}
#[inline(always)]
unsafe fn load_first_epi64(p: *const i64, count: usize) -> __m256i {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm256_maskload_epi64(p, first_lanes_64(count)) }
}

macro_rules! int_lanes {
    ($mod:ident, $t:ty, $lanes:expr, $set1:ident, $addv:ident, $gt:ident, $sent:path, $thr:path,
     max = $max:expr, min = $min:expr) => {
        pub(crate) mod $mod {
            use std::arch::x86_64::*;
            pub(crate) type V = __m256i;
            pub(crate) const LANES: usize = $lanes;
            // SAFETY: (every function) callers run with AVX2 enabled and
            // pass pointers valid for LANES elements.
            #[inline(always)]
            pub(crate) unsafe fn splat(x: $t) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $set1(x as _) }
            }
            #[inline(always)]
            pub(crate) unsafe fn load(p: *const $t) -> V {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { _mm256_loadu_si256(p.cast()) }
            }
            #[inline(always)]
            pub(crate) unsafe fn store(p: *mut $t, v: V) {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { _mm256_storeu_si256(p.cast(), v) }
            }
            /// `if x > acc { x } else { acc }`.
            #[inline(always)]
            pub(crate) unsafe fn max(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { ($max)(acc, x) }
            }
            /// `if x < acc { x } else { acc }`.
            #[inline(always)]
            pub(crate) unsafe fn min(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { ($min)(acc, x) }
            }
            #[inline(always)]
            pub(crate) unsafe fn plus(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $addv(a, b) }
            }
            /// `if a < b { a } else { b }` (integers: order-free).
            #[inline(always)]
            pub(crate) unsafe fn min_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { ($min)(a, b) }
            }
            /// `if a > b { a } else { b }` (integers: order-free).
            #[inline(always)]
            pub(crate) unsafe fn max_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { ($max)(a, b) }
            }
            /// Sums below −threshold came from the max-plus sentinel: ZERO.
            #[inline(always)]
            pub(crate) unsafe fn finish_max_plus(acc: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { super::select($gt($set1(-$thr as _), acc), $set1(<$t>::MIN as _), acc) }
            }
            /// Sums above +threshold came from the min-plus sentinel: ZERO.
            #[inline(always)]
            pub(crate) unsafe fn finish_min_plus(acc: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { super::select($gt(acc, $set1($thr as _)), $set1(<$t>::MAX as _), acc) }
            }
            #[inline(always)]
            pub(crate) fn packed_max_plus(x: $t) -> $t {
                if x == <$t>::MIN { -$sent } else { x }
            }
            #[inline(always)]
            pub(crate) fn packed_min_plus(x: $t) -> $t {
                if x == <$t>::MAX { $sent } else { x }
            }
        }
    };
}

int_lanes!(
    i32s,
    i32,
    8,
    _mm256_set1_epi32,
    _mm256_add_epi32,
    _mm256_cmpgt_epi32,
    crate::kernels::simd::lanes::sentinel::I32,
    crate::kernels::simd::lanes::sentinel::I32_THRESHOLD,
    max = |acc, x| _mm256_max_epi32(x, acc),
    min = |acc, x| _mm256_min_epi32(x, acc)
);
// AVX2 has no 64-bit max/min: compare and blend (vpcmpgtq + vpblendvb).
int_lanes!(
    i64s,
    i64,
    4,
    _mm256_set1_epi64x,
    _mm256_add_epi64,
    _mm256_cmpgt_epi64,
    crate::kernels::simd::lanes::sentinel::I64,
    crate::kernels::simd::lanes::sentinel::I64_THRESHOLD,
    max = |acc, x| super::select(_mm256_cmpgt_epi64(x, acc), x, acc),
    min = |acc, x| super::select(_mm256_cmpgt_epi64(acc, x), x, acc)
);

/// bool as bytes 0/1: ⊕ = or, ⊗ = and, 32 lanes.
pub(crate) mod bools {
    use std::arch::x86_64::*;
    pub(crate) type V = __m256i;
    pub(crate) const LANES: usize = 32;
    // SAFETY: (every function) callers run with AVX2 enabled and pass
    // pointers valid for 32 bytes; and/or of 0/1 bytes stay valid bools.
    #[inline(always)]
    pub(crate) unsafe fn splat(x: bool) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm256_set1_epi8(x as i8) }
    }
    /// A packed A element stored 4 times (`A_SPREAD`): its 4 bytes read as
    /// one 32-bit word are the element in every byte, so a plain 32-bit
    /// broadcast from memory splats it.
    #[inline(always)]
    pub(crate) unsafe fn broadcast_spread(p: *const bool) -> V {
        // SAFETY: the caller passes 4 readable packed bytes, each 0 or 1;
        // the ISA is enabled (trait contract).
        unsafe { _mm256_set1_epi32(p.cast::<i32>().read_unaligned()) }
    }
    #[inline(always)]
    pub(crate) unsafe fn load(p: *const bool) -> V {
        // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }
    #[inline(always)]
    pub(crate) unsafe fn store(p: *mut bool, v: V) {
        // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
        unsafe { _mm256_storeu_si256(p.cast(), v) }
    }
    #[inline(always)]
    pub(crate) unsafe fn or(acc: V, x: V) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm256_or_si256(acc, x) }
    }
    #[inline(always)]
    pub(crate) unsafe fn and(a: V, b: V) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm256_and_si256(a, b) }
    }
    /// Packs one whole 8-row panel of A, `kc` depths, in the spread layout
    /// (`VecOps::pack_spread_panel`; `false` for other heights), as the
    /// AVX-512 form does with 16 rows:
    /// column-major A widens a depth's 8 bytes, row-major A gathers 4
    /// depths of the 8 rows at a time.
    ///
    /// # Safety
    /// Row r < `rows` at depth p < kc is readable at `src + r·row_stride +
    /// p·col_stride`; `dst` is writable for 4·rows·kc bytes; the ISA is
    /// enabled.
    #[inline(always)]
    pub(crate) unsafe fn pack_spread_panel(
        rows: usize,
        src: *const bool,
        row_stride: isize,
        col_stride: isize,
        kc: usize,
        dst: *mut bool,
    ) -> bool {
        if rows != 8 {
            return false;
        }
        /// Words of 0 or 1 to words of 0 or 0x01010101.
        #[inline(always)]
        unsafe fn spread(words: __m256i) -> __m256i {
            // SAFETY: AVX2 is enabled (the caller's contract).
            unsafe {
                _mm256_andnot_si256(
                    _mm256_cmpeq_epi32(words, _mm256_setzero_si256()),
                    _mm256_set1_epi32(0x0101_0101),
                )
            }
        }
        // SAFETY: (whole body) the ISA is enabled (caller). Reads: the
        // column-major branch reads rows 0..8 at each depth < kc (8
        // contiguous bytes, row stride 1); a gather runs only with unit
        // column stride and 7·row_stride within i32 (checked just before
        // it), and reads the 4 bytes at depths [p, p+4) ⊂ [0, kc) of rows
        // 0..8; the tail reads depths [p, kc). Writes stay in the 32·kc
        // bytes of `dst`.
        unsafe {
            if row_stride == 1 {
                for p in 0..kc {
                    let bytes = _mm_loadl_epi64(src.offset(p as isize * col_stride).cast());
                    _mm256_storeu_si256(
                        dst.add(p * 32).cast(),
                        spread(_mm256_cvtepu8_epi32(bytes)),
                    );
                }
                return true;
            }
            let offsets_fit = row_stride
                .checked_mul(7)
                .is_some_and(|last| i32::try_from(last).is_ok());
            if col_stride != 1 || !offsets_fit {
                return false;
            }
            let row_offsets = _mm256_mullo_epi32(
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                _mm256_set1_epi32(row_stride as i32),
            );
            let low_byte = _mm256_set1_epi32(0xff);
            let mut p = 0;
            while p + 4 <= kc {
                let words = _mm256_i32gather_epi32::<1>(src.add(p).cast(), row_offsets);
                _mm256_storeu_si256(
                    dst.add(p * 32).cast(),
                    spread(_mm256_and_si256(words, low_byte)),
                );
                _mm256_storeu_si256(
                    dst.add((p + 1) * 32).cast(),
                    spread(_mm256_and_si256(_mm256_srli_epi32::<8>(words), low_byte)),
                );
                _mm256_storeu_si256(
                    dst.add((p + 2) * 32).cast(),
                    spread(_mm256_and_si256(_mm256_srli_epi32::<16>(words), low_byte)),
                );
                _mm256_storeu_si256(
                    dst.add((p + 3) * 32).cast(),
                    spread(_mm256_srli_epi32::<24>(words)),
                );
                p += 4;
            }
            // The last kc mod 4 depths: the generic loop, on this panel's
            // tail (depth-major, so depth p starts at element p·8·4).
            crate::kernels::pack::pack_spread_panels::<_, 4>(
                8,
                8,
                kc - p,
                crate::kernels::pack::Lines {
                    ptr: src.add(p),
                    line_stride: row_stride,
                    depth_stride: 1,
                },
                dst.add(p * 8 * 4),
                false,
                |x| x,
            );
            true
        }
    }
}

// Argmax marks without `vblendv`: since the encoded chunk number only
// grows, a lane takes `max(chunk, improved & k)`: one that did not
// improve ANDs to 0 and keeps its chunk, one that did takes the new,
// larger number.

/// Unsigned max of 32-bit index lanes held in a float register.
#[inline(always)]
unsafe fn index_max_ps(idx: __m256, k: __m256) -> __m256 {
    // SAFETY: callers run with AVX2 enabled.
    unsafe {
        _mm256_castsi256_ps(_mm256_max_epu32(
            _mm256_castps_si256(idx),
            _mm256_castps_si256(k),
        ))
    }
}

/// Max of 64-bit index lanes (exact f64 values) held in an integer register.
#[inline(always)]
unsafe fn index_max_epi64(idx: __m256i, k: __m256i) -> __m256i {
    // SAFETY: callers run with AVX2 enabled.
    unsafe {
        _mm256_castpd_si256(_mm256_max_pd(
            _mm256_castsi256_pd(idx),
            _mm256_castsi256_pd(k),
        ))
    }
}

crate::kernels::simd::lanes::marks! {
    f32s: __m256, above = |x, y| _mm256_cmp_ps::<_CMP_GT_OQ>(x, y),
        below = |x, y| _mm256_cmp_ps::<_CMP_LT_OQ>(x, y), record = |c, m, k| index_max_ps(c, _mm256_and_ps(m, k));
    f64s: __m256d, above = |x, y| _mm256_cmp_pd::<_CMP_GT_OQ>(x, y),
        below = |x, y| _mm256_cmp_pd::<_CMP_LT_OQ>(x, y), record = |c, m, k| _mm256_max_pd(c, _mm256_and_pd(m, k));
    i32s: __m256i, above = |x, y| _mm256_cmpgt_epi32(x, y),
        below = |x, y| _mm256_cmpgt_epi32(y, x), record = |c, m, k| _mm256_max_epu32(c, _mm256_and_si256(m, k));
    i64s: __m256i, above = |x, y| _mm256_cmpgt_epi64(x, y),
        below = |x, y| _mm256_cmpgt_epi64(y, x), record = |c, m, k| index_max_epi64(c, _mm256_and_si256(m, k));
}
crate::kernels::simd::ops::lane_types!(Avx2);
