//! SUMMA against the single-node crate, bit for bit, under any number of
//! ranks: `mpirun -n 4 target/debug/deps/summa_check-…` (`cargo test`
//! runs it as one rank). Every rank builds the global matrices from the
//! same index function, runs the single-node product, and compares its own
//! block; error paths must return the same error on every rank, with the
//! outputs untouched. Exits non-zero when any check on any rank failed.

#[path = "summa_check/errors.rs"]
mod errors;
#[path = "summa_check/values.rs"]
mod values;

use mpi::Threading;
use mpi::traits::{Communicator, CommunicatorCollectives};
use tropical_blas_mpi::ProcessGrid;

/// Counts checks, prints failures with the rank that saw them.
pub struct Tally {
    pub rank: i32,
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            if self.failed <= 20 {
                eprintln!("rank {}: FAILED {}", self.rank, what());
            }
        }
    }
}

/// Every rows × cols factorization of the world size: square and not.
fn grid_shapes(size: usize) -> Vec<(usize, usize)> {
    (1..=size)
        .filter(|r| size.is_multiple_of(*r))
        .map(|r| (r, size / r))
        .collect()
}

fn main() {
    // Funneled: the node kernel's rayon threads run beside MPI, which is
    // called from this thread only.
    let (universe, level) =
        mpi::initialize_with_threading(Threading::Funneled).expect("MPI initializes once");
    let world = universe.world();
    let size = world.size() as usize;
    let mut tally = Tally {
        rank: world.rank(),
        passed: 0,
        failed: 0,
    };
    tally.check(level >= Threading::Funneled, || {
        format!("MPI granted {level:?}, below Funneled")
    });
    let quick = std::env::var_os("SUMMA_CHECK_QUICK").is_some();
    for (rows, cols) in grid_shapes(size) {
        let grid = ProcessGrid::new(&world, rows, cols).expect("a valid grid");
        values::all_semirings(&grid, &mut tally, quick);
        values::argmax_semirings(&grid, &mut tally, quick);
        values::distribution(&grid, &mut tally);
        errors::all(&world, &grid, &mut tally);
    }
    errors::grids(&world, &mut tally);
    let (mut passed, mut failed) = (0u64, 0u64);
    world.all_reduce_into(
        &tally.passed,
        &mut passed,
        mpi::collective::SystemOperation::sum(),
    );
    world.all_reduce_into(
        &tally.failed,
        &mut failed,
        mpi::collective::SystemOperation::sum(),
    );
    if world.rank() == 0 {
        println!("summa_check on {size} ranks: {passed} passed, {failed} failed");
    }
    drop(universe);
    if failed > 0 {
        std::process::exit(1);
    }
}
