//! Counting tropical products (`tropical_blas::counting`) against an
//! independent scalar reference, bitwise (values and counts, and every
//! guard cell around C), at every ISA level this CPU has: shapes around
//! the tile edges and the depth block, layouts, both Accum modes, ties,
//! NaN and ±∞, ZERO absorbing, count overflow, thread counts 1–3, batches.

mod common;

use common::{ALL_LAYOUTS, Dense, Layout, Rng, Stored, TestScalar, available_levels, quick, store};
use tropical_blas::counting::{
    self, CountValue, CountingMax, CountingMin, CountingMut, CountingRef, CountingSemiring,
};
use tropical_blas::{Accum, Error, GemmConfig, GemmWorkspace, IsaLevel, MatMut, Operand, Par};

/// The sentinel of the count buffers' guard cells and of C's counts
/// under `Replace` (never read).
const COUNT_GUARD: f64 = -7.25;

/// The scalar reference, written from the documented rule: products whose
/// value is ZERO's are skipped, a better value replaces, `==` adds.
fn reference<S: CountingSemiring>(
    a: &Dense<(S::Value, f64)>,
    b: &Dense<(S::Value, f64)>,
    c0: &Dense<(S::Value, f64)>,
    accum: Accum,
) -> Dense<(S::Value, f64)> {
    let zero = S::ZERO_VALUE;
    let better = |x: S::Value, y: S::Value| if S::MAXIMIZES { x > y } else { x < y };
    Dense::from_fn(a.rows, b.cols, |i, j| {
        let mut acc = (zero, 0.0);
        for p in 0..a.cols {
            let (av, ac) = a.at(i, p);
            let (bv, bc) = b.at(p, j);
            let x = S::Value::plus(av, bv);
            if x == zero {
                continue;
            }
            let q = ac * bc;
            if better(x, acc.0) {
                acc = (x, q);
            } else if x == acc.0 {
                acc.1 += q;
            }
        }
        if accum == Accum::Combine {
            let (v0, c0c) = c0.at(i, j);
            let c0c = if v0 == zero { 0.0 } else { c0c };
            acc = if better(acc.0, v0) {
                acc
            } else if acc.0 == v0 {
                (v0, c0c + acc.1)
            } else {
                (v0, c0c)
            };
        }
        if acc.0 == zero { (zero, 0.0) } else { acc }
    })
}

/// An element: values favour ties and specials; a count is a small
/// integer, or garbage where the value is ZERO's (never read).
fn sample<S: CountingSemiring>(rng: &mut Rng) -> (S::Value, f64)
where
    S::Value: TestScalar,
{
    let v = S::Value::sample(rng);
    let c = if v == S::ZERO_VALUE && rng.below(2) == 0 {
        [f64::NAN, -3.0, 0.5, 1e300][rng.below(4) as usize]
    } else {
        [0.0, 1.0, 1.0, 2.0, 3.0, 7.0][rng.below(6) as usize]
    };
    (v, c)
}

fn random<S: CountingSemiring>(rng: &mut Rng, rows: usize, cols: usize) -> Dense<(S::Value, f64)>
where
    S::Value: TestScalar,
{
    Dense::from_fn(rows, cols, |_, _| sample::<S>(rng))
}

fn planes<T: Copy>(m: &Dense<(T, f64)>) -> (Dense<T>, Dense<f64>) {
    (
        Dense::from_fn(m.rows, m.cols, |i, j| m.at(i, j).0),
        Dense::from_fn(m.rows, m.cols, |i, j| m.at(i, j).1),
    )
}

/// A counting operand stored in two guarded buffers.
struct StoredPair<T> {
    values: Stored<T>,
    counts: Stored<f64>,
}

impl<T: TestScalar> StoredPair<T> {
    fn new(m: &Dense<(T, f64)>, layouts: (Layout, Layout)) -> Self {
        let (v, c) = planes(m);
        StoredPair {
            values: store(&v, layouts.0, T::garbage()),
            counts: store(&c, layouts.1, COUNT_GUARD),
        }
    }
    fn view(&self) -> CountingRef<'_, T> {
        CountingRef::new(self.values.view(), self.counts.view()).unwrap()
    }
    fn view_mut(&mut self) -> CountingMut<'_, T> {
        CountingMut::new(self.values.view_mut(), self.counts.view_mut()).unwrap()
    }
    /// The buffers with `m` written where the view is.
    fn expected(&self, m: &Dense<(T, f64)>) -> (Vec<T>, Vec<f64>) {
        let (mut v, mut c) = (self.values.buf.clone(), self.counts.buf.clone());
        for i in 0..m.rows {
            for j in 0..m.cols {
                v[self.values.index(i, j)] = m.at(i, j).0;
                c[self.counts.index(i, j)] = m.at(i, j).1;
            }
        }
        (v, c)
    }
}

