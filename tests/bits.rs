//! Bit-packed or-and products against the scalar definition, bit for bit,
//! at every ISA level this CPU has: column counts around 64 and 512, row
//! strides with padding words, Replace and Combine, guards around C (the
//! bits past its last column and its padding words must survive), thread
//! counts 1-3, conversions, and the errors.

mod common;

use common::{Rng, available_levels, quick};
use tropical_blas::bits::{self, BitMatMut, BitMatRef, BitMatrix, words_per_row};
use tropical_blas::{Accum, Error, GemmConfig, IsaLevel, MatMut, MatRef, OrAnd, Par};

/// A bool matrix, row-major.
struct Bools {
    rows: usize,
    cols: usize,
    v: Vec<bool>,
}

impl Bools {
    fn random(rng: &mut Rng, rows: usize, cols: usize, density: u64) -> Self {
        let v = (0..rows * cols).map(|_| rng.below(100) < density).collect();
        Bools { rows, cols, v }
    }
    fn at(&self, i: usize, j: usize) -> bool {
        self.v[i * self.cols + j]
    }
}

/// Words holding `m` with `pad` padding words a row; every bit that is not
/// an entry (the last word's high bits, the padding) is random.
fn stored(rng: &mut Rng, m: &Bools, pad: usize) -> (Vec<u64>, usize) {
    let stride = words_per_row(m.cols) + pad;
    let mut words: Vec<u64> = (0..m.rows * stride).map(|_| rng.next_u64()).collect();
    let mut view = BitMatMut::new(&mut words, m.rows, m.cols, stride).unwrap();
    view.copy_from_bools(MatRef::row_major(&m.v, m.rows, m.cols).unwrap())
        .unwrap();
    (words, stride)
}

/// The scalar definition: C[i,j] = OR_p A[i,p] AND B[p,j].
fn reference(a: &Bools, b: &Bools) -> Bools {
    let mut c = Bools {
        rows: a.rows,
        cols: b.cols,
        v: vec![false; a.rows * b.cols],
    };
    for i in 0..a.rows {
        for p in 0..a.cols {
            if a.at(i, p) {
                for j in 0..b.cols {
                    c.v[i * b.cols + j] |= b.at(p, j);
                }
            }
        }
    }
    c
}

/// Runs one product on stored operands and checks every word of C: the
/// entries against `expected` (and `old` under Combine), every other bit
/// unchanged.
#[allow(clippy::too_many_arguments)]
fn check(
    rng: &mut Rng,
    cfg: &GemmConfig,
    a: &Bools,
    b: &Bools,
    expected: &Bools,
    accum: Accum,
    pads: (usize, usize, usize),
    what: &str,
) {
    let (aw, a_stride) = stored(rng, a, pads.0);
    let (bw, b_stride) = stored(rng, b, pads.1);
    let old = Bools::random(rng, a.rows, b.cols, 30);
    let (mut cw, c_stride) = stored(rng, &old, pads.2);
    let before = cw.clone();
    bits::gemm_with(
        cfg,
        BitMatRef::new(&aw, a.rows, a.cols, a_stride).unwrap(),
        BitMatRef::new(&bw, b.rows, b.cols, b_stride).unwrap(),
        BitMatMut::new(&mut cw, a.rows, b.cols, c_stride).unwrap(),
        accum,
    )
    .unwrap();
    for (w, (&got, &was)) in cw.iter().zip(&before).enumerate() {
        let (i, word) = (w / c_stride, w % c_stride);
        for bit in 0..64 {
            let j = word * 64 + bit;
            let got_bit = got >> bit & 1 == 1;
            let want = if word < words_per_row(b.cols) && j < b.cols {
                let product = expected.at(i, j);
                match accum {
                    Accum::Replace => product,
                    Accum::Combine => product | old.at(i, j),
                }
            } else {
                was >> bit & 1 == 1 // not an entry: untouched
            };
            assert_eq!(got_bit, want, "{what}: C word {w} (row {i}) bit {bit}");
        }
    }
}

