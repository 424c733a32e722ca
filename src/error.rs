//! The one error type every public call returns.

use std::fmt;

/// Which operand of a product an error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The left factor `A` (m × k).
    A,
    /// The right factor `B` (k × n).
    B,
    /// The output `C` (m × n).
    C,
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operand::A => "A",
            Operand::B => "B",
            Operand::C => "C",
        })
    }
}

/// Everything that can go wrong in a call. A call that returns an error has
/// not written to its output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The shapes do not chain: `A` is m×k, `B` must be k×n and `C` m×n.
    DimensionMismatch {
        /// (rows, cols) of `A`.
        a: (usize, usize),
        /// (rows, cols) of `B`.
        b: (usize, usize),
        /// (rows, cols) of `C`.
        c: (usize, usize),
    },
    /// Batched call whose operands hold different numbers of matrices.
    BatchCountMismatch {
        /// Items in A.
        a: usize,
        /// Items in B.
        b: usize,
        /// Items in C.
        c: usize,
    },
    /// A view's layout reaches past the end of its slice.
    BufferTooShort {
        /// Elements the layout needs.
        needed: usize,
        /// Elements the slice has.
        len: usize,
    },
    /// A layout whose extent does not fit in `isize` elements.
    LayoutOverflow,
    /// A mutable view in which two different (row, col) positions share one
    /// element (for example a zero stride), so a write would clobber another.
    AliasingOutput {
        /// Rows of the rejected view.
        rows: usize,
        /// Columns of the rejected view.
        cols: usize,
        /// Row stride of the rejected view.
        row_stride: isize,
        /// Column stride of the rejected view.
        col_stride: isize,
    },
    /// An integer input outside the range the semiring can add without
    /// overflow (see the crate documentation, "Integer rule").
    ValueOutOfRange {
        /// The operand holding the value.
        operand: Operand,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// A `TilingParams` with a zero block size.
    InvalidTiling {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `TROPICAL_BLAS_ISA` holds a value that is not `scalar`, `avx2` or
    /// `avx512`.
    InvalidIsaSetting {
        /// The value found in the environment.
        value: String,
    },
    /// An ISA level was requested (by `TROPICAL_BLAS_ISA` or `GemmConfig`)
    /// that this CPU does not support.
    IsaUnavailable {
        /// The level asked for.
        requested: crate::IsaLevel,
        /// The best level this CPU supports.
        detected: crate::IsaLevel,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DimensionMismatch { a, b, c } => write!(
                f,
                "dimension mismatch: A is {}x{}, B is {}x{}, C is {}x{} (need A m x k, B k x n, C m x n)",
                a.0, a.1, b.0, b.1, c.0, c.1
            ),
            Error::BatchCountMismatch { a, b, c } => {
                write!(f, "batch count mismatch: A has {a} matrices, B {b}, C {c}")
            }
            Error::BufferTooShort { needed, len } => write!(
                f,
                "buffer too short: the layout needs {needed} elements, the slice has {len}"
            ),
            Error::LayoutOverflow => {
                f.write_str("layout overflow: the view spans more than isize::MAX elements")
            }
            Error::AliasingOutput {
                rows,
                cols,
                row_stride,
                col_stride,
            } => write!(
                f,
                "aliasing output layout: a {rows}x{cols} view with strides ({row_stride}, {col_stride}) maps two positions to one element"
            ),
            Error::ValueOutOfRange { operand, row, col } => write!(
                f,
                "value out of range: {operand}[{row}, {col}] is outside the integer range this semiring accepts"
            ),
            Error::InvalidTiling { reason } => write!(f, "invalid tiling parameters: {reason}"),
            Error::InvalidIsaSetting { value } => write!(
                f,
                "TROPICAL_BLAS_ISA={value:?} is not one of: scalar, avx2, avx512"
            ),
            Error::IsaUnavailable {
                requested,
                detected,
            } => write!(
                f,
                "ISA level {requested} was requested but this CPU supports at most {detected}"
            ),
        }
    }
}

impl std::error::Error for Error {}