/// One product against the reference, every cell of C's buffers compared.
#[allow(clippy::too_many_arguments)]
fn check<S: CountingSemiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: &Dense<(S::Value, f64)>,
    b: &Dense<(S::Value, f64)>,
    c0: &Dense<(S::Value, f64)>,
    layouts: [Layout; 3],
    accum: Accum,
    what: &str,
) where
    S::Value: TestScalar,
{
    let count_layout =
        |l: Layout| ALL_LAYOUTS[(ALL_LAYOUTS.iter().position(|&x| x == l).unwrap() + 1) % 7];
    let sa = StoredPair::new(a, (layouts[0], count_layout(layouts[0])));
    let sb = StoredPair::new(b, (layouts[1], count_layout(layouts[1])));
    let c_init = match accum {
        Accum::Replace => Dense::from_fn(c0.rows, c0.cols, |_, _| (S::Value::garbage(), f64::NAN)),
        Accum::Combine => c0.clone(),
    };
    let mut sc = StoredPair::new(&c_init, (layouts[2], count_layout(layouts[2])));
    let want = reference::<S>(a, b, c0, accum);
    let (want_v, want_c) = sc.expected(&want);
    let result = counting::gemm_with::<S>(ws, cfg, sa.view(), sb.view(), sc.view_mut(), accum);
    assert_eq!(result, Ok(()), "{what}");
    let ctx = || {
        format!(
            "{what}: m={} k={} n={} layouts={layouts:?} {accum:?}",
            a.rows, a.cols, b.cols
        )
    };
    for (idx, (got, want)) in sc.values.buf.iter().zip(&want_v).enumerate() {
        assert_eq!(
            got.bits(),
            want.bits(),
            "{}: value buffer index {idx}: got {got:?}, want {want:?}",
            ctx()
        );
    }
    for (idx, (got, want)) in sc.counts.buf.iter().zip(&want_c).enumerate() {
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{}: count buffer index {idx}: got {got}, want {want}",
            ctx()
        );
    }
}

/// Shapes around the tile edges, depths within and past the depth block
/// (512),
/// layouts and accumulation cycling, thread counts 1–3.
fn sweep<S: CountingSemiring>(seed: u64)
where
    S::Value: TestScalar,
{
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    for level in available_levels(std::any::type_name::<S>()) {
        let kernel = counting::kernel_at::<S>(level).unwrap();
        // FP16 adds nothing to the counting kernels: that level runs the
        // AVX-512 one, swept at its own level.
        assert_eq!(
            kernel.level(),
            level.min(IsaLevel::Avx512),
            "{}",
            kernel.name()
        );
        if kernel.level() != level {
            continue;
        }
        let (mr, nr) = (kernel.mr(), kernel.nr());
        let step = if quick() { 3 } else { 1 };
        let rows: Vec<usize> = (0..=2 * mr + 1).step_by(step).collect();
        let cols: Vec<usize> = (0..=2 * nr + 1).step_by(step).collect();
        let depths: &[usize] = if quick() {
            &[0, 1, 5, 513]
        } else {
            &[0, 1, 2, 7, 300, 511, 513]
        };
        let mut case = 0usize;
        for &m in &rows {
            for &n in &cols {
                for &k in depths {
                    case += 1;
                    let layouts = [
                        ALL_LAYOUTS[case % 7],
                        ALL_LAYOUTS[(case / 7) % 7],
                        ALL_LAYOUTS[(case / 3) % 7],
                    ];
                    let accum = if case.is_multiple_of(2) {
                        Accum::Replace
                    } else {
                        Accum::Combine
                    };
                    let threads = 1 + case % 3;
                    let cfg = GemmConfig::default()
                        .with_isa(level)
                        .with_par(Par::Rayon(threads));
                    let a = random::<S>(&mut rng, m, k);
                    let b = random::<S>(&mut rng, k, n);
                    let c0 = random::<S>(&mut rng, m, n);
                    check::<S>(
                        &mut ws,
                        &cfg,
                        &a,
                        &b,
                        &c0,
                        layouts,
                        accum,
                        &format!("{} {level}", kernel.name()),
                    );
                }
            }
        }
        // Larger products: several depth, row and column blocks, and
        // every thread count.
        let big: &[(usize, usize, usize)] = if quick() {
            &[(37, 1100, 45)]
        } else {
            &[(100, 300, 530), (530, 130, 97), (97, 1100, 33)]
        };
        for &(m, k, n) in big {
            for threads in 1..=3 {
                let cfg = GemmConfig::default()
                    .with_isa(level)
                    .with_par(Par::Rayon(threads));
                let a = random::<S>(&mut rng, m, k);
                let b = random::<S>(&mut rng, k, n);
                let c0 = random::<S>(&mut rng, m, n);
                for accum in [Accum::Replace, Accum::Combine] {
                    let layouts = [Layout::RowMajor, Layout::ColMajor, Layout::Padded];
                    check::<S>(
                        &mut ws,
                        &cfg,
                        &a,
                        &b,
                        &c0,
                        layouts,
                        accum,
                        &format!("{} {level} big", kernel.name()),
                    );
                }
            }
        }
    }
}

