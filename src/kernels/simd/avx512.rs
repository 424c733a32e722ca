//! AVX-512 (avx512f) kernels: a 16-row tile of one zmm register per row,
//! so 16×16 for f32/i32; the packed f64/i64 and bool tiles are 8 rows of
//! two registers, 8×16 and 8×128 (see `tile_vectors`). 16 zmm
//! accumulators leave 16 registers for B and broadcasts.

use std::arch::x86_64::*;

use super::lanes::float_lanes;

float_lanes!(
    f32s,
    f32,
    __m512,
    16,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_max_ps,
    _mm512_min_ps,
    _mm512_add_ps,
    _mm512_mul_ps
);
float_lanes!(
    f64s,
    f64,
    __m512d,
    8,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_max_pd,
    _mm512_min_pd,
    _mm512_add_pd,
    _mm512_mul_pd
);

// Whole-register permutes in 32-bit units (`vpermps`/`vpermd`; an f64
// register is permuted as 16 floats, which moves each f64's two halves
// together when the indices come in pairs).
super::lane_permutes!(__m512i, 16, _mm512_loadu_si512;
    __m512: |v, index| _mm512_permutexvar_ps(index, v),
    __m512d: |v, index| _mm512_castps_pd(_mm512_permutexvar_ps(index, _mm512_castpd_ps(v))),
    __m512i: |v, index| _mm512_permutexvar_epi32(index, v),
);

/// Mask of the first `count` (≤ 16) lanes.
#[inline(always)]
fn first_lanes(count: usize) -> u16 {
    debug_assert!(count <= 16);
    ((1u32 << count) - 1) as u16
}

// Edge stores and loads of the first `count` lanes: AVX-512 masks, which
// neither touch nor fault on the lanes they leave out.
// SAFETY: (these eight) callers run with avx512f enabled, pass pointers
// valid for `count` elements, and `count` < the vector's lanes (the mask
// then covers exactly those elements).
#[inline(always)]
unsafe fn store_first_ps(p: *mut f32, v: __m512, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_mask_storeu_ps(p, first_lanes(count), v) }
}
#[inline(always)]
unsafe fn load_first_ps(p: *const f32, count: usize) -> __m512 {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_maskz_loadu_ps(first_lanes(count), p) }
}
#[inline(always)]
unsafe fn store_first_pd(p: *mut f64, v: __m512d, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_mask_storeu_pd(p, first_lanes(count) as u8, v) }
}
#[inline(always)]
unsafe fn load_first_pd(p: *const f64, count: usize) -> __m512d {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_maskz_loadu_pd(first_lanes(count) as u8, p) }
}
#[inline(always)]
unsafe fn store_first_epi32(p: *mut i32, v: __m512i, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_mask_storeu_epi32(p, first_lanes(count), v) }
}
#[inline(always)]
unsafe fn load_first_epi32(p: *const i32, count: usize) -> __m512i {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_maskz_loadu_epi32(first_lanes(count), p) }
}
#[inline(always)]
unsafe fn store_first_epi64(p: *mut i64, v: __m512i, count: usize) {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_mask_storeu_epi64(p, first_lanes(count) as u8, v) }
}
#[inline(always)]
unsafe fn load_first_epi64(p: *const i64, count: usize) -> __m512i {
    // SAFETY: see above; masked-off lanes are not accessed.
    unsafe { _mm512_maskz_loadu_epi64(first_lanes(count) as u8, p) }
}

