//! Packing of A blocks and B panels into the micro-panel layout.

use crate::view::StridedPtr;

/// A strided block to pack, as raw parts: line l (a row of A, or a column
/// of B seen as a row of Bᵀ) at depth p (the k index) is the element at
/// `ptr + l·line_stride + p·depth_stride`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lines<T> {
    pub(crate) ptr: *const T,
    pub(crate) line_stride: isize,
    pub(crate) depth_stride: isize,
}

impl<T> Lines<T> {
    /// The rows of `matrix` (A) from row `row` on, from depth (column)
    /// `depth` on.
    #[inline(always)]
    pub(crate) fn rows_of(matrix: StridedPtr<T>, row: usize, depth: usize) -> Self {
        Self {
            ptr: matrix.at(row, depth).cast_const(),
            line_stride: matrix.row_stride,
            depth_stride: matrix.col_stride,
        }
    }

    /// The columns of `matrix` (B) from column `col` on, from depth (row)
    /// `depth` on.
    #[inline(always)]
    pub(crate) fn columns_of(matrix: StridedPtr<T>, depth: usize, col: usize) -> Self {
        Self {
            ptr: matrix.at(depth, col).cast_const(),
            line_stride: matrix.col_stride,
            depth_stride: matrix.row_stride,
        }
    }

    /// Element (line, depth); reading it is the caller's business.
    #[inline(always)]
    pub(crate) fn at(&self, line: usize, depth: usize) -> *const T {
        self.ptr
            .wrapping_offset(line as isize * self.line_stride + depth as isize * self.depth_stride)
    }

    /// The same block without its first `first` lines.
    #[inline(always)]
    pub(crate) fn skip_lines(self, first: usize) -> Self {
        Self {
            ptr: self.at(first, 0),
            ..self
        }
    }
}

/// An `extent × kc` block to pack: lines `0..extent` of `lines` at depths
/// `0..kc`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block<T> {
    pub(crate) lines: Lines<T>,
    pub(crate) extent: usize,
    pub(crate) kc: usize,
}

impl<T> Block<T> {
    /// The same block without its first `first` (≤ extent) lines.
    #[inline(always)]
    pub(crate) fn skip_lines(self, first: usize) -> Self {
        Self {
            lines: self.lines.skip_lines(first),
            extent: self.extent - first,
            kc: self.kc,
        }
    }
}

/// Packs `block` into micro-panels of `unit` lines, every element stored
/// `SPREAD` times in a row.
///
/// Line l (a row of A, or a column of B) and depth p (the k index) sit at
/// `src + l·line_stride + p·depth_stride`. Panel q holds lines
/// `q·unit .. q·unit+unit`, stored depth-major:
/// `dst[(q·unit·kc + p·unit + r)·SPREAD + s]` for each copy s. Lines past
/// `extent` in the last panel are filled with `pad` (the semiring's ZERO),
/// so an edge tile computes on neutral values. The depth is never padded:
/// kernels run exactly `kc` steps. `SPREAD` is 1 but for the bool
/// kernels' A (4), which read one spread element as a 32-bit word, a
/// broadcast straight from memory.
///
/// # Safety
/// Every `src` element named above is readable; `dst` is writable for
/// `SPREAD·extent.div_ceil(unit)·unit·kc` elements.
#[inline(always)]
pub(crate) unsafe fn pack_panels<T: Copy, const SPREAD: usize>(
    unit: usize,
    block: Block<T>,
    dst: *mut T,
    pad: T,
    map: impl Fn(T) -> T,
) {
    let Block {
        lines:
            Lines {
                ptr: src,
                line_stride,
                depth_stride,
            },
        extent,
        kc,
    } = block;
    for (panel, first) in (0..extent).step_by(unit).enumerate() {
        let lines = unit.min(extent - first);
        // SAFETY: panel < extent.div_ceil(unit), within dst's reservation.
        let out = unsafe { dst.add(panel * unit * kc * SPREAD) };
        // Wrapping: (line `first`, depth 0) is an element only when
        // kc ≥ 1; with kc = 0 nothing below reads through `base`.
        let base = src.wrapping_offset(first as isize * line_stride);
        if SPREAD == 1 && lines == unit && line_stride == 1 && unit.is_multiple_of(8) {
            // Contiguous lines (column-major A, row-major B) in runs of 8:
            // a fixed-size block the compiler turns into vector moves
            // (a runtime-length run stays a scalar loop, which made
            // packing cost more than the product for 16×16 matrices).
            for p in 0..kc {
                for r in (0..unit).step_by(8) {
                    // SAFETY: r + 8 ≤ unit = lines and p < kc: named
                    // readable / writable; unaligned reads and writes.
                    unsafe {
                        let run: [T; 8] = std::ptr::read_unaligned(
                            base.offset(p as isize * depth_stride + r as isize).cast(),
                        );
                        std::ptr::write_unaligned(out.add(p * unit + r).cast(), run.map(&map));
                    }
                }
            }
        } else if SPREAD == 1 && line_stride == 1 {
            // Contiguous lines of another width, or an edge panel: a run
            // of `lines` values and one of padding per depth, as slices
            // the compiler vectorizes (element by element, with the
            // padding test inside, packing a 56-column B cost more than
            // the 56×56×56 bool product).
            for p in 0..kc {
                // SAFETY: the `lines` values of depth p are readable and
                // contiguous (unit line stride); the panel's depth p row
                // of `unit` elements is writable and aliases nothing read.
                let (values, row) = unsafe {
                    (
                        std::slice::from_raw_parts(base.offset(p as isize * depth_stride), lines),
                        std::slice::from_raw_parts_mut(out.add(p * unit), unit),
                    )
                };
                let (valid, padding) = row.split_at_mut(lines);
                for (dst, &value) in valid.iter_mut().zip(values) {
                    *dst = map(value);
                }
                padding.fill(pad);
            }
        } else {
            for p in 0..kc {
                for r in 0..unit {
                    let value = if r < lines {
                        // SAFETY: r < lines, p < kc: a readable element.
                        map(unsafe {
                            *base.offset(r as isize * line_stride + p as isize * depth_stride)
                        })
                    } else {
                        pad
                    };
                    let copies = (p * unit + r) * SPREAD;
                    // SAFETY: within this panel's unit·kc·SPREAD elements;
                    // unaligned write. The copies are one store (for the
                    // bool kernels one 32-bit store instead of four byte
                    // stores, which made packing A cost as much as a 64×64
                    // product).
                    unsafe {
                        if SPREAD == 1 {
                            *out.add(copies) = value;
                        } else {
                            std::ptr::write_unaligned(
                                out.add(copies).cast::<[T; SPREAD]>(),
                                [value; SPREAD],
                            );
                        }
                    }
                }
            }
        }
    }
}
