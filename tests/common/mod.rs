//! Shared test harness: an independent scalar reference, value generators
//! that favour ties, NaN, ±∞, ±0 and integer extremes, strided layouts with
//! sentinels around the output, and bitwise comparison.
#![allow(dead_code)]

use tropical_blas::{
    Accum, Element, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, NO_ARG, SelectingSemiring,
    Semiring, TilingParams, gemm_with,
};

/// Deterministic xorshift64* generator (tests must be reproducible).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A scalar the tests can generate and compare bit for bit.
pub trait TestScalar: Element {
    fn bits(self) -> u64;
    /// A value from a pool that makes ties and special values frequent.
    fn sample(rng: &mut Rng) -> Self;
    /// A value for an output cell that `Replace` must not read.
    fn garbage() -> Self;
}

macro_rules! float_scalar {
    ($t:ident) => {
        impl TestScalar for $t {
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn sample(rng: &mut Rng) -> Self {
                match rng.below(16) {
                    0 => $t::NAN,
                    1 => $t::INFINITY,
                    2 => $t::NEG_INFINITY,
                    3 => 0.0,
                    4 => -0.0,
                    5..=10 => (rng.below(9) as $t) - 4.0, // small integers: many ties
                    _ => ((rng.below(2001) as $t) - 1000.0) / 64.0,
                }
            }
            fn garbage() -> Self {
                $t::NAN
            }
        }
    };
}
float_scalar!(f32);
float_scalar!(f64);

/// The half-precision floats: the float pool, plus their own edges: the
/// largest finite values (whose sums overflow to ∞), subnormals (whose
/// products underflow), and values whose sums round.
macro_rules! half_scalar {
    ($t:ty, $subnormal:expr) => {
        impl TestScalar for $t {
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn sample(rng: &mut Rng) -> Self {
                match rng.below(20) {
                    0 => <$t>::NAN,
                    1 => <$t>::INFINITY,
                    2 => <$t>::NEG_INFINITY,
                    3 => <$t>::ZERO,
                    4 => <$t>::NEG_ZERO,
                    5 => <$t>::MAX,
                    6 => <$t>::MIN,
                    7 => <$t>::from_bits($subnormal + rng.below(8) as u16),
                    8 => -<$t>::from_bits($subnormal + rng.below(8) as u16),
                    9..=13 => <$t>::from_f32((rng.below(9) as f32) - 4.0),
                    14 => <$t>::from_bits(rng.next_u64() as u16 & 0x7bff),
                    _ => <$t>::from_f32(((rng.below(20001) as f32) - 10000.0) / 64.0),
                }
            }
            fn garbage() -> Self {
                <$t>::NAN
            }
        }
    };
}
half_scalar!(tropical_blas::half::f16, 1);
half_scalar!(tropical_blas::half::bf16, 1);

macro_rules! int_scalar {
    ($t:ident) => {
        impl TestScalar for $t {
            fn bits(self) -> u64 {
                self as u64
            }
            fn sample(rng: &mut Rng) -> Self {
                let limit = (1 as $t) << (<$t>::BITS - 4);
                match rng.below(14) {
                    0 => $t::MIN,
                    1 => $t::MAX,
                    2 => limit,
                    3 => -limit,
                    4 => 0,
                    5..=9 => (rng.below(9) as $t) - 4,
                    _ => (rng.next_u64() as $t) >> 8,
                }
            }
            fn garbage() -> Self {
                0x5A5A as $t
            }
        }
    };
}
int_scalar!(i16);
int_scalar!(i32);
int_scalar!(i64);

impl TestScalar for bool {
    fn bits(self) -> u64 {
        self as u64
    }
    fn sample(rng: &mut Rng) -> Self {
        rng.below(3) == 0
    }
    fn garbage() -> Self {
        true
    }
}

