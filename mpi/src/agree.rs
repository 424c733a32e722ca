//! Collective agreement on an outcome: every rank brings its own check's
//! result, and every rank leaves with the same verdict.
//!
//! A rank that returned early on a local error would leave the others
//! blocked in the next broadcast. So each rank encodes its result as a few
//! integers, one all-gather shares them, and every rank picks the same
//! winner: the error the single-node call would have reported first (shape
//! errors, then configuration, then the first out-of-range value in
//! row-major order of A, then B).
//!
//! The same all-gather carries the arguments every rank must pass alike
//! (global shapes, the configuration that decides the panel plan): a rank's
//! own checks cannot see that another rank plans different broadcasts, and
//! mismatched broadcasts abort or hang. Any difference from rank 0 is
//! [`Error::InconsistentArguments`] on every rank, before anything else.

use mpi::traits::{Communicator, CommunicatorCollectives};
use tropical_blas::Operand;

use crate::error::Error;

/// One rank's outcome as integers: a kind (0 = fine; lower kinds win) and
/// its payload. Minimum in lexicographic order is the verdict.
type Code = [u64; 7];

const OK: u64 = 0;
const GRID_MISMATCH: u64 = 1;
const INVALID_PANEL_WIDTH: u64 = 2;
const DIMENSION_MISMATCH: u64 = 3;
const SHAPE_MISMATCH: u64 = 4;
const INDEX_OVERFLOW: u64 = 5;
const MESSAGE_TOO_LARGE: u64 = 6;
const LOCAL_ONLY: u64 = 7;
const SINGLE_THREADED_MPI: u64 = 8;
const VALUE_OUT_OF_RANGE: u64 = 9;
const WORKSPACE_TOO_LARGE: u64 = 10;

/// Every operand the node names, by its code (its index here). An operand
/// added to the node later has no code: errors naming it stay local-only
/// instead of being decoded as another operand.
const OPERANDS: [Operand; 7] = [
    Operand::A,
    Operand::B,
    Operand::C,
    Operand::ArgK,
    Operand::GradC,
    Operand::GradA,
    Operand::GradB,
];

fn operand_code(o: Operand) -> Option<u64> {
    OPERANDS.iter().position(|&x| x == o).map(|i| i as u64)
}

fn operand_from(code: u64) -> Option<Operand> {
    OPERANDS.get(usize::try_from(code).ok()?).copied()
}

fn encode(outcome: &Result<(), Error>, rank: i32) -> Code {
    let u = |x: usize| x as u64;
    let Err(e) = outcome else {
        return [OK; 7];
    };
    match e {
        Error::GridMismatch { expected, found } => [
            GRID_MISMATCH,
            u(expected.0),
            u(expected.1),
            u(found.0),
            u(found.1),
            0,
            0,
        ],
        Error::InvalidPanelWidth => [INVALID_PANEL_WIDTH, 0, 0, 0, 0, 0, 0],
        Error::Node(tropical_blas::Error::DimensionMismatch { a, b, c }) => [
            DIMENSION_MISMATCH,
            u(a.0),
            u(a.1),
            u(b.0),
            u(b.1),
            u(c.0),
            u(c.1),
        ],
        Error::Node(tropical_blas::Error::ShapeMismatch {
            operand,
            expected,
            found,
        }) if operand_code(*operand).is_some() => [
            SHAPE_MISMATCH,
            operand_code(*operand).unwrap_or_default(),
            u(expected.0),
            u(expected.1),
            u(found.0),
            u(found.1),
            0,
        ],
        Error::Node(tropical_blas::Error::IndexOverflow { k }) => {
            [INDEX_OVERFLOW, u(*k), 0, 0, 0, 0, 0]
        }
        Error::MessageTooLarge { elements } => [MESSAGE_TOO_LARGE, u(*elements), 0, 0, 0, 0, 0],
        Error::SingleThreadedMpi { threads } => [SINGLE_THREADED_MPI, u(*threads), 0, 0, 0, 0, 0],
        Error::Node(tropical_blas::Error::ValueOutOfRange { operand, row, col })
            if operand_code(*operand).is_some() =>
        {
            [
                VALUE_OUT_OF_RANGE,
                operand_code(*operand).unwrap_or_default(),
                u(*row),
                u(*col),
                0,
                0,
                0,
            ]
        }
        Error::Node(tropical_blas::Error::WorkspaceTooLarge { bytes }) => {
            [WORKSPACE_TOO_LARGE, u(*bytes), 0, 0, 0, 0, 0]
        }
        // Configuration errors and anything else: only the rank that
        // found it can say what it was.
        _ => [LOCAL_ONLY, rank as u64, 0, 0, 0, 0, 0],
    }
}

