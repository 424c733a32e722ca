//! AVX2 kernels: an 8-row tile of one ymm register per row, so 8×8 for
//! f32/i32, 8×4 for f64/i64, 8×16 for i16 and 8×32 for bool. 8 accumulators leave 8 of
//! the 16 ymm registers for B, broadcasts and the i64 compare masks.

use std::arch::x86_64::*;

use super::lanes::{add_on_fma, lanes};
use super::pack::BoolPanel;

// Whole-register permutes in 32-bit units (`vpermps`/`vpermd`; an f64
// register is permuted as 8 floats, which moves each f64's two halves
// together when the indices come in pairs).
super::lane_permutes!(__m256i, 8, _mm256_loadu_si256;
    __m256: |v, index| _mm256_permutevar8x32_ps(v, index),
    __m256d: |v, index| _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), index)),
    __m256i: |v, index| _mm256_permutevar8x32_epi32(v, index),
);

/// Selects `x` where `mask` lanes are all ones, else `y`.
///
/// # Safety
/// AVX2 is enabled.
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

/// The first `count` (< 16) 16-bit lanes of `v` to `p`. AVX2 has no
/// 16-bit `vmaskmov`: the first count / 2 pairs go as 32-bit lanes
/// (`vmaskmovd` needs no alignment), an odd last element on its own, so
/// memory past the `count` elements is never touched.
///
/// # Safety
/// `count` < 16 elements are writable at `p`; AVX2 enabled.
#[inline(always)]
unsafe fn store_first_16(p: *mut i16, v: __m256i, count: usize) {
    debug_assert!(count < 16);
    // SAFETY: count / 2 ≤ 7 pairs, i.e. the first 2·(count / 2) ≤ count
    // elements, are written by the masked store; the odd element, if
    // any, is element count − 1 < count; the stack copy holds all 16
    // lanes; AVX2 is enabled (caller).
    unsafe {
        _mm256_maskstore_epi32(p.cast(), first_lanes_32(count / 2), v);
        if count % 2 == 1 {
            let mut lanes = [0i16; 16];
            _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v);
            *p.add(count - 1) = lanes[(count - 1) % 16];
        }
    }
}

/// The first `count` (< 16) 16-bit elements from `p` in the low lanes
/// (the others 0), read as [`store_first_16`] writes: memory past them is
/// never read.
///
/// # Safety
/// `count` < 16 elements are readable at `p`; AVX2 enabled.
#[inline(always)]
unsafe fn load_first_16(p: *const i16, count: usize) -> __m256i {
    debug_assert!(count < 16);
    // SAFETY: as `store_first_16`, reading instead of writing.
    unsafe {
        let pairs = _mm256_maskload_epi32(p.cast(), first_lanes_32(count / 2));
        if count % 2 == 1 {
            let mut lanes = [0i16; 16];
            _mm256_storeu_si256(lanes.as_mut_ptr().cast(), pairs);
            lanes[(count - 1) % 16] = *p.add(count - 1);
            _mm256_loadu_si256(lanes.as_ptr().cast())
        } else {
            pairs
        }
    }
}

/// `vmax a, b` of i64 lanes, which AVX2 lacks: compare and blend.
///
/// # Safety
/// AVX2 is enabled.
#[inline(always)]
unsafe fn max_epi64(a: __m256i, b: __m256i) -> __m256i {
    // SAFETY: callers run with AVX2 enabled.
    unsafe { select(_mm256_cmpgt_epi64(a, b), a, b) }
}

/// `vmin a, b` of i64 lanes: compare and blend.
///
/// # Safety
/// AVX2 is enabled.
#[inline(always)]
unsafe fn min_epi64(a: __m256i, b: __m256i) -> __m256i {
    // SAFETY: callers run with AVX2 enabled.
    unsafe { select(_mm256_cmpgt_epi64(b, a), a, b) }
}