#[test]
fn counting_max_f32() {
    sweep::<CountingMax<f32>>(91);
}
#[test]
fn counting_min_f32() {
    sweep::<CountingMin<f32>>(92);
}
#[test]
fn counting_max_f64() {
    sweep::<CountingMax<f64>>(93);
}
#[test]
fn counting_min_f64() {
    sweep::<CountingMin<f64>>(94);
}

fn levels_cfgs(test: &str) -> Vec<GemmConfig> {
    available_levels(test)
        .into_iter()
        .map(|l| GemmConfig::default().with_isa(l).with_par(Par::Seq))
        .collect()
}

/// All products tie: every count adds (k · 1 · 1 = k, then k·2·3).
#[test]
fn ties_add_counts() {
    for cfg in levels_cfgs("ties_add_counts") {
        let mut ws = GemmWorkspace::new();
        for (k, ca, cb) in [(1usize, 1.0, 1.0), (200, 1.0, 1.0), (77, 2.0, 3.0)] {
            let a = Dense::from_fn(19, k, |i, p| ((i + p) as f32, ca));
            let b = Dense::from_fn(k, 21, |p, j| (-((p + j) as f32), cb));
            let c0 = Dense::from_fn(19, 21, |_, _| (0.0, 0.0));
            check::<CountingMax<f32>>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c0,
                [Layout::RowMajor; 3],
                Accum::Replace,
                "ties",
            );
            // (i+p) + -(p+j) = i - j for every p: k ways.
            let (av, ac) = planes(&a);
            let (bv, bc) = planes(&b);
            let (mut cv, mut cc) = (vec![0.0f32; 19 * 21], vec![0.0f64; 19 * 21]);
            counting::gemm_with::<CountingMax<f32>>(
                &mut ws,
                &cfg,
                CountingRef::new(
                    tropical_blas::MatRef::row_major(&av.data, 19, k).unwrap(),
                    tropical_blas::MatRef::row_major(&ac.data, 19, k).unwrap(),
                )
                .unwrap(),
                CountingRef::new(
                    tropical_blas::MatRef::row_major(&bv.data, k, 21).unwrap(),
                    tropical_blas::MatRef::row_major(&bc.data, k, 21).unwrap(),
                )
                .unwrap(),
                CountingMut::new(
                    MatMut::row_major(&mut cv, 19, 21).unwrap(),
                    MatMut::row_major(&mut cc, 19, 21).unwrap(),
                )
                .unwrap(),
                Accum::Replace,
            )
            .unwrap();
            assert!(cc.iter().all(|&c| c == k as f64 * ca * cb));
            assert_eq!(cv[21 + 3], -2.0);
        }
    }
}

