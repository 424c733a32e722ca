//! The products and the backward pass over NumPy arrays, for one semiring
//! type: borrow and check the arrays, build slices, release the GIL, and
//! walk the batch with the crate's calls.

use std::cell::RefCell;

use numpy::{Element, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use tropical_blas::{
    Accum, BatchMut, BatchRef, DifferentiableSemiring, Error, GemmConfig, GemmWorkspace, MatMut,
    MatRef, Operand, SelectingSemiring, Semiring, argmax_backward, gemm_argmax_batched_with,
    gemm_batched_with,
};

use crate::batch::{BatchPlan, group_range, matrix_of};
use crate::layout::{Layout, check_disjoint, check_no_self_overlap};

thread_local! {
    /// One workspace per calling thread, reused across calls.
    static WORKSPACE: RefCell<GemmWorkspace> = RefCell::new(GemmWorkspace::new());
}

/// The Python exception for a crate error.
pub fn to_py_err(e: Error) -> PyErr {
    match e {
        Error::WorkspaceTooLarge { .. } => PyMemoryError::new_err(e.to_string()),
        Error::InvalidTuningFile { .. }
        | Error::InvalidIsaSetting { .. }
        | Error::InvalidAddOnFmaSetting { .. }
        | Error::InvalidNarrowTilesSetting { .. }
        | Error::IsaUnavailable { .. } => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// `obj` as an array of `T` with its checked layout.
fn array_of<'py, T: Element>(
    name: &'static str,
    obj: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyArrayDyn<T>>, Layout)> {
    let array = obj.cast::<PyArrayDyn<T>>()?.clone();
    let layout = Layout::of::<T>(name, &array)?;
    Ok((array, layout))
}

fn borrow_error(name: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{name} cannot be borrowed: {e}"))
}

/// Every operand has at least two dimensions and the same batch shape;
/// returns that batch shape.
fn batch_shape(layouts: &[&Layout]) -> PyResult<Vec<usize>> {
    let first = layouts[0];
    for l in layouts {
        if l.shape.len() < 2 || l.shape.len() != first.shape.len() {
            return Err(PyValueError::new_err(format!(
                "{} has shape {:?}; every operand needs the same number (≥ 2) of dimensions as {} {:?}",
                l.name, l.shape, first.name, first.shape
            )));
        }
        let nd = l.shape.len();
        if l.shape[..nd - 2] != first.shape[..nd - 2] {
            return Err(PyValueError::new_err(format!(
                "batch shapes differ: {} is {:?}, {} is {:?}",
                l.name, l.shape, first.name, first.shape
            )));
        }
    }
    Ok(first.shape[..first.shape.len() - 2].to_vec())
}

/// One crate call over a group of the batch: values only, or values and
/// the winning k.
pub type GroupFn<T> = fn(
    &mut GemmWorkspace,
    &GemmConfig,
    BatchRef<'_, T>,
    BatchRef<'_, T>,
    BatchMut<'_, T>,
    Option<BatchMut<'_, u32>>,
    Accum,
) -> Result<(), Error>;

/// [`GroupFn`] for a value product.
pub fn values<S: Semiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: BatchRef<'_, S::Scalar>,
    b: BatchRef<'_, S::Scalar>,
    c: BatchMut<'_, S::Scalar>,
    _argk: Option<BatchMut<'_, u32>>,
    accum: Accum,
) -> Result<(), Error> {
    gemm_batched_with::<S>(ws, cfg, a, b, c, accum)
}

/// [`GroupFn`] for an argmax product; `product` passes `argk` whenever it
/// was given one, and it is given one whenever this is chosen.
pub fn with_argmax<S: SelectingSemiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: BatchRef<'_, S::Scalar>,
    b: BatchRef<'_, S::Scalar>,
    c: BatchMut<'_, S::Scalar>,
    argk: Option<BatchMut<'_, u32>>,
    accum: Accum,
) -> Result<(), Error> {
    let argk = argk.expect("the argmax product is only chosen with an argk array");
    gemm_argmax_batched_with::<S>(ws, cfg, a, b, c, argk, accum)
}

