//! Bit-packed boolean matrices: 64 entries to a `u64` word.
//!
//! # Layout
//! Row i starts at word `i · row_stride` of the slice and takes
//! [`words_per_row`]`(cols)` = ⌈cols / 64⌉ words. Column j of a row is bit
//! `j % 64` (least significant first) of the row's word `j / 64`. The bits
//! of the last word past the last column, and any padding words between
//! rows (`row_stride > words_per_row`), belong to the caller: the crate
//! never reads them as entries and never writes them.
//!
//! A byte-per-entry `bool` matrix takes 8× the memory and bandwidth; this
//! layout lets one 512-bit instruction combine 512 entries.

use crate::error::{Error, Operand};
use crate::view::{MatMut, MatRef};
use crate::workspace::try_filled_vec;

/// Words one row of `cols` bit columns takes: ⌈cols / 64⌉.
pub fn words_per_row(cols: usize) -> usize {
    cols.div_ceil(64)
}

/// The mask of the valid bits in the last word of a row of `cols` columns
/// (all ones when `cols` is a multiple of 64 and not 0).
pub(crate) fn last_word_mask(cols: usize) -> u64 {
    match cols % 64 {
        0 => !0,
        r => (1u64 << r) - 1,
    }
}

/// Checks a layout against a slice of `len` words: the row stride covers a
/// row (rows would otherwise share words), the extent fits `isize`, and the
/// slice holds it.
fn check_layout(len: usize, rows: usize, cols: usize, row_stride: usize) -> Result<(), Error> {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let wpr = words_per_row(cols);
    if rows > 1 && row_stride < wpr {
        return Err(Error::BitRowStride {
            cols,
            row_stride,
            words_per_row: wpr,
        });
    }
    let needed = (rows - 1)
        .checked_mul(row_stride)
        .and_then(|x| x.checked_add(wpr))
        .filter(|&x| x <= isize::MAX as usize)
        .ok_or(Error::LayoutOverflow)?;
    if needed > len {
        return Err(Error::BufferTooShort { needed, len });
    }
    Ok(())
}

/// Runs `f(i, j)` on every entry of a `shape` bit matrix, in row-major
/// order, once the `bool` view's shape `other` is known to be the same (a
/// shape error otherwise, before `f` runs): the copies between bit and
/// `bool` views.
fn each_entry_of_same_shape(
    shape: (usize, usize),
    other: (usize, usize),
    mut f: impl FnMut(usize, usize),
) -> Result<(), Error> {
    if other != shape {
        return Err(shape_error(shape, other));
    }
    for i in 0..shape.0 {
        for j in 0..shape.1 {
            f(i, j);
        }
    }
    Ok(())
}

/// The shape error of a conversion between a bit matrix and a `bool` view.
fn shape_error(expected: (usize, usize), found: (usize, usize)) -> Error {
    Error::ShapeMismatch {
        operand: Operand::C,
        expected,
        found,
    }
}

/// Entry (i, j) of rows laid out as in the module documentation (no
/// bounds check beyond the slice's own).
fn bit_at(words: &[u64], row_stride: usize, i: usize, j: usize) -> bool {
    words[i * row_stride + j / 64] >> (j % 64) & 1 == 1
}