impl TestScalar for u8 {
    fn bits(self) -> u64 {
        self as u64
    }
    fn sample(rng: &mut Rng) -> Self {
        rng.below(256) as u8
    }
    fn garbage() -> Self {
        0xA5
    }
}

/// An input value valid for `S` (out-of-range integers become ZERO).
pub fn sample_input<S: Semiring>(rng: &mut Rng) -> S::Scalar
where
    S::Scalar: TestScalar,
{
    let x = S::Scalar::sample(rng);
    if S::accepts_input(x) { x } else { S::ZERO }
}

/// A dense logical matrix, row-major.
#[derive(Clone, Debug)]
pub struct Dense<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

impl<T: Copy> Dense<T> {
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Dense { rows, cols, data }
    }
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.cols + j]
    }
}

/// The scalar reference of DESIGN.md §2, written independently of the
/// crate's kernels.
pub fn reference<S: Semiring>(
    a: &Dense<S::Scalar>,
    b: &Dense<S::Scalar>,
    c: &Dense<S::Scalar>,
    accum: Accum,
) -> Dense<S::Scalar> {
    Dense::from_fn(a.rows, b.cols, |i, j| {
        let mut acc = S::ZERO;
        for p in 0..a.cols {
            acc = S::add(acc, S::mul(a.at(i, p), b.at(p, j)));
        }
        match accum {
            Accum::Replace => acc,
            Accum::Combine => S::add(c.at(i, j), acc),
        }
    })
}

/// The reference: ⊕ over k in order from ZERO; the index is the last k at
/// which a product strictly improved the running value (so the first of
/// equal winners), NO_ARG if none did. Under Combine, C's old value comes
/// first and keeps its old index unless beaten.
pub fn reference_arg<S: SelectingSemiring>(
    a: &Dense<S::Scalar>,
    b: &Dense<S::Scalar>,
    c0: &Dense<S::Scalar>,
    argk0: &Dense<u32>,
    accum: Accum,
) -> (Dense<S::Scalar>, Dense<u32>) {
    let mut values = Dense::from_fn(a.rows, b.cols, |_, _| S::ZERO);
    let mut indices = Dense::from_fn(a.rows, b.cols, |_, _| NO_ARG);
    for i in 0..a.rows {
        for j in 0..b.cols {
            let (mut acc, mut arg) = (S::ZERO, NO_ARG);
            for p in 0..a.cols {
                let x = S::mul(a.at(i, p), b.at(p, j));
                if S::improves(x, acc) {
                    arg = p as u32;
                }
                acc = S::add(acc, x);
            }
            if accum == Accum::Combine && !S::improves(acc, c0.at(i, j)) {
                (acc, arg) = (S::add(c0.at(i, j), acc), argk0.at(i, j));
            }
            values.data[i * b.cols + j] = acc;
            indices.data[i * b.cols + j] = arg;
        }
    }
    (values, indices)
}

/// How a logical matrix is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    RowMajor,
    ColMajor,
    /// Stored as the transpose, viewed through `.t()`.
    Transposed,
    /// Row-major with 3 spare elements after every row.
    Padded,
    /// Both strides negative (the last element is first in memory).
    Negative,
    /// Column-major with padding and a negative row stride.
    NegativeRowsPadded,
    /// Rows last-first in memory (negative row stride, padded), unit
    /// column stride: the row-major-like layout whose packing offsets are
    /// negative.
    NegativeRows,
}

pub const LAYOUTS: [Layout; 6] = [
    Layout::RowMajor,
    Layout::ColMajor,
    Layout::Transposed,
    Layout::Padded,
    Layout::Negative,
    Layout::NegativeRowsPadded,
];

/// `LAYOUTS` and the layouts only the targeted tests use.
pub const ALL_LAYOUTS: [Layout; 7] = [
    Layout::RowMajor,
    Layout::ColMajor,
    Layout::Transposed,
    Layout::Padded,
    Layout::Negative,
    Layout::NegativeRowsPadded,
    Layout::NegativeRows,
];