macro_rules! int_lanes {
    ($mod:ident, $t:ty, $lanes:expr, $set1:ident, $loadu:ident, $storeu:ident, $max:ident, $min:ident, $addv:ident, $lt:ident, $gt:ident, $blend:ident, $sent:path, $thr:path) => {
        pub(crate) mod $mod {
            use std::arch::x86_64::*;
            pub(crate) type V = __m512i;
            pub(crate) const LANES: usize = $lanes;
            // SAFETY: (every function) callers run with avx512f enabled and
            // pass pointers valid for LANES elements.
            #[inline(always)]
            pub(crate) unsafe fn splat(x: $t) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $set1(x) }
            }
            #[inline(always)]
            pub(crate) unsafe fn load(p: *const $t) -> V {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { $loadu(p) }
            }
            #[inline(always)]
            pub(crate) unsafe fn store(p: *mut $t, v: V) {
                // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
                unsafe { $storeu(p, v) }
            }
            #[inline(always)]
            pub(crate) unsafe fn max(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $max(x, acc) }
            }
            #[inline(always)]
            pub(crate) unsafe fn min(acc: V, x: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $min(x, acc) }
            }
            #[inline(always)]
            pub(crate) unsafe fn plus(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $addv(a, b) }
            }
            #[inline(always)]
            pub(crate) unsafe fn min_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $min(a, b) }
            }
            #[inline(always)]
            pub(crate) unsafe fn max_first(a: V, b: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $max(a, b) }
            }
            /// Sums below −threshold came from the max-plus sentinel: ZERO.
            #[inline(always)]
            pub(crate) unsafe fn finish_max_plus(acc: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $blend($lt(acc, $set1(-$thr)), acc, $set1(<$t>::MIN)) }
            }
            /// Sums above +threshold came from the min-plus sentinel: ZERO.
            #[inline(always)]
            pub(crate) unsafe fn finish_min_plus(acc: V) -> V {
                // SAFETY: the caller runs with the ISA enabled (trait contract).
                unsafe { $blend($gt(acc, $set1($thr)), acc, $set1(<$t>::MAX)) }
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
    16,
    _mm512_set1_epi32,
    _mm512_loadu_epi32,
    _mm512_storeu_epi32,
    _mm512_max_epi32,
    _mm512_min_epi32,
    _mm512_add_epi32,
    _mm512_cmplt_epi32_mask,
    _mm512_cmpgt_epi32_mask,
    _mm512_mask_blend_epi32,
    crate::kernels::simd::lanes::sentinel::I32,
    crate::kernels::simd::lanes::sentinel::I32_THRESHOLD
);
int_lanes!(
    i64s,
    i64,
    8,
    _mm512_set1_epi64,
    _mm512_loadu_epi64,
    _mm512_storeu_epi64,
    _mm512_max_epi64,
    _mm512_min_epi64,
    _mm512_add_epi64,
    _mm512_cmplt_epi64_mask,
    _mm512_cmpgt_epi64_mask,
    _mm512_mask_blend_epi64,
    crate::kernels::simd::lanes::sentinel::I64,
    crate::kernels::simd::lanes::sentinel::I64_THRESHOLD
);