/// The lane modules of the element types whose instructions follow
/// AVX2's one pattern, a row each: the module, element, register (also
/// the type of its compare masks), lanes and the `vmaskmov` mask of the
/// first `count` lanes; the splat and unaligned moves; the `vmaskmov`
/// edges, which never touch, and (Intel SDM; also what LLVM relies on for
/// its own masked operations) never fault on, the lanes they leave out;
/// max, min and add; the argmax record, without `vblendv`: since the
/// encoded chunk number only grows, a lane takes `index_max(chunk,
/// improved & k)`, so one that did not improve ANDs to 0 and keeps its
/// chunk, one that did takes the new, larger number; then a float's
/// compare (with `>` and `<` predicates) and multiply, or an integer's
/// `>` compare and its sentinel constants (sentinels chosen by `vpblendvb`).
macro_rules! ymm_lanes {
    ($($mod:ident: $t:ty, $v:ty, $count:literal, $first:ident; record $index_max:ident, $and:ident;
        moves $set1:ident, $loadu:ident, $storeu:ident;
        edges $maskstore:ident, $maskload:ident;
        ordered $max:ident, $min:ident, plus $add:ident;
        $([float: $cmp:ident, $mul:ident, on_fma $fma:ident, $fma_at:ident])?
        $([int: $gt:ident, sentinel $sentinel:ident, $threshold:ident])?)+) => {$(
        lanes! {
            $mod: $t, $v, $count;
            splat = |x| $set1(x);
            load = |p| $loadu(p.cast());
            store = |p, v| $storeu(p.cast(), v);
            edges = |p, v, count| store $maskstore(p, $first(count), v),
                load $maskload(p, $first(count));
            ordered(mask = $v): max = |a, b| $max(a, b), min = |a, b| $min(a, b),
                above = |x, y| $($cmp::<_CMP_GT_OQ>(x, y))? $($gt(x, y))?,
                below = |x, y| $($cmp::<_CMP_LT_OQ>(x, y))? $($gt(y, x))?,
                record = |chunk, mask, k| $index_max(chunk, $and(mask, k));
                $(sentinel = $sentinel, threshold = $threshold,
                    choose = |mask, yes, no| select(mask, yes, no);)?
            plus = |a, b| $add(a, b);
            $(plus_on_fma = |a, b| $fma(a, b), at |p, b| $fma_at(p, b);)?
            $(times = |a, b| $mul(a, b);)?
        }
    )+};
}

// `+` on the multiply-add units (`lanes::add_on_fma!`); no embedded
// broadcasts, so A's element is splat first.
add_on_fma!(add_on_fma_ps, add_at_on_fma_ps: f32, __m256, _mm256_set1_ps, "vfmadd231ps", ymm_reg,
    "avx", broadcast first);
add_on_fma!(add_on_fma_pd, add_at_on_fma_pd: f64, __m256d, _mm256_set1_pd, "vfmadd231pd", ymm_reg,
    "avx", broadcast first);

ymm_lanes! {
    f32s: f32, __m256, 8, first_lanes_32; record index_max_ps, _mm256_and_ps;
        moves _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps;
        edges _mm256_maskstore_ps, _mm256_maskload_ps;
        ordered _mm256_max_ps, _mm256_min_ps, plus _mm256_add_ps;
        [float: _mm256_cmp_ps, _mm256_mul_ps, on_fma add_on_fma_ps, add_at_on_fma_ps]
    f64s: f64, __m256d, 4, first_lanes_64; record _mm256_max_pd, _mm256_and_pd;
        moves _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd;
        edges _mm256_maskstore_pd, _mm256_maskload_pd;
        ordered _mm256_max_pd, _mm256_min_pd, plus _mm256_add_pd;
        [float: _mm256_cmp_pd, _mm256_mul_pd, on_fma add_on_fma_pd, add_at_on_fma_pd]
    i32s: i32, __m256i, 8, first_lanes_32; record _mm256_max_epu32, _mm256_and_si256;
        moves _mm256_set1_epi32, _mm256_loadu_si256, _mm256_storeu_si256;
        edges _mm256_maskstore_epi32, _mm256_maskload_epi32;
        ordered _mm256_max_epi32, _mm256_min_epi32, plus _mm256_add_epi32;
        [int: _mm256_cmpgt_epi32, sentinel I32, I32_THRESHOLD]
    i64s: i64, __m256i, 4, first_lanes_64; record index_max_epi64, _mm256_and_si256;
        moves _mm256_set1_epi64x, _mm256_loadu_si256, _mm256_storeu_si256;
        edges _mm256_maskstore_epi64, _mm256_maskload_epi64;
        ordered max_epi64, min_epi64, plus _mm256_add_epi64;
        [int: _mm256_cmpgt_epi64, sentinel I64, I64_THRESHOLD]
}

// 16-bit lanes: 16 per register; edges through the stack (no 16-bit
// `vmaskmov`); the chunk numbers of argmax grow as unsigned 16-bit values
// (`vpmaxuw`, see `IndexLane for i16`).
lanes! {
    i16s: i16, __m256i, 16;
    splat = |x| _mm256_set1_epi16(x);
    load = |p| _mm256_loadu_si256(p.cast());
    store = |p, v| _mm256_storeu_si256(p.cast(), v);
    edges = |p, v, count| store store_first_16(p, v, count), load load_first_16(p, count);
    ordered(mask = __m256i): max = |a, b| _mm256_max_epi16(a, b),
        min = |a, b| _mm256_min_epi16(a, b),
        above = |x, y| _mm256_cmpgt_epi16(x, y),
        below = |x, y| _mm256_cmpgt_epi16(y, x),
        record = |chunk, mask, k| _mm256_max_epu16(chunk, _mm256_and_si256(mask, k));
        sentinel = I16, threshold = I16_THRESHOLD,
        choose = |mask, yes, no| select(mask, yes, no);
    plus = |a, b| _mm256_add_epi16(a, b);
}

