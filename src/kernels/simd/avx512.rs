//! AVX-512 (avx512f, avx512bw) kernels: a 16-row tile of one zmm
//! register per row, so 16×16 for f32/i32 and 16×32 for i16; the packed
//! f64/i64 and bool tiles are 8 rows of two registers, 8×16 and 8×128
//! (each A broadcast feeds two operations), or on CPUs where a broadcast
//! kept in a register costs a port slot 16×8 and 16×64 (narrow tiles:
//! see `tile_vectors` in `binding/entries.rs`). 16 zmm accumulators leave
//! 16 registers for B and broadcasts. The 16-bit lanes (`vpaddw`, `vpmaxsw`, masks of 32 lanes)
//! are AVX-512BW, which the AVX-512 level requires (`binding::dispatch`).

use std::arch::x86_64::*;

use super::lanes::{add_on_fma, lanes};
use super::pack::BoolPanel;

// Whole-register permutes in 32-bit units (`vpermps`/`vpermd`; an f64
// register is permuted as 16 floats, which moves each f64's two halves
// together when the indices come in pairs).
super::lane_permutes!(__m512i, 16, _mm512_loadu_si512;
    __m512: |v, index| _mm512_permutexvar_ps(index, v),
    __m512d: |v, index| _mm512_castps_pd(_mm512_permutexvar_ps(index, _mm512_castpd_ps(v))),
    __m512i: |v, index| _mm512_permutexvar_epi32(index, v),
    __m512h: |v, index| _mm512_castsi512_ph(_mm512_permutexvar_epi32(index, _mm512_castph_si512(v))),
);

/// Mask of the first `count` (≤ 8) lanes.
#[inline(always)]
fn first_lanes_8(count: usize) -> __mmask8 {
    first_lanes_16(count) as u8
}

/// Mask of the first `count` (≤ 16) lanes.
#[inline(always)]
fn first_lanes_16(count: usize) -> __mmask16 {
    debug_assert!(count <= 16);
    ((1u32 << count) - 1) as u16
}

/// Mask of the first `count` (≤ 32) 16-bit lanes.
#[inline(always)]
fn first_lanes_32(count: usize) -> __mmask32 {
    debug_assert!(count <= 32);
    ((1u64 << count) - 1) as u32
}

/// The lane modules of the element types whose instructions follow
/// AVX-512's one pattern, a row each: the module, element, register,
/// lanes, compare mask type and the mask of the first `count` lanes;
/// the splat and unaligned moves; the masked moves of the edges, which
/// neither touch nor fault on the lanes they leave out; max, min, the
/// masked blend (argmax marks; sentinel choices) and add; then a float's
/// compare (with `>` and `<` predicates), multiply and add on the
/// multiply-add units, or an integer's `>` and `<` compares and its
/// sentinel constants.
macro_rules! zmm_lanes {
    ($($mod:ident: $t:ty, $v:ty, $count:literal, $mask:ty, $first:ident;
        moves $set1:ident, $loadu:ident, $storeu:ident;
        edges $mask_storeu:ident, $maskz_loadu:ident;
        ordered $max:ident, $min:ident, $blend:ident, plus $add:ident;
        $([float: $cmp:ident, $mul:ident, on_fma $fma:ident, $fma_at:ident])?
        $([int: $gt:ident, $lt:ident, sentinel $sentinel:ident, $threshold:ident])?)+) => {$(
        lanes! {
            $mod: $t, $v, $count;
            splat = |x| $set1(x);
            load = |p| $loadu(p);
            store = |p, v| $storeu(p, v);
            edges = |p, v, count| store $mask_storeu(p, $first(count), v),
                load $maskz_loadu($first(count), p);
            ordered(mask = $mask): max = |a, b| $max(a, b), min = |a, b| $min(a, b),
                above = |x, y| $($cmp::<_CMP_GT_OQ>(x, y))? $($gt(x, y))?,
                below = |x, y| $($cmp::<_CMP_LT_OQ>(x, y))? $($lt(x, y))?,
                record = |chunk, mask, k| $blend(mask, chunk, k);
                $(sentinel = $sentinel, threshold = $threshold,
                    choose = |mask, yes, no| $blend(mask, no, yes);)?
            plus = |a, b| $add(a, b);
            $(plus_on_fma = |a, b| $fma(a, b), at |p, b| $fma_at(p, b);)?
            $(times = |a, b| $mul(a, b);)?
        }
    )+};
}

