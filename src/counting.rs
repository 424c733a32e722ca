//! Counting tropical numbers (TropicalNumbers.jl's `CountingTropical`):
//! one product gives the optimum *and the number of ways it is reached*
//! (the degeneracy of a ground state, the number of shortest paths).
//!
//! An element is a pair (value, count). ⊗ adds the values and multiplies
//! the counts; ⊕ keeps the better value ([`CountingMax`]: the larger,
//! [`CountingMin`]: the smaller) and adds the counts on a tie.
//!
//! | semiring | ⊕ | ⊗ | zero | one | values | counts |
//! |---|---|---|---|---|---|---|
//! | [`CountingMax<T>`] | (max, + on ties) | (+, ×) | (−∞, 0) | (0, 1) | f32 f64 | f64 |
//! | [`CountingMin<T>`] | (min, + on ties) | (+, ×) | (+∞, 0) | (0, 1) | f32 f64 | f64 |
//!
//! # The result, exactly
//!
//! Every kernel, block size and thread count returns the bits of
//!
//! ```text
//! (v, c) = ZERO
//! for p in 0..k {
//!     x = A.v[i,p] + B.v[p,j];  q = A.c[i,p] · B.c[p,j]
//!     if x > v { (v, c) = (x, q) } else if x == v { c = c + q }    (max; < for min)
//! }
//! Replace: C[i,j] = (v, c)     Combine: C[i,j] = C[i,j] ⊕ (v, c)
//! ```
//!
//! then a ZERO value gets count 0. The rules:
//!
//! - **ZERO absorbs.** An element whose value is ZERO's (−∞ for max, +∞
//!   for min) is ZERO whatever count is stored, and a product whose value
//!   is ZERO's (a ZERO factor, or finite values whose sum overflows to it)
//!   contributes nothing: an output whose value is ZERO's has count 0.
//! - **Ties** are `==`: −0 ties +0 (the counts add) and the earlier value
//!   is kept, so signed zeros come out as in the value-only semirings.
//! - **NaN never wins**: a product whose value is NaN neither beats nor
//!   ties anything (as GraphBLAS MAX); a NaN already in C under `Combine`
//!   stays, with its count.
//! - **Counts** are `f64` holding integers, exact below 2^53
//!   ([`COUNT_LIMIT`]). A count of A, B (or C under `Combine`) whose value
//!   is not ZERO's must be an integer in [0, 2^53), and +0.0 rather than
//!   −0.0 ([`Error::InvalidCount`](crate::Error::InvalidCount) otherwise). A
//!   result count that would reach 2^53 is
//!   [`Error::CountOverflow`](crate::Error::CountOverflow), never a rounded
//!   count: every product and partial sum below 2^53 is exact, and sums of
//!   non-negative terms only grow, so a final count below 2^53 proves that
//!   no step rounded. Exact integer sums make the order of the additions
//!   irrelevant: blocks, kernels (fused multiply-add or not) and threads
//!   all give the same count.
//! - **Nothing is written on error**: shapes, counts and the ISA level are
//!   checked first; a product whose counts could reach 2^53 (by the bound
//!   `Σ_p max_i A.c[i,p] · max_j B.c[p,j]`, plus C's largest count) runs into
//!   a scratch copy that is checked before C is written.
//!
//! Why `f64` counts, and two planes: the kernels keep 16 f32 values in one
//! AVX-512 register and their counts in two, and update the counts with
//! masked fused multiply-adds; `u64` has no vector multiply in AVX2 or
//! AVX-512F (`vpmullq` needs AVX-512DQ) and no cheap overflow flag. Each
//! operand is a value view and a count view ([`CountingRef`],
//! [`CountingMut`]), so values and counts load with plain vector loads.
//!
//! ```
//! use tropical_blas::counting::{self, CountingMin, CountingMut, CountingRef};
//! use tropical_blas::{Accum, MatMut, MatRef};
//! // Shortest 2-hop routes 0 → 1 in a 2-node graph with 2 parallel unit edges.
//! let w = [0.0f64, 1.0, 1.0, 0.0];
//! let ways = [1.0, 2.0, 2.0, 1.0];
//! let a = CountingRef::new(MatRef::row_major(&w, 2, 2)?, MatRef::row_major(&ways, 2, 2)?)?;
//! let (mut v, mut c) = ([0.0f64; 4], [0.0f64; 4]);
//! let out = CountingMut::new(MatMut::row_major(&mut v, 2, 2)?, MatMut::row_major(&mut c, 2, 2)?)?;
//! counting::gemm::<CountingMin<f64>>(a, a, out, Accum::Replace)?;
//! assert_eq!((v[1], c[1]), (1.0, 4.0)); // stay then edge (2 ways) or edge then stay (2 ways)
//! # Ok::<(), tropical_blas::Error>(())
//! ```

pub use crate::api::counting::{
    CountingMut, CountingRef, gemm, gemm_batched, gemm_batched_with, gemm_with, kernel_at,
    kernel_for,
};
pub use crate::semiring::counting::{
    COUNT_LIMIT, CountValue, CountingKernel, CountingMax, CountingMin, CountingSemiring,
};