const COLS: [usize; 11] = [1, 7, 63, 64, 65, 127, 128, 511, 512, 513, 600];
const DEPTHS: [usize; 14] = [1, 7, 8, 9, 16, 17, 59, 60, 61, 63, 64, 65, 121, 130];
const ROWS: [usize; 4] = [1, 3, 17, 40];

#[test]
fn sweep_against_the_scalar_definition() {
    let mut rng = Rng::new(0xB175);
    let step = if quick() { 3 } else { 1 };
    for (si, &m) in ROWS.iter().enumerate() {
        for (ki, &k) in DEPTHS.iter().enumerate().skip(si % step).step_by(step) {
            for &n in COLS.iter().skip(ki % step).step_by(step) {
                let density = [2, 10, 50][(m + k + n) % 3];
                let a = Bools::random(&mut rng, m, k, density);
                let b = Bools::random(&mut rng, k, n, density);
                let expected = reference(&a, &b);
                for level in available_levels("bits sweep") {
                    for accum in [Accum::Replace, Accum::Combine] {
                        let pads = (
                            rng.below(3) as usize,
                            rng.below(3) as usize,
                            1 + rng.below(2) as usize,
                        );
                        let cfg = GemmConfig::default().with_isa(level).with_par(Par::Seq);
                        let what = format!("{level} {m}x{k}x{n} {accum:?} pads {pads:?}");
                        check(&mut rng, &cfg, &a, &b, &expected, accum, pads, &what);
                    }
                }
            }
        }
    }
}

/// Products large enough to be split among threads (by column blocks, and
/// by rows when there are fewer blocks than threads): every count gives
/// the same bits.
#[test]
fn thread_counts_give_the_same_bits() {
    let mut rng = Rng::new(0x7123);
    // 513 columns are two blocks, so 3 and 4 threads split rows too; 4100
    // rows take two passes of a column block; k = 1000 has 17 k-blocks
    // (the last starts word-aligned again).
    let shapes: &[(usize, usize, usize)] = if quick() {
        &[(260, 520, 513), (70, 1000, 100)]
    } else {
        &[
            (260, 520, 513),
            (400, 450, 450),
            (130, 700, 1100),
            (70, 1000, 100),
            (4100, 61, 65),
        ]
    };
    for &(m, k, n) in shapes {
        let a = Bools::random(&mut rng, m, k, 1);
        let b = Bools::random(&mut rng, k, n, 1);
        let expected = reference(&a, &b);
        for level in available_levels("bits threads") {
            for threads in 1..=4 {
                let cfg = GemmConfig::default()
                    .with_isa(level)
                    .with_par(Par::Rayon(threads));
                for accum in [Accum::Replace, Accum::Combine] {
                    let what = format!("{level} {m}x{k}x{n} {threads} threads {accum:?}");
                    check(&mut rng, &cfg, &a, &b, &expected, accum, (1, 0, 2), &what);
                }
            }
        }
    }
}

/// The same matrices through the byte `OrAnd` gemm give the same entries.
#[test]
fn agrees_with_the_byte_or_and_gemm() {
    let mut rng = Rng::new(0x0A0D);
    for &(m, k, n) in &[(33, 65, 130), (8, 512, 513), (70, 9, 64)] {
        let a = Bools::random(&mut rng, m, k, 5);
        let b = Bools::random(&mut rng, k, n, 5);
        let mut c_bytes = vec![false; m * n];
        tropical_blas::gemm::<OrAnd>(
            MatRef::row_major(&a.v, m, k).unwrap(),
            MatRef::row_major(&b.v, k, n).unwrap(),
            MatMut::row_major(&mut c_bytes, m, n).unwrap(),
            Accum::Replace,
        )
        .unwrap();
        let a_bits = BitMatrix::from_bools(MatRef::row_major(&a.v, m, k).unwrap()).unwrap();
        let b_bits = BitMatrix::from_bools(MatRef::row_major(&b.v, k, n).unwrap()).unwrap();
        for level in available_levels("bits vs bytes") {
            let mut c_bits = BitMatrix::zeros(m, n);
            let cfg = GemmConfig::default().with_isa(level);
            bits::gemm_with(
                &cfg,
                a_bits.as_ref(),
                b_bits.as_ref(),
                c_bits.as_mut(),
                Accum::Replace,
            )
            .unwrap();
            assert_eq!(c_bits.as_ref().to_bools(), c_bytes, "{level} {m}x{k}x{n}");
        }
    }
}