// `+` on the multiply-add units (`lanes::add_on_fma!`), A's element
// broadcast by the instruction itself.
add_on_fma!(add_on_fma_ps, add_at_on_fma_ps: f32, __m512, _mm512_set1_ps, "vfmadd231ps", zmm_reg,
    "avx512f", memory "dword" "{{1to16}}");
add_on_fma!(add_on_fma_pd, add_at_on_fma_pd: f64, __m512d, _mm512_set1_pd, "vfmadd231pd", zmm_reg,
    "avx512f", memory "qword" "{{1to8}}");

zmm_lanes! {
    f32s: f32, __m512, 16, __mmask16, first_lanes_16;
        moves _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps;
        edges _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps;
        ordered _mm512_max_ps, _mm512_min_ps, _mm512_mask_blend_ps, plus _mm512_add_ps;
        [float: _mm512_cmp_ps_mask, _mm512_mul_ps, on_fma add_on_fma_ps, add_at_on_fma_ps]
    f64s: f64, __m512d, 8, __mmask8, first_lanes_8;
        moves _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd;
        edges _mm512_mask_storeu_pd, _mm512_maskz_loadu_pd;
        ordered _mm512_max_pd, _mm512_min_pd, _mm512_mask_blend_pd, plus _mm512_add_pd;
        [float: _mm512_cmp_pd_mask, _mm512_mul_pd, on_fma add_on_fma_pd, add_at_on_fma_pd]
    i32s: i32, __m512i, 16, __mmask16, first_lanes_16;
        moves _mm512_set1_epi32, _mm512_loadu_epi32, _mm512_storeu_epi32;
        edges _mm512_mask_storeu_epi32, _mm512_maskz_loadu_epi32;
        ordered _mm512_max_epi32, _mm512_min_epi32, _mm512_mask_blend_epi32, plus _mm512_add_epi32;
        [int: _mm512_cmpgt_epi32_mask, _mm512_cmplt_epi32_mask, sentinel I32, I32_THRESHOLD]
    i64s: i64, __m512i, 8, __mmask8, first_lanes_8;
        moves _mm512_set1_epi64, _mm512_loadu_epi64, _mm512_storeu_epi64;
        edges _mm512_mask_storeu_epi64, _mm512_maskz_loadu_epi64;
        ordered _mm512_max_epi64, _mm512_min_epi64, _mm512_mask_blend_epi64, plus _mm512_add_epi64;
        [int: _mm512_cmpgt_epi64_mask, _mm512_cmplt_epi64_mask, sentinel I64, I64_THRESHOLD]
    // 16-bit lanes (AVX-512BW): 32 per register.
    i16s: i16, __m512i, 32, __mmask32, first_lanes_32;
        moves _mm512_set1_epi16, _mm512_loadu_epi16, _mm512_storeu_epi16;
        edges _mm512_mask_storeu_epi16, _mm512_maskz_loadu_epi16;
        ordered _mm512_max_epi16, _mm512_min_epi16, _mm512_mask_blend_epi16, plus _mm512_add_epi16;
        [int: _mm512_cmpgt_epi16_mask, _mm512_cmplt_epi16_mask, sentinel I16, I16_THRESHOLD]
}