/// A matrix stored in a buffer with guard cells before and after.
pub struct Stored<T> {
    pub buf: Vec<T>,
    pub rows: usize,
    pub cols: usize,
    pub layout: Layout,
    /// (start of the view's slice within buf, strides)
    start: usize,
    len: usize,
    rs: isize,
    cs: isize,
}

pub const GUARD: usize = 7;

impl<T: Copy> Stored<T> {
    pub fn new(m: &Dense<T>, layout: Layout, filler: T) -> Self {
        let (rows, cols) = (m.rows, m.cols);
        let (rs, cs, len): (isize, isize, usize) = match layout {
            Layout::RowMajor => (cols as isize, 1, rows * cols),
            // Stored as the cols×rows row-major transpose: (i, j) at j·rows + i.
            Layout::Transposed => (1, rows as isize, rows * cols),
            Layout::ColMajor => (1, rows as isize, rows * cols),
            Layout::Padded => ((cols + 3) as isize, 1, rows * (cols + 3)),
            Layout::Negative => (-(cols as isize), -1, rows * cols),
            Layout::NegativeRowsPadded => (-1, (rows + 2) as isize, cols * (rows + 2)),
            Layout::NegativeRows => (-((cols + 3) as isize), 1, rows * (cols + 3)),
        };
        let mut buf = vec![filler; len + 2 * GUARD];
        let mut s = Stored {
            buf: Vec::new(),
            rows,
            cols,
            layout,
            start: GUARD,
            len,
            rs,
            cs,
        };
        for i in 0..rows {
            for j in 0..cols {
                buf[s.index(i, j)] = m.at(i, j);
            }
        }
        s.buf = buf;
        s
    }

    /// Index in `buf` of logical element (i, j).
    pub fn index(&self, i: usize, j: usize) -> usize {
        let (lo_r, lo_c) = (
            if self.rs < 0 {
                (self.rows.max(1) - 1) as isize * -self.rs
            } else {
                0
            },
            if self.cs < 0 {
                (self.cols.max(1) - 1) as isize * -self.cs
            } else {
                0
            },
        );
        (self.start as isize + lo_r + lo_c + i as isize * self.rs + j as isize * self.cs) as usize
    }

    pub fn view(&self) -> MatRef<'_, T> {
        let slice = &self.buf[self.start..self.start + self.len];
        if self.layout == Layout::Transposed {
            MatRef::new(slice, self.cols, self.rows, self.cs, self.rs)
                .unwrap()
                .t()
        } else {
            MatRef::new(slice, self.rows, self.cols, self.rs, self.cs).unwrap()
        }
    }

    pub fn view_mut(&mut self) -> MatMut<'_, T> {
        let (rows, cols, rs, cs, layout) = (self.rows, self.cols, self.rs, self.cs, self.layout);
        let slice = &mut self.buf[self.start..self.start + self.len];
        if layout == Layout::Transposed {
            MatMut::new(slice, cols, rows, cs, rs).unwrap().t()
        } else {
            MatMut::new(slice, rows, cols, rs, cs).unwrap()
        }
    }
}

pub fn store<T: Copy>(m: &Dense<T>, layout: Layout, filler: T) -> Stored<T> {
    Stored::new(m, layout, filler)
}