/// ZERO absorbs: a ZERO factor with any count, and a finite sum that
/// overflows to −∞, contribute nothing; an all-ZERO row gives (−∞, 0).
#[test]
fn zero_absorbs() {
    for cfg in levels_cfgs("zero_absorbs") {
        let mut ws = GemmWorkspace::new();
        let ninf = f32::NEG_INFINITY;
        // Row 0: every product −∞ (a ZERO factor with count 5, a finite
        // sum that overflows, a ZERO factor with a NaN count).
        // Row 1: one finite product 1.0 with count 6 among −∞ ties.
        // Row 2: −f32::MAX + 0.5 rounds to −f32::MAX: finite, count 2·3.
        let a = Dense::from_fn(3, 3, |i, p| match (i, p) {
            (0, 0) => (ninf, 5.0),
            (0, 1) | (2, 2) => (-f32::MAX, 2.0),
            (1, 2) => (0.5, 2.0),
            _ => (ninf, f64::NAN),
        });
        let b = Dense::from_fn(3, 17, |p, _| {
            if p == 0 {
                (1.0, 9.0)
            } else {
                (if p == 2 { 0.5 } else { -f32::MAX }, 3.0)
            }
        });
        let c0 = Dense::from_fn(3, 17, |_, j| {
            if j % 2 == 0 {
                (ninf, 4.0)
            } else {
                (f32::NAN, 2.0)
            }
        });
        for accum in [Accum::Replace, Accum::Combine] {
            check::<CountingMax<f32>>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c0,
                [Layout::RowMajor; 3],
                accum,
                "zero absorbs",
            );
        }
        let want = reference::<CountingMax<f32>>(&a, &b, &c0, Accum::Replace);
        assert_eq!(want.at(0, 0), (ninf, 0.0));
        assert_eq!(want.at(1, 0), (1.0, 6.0));
        assert_eq!(want.at(2, 0), (-f32::MAX, 6.0));
        let want = reference::<CountingMax<f32>>(&a, &b, &c0, Accum::Combine);
        assert!(
            want.at(0, 1).0.is_nan() && want.at(0, 1).1 == 2.0,
            "NaN in C stays with its count"
        );
    }
}

fn run_f64<S: CountingSemiring<Value = f64>>(
    cfg: &GemmConfig,
    a: &Dense<(f64, f64)>,
    b: &Dense<(f64, f64)>,
    c: &mut (Vec<f64>, Vec<f64>),
    accum: Accum,
) -> Result<(), Error> {
    let (av, ac) = planes(a);
    let (bv, bc) = planes(b);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    use tropical_blas::MatRef;
    counting::gemm_with::<S>(
        &mut GemmWorkspace::new(),
        cfg,
        CountingRef::new(
            MatRef::row_major(&av.data, m, k)?,
            MatRef::row_major(&ac.data, m, k)?,
        )?,
        CountingRef::new(
            MatRef::row_major(&bv.data, k, n)?,
            MatRef::row_major(&bc.data, k, n)?,
        )?,
        CountingMut::new(
            MatMut::row_major(&mut c.0, m, n)?,
            MatMut::row_major(&mut c.1, m, n)?,
        )?,
        accum,
    )
}