// half::f16 in 32 lanes (AVX-512 FP16, level `Avx512Fp16`): moves,
// splats and masked edges as 16-bit integers (avx512bw), arithmetic as
// `vaddph`/`vmulph`, and `vmaxph`/`vminph`, which return the second operand
// on NaN and on two zeros, as `vmaxps` does. Argmax chunk numbers are a
// lane's 16 bits, moved by the blend.
lanes! {
    f16s: half::f16, __m512h, 32;
    splat = |x| _mm512_castsi512_ph(_mm512_set1_epi16(x.to_bits() as i16));
    load = |p| _mm512_castsi512_ph(_mm512_loadu_si512(p.cast()));
    store = |p, v| _mm512_storeu_si512(p.cast(), _mm512_castph_si512(v));
    edges = |p, v, count| store _mm512_mask_storeu_epi16(p.cast(), first_lanes_32(count), _mm512_castph_si512(v)),
        load _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(first_lanes_32(count), p.cast()));
    ordered(mask = __mmask32): max = |a, b| _mm512_max_ph(a, b), min = |a, b| _mm512_min_ph(a, b),
        above = |x, y| _mm512_cmp_ph_mask::<_CMP_GT_OQ>(x, y),
        below = |x, y| _mm512_cmp_ph_mask::<_CMP_LT_OQ>(x, y),
        record = |chunk, mask, k| _mm512_mask_blend_ph(mask, chunk, k);
    plus = |a, b| _mm512_add_ph(a, b);
    times = |a, b| _mm512_mul_ph(a, b);
}
// bool as bytes 0/1: ⊕ = or, ⊗ = and, 64 lanes; and/or of 0/1 bytes stay
// valid bools. A panels of 16 rows (the direct path's tile) pack here, of
// 8 rows (the packed tile) through the AVX2 form.
lanes! {
    bools: bool, __m512i, 64;
    splat = |x| _mm512_set1_epi32(i32::from(x as u8) * 0x0101_0101);
    load = |p| _mm512_loadu_si512(p.cast());
    store = |p, v| _mm512_storeu_si512(p.cast(), v);
    logical: or = |a, b| _mm512_or_si512(a, b), and = |a, b| _mm512_and_si512(a, b),
        broadcast_spread = |p| _mm512_set1_epi32(p.cast::<i32>().read_unaligned()),
        pack_spread_panel = [BoolPanel16, super::super::avx2::BoolPanel8];
}

/// The direct path's 16-row bool panel: a depth's 16 bytes widen to 16
/// words; a gather's word holds 4 depths, split by 4 tests.
pub(crate) struct BoolPanel16;

impl BoolPanel for BoolPanel16 {
    const ROWS: usize = 16;
    type RowOffsets = __m512i;
    #[inline(always)]
    unsafe fn spread_depth(src: *const bool, dst: *mut bool) {
        // SAFETY: 16 readable bytes at src, 64 writable at dst; AVX-512 is
        // enabled (trait contract).
        unsafe {
            let spread_true = _mm512_set1_epi32(0x0101_0101);
            let words = _mm512_cvtepu8_epi32(_mm_loadu_si128(src.cast()));
            let rows_true = _mm512_test_epi32_mask(words, words);
            _mm512_storeu_si512(dst.cast(), _mm512_maskz_mov_epi32(rows_true, spread_true));
        }
    }
    #[inline(always)]
    unsafe fn row_offsets(row_stride: i32) -> __m512i {
        // SAFETY: AVX-512 is enabled (trait contract).
        unsafe {
            _mm512_mullo_epi32(
                _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                _mm512_set1_epi32(row_stride),
            )
        }
    }
    #[inline(always)]
    unsafe fn spread_4_depths(offsets: __m512i, src: *const bool, dst: *mut bool) {
        // SAFETY: the 4 bytes at src + each offset are readable, 4·64
        // bytes at dst writable; AVX-512 is enabled (trait contract).
        unsafe {
            let spread_true = _mm512_set1_epi32(0x0101_0101);
            let words = _mm512_i32gather_epi32::<1>(offsets, src.cast());
            for depth in 0..4 {
                let rows_true =
                    _mm512_test_epi32_mask(words, _mm512_set1_epi32(0xff << (8 * depth)));
                _mm512_storeu_si512(
                    dst.add(depth * 64).cast(),
                    _mm512_maskz_mov_epi32(rows_true, spread_true),
                );
            }
        }
    }
}

crate::kernels::simd::ops::lane_types!(Avx512);
crate::kernels::simd::ops::lane_type!(Avx512Fp16; F16s = f16s: half::f16
    [edges software_scalars] [ordered additive multiplicative]);