/// A crate batch view of one group of an operand (see [`BatchPlan`]).
fn group_ref<'a, T: Copy>(
    all: &'a [T],
    layout: &Layout,
    plan: &BatchPlan,
    offset: isize,
    op: usize,
) -> Result<BatchRef<'a, T>, Error> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let (count, stride) = (plan.count, plan.inner[op]);
    let range = group_range(layout, offset, count, stride);
    BatchRef::new(&all[range], count, stride, rows, cols, rs, cs)
}

/// [`group_ref`] for a written operand.
fn group_mut<'a, T: Copy>(
    all: &'a mut [T],
    layout: &Layout,
    plan: &BatchPlan,
    offset: isize,
    op: usize,
) -> Result<BatchMut<'a, T>, Error> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let (count, stride) = (plan.count, plan.inner[op]);
    let range = group_range(layout, offset, count, stride);
    BatchMut::new(&mut all[range], count, stride, rows, cols, rs, cs)
}

/// Refuses, as the crate would, a value of `S` that `S` does not accept
/// (the integer range rule) in any item of one operand: with more than one
/// crate call, a later call's refusal would come after earlier calls had
/// written `out`, so the whole batch is scanned before the first call.
fn scan_items<S: Semiring>(
    all: &[S::Scalar],
    layout: &Layout,
    plan: &BatchPlan,
    offsets: &[Vec<isize>],
    op: usize,
    operand: Operand,
) -> Result<(), Error> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let mut items: Vec<isize> = offsets
        .iter()
        .flat_map(|off| (0..plan.count).map(move |i| off[op] + i as isize * plan.inner[op]))
        .collect();
    items.sort_unstable();
    items.dedup(); // a broadcast operand repeats its items
    for item in items {
        for row in 0..rows {
            for col in 0..cols {
                let at = item + row as isize * rs + col as isize * cs - layout.low;
                if !S::accepts_input(all[at as usize]) {
                    return Err(Error::ValueOutOfRange { operand, row, col });
                }
            }
        }
    }
    Ok(())
}