/// Checks one product bitwise against the reference, including every
/// cell of C's buffer outside the view (guards and padding).
#[allow(clippy::too_many_arguments)]
pub fn check_product<S: Semiring>(
    ws: &mut GemmWorkspace,
    cfg: &GemmConfig,
    a: &Dense<S::Scalar>,
    b: &Dense<S::Scalar>,
    c0: &Dense<S::Scalar>,
    layouts: [Layout; 3],
    accum: Accum,
    what: &str,
) where
    S::Scalar: TestScalar,
{
    let sentinel = S::Scalar::garbage();
    let sa = store(a, layouts[0], sentinel);
    let sb = store(b, layouts[1], sentinel);
    let c_init = match accum {
        Accum::Replace => Dense::from_fn(c0.rows, c0.cols, |_, _| S::Scalar::garbage()),
        Accum::Combine => c0.clone(),
    };
    let mut sc = store(&c_init, layouts[2], sentinel);
    let expected = reference::<S>(a, b, c0, accum);
    let mut expected_buf = sc.buf.clone();
    for i in 0..c0.rows {
        for j in 0..c0.cols {
            expected_buf[sc.index(i, j)] = expected.at(i, j);
        }
    }
    let result = gemm_with::<S>(ws, cfg, sa.view(), sb.view(), sc.view_mut(), accum);
    assert_eq!(result, Ok(()), "{what}");
    for (idx, (got, want)) in sc.buf.iter().zip(expected_buf.iter()).enumerate() {
        if got.bits() != want.bits() {
            panic!(
                "{what}: m={} k={} n={} layouts={layouts:?} accum={accum:?}: buffer index {idx}: got {got:?}, want {want:?}",
                a.rows, a.cols, b.cols
            );
        }
    }
}

pub fn random_dense<S: Semiring>(rng: &mut Rng, rows: usize, cols: usize) -> Dense<S::Scalar>
where
    S::Scalar: TestScalar,
{
    Dense::from_fn(rows, cols, |_, _| sample_input::<S>(rng))
}

/// [`random_dense`] without ZERO (the operands the integer sentinel
/// kernels read in place).
pub fn random_dense_without_zero<S: Semiring>(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
) -> Dense<S::Scalar>
where
    S::Scalar: TestScalar,
{
    Dense::from_fn(rows, cols, |_, _| {
        loop {
            let x = sample_input::<S>(rng);
            if x != S::ZERO {
                break x;
            }
        }
    })
}

pub fn random_output<S: Semiring>(rng: &mut Rng, rows: usize, cols: usize) -> Dense<S::Scalar>
where
    S::Scalar: TestScalar,
{
    Dense::from_fn(rows, cols, |_, _| S::Scalar::sample(rng))
}

/// The ISA levels this CPU can run; prints a notice for the others.
pub fn available_levels(test: &str) -> Vec<IsaLevel> {
    let detected = tropical_blas::detected_isa();
    IsaLevel::ALL
        .into_iter()
        .filter(|&level| {
            let ok = level <= detected;
            if !ok {
                println!(
                    "{test}: skipping ISA level {level}: this CPU supports at most {detected}"
                );
            }
            ok
        })
        .collect()
}

/// Whether the test run asks for the reduced sweep (used under emulation).
pub fn quick() -> bool {
    std::env::var("TROPICAL_BLAS_TEST_QUICK").is_ok_and(|v| v == "1")
}

/// Every extent in 0..=2·tile+1. Wide tiles (the 64-byte bool tiles) keep
/// every value up to 33 and beyond that the tile boundaries and a stride,
/// or the sweep would take minutes.
pub fn extents(tile: usize, step: usize) -> Vec<usize> {
    let top = 2 * tile + 1;
    let mut out: Vec<usize> = (0..=top.min(33)).step_by(step).collect();
    if top > 33 {
        out.extend((34..=top).step_by(7 * step));
        out.extend([tile - 1, tile, tile + 1, top - 2, top - 1, top]);
        out.sort_unstable();
        out.dedup();
    }
    out
}