/// A count reaching 2^53 is an error and C is untouched; counts past the
/// bound that stay below 2^53 are exact; invalid counts are refused.
#[test]
fn count_overflow_and_invalid_counts() {
    for cfg in levels_cfgs("count_overflow") {
        let big = (1u64 << 26) as f64;
        // k = 2 ties of 2^26 · 2^26 = 2^52 each: 2^53 in total.
        let a = Dense::from_fn(3, 2, |_, _| (1.0, big));
        let b = Dense::from_fn(2, 5, |_, _| (1.0, big));
        let mut c = (vec![9.0; 15], vec![9.0; 15]);
        assert_eq!(
            run_f64::<CountingMax<f64>>(&cfg, &a, &b, &mut c, Accum::Replace),
            Err(Error::CountOverflow { row: 0, col: 0 })
        );
        assert!(c.0.iter().chain(&c.1).all(|&x| x == 9.0), "C untouched");
        // One tie below the limit: 2^52 + 2^52 - 2^26·1 … use distinct values so no tie.
        let a = Dense::from_fn(3, 2, |_, p| (p as f64, big));
        assert_eq!(
            run_f64::<CountingMax<f64>>(&cfg, &a, &b, &mut c, Accum::Replace),
            Ok(())
        );
        assert!(c.1.iter().all(|&x| x == big * big) && c.0.iter().all(|&x| x == 2.0));
        // Combine adds C's count: 2^52 + (2^52 - 1) < 2^53 is exact.
        let mut c = (vec![2.0; 15], vec![big * big - 1.0; 15]);
        assert_eq!(
            run_f64::<CountingMax<f64>>(&cfg, &a, &b, &mut c, Accum::Combine),
            Ok(())
        );
        assert!(c.1.iter().all(|&x| x == 2.0 * big * big - 1.0));
        let mut c = (vec![2.0; 15], vec![big * big; 15]);
        assert!(matches!(
            run_f64::<CountingMax<f64>>(&cfg, &a, &b, &mut c, Accum::Combine),
            Err(Error::CountOverflow { .. })
        ));
        assert!(c.1.iter().all(|&x| x == big * big), "C untouched");
        // Invalid counts (non-integer, negative, −0.0, NaN, 2^53) are refused
        // before anything is written; at a ZERO value they are ignored.
        let below_2_52 = (1u64 << 52) as f64 - 0.5;
        let bads = [
            0.5,
            -1.0,
            -0.0,
            f64::NAN,
            2.0 * big * big,
            below_2_52,
            1e-300,
            1.0 + f64::EPSILON,
            f64::INFINITY,
        ];
        for bad in bads {
            let a = Dense::from_fn(3, 2, |i, p| {
                if (i, p) == (2, 1) {
                    (1.0, bad)
                } else {
                    (1.0, 1.0)
                }
            });
            let mut c = (vec![9.0; 15], vec![9.0; 15]);
            assert_eq!(
                run_f64::<CountingMin<f64>>(&cfg, &a, &b, &mut c, Accum::Replace),
                Err(Error::InvalidCount {
                    operand: Operand::A,
                    row: 2,
                    col: 1
                })
            );
            assert!(c.0.iter().chain(&c.1).all(|&x| x == 9.0));
            let a = Dense::from_fn(3, 2, |i, p| {
                if (i, p) == (2, 1) {
                    (f64::INFINITY, bad)
                } else {
                    (1.0, 1.0)
                }
            });
            assert_eq!(
                run_f64::<CountingMin<f64>>(&cfg, &a, &b, &mut c, Accum::Replace),
                Ok(())
            );
            let mut c = (vec![1.0; 15], vec![bad; 15]);
            assert_eq!(
                run_f64::<CountingMin<f64>>(&cfg, &a, &b, &mut c, Accum::Combine),
                Err(Error::InvalidCount {
                    operand: Operand::C,
                    row: 0,
                    col: 0
                })
            );
        }
    }
}

/// Counts just inside the rule are accepted (an integer above 2^52, where
/// every float is one), and with strided planes an invalid count is
/// still named by its row and column, the first in row order.
#[test]
fn count_rule_edges_and_strided_planes() {
    use tropical_blas::MatRef;
    for cfg in levels_cfgs("count_rule_edges") {
        let top = (1u64 << 52) as f64 + 1.0;
        let a = Dense::from_fn(1, 1, |_, _| (1.0, top));
        let b = Dense::from_fn(1, 1, |_, _| (2.0, 1.0));
        let mut c = (vec![0.0], vec![0.0]);
        run_f64::<CountingMax<f64>>(&cfg, &a, &b, &mut c, Accum::Replace).unwrap();
        assert_eq!((c.0[0], c.1[0]), (3.0, top));
        // A is 3 × 2, column-major; invalid counts at (2, 0) and (0, 1):
        // (0, 1) comes first in row order.
        // (0, 0) is ZERO (+∞ for min), whose count is never read: NaN
        // there is no error, and the search goes on past it.
        let mut values = [1.0f64; 6];
        let mut counts = [1.0f64; 6];
        (values[0], counts[0]) = (f64::INFINITY, f64::NAN);
        counts[2] = 0.5; // (2, 0)
        counts[3] = -1.0; // (0, 1)
        fn col_major(x: &[f64]) -> MatRef<'_, f64> {
            MatRef::new(x, 3, 2, 1, 3).unwrap()
        }
        let (bv, bc) = ([1.0f64; 2], [1.0f64; 2]);
        let (mut cv, mut cc) = ([7.0f64; 3], [7.0f64; 3]);
        let result = counting::gemm_with::<CountingMin<f64>>(
            &mut GemmWorkspace::new(),
            &cfg,
            CountingRef::new(col_major(&values), col_major(&counts)).unwrap(),
            CountingRef::new(
                MatRef::row_major(&bv, 2, 1).unwrap(),
                MatRef::row_major(&bc, 2, 1).unwrap(),
            )
            .unwrap(),
            CountingMut::new(
                MatMut::row_major(&mut cv, 3, 1).unwrap(),
                MatMut::row_major(&mut cc, 3, 1).unwrap(),
            )
            .unwrap(),
            Accum::Replace,
        );
        assert_eq!(
            result,
            Err(Error::InvalidCount {
                operand: Operand::A,
                row: 0,
                col: 1
            })
        );
        assert!(cv.iter().chain(&cc).all(|&x| x == 7.0), "C untouched");
    }
}

