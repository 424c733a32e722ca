//! The one error type every public call returns.

use std::fmt;

/// Which operand of a product an error refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operand {
    /// The left factor `A` (m × k).
    A,
    /// The right factor `B` (k × n).
    B,
    /// The output `C` (m × n).
    C,
    /// The winning-index matrix of an argmax product (m × n).
    ArgK,
    /// The upstream gradient of `C` (m × n).
    GradC,
    /// The gradient of `A` (m × k).
    GradA,
    /// The gradient of `B` (k × n).
    GradB,
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operand::A => "A",
            Operand::B => "B",
            Operand::C => "C",
            Operand::ArgK => "argk",
            Operand::GradC => "grad_c",
            Operand::GradA => "grad_a",
            Operand::GradB => "grad_b",
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
    /// An operand of an argmax product or its gradient whose shape does
    /// not match the product's (argk and grad_c are m × n, grad_a m × k,
    /// grad_b k × n).
    ShapeMismatch {
        /// The operand with the wrong shape.
        operand: Operand,
        /// (rows, cols) it must have.
        expected: (usize, usize),
        /// (rows, cols) it has.
        found: (usize, usize),
    },
    /// An argmax product whose depth k does not fit the `u32` indices
    /// (k must be below `u32::MAX`, which stands for "no index").
    IndexOverflow {
        /// The depth asked for.
        k: usize,
    },
    /// An index in `argk` that is neither below k nor
    /// [`NO_ARG`](crate::NO_ARG).
    IndexOutOfRange {
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
        /// The index found.
        index: u32,
        /// The depth of the product.
        k: usize,
    },
    /// A graph with a cycle of negative length (see
    /// [`graph::shortest_paths`](crate::graph::shortest_paths)).
    NegativeCycle {
        /// A vertex on a closed walk of negative length: on a negative
        /// cycle, or in both directions connected to one.
        vertex: usize,
    },
    /// The packing buffers a product needs exceed
    /// [`MAX_WORKSPACE_BYTES`](crate::MAX_WORKSPACE_BYTES), or the
    /// allocator refused them. Only broadcast views (zero strides) of a
    /// huge depth k reach this: products of stored matrices pack within a
    /// fixed multiple of their operands.
    WorkspaceTooLarge {
        /// The bytes asked for (`usize::MAX` when the size overflows).
        bytes: usize,
    },
    /// A view that cannot be converted to another library's view without a
    /// copy (the `ndarray` adapter, [`nd`](crate::nd)).
    LayoutNotConvertible {
        /// Its extent along each axis.
        shape: Vec<usize>,
        /// Its element strides, axis by axis.
        strides: Vec<isize>,
        /// Why it cannot be borrowed as it is.
        reason: &'static str,
    },
    /// `TROPICAL_BLAS_TUNING` names a file that cannot be read or parsed.
    InvalidTuningFile {
        /// The path from the environment.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `TilingParams` with a zero block size.
    InvalidTiling {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `TROPICAL_BLAS_ISA` holds a value that is not `scalar`, `avx2`,
    /// `avx512` or `avx512fp16`.
    InvalidIsaSetting {
        /// The value found in the environment.
        value: String,
    },
    /// `TROPICAL_BLAS_ADD_ON_FMA` holds a value that is not `on` or `off`.
    InvalidAddOnFmaSetting {
        /// The value found in the environment.
        value: String,
    },
    /// `TROPICAL_BLAS_NARROW_TILES` holds a value that is not `on` or
    /// `off`.
    InvalidNarrowTilesSetting {
        /// The value found in the environment.
        value: String,
    },
    /// A count of a counting tropical operand that is not an integer in
    /// [0, 2^53) (or is −0.0; see [`counting`](crate::counting)), in an element whose
    /// value is not ZERO's (a ZERO's count is never read).
    InvalidCount {
        /// The operand holding it (A, B, or C under `Combine`).
        operand: Operand,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// A count of a counting tropical product reached 2^53, past which
    /// `f64` counts are no longer exact; C is untouched.
    CountOverflow {
        /// Row of the first such output (row-major order).
        row: usize,
        /// Its column.
        col: usize,
    },
    /// A bit matrix with more than one row whose row stride (in words) is
    /// below the words a row needs, so rows would share words.
    BitRowStride {
        /// Its columns.
        cols: usize,
        /// The row stride given, in words.
        row_stride: usize,
        /// The words a row needs, ⌈cols / 64⌉.
        words_per_row: usize,
    },
    /// An ISA level was requested (by `TROPICAL_BLAS_ISA` or `GemmConfig`)
    /// that this CPU does not support.
    IsaUnavailable {
        /// The level asked for.
        requested: crate::isa::IsaLevel,
        /// The best level this CPU supports.
        detected: crate::isa::IsaLevel,
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
            Error::ShapeMismatch {
                operand,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch: {operand} is {}x{}, the product needs {}x{}",
                found.0, found.1, expected.0, expected.1
            ),
            Error::IndexOverflow { k } => write!(
                f,
                "index overflow: k = {k} does not fit a u32 index below u32::MAX"
            ),
            Error::IndexOutOfRange { row, col, index, k } => write!(
                f,
                "index out of range: argk[{row}, {col}] = {index} is neither below k = {k} nor NO_ARG"
            ),
            Error::NegativeCycle { vertex } => write!(
                f,
                "negative cycle: vertex {vertex} lies on a closed walk of negative length, so shortest paths are undefined"
            ),
            Error::WorkspaceTooLarge { bytes } => write!(
                f,
                "workspace too large: the packing buffers need {bytes} bytes (more than MAX_WORKSPACE_BYTES, or the allocator refused)"
            ),
            Error::LayoutNotConvertible {
                shape,
                strides,
                reason,
            } => write!(
                f,
                "layout not convertible: the view of shape {shape:?} with element strides {strides:?} cannot be borrowed as it is: {reason}"
            ),
            Error::InvalidTuningFile { path, reason } => write!(
                f,
                "TROPICAL_BLAS_TUNING={path:?} is not a usable tuning file: {reason}"
            ),
            Error::InvalidTiling { reason } => write!(f, "invalid tiling parameters: {reason}"),
            Error::InvalidIsaSetting { value } => write!(
                f,
                "TROPICAL_BLAS_ISA={value:?} is not one of: scalar, avx2, avx512, avx512fp16"
            ),
            Error::InvalidAddOnFmaSetting { value } => write!(
                f,
                "TROPICAL_BLAS_ADD_ON_FMA={value:?} is not one of: on, off"
            ),
            Error::InvalidNarrowTilesSetting { value } => write!(
                f,
                "TROPICAL_BLAS_NARROW_TILES={value:?} is not one of: on, off"
            ),
            Error::InvalidCount { operand, row, col } => write!(
                f,
                "invalid count: {operand} count [{row}, {col}] is not an integer in [0, 2^53) (or is -0.0)"
            ),
            Error::CountOverflow { row, col } => write!(
                f,
                "count overflow: the count of C[{row}, {col}] reaches 2^53, past which f64 counts are not exact"
            ),
            Error::BitRowStride {
                cols,
                row_stride,
                words_per_row,
            } => write!(
                f,
                "bit matrix row stride {row_stride} words is below the {words_per_row} words a row of {cols} columns needs (rows would overlap)"
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