/// The constructors and shape accessors [`BitMatRef`] and [`BitMatMut`]
/// share; `$words` is the slice type each borrows.
macro_rules! bit_view_common {
    ($words:ty, $(#[$new_doc:meta])*) => {
        $(#[$new_doc])*
        pub fn new(words: $words, rows: usize, cols: usize, row_stride: usize) -> Result<Self, Error> {
            check_layout(words.len(), rows, cols, row_stride)?;
            Ok(Self {
                words,
                rows,
                cols,
                row_stride,
            })
        }

        /// Rows without padding: `row_stride = words_per_row(cols)`.
        pub fn dense(words: $words, rows: usize, cols: usize) -> Result<Self, Error> {
            Self::new(words, rows, cols, words_per_row(cols))
        }

        /// Number of rows.
        pub fn rows(&self) -> usize {
            self.rows
        }
        /// Number of (bit) columns.
        pub fn cols(&self) -> usize {
            self.cols
        }
        /// Words from one row to the next.
        pub fn row_stride(&self) -> usize {
            self.row_stride
        }
        /// Words a row takes, ⌈cols / 64⌉.
        pub fn words_per_row(&self) -> usize {
            words_per_row(self.cols)
        }
    };
}

/// A read-only bit matrix over a slice of words (see the module
/// documentation for the layout).
#[derive(Clone, Copy, Debug)]
pub struct BitMatRef<'a> {
    words: &'a [u64],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a> BitMatRef<'a> {
    bit_view_common!(
        &'a [u64],
        /// Row i at word `i · row_stride`. Errors: `row_stride` below
        /// [`words_per_row`]`(cols)` with more than one row
        /// ([`Error::BitRowStride`]), a slice too short
        /// ([`Error::BufferTooShort`]), an extent past `isize::MAX` words
        /// ([`Error::LayoutOverflow`]).
    );

    /// Entry (i, j), or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<bool> {
        (i < self.rows && j < self.cols).then(|| bit_at(self.words, self.row_stride, i, j))
    }

    /// The words of row i (`words_per_row` of them; the bits of the last
    /// past `cols` are not entries), or `None` past the last row.
    pub fn row(&self, i: usize) -> Option<&'a [u64]> {
        (i < self.rows).then(|| {
            if self.cols == 0 {
                // No words: the stride of an empty row was never checked.
                return &self.words[..0];
            }
            let start = i * self.row_stride;
            &self.words[start..start + self.words_per_row()]
        })
    }

    /// Writes every entry into a `bool` view of the same shape.
    pub fn copy_to_bools(&self, mut dst: MatMut<'_, bool>) -> Result<(), Error> {
        let shape = (self.rows, self.cols);
        each_entry_of_same_shape(shape, (dst.rows(), dst.cols()), |i, j| {
            dst.set(i, j, bit_at(self.words, self.row_stride, i, j));
        })
    }

    /// The entries as a row-major `Vec<bool>` (rows × cols).
    pub fn to_bools(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.rows {
            out.extend((0..self.cols).map(|j| bit_at(self.words, self.row_stride, i, j)));
        }
        out
    }
}

/// A mutable bit matrix over a slice of words; rows never share a word.
#[derive(Debug)]
pub struct BitMatMut<'a> {
    words: &'a mut [u64],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a> BitMatMut<'a> {
    bit_view_common!(
        &'a mut [u64],
        /// As [`BitMatRef::new`]; a row stride below `words_per_row(cols)`
        /// would make rows overlap, and is [`Error::BitRowStride`].
    );

    /// A read-only view of the same matrix.
    pub fn as_ref(&self) -> BitMatRef<'_> {
        BitMatRef {
            words: &*self.words,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
        }
    }

    /// A shorter-lived mutable view of the same matrix.
    pub fn rb_mut(&mut self) -> BitMatMut<'_> {
        BitMatMut {
            words: &mut *self.words,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
        }
    }

    /// Entry (i, j), or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<bool> {
        self.as_ref().get(i, j)
    }

    /// Sets entry (i, j); returns `false` (and writes nothing) outside the
    /// matrix.
    pub fn set(&mut self, i: usize, j: usize, value: bool) -> bool {
        if i >= self.rows || j >= self.cols {
            return false;
        }
        let word = &mut self.words[i * self.row_stride + j / 64];
        let bit = 1u64 << (j % 64);
        if value {
            *word |= bit;
        } else {
            *word &= !bit;
        }
        true
    }

    /// Sets every entry from a `bool` view of the same shape (the bits
    /// past the last column and the padding words are left as they are).
    pub fn copy_from_bools(&mut self, src: MatRef<'_, bool>) -> Result<(), Error> {
        let shape = (self.rows, self.cols);
        each_entry_of_same_shape(shape, (src.rows(), src.cols()), |i, j| {
            self.set(i, j, src.get(i, j) == Some(true));
        })
    }

    /// Clears every entry (`Accum::Replace` before the first product),
    /// leaving the bits past the last column and the padding alone.
    pub(crate) fn clear_entries(&mut self) {
        if self.rows == 0 || self.cols == 0 {
            return;
        }
        let wpr = words_per_row(self.cols);
        let mask = last_word_mask(self.cols);
        for i in 0..self.rows {
            let row = &mut self.words[i * self.row_stride..i * self.row_stride + wpr];
            row[..wpr - 1].fill(0);
            row[wpr - 1] &= !mask;
        }
    }

    /// Pointer to word 0 of row 0, with write permission for every word
    /// of every row (`rows` rows of `words_per_row` words, `row_stride`
    /// apart: checked by the constructor).
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u64 {
        self.words.as_mut_ptr()
    }
}