fn decode(code: Code, own: Result<(), Error>) -> Result<(), Error> {
    let z = |x: u64| x as usize;
    let p = code;
    let operand = |x: u64| operand_from(x).expect("encoded from an Operand");
    Err(match p[0] {
        OK => return Ok(()),
        GRID_MISMATCH => Error::GridMismatch {
            expected: (z(p[1]), z(p[2])),
            found: (z(p[3]), z(p[4])),
        },
        INVALID_PANEL_WIDTH => Error::InvalidPanelWidth,
        DIMENSION_MISMATCH => Error::Node(tropical_blas::Error::DimensionMismatch {
            a: (z(p[1]), z(p[2])),
            b: (z(p[3]), z(p[4])),
            c: (z(p[5]), z(p[6])),
        }),
        SHAPE_MISMATCH => Error::Node(tropical_blas::Error::ShapeMismatch {
            operand: operand(p[1]),
            expected: (z(p[2]), z(p[3])),
            found: (z(p[4]), z(p[5])),
        }),
        INDEX_OVERFLOW => Error::Node(tropical_blas::Error::IndexOverflow { k: z(p[1]) }),
        MESSAGE_TOO_LARGE => Error::MessageTooLarge { elements: z(p[1]) },
        SINGLE_THREADED_MPI => Error::SingleThreadedMpi { threads: z(p[1]) },
        WORKSPACE_TOO_LARGE => {
            Error::Node(tropical_blas::Error::WorkspaceTooLarge { bytes: z(p[1]) })
        }
        VALUE_OUT_OF_RANGE => Error::Node(tropical_blas::Error::ValueOutOfRange {
            operand: operand(p[1]),
            row: z(p[2]),
            col: z(p[3]),
        }),
        _ => match own {
            // This rank failed as the first failing rank did (it is that
            // rank, or failed the same way): its own error, which says more.
            Err(e) if encode(&Err(e.clone()), p[1] as i32) == code => e,
            _ => Error::OtherRank { rank: p[1] as i32 },
        },
    })
}

/// One argument every rank must pass alike: what it is (for
/// [`Error::InconsistentArguments`]) and its value as an integer.
pub(crate) type Arg = (&'static str, u64);

/// A tag of type `T` that ranks compare: the FNV-1a hash of its name.
/// Ranks of one program name a type alike, so a semiring or element type
/// that differs between ranks (max-plus on one, min-plus on another, or
/// f32 against i32) is an [`Error::InconsistentArguments`], not a product
/// that mixes them.
pub(crate) fn type_tag<T: ?Sized>() -> u64 {
    std::any::type_name::<T>()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// Shares `outcome` and `args` with every rank of `comm` and returns the
/// common verdict: [`Error::InconsistentArguments`] if any rank's `args`
/// differ from rank 0's (the first differing rank, then the first
/// differing argument), else `Ok` only if every rank's outcome was `Ok`.
/// Collective: every rank of `comm` must call it, with as many `args`.
pub(crate) fn agree<C: Communicator>(
    comm: &C,
    args: &[Arg],
    outcome: Result<(), Error>,
) -> Result<(), Error> {
    let rank = comm.rank();
    let code = encode(&outcome, rank);
    let width = code.len() + args.len();
    let mut mine = code.to_vec();
    mine.extend(args.iter().map(|a| a.1));
    let mut all = vec![0u64; width * comm.size() as usize];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let rows = || all.chunks_exact(width);
    let root_args = &all[code.len()..width];
    for (r, row) in rows().enumerate() {
        let differs = row[code.len()..]
            .iter()
            .zip(root_args)
            .position(|(x, y)| x != y);
        if let Some(at) = differs {
            return Err(Error::InconsistentArguments {
                what: args[at].0,
                rank: r as i32,
            });
        }
    }
    let verdict = rows()
        .map(|c| <Code>::try_from(&c[..code.len()]).expect("chunks of 7"))
        .filter(|c| c[0] != OK)
        .min()
        .unwrap_or([OK; 7]);
    decode(verdict, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that travels as data comes out of the all-gather as itself
    /// on a rank that did not find it.
    fn travels(e: Error) {
        let code = encode(&Err(e.clone()), 3);
        assert_ne!(code[0], LOCAL_ONLY, "{e:?} should travel");
        assert_eq!(decode(code, Ok(())), Err(e));
    }

    #[test]
    fn every_operand_travels_as_itself() {
        let all = [
            Operand::A,
            Operand::B,
            Operand::C,
            Operand::ArgK,
            Operand::GradC,
            Operand::GradA,
            Operand::GradB,
        ];
        for operand in all {
            travels(Error::Node(tropical_blas::Error::ShapeMismatch {
                operand,
                expected: (2, 3),
                found: (4, 5),
            }));
            travels(Error::Node(tropical_blas::Error::ValueOutOfRange {
                operand,
                row: 6,
                col: 7,
            }));
        }
    }

    #[test]
    fn node_and_threading_errors_travel() {
        travels(Error::Node(tropical_blas::Error::WorkspaceTooLarge {
            bytes: 1 << 45,
        }));
        travels(Error::SingleThreadedMpi { threads: 2 });
        travels(Error::MessageTooLarge { elements: 1 << 31 });
    }

    #[test]
    fn local_only_errors_name_the_rank() {
        let e = Error::InvalidRoot { root: 9, size: 4 };
        let code = encode(&Err(e.clone()), 2);
        assert_eq!(code[0], LOCAL_ONLY);
        assert_eq!(decode(code, Err(e.clone())), Err(e));
        assert_eq!(decode(code, Ok(())), Err(Error::OtherRank { rank: 2 }));
    }
}