#[test]
fn empty_products() {
    for level in available_levels("bits empty") {
        let cfg = GemmConfig::default().with_isa(level);
        // k = 0: Replace clears the entries, Combine keeps them.
        let a = BitMatrix::zeros(3, 0);
        let b = BitMatrix::zeros(0, 70);
        for (accum, want) in [(Accum::Replace, 0), (Accum::Combine, 3 * 70)] {
            let mut words = vec![!0u64; 3 * 2];
            let c = BitMatMut::dense(&mut words, 3, 70).unwrap();
            bits::gemm_with(&cfg, a.as_ref(), b.as_ref(), c, accum).unwrap();
            let c = BitMatRef::dense(&words, 3, 70).unwrap();
            assert_eq!(c.to_bools().iter().filter(|&&x| x).count(), want);
            assert_eq!(words[1] >> 6, !0u64 >> 6, "bits past column 69 kept");
        }
        // m = 0 and n = 0.
        let mut none: Vec<u64> = vec![];
        bits::gemm_with(
            &cfg,
            BitMatrix::zeros(0, 5).as_ref(),
            BitMatrix::zeros(5, 9).as_ref(),
            BitMatMut::dense(&mut none, 0, 9).unwrap(),
            Accum::Replace,
        )
        .unwrap();
    }
}

#[test]
fn conversions_round_trip() {
    let mut rng = Rng::new(5);
    for cols in [1, 63, 64, 65, 130] {
        let m = Bools::random(&mut rng, 4, cols, 50);
        let bits = BitMatrix::from_bools(MatRef::row_major(&m.v, 4, cols).unwrap()).unwrap();
        assert_eq!(bits.as_ref().to_bools(), m.v);
        // Bit order: column j is bit j % 64 of word j / 64.
        for i in 0..4 {
            for j in 0..cols {
                let word = bits.words()[i * words_per_row(cols) + j / 64];
                assert_eq!(word >> (j % 64) & 1 == 1, m.at(i, j));
            }
        }
        // To a column-major bool view and back.
        let mut t = vec![false; 4 * cols];
        bits.as_ref()
            .copy_to_bools(MatMut::col_major(&mut t, 4, cols).unwrap())
            .unwrap();
        let back = BitMatrix::from_bools(MatRef::col_major(&t, 4, cols).unwrap()).unwrap();
        assert_eq!(back, bits);
        // from_words clears the bits past the last column.
        let raw = vec![!0u64; 4 * words_per_row(cols)];
        let full = BitMatrix::from_words(raw, 4, cols).unwrap();
        assert_eq!(full.count_ones(), (4 * cols) as u64);
    }
}

/// A broadcast view (zero strides over one element) can describe a matrix
/// no memory holds: `from_bools` returns an error instead of aborting.
#[test]
fn bit_matrices_past_memory_are_refused() {
    let one = [true];
    let huge = |rows, cols| MatRef::new(&one, rows, cols, 0, 0).unwrap();
    assert_eq!(
        BitMatrix::from_bools(huge(1 << 40, 1 << 40)).err(),
        Some(Error::LayoutOverflow)
    );
    assert!(matches!(
        BitMatrix::from_bools(huge(1 << 31, 1 << 31)),
        Err(Error::WorkspaceTooLarge { .. })
    ));
}