/// `out = a ⊗ b` (or `out ⊕= a ⊗ b`) in `S` over the batch, and `argk`,
/// the winning k, when given. `operands` are `[a, b, out]`, N-d arrays of
/// the same batch shape (the caller broadcasts).
pub fn product<S: Semiring>(
    py: Python<'_>,
    operands: [&Bound<'_, PyAny>; 3],
    argk: Option<&Bound<'_, PyAny>>,
    group: GroupFn<S::Scalar>,
    accum: Accum,
    cfg: GemmConfig,
) -> PyResult<()>
where
    S::Scalar: Element,
{
    type T<S> = <S as Semiring>::Scalar;
    let (a, la) = array_of::<T<S>>("a", operands[0])?;
    let (b, lb) = array_of::<T<S>>("b", operands[1])?;
    let (c, lc) = array_of::<T<S>>("out", operands[2])?;
    let argk = argk.map(|k| array_of::<u32>("argk", k)).transpose()?;
    let mut layouts = vec![&la, &lb, &lc];
    if let Some((_, lk)) = &argk {
        layouts.push(lk);
    }
    let batch = batch_shape(&layouts)?;
    check_disjoint(&layouts[2..], &layouts)?;
    for written in &layouts[2..] {
        check_no_self_overlap(written)?;
    }
    let _a_read = a.try_readonly().map_err(|e| borrow_error("a", e))?;
    let _b_read = b.try_readonly().map_err(|e| borrow_error("b", e))?;
    let _c_write = c.try_readwrite().map_err(|e| borrow_error("out", e))?;
    let _k_write = match &argk {
        Some((k, _)) => Some(k.try_readwrite().map_err(|e| borrow_error("argk", e))?),
        None => None,
    };
    // An out of bool whose memory holds other bytes (`np.empty`) cannot be
    // viewed as Rust bools, but an overwrite never reads it: the product
    // goes into zeros of out's shape, dense, and its elements are copied
    // into out once every call succeeded. Accumulating reads out: refused
    // there.
    let (mut scratch_out, mut dense_out): (Option<Vec<T<S>>>, Option<Layout>) = (None, None);
    if std::any::TypeId::of::<T<S>>() == std::any::TypeId::of::<bool>() {
        // SAFETY: layouts of live arrays of bool, borrowed above.
        unsafe {
            la.check_bool_bytes()?;
            lb.check_bool_bytes()?;
            if let Err(e) = lc.check_bool_bytes() {
                if accum == Accum::Combine {
                    return Err(e);
                }
                let dense = lc.dense();
                scratch_out = Some(zeros_of::<S>(dense.span)?);
                dense_out = Some(dense);
            }
        }
    }
    // The layout the product writes: out's, or the scratch's.
    let lc_written = dense_out.as_ref().unwrap_or(&lc);
    layouts[2] = lc_written;
    let written: &[usize] = if argk.is_some() { &[2, 3] } else { &[2] };
    let plan = BatchPlan::new(&batch, &layouts, written, true);
    // SAFETY: each layout comes from `Layout::of` for its array and element
    // type; the arrays stay alive (held above) for this call, the read
    // borrows keep other Rust code from writing `a` and `b`, the write
    // borrows make `out` and `argk` writeable and exclusive to us among
    // NumPy borrowers, and `check_disjoint` proved that the memory of `out`
    // and `argk` meets no other operand's, so the shared and mutable slices
    // never alias (and `check_no_self_overlap` that no two of their
    // positions share an element, so calls over different items write
    // different elements). (Python code in another thread writing these arrays
    // while the GIL is released races as it would with NumPy's own
    // GIL-free loops; nothing here can prevent that.)
    let (a_all, b_all) = unsafe { (la.slice::<T<S>>(), lb.slice::<T<S>>()) };
    // SAFETY: as above, for `out` when the product is written there.
    let c_all = match &mut scratch_out {
        Some(scratch) => &mut scratch[..],
        None => unsafe { lc.slice_mut::<T<S>>() },
    };
    // SAFETY: as above, for the u32 array `argk`.
    let mut k_all = argk
        .as_ref()
        .map(|(_, lk)| (unsafe { lk.slice_mut::<u32>() }, lk));
    let (la, lb, lw) = (&la, &lb, lc_written);
    let result = py.detach(move || {
        WORKSPACE.with(|ws| {
            let ws = &mut *ws.borrow_mut();
            let offsets = plan.offsets();
            // All checks before any write. Every call has the same shapes,
            // strides and item count, so the layout checks give one answer
            // for all and the first call makes them before it writes; the
            // values differ per item, so with several calls they are
            // scanned here first.
            if offsets.len() > 1 && S::RESTRICTS_INPUT {
                scan_items::<S>(a_all, la, &plan, &offsets, 0, Operand::A)?;
                scan_items::<S>(b_all, lb, &plan, &offsets, 1, Operand::B)?;
            }
            for off in offsets {
                let av = group_ref(a_all, la, &plan, off[0], 0)?;
                let bv = group_ref(b_all, lb, &plan, off[1], 1)?;
                let cv = group_mut(&mut c_all[..], lw, &plan, off[2], 2)?;
                let kv = match &mut k_all {
                    Some((k_all, lk)) => Some(group_mut(&mut k_all[..], lk, &plan, off[3], 3)?),
                    None => None,
                };
                group(ws, &cfg, av, bv, cv, kv, accum)?;
            }
            Ok(())
        })
    });
    result.map_err(to_py_err)?;
    if let Some(scratch) = scratch_out {
        // SAFETY: `out` is a live array of T<S> (bool here) that the write
        // borrow makes exclusive to us, and no slice over it exists in
        // this case; each offset is one of its elements (counted from
        // its lowest), and a bool is written over bytes that need not
        // hold one, without reading them. Both walks are row-major over
        // the same shape, so the scratch's next element is out's.
        unsafe {
            let lowest = lc.byte_range().0 as *mut T<S>;
            let mut dense = scratch.iter();
            lc.for_each_offset(|at| {
                lowest
                    .add(at)
                    .write(*dense.next().expect("one per element"))
            });
        }
    }
    Ok(())
}

/// `len` copies of `S::ZERO` (`false` for or-and), or `MemoryError`.
fn zeros_of<S: Semiring>(len: usize) -> PyResult<Vec<S::Scalar>> {
    let mut zeros = Vec::new();
    zeros
        .try_reserve_exact(len)
        .map_err(|_| PyMemoryError::new_err(format!("out: {len} elements cannot be allocated")))?;
    zeros.resize(len, S::ZERO);
    Ok(zeros)
}

/// The backward pass: scatter-adds `grad_c` through the winners in `argk`
/// into `grad_a` and `grad_b` (see the crate's `argmax_backward`). Every
/// operand is N-d with the same batch shape; a gradient may repeat a
/// matrix over batch dimensions (stride 0, for a broadcast factor): the
/// items run one after another in row-major batch order, each adding into
/// the matrix its factor came from.
pub fn backward<S: DifferentiableSemiring>(
    py: Python<'_>,
    inputs: [&Bound<'_, PyAny>; 4],
    grads: [&Bound<'_, PyAny>; 2],
) -> PyResult<()>
where
    S::Scalar: Element + std::ops::Add<Output = S::Scalar> + std::ops::Mul<Output = S::Scalar>,
{
    type T<S> = <S as Semiring>::Scalar;
    let (a, la) = array_of::<T<S>>("a", inputs[0])?;
    let (b, lb) = array_of::<T<S>>("b", inputs[1])?;
    let (k, lk) = array_of::<u32>("argk", inputs[2])?;
    let (g, lg) = array_of::<T<S>>("grad_out", inputs[3])?;
    let (ga, lga) = array_of::<T<S>>("grad_a", grads[0])?;
    let (gb, lgb) = array_of::<T<S>>("grad_b", grads[1])?;
    let layouts = [&la, &lb, &lk, &lg, &lga, &lgb];
    let batch = batch_shape(&layouts)?;
    check_disjoint(&layouts[4..], &layouts)?;
    let _reads = [&a, &b, &g]
        .iter()
        .zip(["a", "b", "grad_out"])
        .map(|(x, name)| x.try_readonly().map_err(|e| borrow_error(name, e)))
        .collect::<PyResult<Vec<_>>>()?;
    let _k_read = k.try_readonly().map_err(|e| borrow_error("argk", e))?;
    let _ga_write = ga.try_readwrite().map_err(|e| borrow_error("grad_a", e))?;
    let _gb_write = gb.try_readwrite().map_err(|e| borrow_error("grad_b", e))?;
    // One call per item (count 1), in row-major batch order: a gradient
    // repeated along a batch dimension adds every item into one matrix.
    let plan = BatchPlan::new(&batch, &layouts, &[4, 5], false);
    // SAFETY: as in `product`: layouts from `Layout::of` with the same
    // element types, arrays alive and borrowed through NumPy's borrow
    // checker for this call, and the gradients' memory disjoint from
    // every other operand's (`check_disjoint`).
    let (a_all, b_all, k_all, g_all, ga_all, gb_all) = unsafe {
        (
            la.slice::<T<S>>(),
            lb.slice::<T<S>>(),
            lk.slice::<u32>(),
            lg.slice::<T<S>>(),
            lga.slice_mut::<T<S>>(),
            lgb.slice_mut::<T<S>>(),
        )
    };
    let result = py.detach(move || {
        for off in plan.offsets() {
            argmax_backward::<S>(
                item_ref(a_all, &la, off[0])?,
                item_ref(b_all, &lb, off[1])?,
                item_ref(k_all, &lk, off[2])?,
                item_ref(g_all, &lg, off[3])?,
                Some(item_mut(&mut ga_all[..], &lga, off[4])?),
                Some(item_mut(&mut gb_all[..], &lgb, off[5])?),
            )?;
        }
        Ok(())
    });
    result.map_err(to_py_err)
}

/// The matrix of `layout` whose element (0, 0) is `offset` elements from
/// the array's element (0, …, 0).
fn item_ref<'a, T: Copy>(
    all: &'a [T],
    layout: &Layout,
    offset: isize,
) -> Result<MatRef<'a, T>, Error> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let range = group_range(layout, offset, 1, 0);
    MatRef::new(&all[range], rows, cols, rs, cs)
}

/// [`item_ref`] for a written operand.
fn item_mut<'a, T: Copy>(
    all: &'a mut [T],
    layout: &Layout,
    offset: isize,
) -> Result<MatMut<'a, T>, Error> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let range = group_range(layout, offset, 1, 0);
    MatMut::new(&mut all[range], rows, cols, rs, cs)
}
