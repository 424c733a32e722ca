//! Fast, exact matrix multiplication over tropical and other semirings.
//!
//! `C = A ⊗ B` where the product is taken in a semiring: for max-plus,
//! `C[i,j] = max_k A[i,k] + B[k,j]`. Shortest and longest paths, Viterbi
//! decoding, tropical tensor networks and many dynamic programs reduce to it.
//!
//! ```
//! use tropical_blas::{gemm, Accum, MatMut, MatRef, MaxPlus};
//! let (m, k, n) = (2, 3, 2);
//! let a_data = [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0];
//! let b_data = [1.0f32, 1.0, 1.0, 0.0, 0.0, 0.0];
//! let mut c_data = [f32::NAN; 4]; // Replace never reads C
//! let a = MatRef::row_major(&a_data, m, k)?;
//! let b = MatRef::col_major(&b_data, k, n)?;
//! let c = MatMut::row_major(&mut c_data, m, n)?;
//! gemm::<MaxPlus<f32>>(a, b, c, Accum::Replace)?; // C[i,j] = max_k A[i,k] + B[k,j]
//! assert_eq!(c_data, [3.0, 2.0, 6.0, 5.0]);
//! # Ok::<(), tropical_blas::Error>(())
//! ```
//!
//! # Semirings
//!
//! | semiring | ⊕ | ⊗ | zero | one | types | GraphBLAS |
//! |---|---|---|---|---|---|---|
//! | [`MaxPlus<T>`] | max | + | −∞ (`MIN`) | 0 | f32 f64 i16 i32 i64 | MAX_PLUS |
//! | [`MinPlus<T>`] | min | + | +∞ (`MAX`) | 0 | f32 f64 i16 i32 i64 | MIN_PLUS |
//! | [`MaxMul<T>`] | max | × | 0 | 1 | f32 f64 (inputs ≥ 0) | MAX_TIMES |
//! | [`MaxMin<T>`] | max | min | −∞ (`MIN`) | +∞ (`MAX`) | f32 f64 i16 i32 i64 | MAX_MIN |
//! | [`MinMax<T>`] | min | max | +∞ (`MAX`) | −∞ (`MIN`) | f32 f64 i16 i32 i64 | MIN_MAX |
//! | [`OrAnd`] | or | and | false | true | bool | LOR_LAND |
//!
//! Counting tropical numbers (value, count), which also count the ways an
//! optimum is reached: [`counting`] (`CountingMax`, `CountingMin`).
//!
//! Your own semiring: implement [`Semiring`] (five items) for a zero-sized
//! type; it runs on the portable kernel. The built-ins over another number
//! type (`u16`, `i8`, a fixed-point type of yours): [`Number`].
//!
//! # Exactness
//!
//! Every kernel, tiling and thread count returns the bits of the scalar
//! reference `acc = ZERO; for p in 0..k { acc = add(acc, mul(A[i,p], B[p,j])) }`
//! (then `C = acc`, or `C = add(C, acc)` under [`Accum::Combine`]). The
//! built-in ⊕ are selections written in the operand order of the x86
//! `max`/`min` instructions (`if x > acc { x } else { acc }`), and a
//! selection that keeps the earlier value on ties can be split over k-blocks
//! without changing which value wins, so blocking is exact too.
//!
//! # NaN rule (floats)
//!
//! A NaN product never wins: ⊕ keeps the accumulator when either side is
//! NaN, as C `fmax` and GraphBLAS MAX do, so a row and column whose products
//! are all NaN give ZERO. A NaN already in C under `Combine` stays NaN.
//! Signed zeros are reproduced exactly (ties keep the earlier value).
//!
//! # Integer rule
//!
//! Integers have no ±∞, so ZERO is `MIN` (max-⊕) or `MAX` (min-⊕), and ⊗
//! absorbs it exactly: `x ⊗ ZERO == ZERO` for every x, `MIN`/`MAX` included.
//! The (max|min, +) semirings never wrap: their finite inputs must lie in
//! `[-2^(bits-4), 2^(bits-4)]`: `[-4096, 4096]` for `i16`, `[-2^28, 2^28]`
//! for `i32` and `[-2^60, 2^60]` for `i64` (ZERO is always
//! accepted), so that no sum can overflow. `gemm` checks A and B before it
//! writes anything and returns [`Error::ValueOutOfRange`] otherwise (a
//! product with no output, m = 0 or n = 0, reads neither). The
//! (max|min, min|max) semirings do no arithmetic and accept every value.
//!
//! # The winning k
//!
//! [`gemm_argmax`] also returns, for every output, the k whose product won
//! (smallest k on ties, [`NO_ARG`] if none beat ZERO), for every
//! [`SelectingSemiring`]; [`argmax_backward`] turns it into the gradients
//! of A and B for automatic differentiation.
//!
//! # Choosing kernels
//!
//! The kernel is chosen at run time from the CPU's features, never from
//! compile flags. The environment variable `TROPICAL_BLAS_ISA`
//! (`scalar`, `avx2`, `avx512`) caps the level for the whole process, and
//! [`GemmConfig::with_isa`] for one call (overriding the variable); asking
//! for a level the CPU lacks, or for an unknown one, is an [`Error`], never
//! a silent fallback.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

