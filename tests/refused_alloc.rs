//! Batches whose items need a buffer the allocator refuses fail before any
//! item is written. This binary's allocator refuses every block above
//! 256 MiB, as a real one refuses a size past what the machine can give.

use std::alloc::{GlobalAlloc, Layout, System};

use tropical_blas::{
    Accum, BatchMut, BatchRef, Error, MatMut, MatRef, MaxPlus, gemm_argmax_batched, gemm_batched,
    gemm_batched_views,
};

const LIMIT: usize = 256 << 20;

struct Refusing;

// SAFETY: forwards to the system allocator, or returns null (allocation
// failure, which the contract allows) for a block above LIMIT.
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Refusing = Refusing;

/// The depth of a 1×k by k×64 product whose packed B (64·k f32, 2 GiB)
/// the allocator refuses, though it is far below the crate's own limit.
const DEEP: usize = 1 << 23;

/// Whether the active kernel packs: the portable one reads the operands
/// in place, so it has no buffer to refuse (and would compute the deep
/// product, 2^29 operations, which takes a minute under qemu).
fn kernel_packs(test: &str) -> bool {
    let level = tropical_blas::kernel_for::<MaxPlus<f32>>().unwrap().isa();
    if level == tropical_blas::IsaLevel::Scalar {
        eprintln!("{test}: skipped on the portable kernel (it packs nothing)");
        return false;
    }
    true
}

/// Many small items and, last, one whose buffer is refused: items ran in
/// parallel on per-thread workspaces, and the deep one failed after the
/// small ones were written. Now every buffer is reserved first.
#[test]
fn views_batch_with_one_refused_buffer_writes_no_item() {
    if !kernel_packs("views_batch_with_one_refused_buffer_writes_no_item") {
        return;
    }
    const SMALL: usize = 63;
    let a_small = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b_small = [0.5f32, 1.5, 2.5, 3.5, 4.5, 5.5];
    let one = [1.0f32];
    let mut a = vec![MatRef::row_major(&a_small, 2, 3).unwrap(); SMALL];
    let mut b = vec![MatRef::row_major(&b_small, 3, 2).unwrap(); SMALL];
    a.push(MatRef::new(&one, 1, DEEP, 0, 0).unwrap());
    b.push(MatRef::new(&one, DEEP, 64, 0, 0).unwrap());
    let mut small_outputs = vec![[-7.0f32; 4]; SMALL];
    let mut deep_output = [-7.0f32; 64];
    let mut c: Vec<MatMut<'_, f32>> = small_outputs
        .iter_mut()
        .map(|x| MatMut::row_major(x, 2, 2).unwrap())
        .collect();
    c.push(MatMut::row_major(&mut deep_output, 1, 64).unwrap());
    let result = gemm_batched_views::<MaxPlus<f32>>(&a, &b, &mut c, Accum::Replace);
    drop(c);
    assert!(
        matches!(result, Err(Error::WorkspaceTooLarge { .. })),
        "{result:?}"
    );
    assert!(small_outputs.iter().all(|x| *x == [-7.0; 4]));
    assert_eq!(deep_output, [-7.0; 64]);

    // Without the deep item the same call succeeds: the refusal was its.
    let mut c: Vec<MatMut<'_, f32>> = small_outputs
        .iter_mut()
        .map(|x| MatMut::row_major(x, 2, 2).unwrap())
        .collect();
    gemm_batched_views::<MaxPlus<f32>>(&a[..SMALL], &b[..SMALL], &mut c, Accum::Replace).unwrap();
    drop(c);
    assert!(small_outputs.iter().all(|x| *x == [7.5, 8.5, 10.5, 11.5]));
}

/// A strided batch of deep items: refused before any item is written.
#[test]
fn strided_batch_of_refused_buffers_writes_no_item() {
    if !kernel_packs("strided_batch_of_refused_buffers_writes_no_item") {
        return;
    }
    let one = [1.0f32];
    let mut c = vec![-7.0f32; 4 * 64];
    let result = gemm_batched::<MaxPlus<f32>>(
        BatchRef::new(&one, 4, 0, 1, DEEP, 0, 0).unwrap(),
        BatchRef::new(&one, 4, 0, DEEP, 64, 0, 0).unwrap(),
        BatchMut::row_major(&mut c, 4, 1, 64).unwrap(),
        Accum::Combine,
    );
    assert!(
        matches!(result, Err(Error::WorkspaceTooLarge { .. })),
        "{result:?}"
    );
    assert!(c.iter().all(|&x| x == -7.0));
}

/// An argmax batch lists its items' views (C's and argk's) before any
/// runs: 2^23 one-element items need more for that list than for their
/// outputs, and a refused list was an abort; now it is an error.
#[test]
fn argmax_batch_whose_item_list_is_refused_writes_nothing() {
    const COUNT: usize = 1 << 23;
    let one = [1.0f32];
    let mut c = vec![-7.0f32; COUNT];
    let mut argk = vec![5u32; COUNT];
    let result = gemm_argmax_batched::<MaxPlus<f32>>(
        BatchRef::new(&one, COUNT, 0, 1, 1, 0, 0).unwrap(),
        BatchRef::new(&one, COUNT, 0, 1, 1, 0, 0).unwrap(),
        BatchMut::row_major(&mut c, COUNT, 1, 1).unwrap(),
        BatchMut::row_major(&mut argk, COUNT, 1, 1).unwrap(),
        Accum::Replace,
    );
    assert!(
        matches!(result, Err(Error::WorkspaceTooLarge { .. })),
        "{result:?}"
    );
    assert!(c.iter().all(|&x| x == -7.0) && argk.iter().all(|&k| k == 5));
}
