//! The error every distributed call returns, on every rank alike.

use std::fmt;

/// What went wrong in a distributed call. Every rank of the grid returns an
/// error when any rank finds one.
///
/// Argument errors are agreed on before anything is written: the outputs
/// are untouched. The one exception is a failure of the node kernel during
/// the product itself, `Node(`[`WorkspaceTooLarge`](tropical_blas::Error::WorkspaceTooLarge)`)`:
/// the allocator refusing packing buffers part way through the panels.
/// Every rank still returns that same error, but C (and argk) may then be
/// partly written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An argument check of the node API, with global indices: shapes
    /// that do not chain ([`DimensionMismatch`](tropical_blas::Error::DimensionMismatch)),
    /// an integer outside the semiring's range
    /// ([`ValueOutOfRange`](tropical_blas::Error::ValueOutOfRange), the
    /// first one in row-major order of A, then B, as `gemm` reports it),
    /// an argk of the wrong shape, a depth too large for `u32` indices, or
    /// a configuration the node refuses (ISA level, tiling); or the node
    /// kernel failing during the product (`WorkspaceTooLarge`, see above).
    /// The same value on every rank, except for configuration errors found
    /// on only some ranks (see [`Error::OtherRank`]).
    Node(tropical_blas::Error),
    /// The operands are distributed over different process grids (their
    /// communicators are not congruent, or the grid shapes differ).
    GridMismatch {
        /// (rows, cols) of the output's grid.
        expected: (usize, usize),
        /// (rows, cols) of the operand's grid.
        found: (usize, usize),
    },
    /// A grid shape that does not use exactly the communicator's ranks
    /// (rows · cols must equal its size, both at least 1), or one that the
    /// ranks did not all ask for.
    InvalidGrid {
        /// Rows asked for (on this rank).
        rows: usize,
        /// Columns asked for (on this rank).
        cols: usize,
        /// Ranks in the communicator.
        size: usize,
    },
    /// A root rank outside the grid.
    InvalidRoot {
        /// The root asked for.
        root: i32,
        /// Ranks in the grid.
        size: usize,
    },
    /// `scatter` was called without a matrix on the root rank.
    MissingRootMatrix,
    /// A block or panel with more elements than one MPI message can carry
    /// (`i32::MAX`): use more ranks, or a smaller panel width.
    MessageTooLarge {
        /// Elements in the message.
        elements: usize,
    },
    /// A [`SummaConfig`](crate::SummaConfig) with a zero panel width.
    InvalidPanelWidth,
    /// The ranks passed different values of an argument that must be the
    /// same everywhere: a global shape, the panel width, overlap, the
    /// accumulation mode, the call (`summa` or `summa_argmax`) or the
    /// semiring (its type, by a hash of its name); the root, element type
    /// or shape of a gather; the root or element type of a scatter.
    /// Different panel plans would pair mismatched broadcasts, which
    /// abort or hang, and different types would mix their data.
    InconsistentArguments {
        /// Which argument differs.
        what: &'static str,
        /// The first grid rank whose value differs from rank 0's.
        rank: i32,
    },
    /// MPI was initialized at `Threading::Single` (`mpi::initialize()`),
    /// but the node kernel would run on more than one thread: initialize
    /// with `mpi::initialize_with_threading(Threading::Funneled)` (every MPI
    /// call of this crate is made from the calling thread), or use
    /// `Par::Seq`.
    SingleThreadedMpi {
        /// The threads the node kernel would use (the fewest of any
        /// rank that found this).
        threads: usize,
    },
    /// Another rank found an error that does not travel as data (a
    /// configuration it refused); this rank's own arguments were fine.
    /// Nothing has been written, unless the node kernel failed during the
    /// product (see the type's description).
    OtherRank {
        /// The grid rank that failed first.
        rank: i32,
    },
}

impl From<tropical_blas::Error> for Error {
    fn from(e: tropical_blas::Error) -> Self {
        Error::Node(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Node(e) => write!(f, "{e}"),
            Error::GridMismatch { expected, found } => write!(
                f,
                "grid mismatch: the output lives on a {}x{} grid, an operand on another ({}x{}, or another communicator)",
                expected.0, expected.1, found.0, found.1
            ),
            Error::InvalidGrid { rows, cols, size } => write!(
                f,
                "invalid process grid: {rows}x{cols} on a communicator of {size} ranks (rows·cols must equal the size, and every rank must ask for the same shape)"
            ),
            Error::InvalidRoot { root, size } => {
                write!(f, "invalid root rank {root} on a grid of {size} ranks")
            }
            Error::MissingRootMatrix => f.write_str("scatter: the root rank passed no matrix"),
            Error::MessageTooLarge { elements } => write!(
                f,
                "message too large: {elements} elements exceed what one MPI message carries (i32::MAX)"
            ),
            Error::InvalidPanelWidth => f.write_str("invalid SUMMA configuration: panel width 0"),
            Error::InconsistentArguments { what, rank } => write!(
                f,
                "inconsistent arguments: grid rank {rank} passed another {what} than rank 0 (every rank must pass the same)"
            ),
            Error::SingleThreadedMpi { threads } => write!(
                f,
                "MPI was initialized at Threading::Single, but the node kernel would use {threads} threads: initialize with Threading::Funneled, or use Par::Seq"
            ),
            Error::OtherRank { rank } => write!(
                f,
                "rank {rank} failed (an error found only there; this rank's arguments were fine)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Node(e) => Some(e),
            _ => None,
        }
    }
}