// Foundation: plain data and the contracts everything else builds on.
mod batch_view;
mod bit_view;
mod blocking;
mod config;
mod element;
mod error;
mod isa;
mod semiring;
mod view;
mod workspace;

// The three rooms, lowest first: kernels, the loops that drive them, and
// the binding that pairs them per ISA.
mod binding;
mod frame;
mod kernels;

// The built-in semirings and the public entry points.
mod api;
mod builtin;
pub mod counting;
pub mod graph;
mod number;

/// Bit-packed boolean matrices (64 entries to a `u64` word) and their
/// or-and product.
///
/// Row i of a matrix starts at word `i · row_stride`; column j is bit
/// `j % 64` (least significant first) of the row's word `j / 64`. The
/// bits of the last word past the last column and the padding words
/// between rows keep their values through a product, and are never read
/// as entries.
///
/// ```
/// use tropical_blas::{Accum, bits::{self, BitMatrix}};
/// let mut a = BitMatrix::zeros(2, 70); // 2 words a row
/// a.set(0, 69, true);
/// let mut b = BitMatrix::zeros(70, 3);
/// b.set(69, 2, true);
/// let mut c = BitMatrix::zeros(2, 3);
/// bits::gemm(a.as_ref(), b.as_ref(), c.as_mut(), Accum::Replace)?; // C = A·B
/// assert_eq!(c.get(0, 2), Some(true));
/// assert_eq!(c.count_ones(), 1);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub mod bits {
    pub use crate::api::bits::{BitKernel, gemm, gemm_with, kernel_at, kernel_for};
    pub use crate::bit_view::{BitMatMut, BitMatRef, BitMatrix, words_per_row};
}
#[cfg(feature = "ndarray")]
pub mod nd;

pub use api::argmax::{
    arg_kernel_at, arg_kernel_for, argmax_backward, argmax_backward_batched, gemm_argmax,
    gemm_argmax_batched, gemm_argmax_batched_with, gemm_argmax_with,
};
pub use api::batch::{gemm_batched, gemm_batched_views, gemm_batched_with};
pub use api::gemm::{gemm, gemm_with, kernel_at, kernel_for};
pub use api::raw::gemm_raw;
pub use api::report::{DispatchReport, KernelChoice, dispatch_report};
pub use batch_view::{BatchMut, BatchRef};
pub use binding::dispatch::{
    ADD_ON_FMA_ENV_VAR, ISA_ENV_VAR, NARROW_TILES_ENV_VAR, active_isa, detected_isa,
};
pub use binding::tuning;
pub use blocking::TilingParams;
pub use builtin::{MaxMin, MaxMul, MaxPlus, MinMax, MinPlus, OrAnd};
pub use config::{Accum, GemmConfig, Par};
pub use element::Element;
pub use error::{Error, Operand};
/// The `half` crate, whose `f16` and `bf16` are element types of the
/// built-ins (`MaxPlus<half::f16>`, …), re-exported so callers name the
/// same version.
pub use half;
pub use isa::IsaLevel;
pub use number::Number;
pub use semiring::{
    ArgKernel, DifferentiableSemiring, IntegerInputLimit, Kernel, NO_ARG, SelectingSemiring,
    Semiring,
};
pub use view::{MatMut, MatRef};
pub use workspace::{GemmWorkspace, MAX_WORKSPACE_BYTES};

/// Invokes `$callback! { ("MaxPlus<f32>", MaxPlus<f32>), … }` with the name
/// and type of every built-in (semiring, scalar) pair, for code that must
/// do the same for each of them (reports, self-checks, benchmarks).
///
/// ```
/// macro_rules! names {
///     ($(($name:literal, $s:ty)),* $(,)?) => { [$($name),*] };
/// }
/// let all = tropical_blas::for_each_builtin_semiring!(names);
/// assert_eq!(all.len(), 33);
/// assert_eq!(all[0], "MaxPlus<f32>");
/// ```
#[macro_export]
macro_rules! for_each_builtin_semiring {
    ($callback:ident) => {
        $crate::__builtin_pairs!($callback, all)
    };
}

/// [`for_each_builtin_semiring!`] for the built-ins that are
/// [`SelectingSemiring`]s (every one but `OrAnd`): the ones `gemm_argmax`
/// takes.
///
/// ```
/// macro_rules! names {
///     ($(($name:literal, $s:ty)),* $(,)?) => { [$($name),*] };
/// }
/// assert_eq!(tropical_blas::for_each_selecting_semiring!(names).len(), 32);
/// ```
#[macro_export]
macro_rules! for_each_selecting_semiring {
    ($callback:ident) => {
        $crate::__builtin_pairs!($callback, selecting)
    };
}

/// The scalar types of the built-ins by one path each, for the exported
/// list (`__builtin_pairs!`, generated from the table in `builtin.rs`),
/// which expands in the caller's crate.
#[doc(hidden)]
pub mod __scalars {
    pub use core::primitive::{bool, f32, f64, i16, i32, i64};
    pub use half::{bf16, f16};
}
