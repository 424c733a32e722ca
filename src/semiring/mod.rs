//! The semiring traits, and the kernel handles they name.
//!
//! This module sits below the kernels and the loops: it says what a
//! product is (the scalar reference) and what a kernel handle holds, and
//! nothing about how either is computed. The built-in semirings are in
//! `builtin`; the handles are built in `binding`.

pub(crate) mod counting;
pub(crate) mod kernel;
pub(crate) mod rules;

use crate::element::Element;
use crate::isa::IsaLevel;
pub use kernel::{ArgKernel, Kernel};

/// The index [`gemm_argmax`](crate::gemm_argmax) writes where no product
/// won: k = 0, or every product was ZERO or NaN (so the value is ZERO, or
/// NaN kept from C).
pub const NO_ARG: u32 = u32::MAX;

/// A semiring (S, ⊕, ⊗, 0, 1) over a plain scalar type.
///
/// Implement the five required items for your own zero-sized type and
/// [`gemm`](crate::gemm) works with it through the portable kernel. The
/// product is defined as the scalar reference
///
/// ```text
/// acc = ZERO; for p in 0..k { acc = add(acc, mul(A[i,p], B[p,j])) }
/// C[i,j] = acc                     (Accum::Replace)
/// C[i,j] = add(C[i,j], acc)        (Accum::Combine)
/// ```
///
/// and every kernel, tiling and thread count reproduces it exactly,
/// provided ⊕ is associative with identity `ZERO` (a monoid, as
/// GraphBLAS requires of its ⊕) and `ZERO` absorbs ⊗. The loops split k
/// into blocks and ⊕ the block results in increasing k, so associativity
/// is what makes that equal to the one fold above; ⊕ need not be
/// commutative (no path reorders k). For a ⊕ that is not associative,
/// such as floating-point addition, results are not defined bit for bit:
/// they may differ from the fold in the last places.
///
/// ```
/// use tropical_blas::{gemm, Accum, MatMut, MatRef, Semiring};
///
/// /// (max, min) over u8 "capacities": the widest-path semiring.
/// struct Widest;
/// impl Semiring for Widest {
///     type Scalar = u8;
///     const ZERO: u8 = 0;
///     const ONE: u8 = u8::MAX;
///     fn add(acc: u8, x: u8) -> u8 { acc.max(x) }
///     fn mul(a: u8, b: u8) -> u8 { a.min(b) }
/// }
///
/// let a = [3u8, 9, 4, 1];
/// let b = [5u8, 2, 7, 8];
/// let mut c = [0u8; 4];
/// gemm::<Widest>(
///     MatRef::row_major(&a, 2, 2)?,
///     MatRef::row_major(&b, 2, 2)?,
///     MatMut::row_major(&mut c, 2, 2)?,
///     Accum::Replace,
/// )?;
/// assert_eq!(c, [7, 8, 4, 2]);
/// # Ok::<(), tropical_blas::Error>(())
/// ```
pub trait Semiring: Sized + 'static {
    /// The element type.
    type Scalar: Element;
    /// The ⊕ identity, which ⊗ must absorb (−∞ for max-plus).
    const ZERO: Self::Scalar;
    /// The ⊗ identity (0 for max-plus).
    const ONE: Self::Scalar;
    /// ⊕: folds the product `x` into the accumulator `acc`. The order of
    /// the arguments matters where ties or NaN can occur.
    fn add(acc: Self::Scalar, x: Self::Scalar) -> Self::Scalar;
    /// ⊗: the product of an element of A (`a`) and one of B (`b`).
    fn mul(a: Self::Scalar, b: Self::Scalar) -> Self::Scalar;

    /// Set to `true` when [`accepts_input`](Semiring::accepts_input) can
    /// return `false`; `gemm` then scans A and B before computing.
    const RESTRICTS_INPUT: bool = false;

    /// Whether `x` may appear in A or B. The built-in integer (max|min, +)
    /// semirings accept only a range that cannot overflow; every other
    /// semiring accepts all values. `gemm` checks this before it writes
    /// anything and returns [`Error::ValueOutOfRange`](crate::Error::ValueOutOfRange).
    /// It must be a pure function of `x`: the scans may ask twice about
    /// one element, and a check that contradicts itself gets either
    /// answer (never a panic).
    #[inline(always)]
    fn accepts_input(x: Self::Scalar) -> bool {
        let _ = x;
        true
    }

    /// The kernel that runs for this semiring when the ISA level is capped
    /// at `level`. The built-in semirings return their SIMD kernels here
    /// (only for levels this CPU supports); any other semiring gets the
    /// portable kernel, which is always correct.
    fn kernel(level: IsaLevel) -> Kernel<Self> {
        let _ = level;
        Kernel::portable()
    }
}

/// A semiring whose ⊕ *selects* one of its operands (max or min), so every
/// output of a product has a winning k: what
/// [`gemm_argmax`](crate::gemm_argmax) reports.
///
/// The contract ties [`improves`](SelectingSemiring::improves) to ⊕:
/// `add(acc, x)` is `x` when `improves(x, acc)` and `acc` otherwise. A tie
/// does not improve, so the smallest k wins.
///
/// ```
/// use tropical_blas::{MaxPlus, MinPlus, SelectingSemiring};
/// assert!(MaxPlus::<f32>::improves(2.0, 1.0));
/// assert!(!MaxPlus::<f32>::improves(1.0, 1.0)); // ties keep the first
/// assert!(!MaxPlus::<f32>::improves(f32::NAN, 1.0)); // NaN never wins
/// assert!(MinPlus::<f32>::improves(1.0, 2.0));
/// ```
pub trait SelectingSemiring: Semiring {
    /// Whether the candidate `x` strictly beats the incumbent `acc`.
    fn improves(x: Self::Scalar, acc: Self::Scalar) -> bool;

    /// The argmax kernel at ISA level `level`; the built-ins return SIMD
    /// kernels, any other semiring the portable one.
    fn arg_kernel(level: IsaLevel) -> ArgKernel<Self> {
        let _ = level;
        ArgKernel::portable()
    }
}

/// A selecting semiring over a float type whose ⊗ has partial
/// derivatives: what [`argmax_backward`](crate::argmax_backward) needs to
/// route an upstream gradient through the winning products.
pub trait DifferentiableSemiring: SelectingSemiring {
    /// (∂(a ⊗ b)/∂a, ∂(a ⊗ b)/∂b) at (a, b).
    fn mul_partials(a: Self::Scalar, b: Self::Scalar) -> (Self::Scalar, Self::Scalar);
}

/// Largest magnitude a finite input of the integer (max|min, +) semirings
/// may have: 2^(bits−4), so 2^12 for `i16`, 2^28 for `i32`, 2^60 for
/// `i64`. Sums of two such values never
/// overflow, and the SIMD kernels can represent ZERO by a sentinel that
/// stays below every finite sum (see `kernel::simd`).
pub trait IntegerInputLimit {
    /// The bound, inclusive, on |x| for a finite input.
    const INPUT_LIMIT: Self;
}
impl IntegerInputLimit for i16 {
    const INPUT_LIMIT: i16 = 1 << 12;
}
impl IntegerInputLimit for i32 {
    const INPUT_LIMIT: i32 = 1 << 28;
}
impl IntegerInputLimit for i64 {
    const INPUT_LIMIT: i64 = 1 << 60;
}
