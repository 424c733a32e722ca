//! The fuzzer's storage: matrices at random strides inside buffers with
//! guard cells, and the random layouts.

use crate::common::{Dense, GUARD, Rng, TestScalar};
use tropical_blas::{BatchMut, BatchRef, MatMut, MatRef};

/// What a buffer cell needs: bitwise comparison and a guard value (the
/// scalars, and the u32 indices of argmax).
pub trait Cell: Copy + std::fmt::Debug {
    fn cell_bits(self) -> u64;
    fn guard() -> Self;
}

impl<T: TestScalar> Cell for T {
    fn cell_bits(self) -> u64 {
        self.bits()
    }
    fn guard() -> Self {
        T::garbage()
    }
}

impl Cell for u32 {
    fn cell_bits(self) -> u64 {
        self as u64
    }
    fn guard() -> Self {
        0xDEAD_BEEF
    }
}

/// `count` matrices of rows × cols at strides (batch, row, col) in a
/// buffer with guard cells around the span they touch.
pub struct Strided<T> {
    pub buf: Vec<T>,
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub strides: (isize, isize, isize),
    pub origin: usize,
    pub span: usize,
}

pub fn reach(extent: usize, stride: isize) -> isize {
    if extent == 0 {
        0
    } else {
        (extent as isize - 1) * stride
    }
}

/// Elements from the lowest to the highest touched by one rows×cols item.
pub fn item_span(rows: usize, cols: usize, rs: isize, cs: isize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (reach(rows, rs).unsigned_abs() + reach(cols, cs).unsigned_abs()) + 1
    }
}

impl<T: Copy> Strided<T> {
    pub fn new(
        count: usize,
        rows: usize,
        cols: usize,
        strides: (isize, isize, isize),
        fill: T,
    ) -> Self {
        let (bs, rs, cs) = strides;
        let parts = [reach(count, bs), reach(rows, rs), reach(cols, cs)];
        let low: isize = parts.iter().map(|&x| x.min(0)).sum();
        let high: isize = parts.iter().map(|&x| x.max(0)).sum();
        let empty = count == 0 || rows == 0 || cols == 0;
        let (low, span) = if empty {
            (0, 0)
        } else {
            (low, (high - low + 1) as usize)
        };
        Strided {
            buf: vec![fill; span + 2 * GUARD],
            count,
            rows,
            cols,
            strides,
            origin: GUARD + (-low) as usize,
            span,
        }
    }

    pub fn index(&self, item: usize, i: usize, j: usize) -> usize {
        let (bs, rs, cs) = self.strides;
        (self.origin as isize + item as isize * bs + i as isize * rs + j as isize * cs) as usize
    }

    pub fn write(&mut self, item: usize, d: &Dense<T>) {
        for i in 0..self.rows {
            for j in 0..self.cols {
                let at = self.index(item, i, j);
                self.buf[at] = d.at(i, j);
            }
        }
    }

    pub fn read(&self, item: usize) -> Dense<T> {
        Dense::from_fn(self.rows, self.cols, |i, j| {
            self.buf[self.index(item, i, j)]
        })
    }

    pub fn slice(&self) -> &[T] {
        &self.buf[GUARD..GUARD + self.span]
    }

    pub fn mat(&self) -> MatRef<'_, T> {
        let (_, rs, cs) = self.strides;
        MatRef::new(self.slice(), self.rows, self.cols, rs, cs).unwrap()
    }

    pub fn mat_mut(&mut self) -> MatMut<'_, T> {
        let (rows, cols, (_, rs, cs)) = (self.rows, self.cols, self.strides);
        MatMut::new(&mut self.buf[GUARD..GUARD + self.span], rows, cols, rs, cs).unwrap()
    }

    pub fn batch(&self) -> BatchRef<'_, T> {
        let (bs, rs, cs) = self.strides;
        BatchRef::new(self.slice(), self.count, bs, self.rows, self.cols, rs, cs).unwrap()
    }

    pub fn batch_mut(&mut self) -> BatchMut<'_, T> {
        let (count, rows, cols, (bs, rs, cs)) = (self.count, self.rows, self.cols, self.strides);
        let slice = &mut self.buf[GUARD..GUARD + self.span];
        BatchMut::new(slice, count, bs, rows, cols, rs, cs).unwrap()
    }

    /// A pointer to item 0's element (0, 0), for `gemm_raw`.
    pub fn origin_ptr(&mut self) -> *mut T {
        self.buf[self.origin..].as_mut_ptr()
    }
}

/// Random 2-D strides: row- or column-major, padded, either sign; inputs
/// may broadcast (a zero stride).
pub fn random_strides(rng: &mut Rng, rows: usize, cols: usize, input: bool) -> (isize, isize) {
    let pad = rng.below(3) as isize;
    let sign = |rng: &mut Rng| if rng.below(4) == 0 { -1 } else { 1 };
    let along_rows = (cols.max(1) as isize + pad) * sign(rng);
    let along_cols = (rows.max(1) as isize + pad) * sign(rng);
    match rng.below(if input { 6 } else { 4 }) {
        0 | 1 => (along_rows, sign(rng)),
        2 | 3 => (sign(rng), along_cols),
        4 => (0, sign(rng)),
        _ => (sign(rng), 0),
    }
}

/// `count` items of rows × cols in random layout, each from `value` (the
/// same item for all when the batch stride is 0, the same row or column
/// where a stride is 0), with the dense items it holds.
pub fn operand<T: Cell>(
    rng: &mut Rng,
    count: usize,
    (rows, cols): (usize, usize),
    input: bool,
    value: &mut dyn FnMut(&mut Rng) -> T,
) -> (Strided<T>, Vec<Dense<T>>) {
    let (rs, cs) = random_strides(rng, rows, cols, input);
    let span = item_span(rows, cols, rs, cs) as isize;
    let bs = if input && rng.below(4) == 0 {
        0
    } else {
        let step = span + rng.below(3) as isize;
        if rng.below(4) == 0 { -step } else { step }
    };
    let mut store = Strided::new(count, rows, cols, (bs, rs, cs), T::guard());
    let mut items: Vec<Dense<T>> = Vec::with_capacity(count);
    for item in 0..count {
        let d = if bs == 0 && item > 0 {
            items[0].clone()
        } else {
            let mut d = Dense::from_fn(rows, cols, |_, _| value(rng));
            for i in 0..rows {
                for j in 0..cols {
                    let (si, sj) = (if rs == 0 { 0 } else { i }, if cs == 0 { 0 } else { j });
                    d.data[i * cols + j] = d.data[si * cols + sj];
                }
            }
            d
        };
        store.write(item, &d);
        items.push(d);
    }
    (store, items)
}