/// The exhaustive sweep for one semiring at one level: every (m, k, n) in
/// 0..=2·tile+1, cycling layouts and both accumulation modes, through the
/// packed path; then block boundaries with small forced blocks; then the
/// small-matrix path.
pub fn sweep<S: Semiring>(level: IsaLevel, seed: u64)
where
    S::Scalar: TestScalar,
{
    let name = std::any::type_name::<S>();
    let kernel = tropical_blas::kernel_at::<S>(level).expect("level is available");
    if kernel.isa() != level {
        // The kernel of a lower level (every type but f16 at avx512fp16,
        // f16 below it, bf16): swept at its own level.
        return;
    }
    let (mr, nr) = (kernel.mr(), kernel.nr());
    let tile = mr.max(nr);
    let step = if quick() { 3 } else { 1 };
    let mut rng = Rng::new(seed);
    let mut ws = GemmWorkspace::new();
    let mut case = 0usize;
    let packed = |m: usize, n: usize, k: usize| {
        GemmConfig::default()
            .with_isa(level)
            .with_tiling(TilingParams::for_problem(m, n, k, mr, nr).with_small_ops(0))
    };

    for m in extents(mr, step) {
        for n in extents(nr, step) {
            for k in extents(tile, step) {
                let a = random_dense::<S>(&mut rng, m, k);
                let b = random_dense::<S>(&mut rng, k, n);
                let c = random_output::<S>(&mut rng, m, n);
                let layouts = [
                    LAYOUTS[case % 6],
                    LAYOUTS[(case / 6 + k) % 6],
                    LAYOUTS[(case / 36 + m + n) % 6],
                ];
                let accum = if case.is_multiple_of(2) {
                    Accum::Replace
                } else {
                    Accum::Combine
                };
                let what = format!("{name} {} [{level}] sweep", kernel.name());
                check_product::<S>(&mut ws, &packed(m, n, k), &a, &b, &c, layouts, accum, &what);
                case += 1;
            }
        }
    }

    // Block boundaries: sizes at KC±1, MC±1, NC±1 with small forced blocks.
    let (mc, kc, nc) = (2 * mr + 1, 7, nr + 3);
    let forced = GemmConfig::default()
        .with_isa(level)
        .with_tiling(TilingParams::new(mc, kc, nc));
    let around = |b: usize| [b - 1, b, b + 1, 2 * b + 1];
    for m in around(mc) {
        for k in around(kc) {
            for n in around(nc) {
                let a = random_dense::<S>(&mut rng, m, k);
                let b = random_dense::<S>(&mut rng, k, n);
                let c = random_output::<S>(&mut rng, m, n);
                for (li, accum) in [Accum::Replace, Accum::Combine].into_iter().enumerate() {
                    let layouts = [
                        LAYOUTS[(case + li) % 6],
                        LAYOUTS[(case + 2) % 6],
                        LAYOUTS[(case + li + 4) % 6],
                    ];
                    let what = format!("{name} {} [{level}] blocks {mc}/{kc}/{nc}", kernel.name());
                    check_product::<S>(&mut ws, &forced, &a, &b, &c, layouts, accum, &what);
                    case += 1;
                }
            }
        }
    }

    // Shapes the default configuration routes off the packed path:
    // tall-skinny and matrix-vector (direct), outer products (k = 1),
    // short-wide and vector-matrix (direct on the transpose), on 1 and
    // 2 threads.
    for (m, k, n) in [
        (700, 5, 3),
        (2000, 9, 1),
        (300, 1, 200),
        (3, 7, 700),
        (1, 300, 900),
        (5, 2, 3000),
    ] {
        let a = random_dense::<S>(&mut rng, m, k);
        let b = random_dense::<S>(&mut rng, k, n);
        let c = random_output::<S>(&mut rng, m, n);
        for (i, par) in [tropical_blas::Par::Seq, tropical_blas::Par::Rayon(2)]
            .into_iter()
            .enumerate()
        {
            let cfg = GemmConfig::default().with_isa(level).with_par(par);
            let accum = if (case + i).is_multiple_of(2) {
                Accum::Replace
            } else {
                Accum::Combine
            };
            let layouts = [
                LAYOUTS[case % 6],
                LAYOUTS[(case + 1) % 6],
                LAYOUTS[(case + 3) % 6],
            ];
            check_product::<S>(
                &mut ws,
                &cfg,
                &a,
                &b,
                &c,
                layouts,
                accum,
                &format!("{name} [{level}] shape"),
            );
            case += 1;
        }
    }

    // The row-group tile (several rows of C per register): n dividing the
    // register's lanes, k ≤ n, A and C row-major, every count of rows in
    // the last group, on 1 and 2 threads; the padded layouts, which the
    // row groups refuse, check the routing falls back.
    for n in [1, 2, 3, 4, 8] {
        for k in 1..=n {
            for m in (1..=33).chain([100, 1001]) {
                let a = random_dense::<S>(&mut rng, m, k);
                let b = random_dense::<S>(&mut rng, k, n);
                let c = random_output::<S>(&mut rng, m, n);
                let par = if case.is_multiple_of(3) {
                    tropical_blas::Par::Rayon(2)
                } else {
                    tropical_blas::Par::Seq
                };
                let cfg = GemmConfig::default().with_isa(level).with_par(par);
                let padded = case.is_multiple_of(7);
                let layouts = [
                    if padded {
                        Layout::Padded
                    } else {
                        Layout::RowMajor
                    },
                    LAYOUTS[case % 6],
                    if padded && m % 2 == 0 {
                        Layout::Padded
                    } else {
                        Layout::RowMajor
                    },
                ];
                for accum in [Accum::Replace, Accum::Combine] {
                    check_product::<S>(
                        &mut ws,
                        &cfg,
                        &a,
                        &b,
                        &c,
                        layouts,
                        accum,
                        &format!("{name} [{level}] row groups {par:?}"),
                    );
                }
                case += 1;
            }
        }
    }

    // The unpacked small-matrix path and the default configuration.
    let small = GemmConfig::default()
        .with_isa(level)
        .with_tiling(TilingParams::for_problem(1, 1, 1, mr, nr).with_small_ops(usize::MAX));
    for (m, k, n) in [(1, 1, 1), (3, 5, 2), (7, 0, 4), (16, 16, 16), (5, 33, 9)] {
        for cfg in [small, GemmConfig::default().with_isa(level)] {
            let a = random_dense::<S>(&mut rng, m, k);
            let b = random_dense::<S>(&mut rng, k, n);
            let c = random_output::<S>(&mut rng, m, n);
            for accum in [Accum::Replace, Accum::Combine] {
                let layouts = [
                    LAYOUTS[case % 6],
                    LAYOUTS[(case + 1) % 6],
                    LAYOUTS[(case + 3) % 6],
                ];
                check_product::<S>(
                    &mut ws,
                    &cfg,
                    &a,
                    &b,
                    &c,
                    layouts,
                    accum,
                    &format!("{name} [{level}] small"),
                );
                case += 1;
            }
        }
    }
}

/// Under an invalid environment setting a call returns `want` before it
/// writes C, and the dispatch report says that calls fail.
pub fn assert_calls_refused(want: tropical_blas::Error) {
    let a = [1.0f32; 4];
    let mut c = [7.0f32; 4];
    let result = tropical_blas::gemm::<tropical_blas::MaxPlus<f32>>(
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatRef::row_major(&a, 2, 2).unwrap(),
        MatMut::row_major(&mut c, 2, 2).unwrap(),
        Accum::Replace,
    );
    assert_eq!(result, Err(want));
    assert_eq!(c, [7.0; 4], "C written before the error");
    let report = tropical_blas::dispatch_report();
    assert!(report.to_string().contains("calls fail"), "{report}");
}

/// Runs `test` of this test binary again, alone, in a child process with
/// `vars` set and the reduced sweeps (`TROPICAL_BLAS_TEST_QUICK`: the
/// default setting's full sweep is tests/reference.rs); asserts that it
/// passed and returns its output.
pub fn rerun_test(test: &str, vars: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .envs(vars.iter().copied())
        .env("TROPICAL_BLAS_TEST_QUICK", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{test} with {vars:?}: {text}");
    text
}
