//! Input scans, run with the widest instructions the active level allows.

use crate::isa::IsaLevel;
use crate::kernels::scan::first_failing;
use crate::semiring::Semiring;
use crate::semiring::counting::valid_count;
use crate::view::MatRef;

/// The index of the first element of `line` that `S` refuses as input
/// (see [`Semiring::accepts_input`]), scanned with AVX2 when `level` (an
/// active kernel's level) has it.
pub(crate) fn first_refused<S: Semiring>(line: &[S::Scalar], level: IsaLevel) -> Option<usize> {
    first_failing_at(line, level, S::accepts_input)
}

/// The index of the first `S::ZERO` in `line`, scanned as
/// [`first_refused`] scans.
pub(crate) fn first_zero<S: Semiring>(line: &[S::Scalar], level: IsaLevel) -> Option<usize> {
    first_failing_at(line, level, |v| v != S::ZERO)
}

/// The index of the first count in `line` that the counting rule refuses
/// (see `semiring::counting::valid_count`), scanned as [`first_refused`]
/// scans: a counting product's checks read every count of A and B, and
/// element by element with early exits that cost a tenth of an n = 1024
/// product.
pub(crate) fn first_invalid_count(line: &[f64], level: IsaLevel) -> Option<usize> {
    first_failing_at(line, level, valid_count)
}

/// [`first_failing`] compiled with AVX2 when `level` has it: the x86-64
/// baseline has no 64-bit compare, so there an i64 test runs element by
/// element (the range check was a fifth of the instructions of a 64×64
/// MinPlus<i64> product), while AVX2 tests 4 at once (`vpcmpgtq`).
fn first_failing_at<T: Copy>(
    line: &[T],
    level: IsaLevel,
    passes: impl Fn(T) -> bool,
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if !line.is_empty()
        && level >= IsaLevel::Avx2
        && crate::binding::dispatch::detected_isa() >= IsaLevel::Avx2
    {
        // SAFETY: the CPU has AVX2 and the line is not empty (checked
        // just above).
        return unsafe { first_failing_entry(line, passes) };
    }
    let _ = level;
    first_failing(line, passes)
}

/// Whether `x` holds `S::ZERO` anywhere, scanned along its contiguous
/// lines with AVX2 where `level` has it (any order will do: the first
/// ZERO found ends the scan): the integer sentinel kernels read an operand
/// without ZERO as it is (see `frame::direct::direct_driver`).
pub(crate) fn holds_zero<S: Semiring>(x: MatRef<'_, S::Scalar>, level: IsaLevel) -> bool {
    let found = |line: &[S::Scalar]| first_zero::<S>(line, level).is_some();
    if let Some(all) = x.row_major_slice().or_else(|| x.t().row_major_slice()) {
        found(all)
    } else if x.col_stride() == 1 {
        (0..x.rows()).any(|i| x.row_slice(i).is_some_and(found))
    } else if x.row_stride() == 1 {
        (0..x.cols()).any(|j| x.col_slice(j).is_some_and(found))
    } else {
        (0..x.rows()).any(|i| (0..x.cols()).any(|j| x.get(i, j) == Some(S::ZERO)))
    }
}

/// [`first_failing`](crate::kernels::scan::first_failing) compiled with AVX2
/// (the input range check and the scan for ZERO, see
/// [`first_failing_at`]); `passes` is inlined into it.
///
/// # Safety
/// The CPU has AVX2; `line` is not empty.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,avx2")]
pub(crate) unsafe fn first_failing_entry<T: Copy>(
    line: &[T],
    passes: impl Fn(T) -> bool,
) -> Option<usize> {
    // SAFETY: the caller passes a non-empty line. Telling the compiler so
    // drops the empty-line exit it would otherwise emit before any ymm
    // instruction, an exit without vzeroupper that
    // .ci/check-vzeroupper.py cannot tell from a real one.
    unsafe { std::hint::assert_unchecked(!line.is_empty()) };
    first_failing(line, passes)
}