#[test]
fn errors() {
    let words = vec![0u64; 10];
    // Row stride below the words a row needs (rows would overlap).
    assert_eq!(
        BitMatRef::new(&words, 3, 130, 2).unwrap_err(),
        Error::BitRowStride {
            cols: 130,
            row_stride: 2,
            words_per_row: 3
        }
    );
    let mut out = vec![0u64; 10];
    assert!(matches!(
        BitMatMut::new(&mut out, 2, 65, 1),
        Err(Error::BitRowStride { .. })
    ));
    // One row needs no stride; an empty matrix needs no words.
    assert!(BitMatMut::new(&mut out, 1, 640, 0).is_ok());
    assert!(BitMatRef::new(&[], 0, 100, 0).is_ok());
    assert!(BitMatRef::new(&[], 100, 0, 0).is_ok());
    // Rows of no columns have no words, whatever the stride says.
    let empty_rows = BitMatRef::new(&[], 2, 0, 10).unwrap();
    assert_eq!(empty_rows.row(1), Some(&[][..]));
    assert_eq!(empty_rows.row(2), None);
    // Short buffer: 3 rows of 2 words, stride 4: 2·4 + 2 = 10 fits, 11 not.
    assert!(BitMatRef::new(&words, 3, 128, 4).is_ok());
    assert_eq!(
        BitMatRef::new(&words, 3, 128, 5).unwrap_err(),
        Error::BufferTooShort {
            needed: 12,
            len: 10
        }
    );
    // Overflow.
    assert_eq!(
        BitMatRef::new(&words, usize::MAX, 64, usize::MAX / 2).unwrap_err(),
        Error::LayoutOverflow
    );
    // Shapes: nothing written.
    let a = BitMatrix::zeros(2, 3);
    let b = BitMatrix::zeros(4, 5);
    let mut c = vec![!0u64; 2];
    assert!(matches!(
        bits::gemm(
            a.as_ref(),
            b.as_ref(),
            BitMatMut::dense(&mut c, 2, 5).unwrap(),
            Accum::Replace
        ),
        Err(Error::DimensionMismatch { .. })
    ));
    assert_eq!(c, vec![!0u64; 2]);
    // Conversions of the wrong shape.
    let bools = vec![false; 6];
    let mut m = BitMatrix::zeros(2, 2);
    assert!(matches!(
        m.as_mut()
            .copy_from_bools(MatRef::row_major(&bools, 2, 3).unwrap()),
        Err(Error::ShapeMismatch { .. })
    ));
    // A level the CPU lacks.
    let detected = tropical_blas::detected_isa();
    if detected < IsaLevel::Avx512 {
        let cfg = GemmConfig::default().with_isa(IsaLevel::Avx512);
        let b = BitMatrix::zeros(3, 5);
        let mut c = BitMatrix::zeros(2, 5);
        assert!(matches!(
            bits::gemm_with(&cfg, a.as_ref(), b.as_ref(), c.as_mut(), Accum::Replace),
            Err(Error::IsaUnavailable { .. })
        ));
    }
}

/// Each level binds its own kernel; under qemu in CI the detected level is
/// the expected one.
#[test]
fn each_level_binds_its_kernel() {
    for level in available_levels("bits kernels") {
        let k = bits::kernel_at(level).unwrap();
        // FP16 adds nothing to the bit kernels.
        assert_eq!(k.isa(), level.min(IsaLevel::Avx512));
        assert!(k.name().starts_with(match level {
            IsaLevel::Scalar => "portable",
            IsaLevel::Avx2 => "avx2",
            IsaLevel::Avx512 | IsaLevel::Avx512Fp16 => "avx512",
        }));
    }
    if let Ok(expected) = std::env::var("TROPICAL_BLAS_EXPECT_ISA") {
        let expected: IsaLevel = expected.parse().unwrap();
        assert_eq!(
            bits::kernel_for().unwrap().isa(),
            expected.min(IsaLevel::Avx512)
        );
    }
}