/// An owned bit matrix: rows without padding, the bits past the last
/// column kept zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitMatrix {
    words: Vec<u64>,
    rows: usize,
    cols: usize,
}

impl BitMatrix {
    /// A rows × cols matrix of `false`.
    ///
    /// # Panics
    /// As `vec!`, when rows · ⌈cols / 64⌉ words overflow `usize` or cannot
    /// be allocated (this and the other owning constructors allocate;
    /// the views never do).
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let len = rows
            .checked_mul(words_per_row(cols))
            .expect("bit matrix size overflows usize");
        Self {
            words: vec![0; len],
            rows,
            cols,
        }
    }

    /// The identity (`true` on the diagonal) of size n.
    pub fn identity(n: usize) -> Self {
        let mut m = Self::zeros(n, n);
        for i in 0..n {
            m.set(i, i, true);
        }
        m
    }

    /// The matrix of a `bool` view's entries. Errors:
    /// [`Error::LayoutOverflow`] when rows · ⌈cols / 64⌉ words overflow
    /// `usize`, [`Error::WorkspaceTooLarge`] when they cannot be allocated
    /// (a broadcast view, zero strides over one element, can describe any
    /// size).
    pub fn from_bools(src: MatRef<'_, bool>) -> Result<Self, Error> {
        let (rows, cols) = (src.rows(), src.cols());
        let len = rows
            .checked_mul(words_per_row(cols))
            .ok_or(Error::LayoutOverflow)?;
        let mut m = Self {
            words: try_filled_vec(len, 0)?,
            rows,
            cols,
        };
        m.as_mut().copy_from_bools(src)?;
        Ok(m)
    }

    /// Takes dense rows (`words_per_row(cols)` words each) from a vector;
    /// the bits past the last column are cleared. Errors as
    /// [`BitMatRef::dense`].
    pub fn from_words(mut words: Vec<u64>, rows: usize, cols: usize) -> Result<Self, Error> {
        BitMatRef::dense(&words, rows, cols)?;
        let wpr = words_per_row(cols);
        words.truncate(rows * wpr);
        if wpr > 0 {
            for row in words.chunks_exact_mut(wpr) {
                row[wpr - 1] &= last_word_mask(cols);
            }
        }
        Ok(Self { words, rows, cols })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of (bit) columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The words, row after row.
    pub fn words(&self) -> &[u64] {
        &self.words
    }
    /// The words, row after row.
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }

    /// A read-only view.
    pub fn as_ref(&self) -> BitMatRef<'_> {
        BitMatRef {
            words: &self.words,
            rows: self.rows,
            cols: self.cols,
            row_stride: words_per_row(self.cols),
        }
    }

    /// A mutable view.
    pub fn as_mut(&mut self) -> BitMatMut<'_> {
        BitMatMut {
            words: &mut self.words,
            rows: self.rows,
            cols: self.cols,
            row_stride: words_per_row(self.cols),
        }
    }

    /// Entry (i, j), or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<bool> {
        self.as_ref().get(i, j)
    }

    /// Sets entry (i, j); `false` outside the matrix.
    pub fn set(&mut self, i: usize, j: usize, value: bool) -> bool {
        self.as_mut().set(i, j, value)
    }

    /// The number of `true` entries.
    pub fn count_ones(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}