/// Shape errors: count views of another shape, and mismatched products.
#[test]
fn shape_errors() {
    use tropical_blas::MatRef;
    let v = [0.0f32; 6];
    let c = [1.0f64; 6];
    let err = CountingRef::new(
        MatRef::row_major(&v, 2, 3).unwrap(),
        MatRef::row_major(&c, 3, 2).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::ShapeMismatch {
            operand: Operand::A,
            expected: (2, 3),
            found: (3, 2)
        }
    );
    let a = CountingRef::new(
        MatRef::row_major(&v, 2, 3).unwrap(),
        MatRef::row_major(&c, 2, 3).unwrap(),
    )
    .unwrap();
    let (mut cv, mut cc) = ([5.0f32; 4], [5.0f64; 4]);
    let out = CountingMut::new(
        MatMut::row_major(&mut cv, 2, 2).unwrap(),
        MatMut::row_major(&mut cc, 2, 2).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        counting::gemm::<CountingMax<f32>>(a, a, out, Accum::Replace),
        Err(Error::DimensionMismatch { .. })
    ));
    assert_eq!((cv, cc), ([5.0; 4], [5.0; 4]));
}

/// Batches of items of different shapes, each against the reference; an
/// overflowing item fails the call with no C written.
#[test]
fn batched() {
    use tropical_blas::MatRef;
    let mut rng = Rng::new(95);
    for level in available_levels("batched") {
        let cfg = GemmConfig::default()
            .with_isa(level)
            .with_par(Par::Rayon(2));
        let shapes = [
            (3usize, 5usize, 17usize),
            (0, 4, 2),
            (20, 130, 9),
            (1, 0, 3),
            (16, 16, 16),
        ];
        for accum in [Accum::Replace, Accum::Combine] {
            let items: Vec<_> = shapes
                .iter()
                .map(|&(m, k, n)| {
                    (
                        random::<CountingMin<f32>>(&mut rng, m, k),
                        random::<CountingMin<f32>>(&mut rng, k, n),
                        random::<CountingMin<f32>>(&mut rng, m, n),
                    )
                })
                .collect();
            let mut stored: Vec<_> = items
                .iter()
                .map(|(a, b, c)| (planes(a), planes(b), planes(c)))
                .collect();
            let mut a_views = Vec::new();
            let mut b_views = Vec::new();
            let mut c_views = Vec::new();
            for ((av, ac), (bv, bc), (cv, cc)) in stored.iter_mut() {
                a_views.push(
                    CountingRef::new(
                        MatRef::row_major(&av.data, av.rows, av.cols).unwrap(),
                        MatRef::row_major(&ac.data, ac.rows, ac.cols).unwrap(),
                    )
                    .unwrap(),
                );
                b_views.push(
                    CountingRef::new(
                        MatRef::row_major(&bv.data, bv.rows, bv.cols).unwrap(),
                        MatRef::row_major(&bc.data, bc.rows, bc.cols).unwrap(),
                    )
                    .unwrap(),
                );
                let (rows, cols) = (cv.rows, cv.cols);
                c_views.push(
                    CountingMut::new(
                        MatMut::row_major(&mut cv.data, rows, cols).unwrap(),
                        MatMut::row_major(&mut cc.data, rows, cols).unwrap(),
                    )
                    .unwrap(),
                );
            }
            counting::gemm_batched_with::<CountingMin<f32>>(
                &mut GemmWorkspace::new(),
                &cfg,
                &a_views,
                &b_views,
                &mut c_views,
                accum,
            )
            .unwrap();
            drop(c_views);
            for ((a, b, c0), (_, _, (cv, cc))) in items.iter().zip(&stored) {
                let want = reference::<CountingMin<f32>>(a, b, c0, accum);
                for (idx, &(v, c)) in want.data.iter().enumerate() {
                    assert_eq!(
                        (cv.data[idx].to_bits(), cc.data[idx].to_bits()),
                        (v.to_bits(), c.to_bits()),
                        "{level} item {a:?}"
                    );
                }
            }
        }
        // The second item overflows: nothing is written, not even item 0.
        let big = (1u64 << 27) as f64;
        let (av, ac) = (vec![1.0f32; 4], vec![big; 4]);
        let (mut c0v, mut c0c) = (vec![3.0f32; 4], vec![3.0; 4]);
        let (mut c1v, mut c1c) = (vec![3.0f32; 4], vec![3.0; 4]);
        let a = CountingRef::new(
            MatRef::row_major(&av, 2, 2).unwrap(),
            MatRef::row_major(&ac, 2, 2).unwrap(),
        )
        .unwrap();
        let small = [1.0f64; 4];
        let a_small = CountingRef::new(
            MatRef::row_major(&av, 2, 2).unwrap(),
            MatRef::row_major(&small, 2, 2).unwrap(),
        )
        .unwrap();
        let mut cs = vec![
            CountingMut::new(
                MatMut::row_major(&mut c0v, 2, 2).unwrap(),
                MatMut::row_major(&mut c0c, 2, 2).unwrap(),
            )
            .unwrap(),
            CountingMut::new(
                MatMut::row_major(&mut c1v, 2, 2).unwrap(),
                MatMut::row_major(&mut c1c, 2, 2).unwrap(),
            )
            .unwrap(),
        ];
        let result = counting::gemm_batched_with::<CountingMin<f32>>(
            &mut GemmWorkspace::new(),
            &cfg,
            &[a_small, a],
            &[a_small, a],
            &mut cs,
            Accum::Replace,
        );
        assert_eq!(result, Err(Error::CountOverflow { row: 0, col: 0 }));
        drop(cs);
        assert!(
            c0v.iter().all(|&x| x == 3.0)
                && c0c.iter().all(|&x| x == 3.0)
                && c1c.iter().all(|&x| x == 3.0)
        );
    }
}