// bool as bytes 0/1: ⊕ = or, ⊗ = and, 32 lanes; and/or of 0/1 bytes stay
// valid bools.
lanes! {
    bools: bool, __m256i, 32;
    splat = |x| _mm256_set1_epi8(x as i8);
    load = |p| _mm256_loadu_si256(p.cast());
    store = |p, v| _mm256_storeu_si256(p.cast(), v);
    logical: or = |a, b| _mm256_or_si256(a, b), and = |a, b| _mm256_and_si256(a, b),
        broadcast_spread = |p| _mm256_set1_epi32(p.cast::<i32>().read_unaligned()),
        pack_spread_panel = [BoolPanel8];
}

/// Words of 0 or 1 to words of 0 or 0x01010101.
///
/// # Safety
/// AVX2 is enabled.
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

/// The packed tile's 8-row bool panel: a depth's 8 bytes widen to 8
/// words; a gather's word holds 4 depths, split by shifts.
pub(crate) struct BoolPanel8;

impl BoolPanel for BoolPanel8 {
    const ROWS: usize = 8;
    type RowOffsets = __m256i;
    #[inline(always)]
    unsafe fn spread_depth(src: *const bool, dst: *mut bool) {
        // SAFETY: 8 readable bytes at src, 32 writable at dst; AVX2 is
        // enabled (trait contract).
        unsafe {
            let bytes = _mm_loadl_epi64(src.cast());
            _mm256_storeu_si256(dst.cast(), spread(_mm256_cvtepu8_epi32(bytes)));
        }
    }
    #[inline(always)]
    unsafe fn row_offsets(row_stride: i32) -> __m256i {
        // SAFETY: AVX2 is enabled (trait contract).
        unsafe {
            _mm256_mullo_epi32(
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                _mm256_set1_epi32(row_stride),
            )
        }
    }
    #[inline(always)]
    unsafe fn spread_4_depths(offsets: __m256i, src: *const bool, dst: *mut bool) {
        // SAFETY: the 4 bytes at src + each offset are readable, 4·32
        // bytes at dst writable; AVX2 is enabled (trait contract).
        unsafe {
            let low_byte = _mm256_set1_epi32(0xff);
            let words = _mm256_i32gather_epi32::<1>(src.cast(), offsets);
            _mm256_storeu_si256(dst.cast(), spread(_mm256_and_si256(words, low_byte)));
            _mm256_storeu_si256(
                dst.add(32).cast(),
                spread(_mm256_and_si256(_mm256_srli_epi32::<8>(words), low_byte)),
            );
            _mm256_storeu_si256(
                dst.add(2 * 32).cast(),
                spread(_mm256_and_si256(_mm256_srli_epi32::<16>(words), low_byte)),
            );
            _mm256_storeu_si256(
                dst.add(3 * 32).cast(),
                spread(_mm256_srli_epi32::<24>(words)),
            );
        }
    }
}

/// Declares `$name(chunk, k)`, the larger argmax chunk number of each
/// lane, for a register whose chunk numbers compare as another type:
/// moved to it (`$to`, a cast, no instruction), compared there (`$max`),
/// moved back (`$back`).
macro_rules! index_max {
    ($($(#[$doc:meta])* $name:ident($v:ty): $to:ident, $max:ident, $back:ident;)+) => {$(
        $(#[$doc])*
        ///
        /// # Safety
        /// AVX2 is enabled.
        #[inline(always)]
        unsafe fn $name(chunk: $v, k: $v) -> $v {
            // SAFETY: callers run with AVX2 enabled.
            unsafe { $back($max($to(chunk), $to(k))) }
        }
    )+};
}

index_max! {
    /// Unsigned max of 32-bit chunk numbers held in a float register.
    index_max_ps(__m256): _mm256_castps_si256, _mm256_max_epu32, _mm256_castsi256_ps;
    /// Max of 64-bit chunk numbers (exact f64 values) held in an integer
    /// register.
    index_max_epi64(__m256i): _mm256_castsi256_pd, _mm256_max_pd, _mm256_castpd_si256;
}

crate::kernels::simd::ops::lane_types!(Avx2);