/// bool as bytes 0/1: ⊕ = or, ⊗ = and, 64 lanes.
pub(crate) mod bools {
    use std::arch::x86_64::*;
    pub(crate) type V = __m512i;
    pub(crate) const LANES: usize = 64;
    // SAFETY: (every function) callers run with avx512f enabled and pass
    // pointers valid for 64 bytes; and/or of 0/1 bytes stay valid bools.
    #[inline(always)]
    pub(crate) unsafe fn splat(x: bool) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm512_set1_epi32(i32::from(x as u8) * 0x0101_0101) }
    }
    /// A packed A element stored 4 times (`A_SPREAD`): its 4 bytes read as
    /// one 32-bit word are the element in every byte, so a plain 32-bit
    /// broadcast from memory splats it.
    #[inline(always)]
    pub(crate) unsafe fn broadcast_spread(p: *const bool) -> V {
        // SAFETY: the caller passes 4 readable packed bytes, each 0 or 1;
        // the ISA is enabled (trait contract).
        unsafe { _mm512_set1_epi32(p.cast::<i32>().read_unaligned()) }
    }
    #[inline(always)]
    pub(crate) unsafe fn load(p: *const bool) -> V {
        // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
        unsafe { _mm512_loadu_si512(p.cast()) }
    }
    #[inline(always)]
    pub(crate) unsafe fn store(p: *mut bool, v: V) {
        // SAFETY: the caller runs with the ISA enabled and passes a pointer valid for LANES elements.
        unsafe { _mm512_storeu_si512(p.cast(), v) }
    }
    #[inline(always)]
    pub(crate) unsafe fn or(acc: V, x: V) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm512_or_si512(acc, x) }
    }
    #[inline(always)]
    pub(crate) unsafe fn and(a: V, b: V) -> V {
        // SAFETY: the caller runs with the ISA enabled (trait contract).
        unsafe { _mm512_and_si512(a, b) }
    }
    /// Packs one whole panel of 16 rows (the direct path's tile) or 8
    /// rows (the packed tile, through the AVX2 form) of A, `kc` depths, in
    /// the spread layout (`VecOps::pack_spread_panel`); returns `false`
    /// for other heights. Column-major A: a depth's 16 bytes
    /// are one load, widened to 16 words. Row-major A: one gather reads 4
    /// depths of the 16 rows as 16 words, and 4 tests split them into the
    /// 4 depths, where the scalar loop takes a load, a store and the index
    /// arithmetic per element.
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
        if rows != 16 {
            // SAFETY: forwarded contract; AVX2 is enabled with AVX-512 here.
            return unsafe {
                super::super::avx2::bools::pack_spread_panel(
                    rows, src, row_stride, col_stride, kc, dst,
                )
            };
        }
        // SAFETY: (whole body) the ISA is enabled (caller). Reads: the
        // column-major branch reads rows 0..16 at each depth < kc (16
        // contiguous bytes, row stride 1); a gather runs only with unit
        // column stride and 15·row_stride within i32 (checked just before
        // it), and reads the 4 bytes at depths [p, p+4) ⊂ [0, kc) of rows
        // 0..16; the tail reads depths [p, kc). Writes stay in the 64·kc
        // bytes of `dst`.
        unsafe {
            let spread_true = _mm512_set1_epi32(0x0101_0101);
            if row_stride == 1 {
                for p in 0..kc {
                    let bytes = _mm_loadu_si128(src.offset(p as isize * col_stride).cast());
                    let words = _mm512_cvtepu8_epi32(bytes);
                    let rows_true = _mm512_test_epi32_mask(words, words);
                    _mm512_storeu_si512(
                        dst.add(p * 64).cast(),
                        _mm512_maskz_mov_epi32(rows_true, spread_true),
                    );
                }
                return true;
            }
            let offsets_fit = row_stride
                .checked_mul(15)
                .is_some_and(|last| i32::try_from(last).is_ok());
            if col_stride != 1 || !offsets_fit {
                return false;
            }
            let row_offsets = _mm512_mullo_epi32(
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                _mm512_set1_epi32(row_stride as i32),
            );
            let mut p = 0;
            while p + 4 <= kc {
                let words = _mm512_i32gather_epi32::<1>(row_offsets, src.add(p).cast());
                for depth in 0..4 {
                    let rows_true =
                        _mm512_test_epi32_mask(words, _mm512_set1_epi32(0xff << (8 * depth)));
                    _mm512_storeu_si512(
                        dst.add((p + depth) * 64).cast(),
                        _mm512_maskz_mov_epi32(rows_true, spread_true),
                    );
                }
                p += 4;
            }
            // The last kc mod 4 depths: the generic loop, on this panel's
            // tail (depth-major, so depth p starts at element p·16·4).
            crate::kernels::pack::pack_spread_panels::<_, 4>(
                16,
                16,
                kc - p,
                crate::kernels::pack::Lines {
                    ptr: src.add(p),
                    line_stride: row_stride,
                    depth_stride: 1,
                },
                dst.add(p * 16 * 4),
                false,
                |x| x,
            );
            true
        }
    }
}

// Argmax marks: a compare into a mask register and a masked blend of
// the chunk number.
crate::kernels::simd::lanes::marks! {
    f32s: __m512, above = |x, y| _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, y),
        below = |x, y| _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, y), record = |c, m, k| _mm512_mask_blend_ps(m, c, k);
    f64s: __m512d, above = |x, y| _mm512_cmp_pd_mask::<_CMP_GT_OQ>(x, y),
        below = |x, y| _mm512_cmp_pd_mask::<_CMP_LT_OQ>(x, y), record = |c, m, k| _mm512_mask_blend_pd(m, c, k);
    i32s: __m512i, above = |x, y| _mm512_cmpgt_epi32_mask(x, y),
        below = |x, y| _mm512_cmplt_epi32_mask(x, y), record = |c, m, k| _mm512_mask_blend_epi32(m, c, k);
    i64s: __m512i, above = |x, y| _mm512_cmpgt_epi64_mask(x, y),
        below = |x, y| _mm512_cmplt_epi64_mask(x, y), record = |c, m, k| _mm512_mask_blend_epi64(m, c, k);
}
crate::kernels::simd::ops::lane_types!(Avx512);