/// An ISA level above the CPU's is an error, as for `gemm`.
#[test]
fn levels_match_dispatch() {
    let detected = tropical_blas::detected_isa();
    for level in IsaLevel::ALL {
        let result = counting::kernel_at::<CountingMax<f32>>(level);
        if level <= detected {
            // FP16 adds nothing to the counting kernels.
            assert_eq!(result.unwrap().level(), level.min(IsaLevel::Avx512));
        } else {
            assert!(matches!(result, Err(Error::IsaUnavailable { .. })));
        }
    }
}

/// A product with no output reads neither factor: a broadcast depth of
/// 2^50 with m = 0 or n = 0 returns at once (the count check sized two
/// k-long vectors first, and failed to allocate them).
#[test]
fn products_with_no_output_accept_any_depth() {
    let deep = 1usize << 50;
    let (value, count) = ([1.0f32], [1.0f64]);
    let (mut c_values, mut c_counts) = ([0.0f32; 0], [0.0f64; 0]);
    for (m, n) in [(0, 3), (3, 0)] {
        let factor = |rows, cols| {
            CountingRef::new(
                tropical_blas::MatRef::new(&value, rows, cols, 0, 0).unwrap(),
                tropical_blas::MatRef::new(&count, rows, cols, 0, 0).unwrap(),
            )
            .unwrap()
        };
        let out = CountingMut::new(
            MatMut::new(&mut c_values, m, n, 1, 1).unwrap(),
            MatMut::new(&mut c_counts, m, n, 1, 1).unwrap(),
        )
        .unwrap();
        counting::gemm::<CountingMax<f32>>(factor(m, deep), factor(deep, n), out, Accum::Combine)
            .unwrap();
    }
}
