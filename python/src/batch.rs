//! Walking N-d batches with the crate's strided batch calls.
//!
//! NumPy batches have any number of leading dimensions, each with its own
//! stride per operand (0 where an operand is broadcast). The crate's batch
//! views have one batch stride. The innermost run of batch dimensions that
//! every operand steps through with a single stride becomes one crate call
//! (count, stride); the dimensions outside it are looped over here, one
//! crate call per index.
//!
//! The crate's mutable batch views hold each item in its own address
//! range (`|batch stride| ≥` the item's span), so a written operand whose
//! items interleave in memory (an F-order `out`, a batch axis that is not
//! outermost) cannot be one crate call: then every item gets its own call.
//! That items never share an element is checked separately, over the whole
//! array ([`crate::layout::check_no_self_overlap`]).

use std::ops::Range;

use crate::layout::{Layout, extent_of};

/// The walk over the batch dimensions of operands sharing one batch shape.
#[derive(Debug)]
pub struct BatchPlan {
    /// Items per crate call.
    pub count: usize,
    /// Batch stride of each operand within a call, in elements.
    pub inner: Vec<isize>,
    /// The looped dimensions, outermost first: extent and each operand's
    /// stride.
    outer: Vec<(usize, Vec<isize>)>,
}

impl BatchPlan {
    /// The plan for operands whose batch dimensions (every dimension but
    /// the last two) have extents `batch`; `written` are the indices in
    /// `layouts` of the operands the calls write. With `merge` the
    /// innermost mergeable run of dimensions becomes the crate's batch,
    /// unless a written operand's items would not each lie in their own
    /// address range along it (the crate's mutable batch views refuse
    /// that); otherwise every item gets its own call (count 1).
    pub fn new(batch: &[usize], layouts: &[&Layout], written: &[usize], merge: bool) -> Self {
        let operands = layouts.len();
        let stride = |op: usize, dim: usize| layouts[op].strides[dim];
        // Dimensions of extent 1 are never stepped along.
        let mut dims: Vec<(usize, Vec<isize>)> = batch
            .iter()
            .enumerate()
            .filter(|&(_, &extent)| extent != 1)
            .map(|(dim, &extent)| (extent, (0..operands).map(|op| stride(op, dim)).collect()))
            .collect();
        // The items along the innermost dimension are disjoint address
        // ranges for every written operand: a step is at least an item's
        // span. Absorbing outer dimensions keeps that step, so this one
        // check covers the merged run.
        let separable = |strides: &[isize]| {
            written.iter().all(|&op| {
                let (rows, cols, rs, cs) = matrix_of(layouts[op]);
                let span = extent_of(&[rows, cols], &[rs, cs]).map_or(usize::MAX, |(_, s)| s);
                span == 0 || strides[op].unsigned_abs() >= span
            })
        };
        let (mut count, mut inner) = (1, vec![0; operands]);
        if merge && dims.last().is_some_and(|(_, strides)| separable(strides)) {
            let (extent, strides) = dims.pop().expect("checked above");
            (count, inner) = (extent, strides);
            // Absorb the next outer dimension while, for every operand, one
            // step along it is `count` steps along the inner run.
            while let Some((extent, strides)) = dims.last() {
                let mergeable = strides
                    .iter()
                    .zip(&inner)
                    .all(|(&outer, &s)| Some(outer) == s.checked_mul(count as isize));
                if !mergeable {
                    break;
                }
                count *= extent;
                dims.pop();
            }
        }
        BatchPlan {
            count,
            inner,
            outer: dims,
        }
    }

    /// Whether some batch dimension is empty, so there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.count == 0 || self.outer.iter().any(|(extent, _)| *extent == 0)
    }

    /// For every crate call, in row-major order of the looped dimensions,
    /// the element offset of its item 0 from each operand's element
    /// (0, …, 0).
    pub fn offsets(&self) -> Vec<Vec<isize>> {
        let operands = self.inner.len();
        if self.is_empty() {
            return Vec::new();
        }
        let mut all = vec![vec![0isize; operands]];
        for (extent, strides) in &self.outer {
            all = all
                .iter()
                .flat_map(|base| {
                    (0..*extent).map(move |i| {
                        base.iter()
                            .zip(strides)
                            .map(|(&o, &s)| o + i as isize * s)
                            .collect()
                    })
                })
                .collect();
        }
        all
    }
}

/// The matrix part of an operand: rows, cols and their element strides
/// (its last two dimensions).
pub fn matrix_of(layout: &Layout) -> (usize, usize, isize, isize) {
    let nd = layout.shape.len();
    (
        layout.shape[nd - 2],
        layout.shape[nd - 1],
        layout.strides[nd - 2],
        layout.strides[nd - 1],
    )
}

/// The range of `layout`'s slice (see `Layout::slice`) that holds `count`
/// matrices `stride` elements apart, the first at element `offset` from
/// element (0, …, 0): the slice a crate batch view of them needs, starting
/// at their lowest element.
pub fn group_range(layout: &Layout, offset: isize, count: usize, stride: isize) -> Range<usize> {
    let (rows, cols, rs, cs) = matrix_of(layout);
    let (low, span) =
        extent_of(&[count, rows, cols], &[stride, rs, cs]).expect("inside a checked array");
    if span == 0 {
        return 0..0;
    }
    let start = (offset + low - layout.low) as usize;
    start..start + span
}
