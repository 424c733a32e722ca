//! Collective agreement on an outcome: every rank brings its own check's
//! result, and every rank leaves with the same verdict.
//!
//! A rank that returned early on a local error would leave the others
//! blocked in the next broadcast. So each rank encodes its result as a few
//! integers, one all-gather shares them, and every rank picks the same
//! winner: the error the single-node call would have reported first (shape
//! errors, then configuration, then the first out-of-range value in
//! row-major order of A, then B).

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
const VALUE_OUT_OF_RANGE: u64 = 8;

fn operand_code(o: Operand) -> u64 {
    match o {
        Operand::A => 0,
        Operand::B => 1,
        Operand::C => 2,
        Operand::ArgK => 3,
        _ => 4,
    }
}

fn operand_from(code: u64) -> Operand {
    match code {
        0 => Operand::A,
        1 => Operand::B,
        2 => Operand::C,
        _ => Operand::ArgK,
    }
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
        }) => [
            SHAPE_MISMATCH,
            operand_code(*operand),
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
        Error::Node(tropical_blas::Error::ValueOutOfRange { operand, row, col }) => [
            VALUE_OUT_OF_RANGE,
            operand_code(*operand),
            u(*row),
            u(*col),
            0,
            0,
            0,
        ],
        // Configuration errors and anything else: only the rank that
        // found it can say what it was.
        _ => [LOCAL_ONLY, rank as u64, 0, 0, 0, 0, 0],
    }
}

fn decode(code: Code, own: Result<(), Error>) -> Result<(), Error> {
    let z = |x: u64| x as usize;
    let p = code;
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
            operand: operand_from(p[1]),
            expected: (z(p[2]), z(p[3])),
            found: (z(p[4]), z(p[5])),
        }),
        INDEX_OVERFLOW => Error::Node(tropical_blas::Error::IndexOverflow { k: z(p[1]) }),
        MESSAGE_TOO_LARGE => Error::MessageTooLarge { elements: z(p[1]) },
        VALUE_OUT_OF_RANGE => Error::Node(tropical_blas::Error::ValueOutOfRange {
            operand: operand_from(p[1]),
            row: z(p[2]),
            col: z(p[3]),
        }),
        _ => match own {
            // This rank is the one that failed first: its own error.
            Err(e) if encode(&Err(e.clone()), p[1] as i32) == code => e,
            _ => Error::OtherRank { rank: p[1] as i32 },
        },
    })
}

/// Shares `outcome` with every rank of `comm` and returns the common
/// verdict: `Ok` only if every rank's outcome was `Ok`. Collective: every
/// rank of `comm` must call it.
pub(crate) fn agree<C: Communicator>(comm: &C, outcome: Result<(), Error>) -> Result<(), Error> {
    let rank = comm.rank();
    let mine = encode(&outcome, rank);
    let mut all = vec![0u64; mine.len() * comm.size() as usize];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let verdict = all
        .chunks_exact(mine.len())
        .map(|c| <Code>::try_from(c).expect("chunks of 7"))
        .filter(|c| c[0] != OK)
        .min()
        .unwrap_or([OK; 7]);
    decode(verdict, outcome)
}
