//! `cargo bench`: tropical-blas against matrixmultiply (real sgemm/dgemm,
//! the ceiling of a mature BLIS-style Rust crate), the tropical-gemm crate
//! (the peer), a hand-written i-k-j triple loop, and the peak probe.
//!
//! Throughput is `Elements(m·n·k)`: criterion's "elem/s" is tropical
//! ops/s (one ⊗ and one ⊕ per element), and multiply-adds/s for sgemm.
//! Groups: peak, maxplus_f32_square (16…2048), maxplus_f64_square,
//! tall_skinny_f32, batched_f32, argmax_f32, semirings_n256. A full run
//! takes about 10 minutes on the 2-core CI machine; filter with e.g.
//! `cargo bench -- maxplus_f32_square/` or `cargo bench -- peak`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tropical_blas::{
    Accum, GemmConfig, GemmWorkspace, IsaLevel, MatMut, MatRef, MaxPlus, Par, Semiring,
    gemm_argmax_with, gemm_with, kernel_at,
};
use tropical_gemm::{TropicalGemm, TropicalMaxPlus, TropicalSemiring};

trait Fill: Copy {
    fn fill(i: usize) -> Self;
}
macro_rules! fill {
    ($($t:ty => $e:expr),*) => {$(impl Fill for $t { fn fill(i: usize) -> Self { let f: fn(usize) -> $t = $e; f(i) } })*};
}
fill!(f32 => |i| ((i * 7919) % 1000) as f32 / 8.0, f64 => |i| ((i * 7919) % 1000) as f64 / 8.0,
      i16 => |i| ((i * 7919) % 1000) as i16 - 500,
      i32 => |i| ((i * 7919) % 1000) as i32 - 500, i64 => |i| ((i * 7919) % 1000) as i64 - 500,
      bool => |i| (i * 7919).is_multiple_of(5),
      tropical_blas::half::f16 => |i| tropical_blas::half::f16::from_f32(((i * 7919) % 1000) as f32 / 8.0),
      tropical_blas::half::bf16 => |i| tropical_blas::half::bf16::from_f32(((i * 7919) % 1000) as f32 / 8.0));

fn levels() -> Vec<(&'static str, Option<IsaLevel>)> {
    let detected = tropical_blas::detected_isa();
    let mut out = vec![("tropical-blas", None)];
    if detected >= IsaLevel::Avx512 {
        out.push(("tropical-blas-avx2", Some(IsaLevel::Avx2)));
    }
    out.push(("tropical-blas-scalar", Some(IsaLevel::Scalar)));
    out
}

fn bench_ours<S: Semiring>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    level: Option<IsaLevel>,
    n: usize,
) where
    S::Scalar: Fill,
{
    let a: Vec<S::Scalar> = (0..n * n).map(S::Scalar::fill).collect();
    let b: Vec<S::Scalar> = (0..n * n).map(|i| S::Scalar::fill(i + 3)).collect();
    let mut c = vec![S::ZERO; n * n];
    let mut ws = GemmWorkspace::new();
    // Single thread: the comparison crates run one product on one core.
    let cfg = match level {
        Some(l) => GemmConfig::default().with_isa(l),
        None => GemmConfig::default(),
    }
    .with_par(Par::Seq);
    group.bench_function(BenchmarkId::new(id, n), |bench| {
        bench.iter(|| {
            gemm_with::<S>(
                &mut ws,
                &cfg,
                MatRef::row_major(black_box(&a), n, n).unwrap(),
                MatRef::row_major(black_box(&b), n, n).unwrap(),
                MatMut::row_major(&mut c, n, n).unwrap(),
                Accum::Replace,
            )
            .unwrap()
        })
    });
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
}

/// The ceiling: the ⊗+⊕ instruction pair on independent registers,
/// reported as elements/s through `iter_custom`.
fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("peak");
    configure(&mut group);
    const OPS: u64 = 1 << 24;
    group.throughput(Throughput::Elements(OPS));
    for (name, level) in [
        ("avx512", IsaLevel::Avx512),
        ("avx2", IsaLevel::Avx2),
        ("scalar", IsaLevel::Scalar),
    ] {
        if let Ok(k) = kernel_at::<MaxPlus<f32>>(level) {
            group.bench_function(BenchmarkId::new("maxplus-f32", name), |b| {
                b.iter_custom(|iters| {
                    let rate = k.peak_ops_per_second(Duration::from_millis(20));
                    Duration::from_secs_f64(iters as f64 * OPS as f64 / rate)
                })
            });
        }
        if let Ok(k) = kernel_at::<MaxPlus<f64>>(level) {
            group.bench_function(BenchmarkId::new("maxplus-f64", name), |b| {
                b.iter_custom(|iters| {
                    let rate = k.peak_ops_per_second(Duration::from_millis(20));
                    Duration::from_secs_f64(iters as f64 * OPS as f64 / rate)
                })
            });
        }
    }
    group.finish();
}

fn maxplus_f32_square(c: &mut Criterion) {
    let mut group = c.benchmark_group("maxplus_f32_square");
    configure(&mut group);
    for n in [16usize, 64, 256, 1024, 2048] {
        group.throughput(Throughput::Elements((n * n * n) as u64));
        for (id, level) in levels() {
            if (id.ends_with("scalar") && n > 256) || (id.ends_with("avx2") && n > 1024) {
                continue;
            }
            bench_ours::<MaxPlus<f32>>(&mut group, id, level, n);
        }
        let a: Vec<f32> = (0..n * n).map(f32::fill).collect();
        let b: Vec<f32> = (0..n * n).map(|i| f32::fill(i + 3)).collect();
        let mut c = vec![0.0f32; n * n];
        group.bench_function(BenchmarkId::new("matrixmultiply-sgemm", n), |bench| {
            bench.iter(|| unsafe {
                // SAFETY: a, b, c hold n·n row-major elements each.
                matrixmultiply::sgemm(
                    n,
                    n,
                    n,
                    1.0,
                    a.as_ptr(),
                    n as isize,
                    1,
                    b.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    c.as_mut_ptr(),
                    n as isize,
                    1,
                )
            })
        });
        let mut tc = vec![TropicalMaxPlus::<f32>::tropical_zero(); n * n];
        let mut tws = tropical_gemm::GemmWorkspace::<f32>::new();
        group.bench_function(BenchmarkId::new("tropical-gemm", n), |bench| {
            bench.iter(|| {
                TropicalGemm::<TropicalMaxPlus<f32>>::new(n, n, n)
                    .execute_with_workspace(&a, n, &b, n, &mut tc, n, &mut tws)
            })
        });
        if n <= 256 {
            group.bench_function(BenchmarkId::new("triple-loop-ikj", n), |bench| {
                bench.iter(|| triple_loop_max_plus(&a, &b, &mut c, n))
            });
        }
    }
    group.finish();
}

/// What a user writes by hand: i-k-j order, C row as the accumulator.
fn triple_loop_max_plus(a: &[f32], b: &[f32], c: &mut [f32], n: usize) {
    c.fill(f32::NEG_INFINITY);
    for i in 0..n {
        for p in 0..n {
            let aip = a[i * n + p];
            for j in 0..n {
                let x = aip + b[p * n + j];
                if x > c[i * n + j] {
                    c[i * n + j] = x;
                }
            }
        }
    }
}

fn maxplus_f64_square(c: &mut Criterion) {
    let mut group = c.benchmark_group("maxplus_f64_square");
    configure(&mut group);
    for n in [64usize, 512] {
        group.throughput(Throughput::Elements((n * n * n) as u64));
        for (id, level) in levels() {
            bench_ours::<MaxPlus<f64>>(&mut group, id, level, n);
        }
        let a: Vec<f64> = (0..n * n).map(f64::fill).collect();
        let mut c = vec![0.0f64; n * n];
        group.bench_function(BenchmarkId::new("matrixmultiply-dgemm", n), |bench| {
            bench.iter(|| unsafe {
                // SAFETY: a and c hold n·n row-major elements each.
                matrixmultiply::dgemm(
                    n,
                    n,
                    n,
                    1.0,
                    a.as_ptr(),
                    n as isize,
                    1,
                    a.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    c.as_mut_ptr(),
                    n as isize,
                    1,
                )
            })
        });
    }
    group.finish();
}

/// Tall-skinny m×k by k×n (tensor-network contraction steps): ours, on
/// one and on all threads, against the peer and sgemm.
fn tall_skinny_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("tall_skinny_f32");
    configure(&mut group);
    for (m, k, n) in [(1usize << 20, 4usize, 4usize), (1 << 16, 16, 16)] {
        group.throughput(Throughput::Elements((m * n * k) as u64));
        let a: Vec<f32> = (0..m * k).map(f32::fill).collect();
        let b: Vec<f32> = (0..k * n).map(|i| f32::fill(i + 3)).collect();
        let mut cv = vec![0.0f32; m * n];
        let mut ws = GemmWorkspace::new();
        let shape = format!("{m}x{k}x{n}");
        for (id, par) in [
            ("tropical-blas-1-thread", Par::Seq),
            ("tropical-blas-all-threads", Par::Rayon(0)),
        ] {
            let cfg = GemmConfig::default().with_par(par);
            group.bench_function(BenchmarkId::new(id, &shape), |bench| {
                bench.iter(|| {
                    gemm_with::<MaxPlus<f32>>(
                        &mut ws,
                        &cfg,
                        MatRef::row_major(black_box(&a), m, k).unwrap(),
                        MatRef::row_major(black_box(&b), k, n).unwrap(),
                        MatMut::row_major(&mut cv, m, n).unwrap(),
                        Accum::Replace,
                    )
                    .unwrap()
                })
            });
        }
        let mut tc = vec![TropicalMaxPlus::<f32>::tropical_zero(); m * n];
        let mut tws = tropical_gemm::GemmWorkspace::<f32>::new();
        group.bench_function(BenchmarkId::new("tropical-gemm", &shape), |bench| {
            bench.iter(|| {
                TropicalGemm::<TropicalMaxPlus<f32>>::new(m, n, k)
                    .execute_with_workspace(&a, k, &b, n, &mut tc, n, &mut tws)
            })
        });
        group.bench_function(BenchmarkId::new("matrixmultiply-sgemm", &shape), |bench| {
            bench.iter(|| unsafe {
                // SAFETY: a holds m·k, b k·n and cv m·n row-major elements.
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    1.0,
                    a.as_ptr(),
                    k as isize,
                    1,
                    b.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    cv.as_mut_ptr(),
                    n as isize,
                    1,
                )
            })
        });
    }
    group.finish();
}

/// 10 000 products of 16×16 by 16×16 in one batched call, against a loop
/// of single products (ours) and a loop of the peer's single products.
fn batched_f32(c: &mut Criterion) {
    use tropical_blas::{BatchMut, BatchRef, gemm_batched_with};
    let mut group = c.benchmark_group("batched_f32");
    configure(&mut group);
    let (count, n) = (10_000usize, 16usize);
    group.throughput(Throughput::Elements((count * n * n * n) as u64));
    let a: Vec<f32> = (0..count * n * n).map(f32::fill).collect();
    let b: Vec<f32> = (0..count * n * n).map(|i| f32::fill(i + 3)).collect();
    let mut cv = vec![0.0f32; count * n * n];
    let mut ws = GemmWorkspace::new();
    for (id, par) in [
        ("tropical-blas-batched-1-thread", Par::Seq),
        ("tropical-blas-batched-all-threads", Par::Rayon(0)),
    ] {
        let cfg = GemmConfig::default().with_par(par);
        group.bench_function(BenchmarkId::new(id, count), |bench| {
            bench.iter(|| {
                gemm_batched_with::<MaxPlus<f32>>(
                    &mut ws,
                    &cfg,
                    BatchRef::row_major(black_box(&a), count, n, n).unwrap(),
                    BatchRef::row_major(black_box(&b), count, n, n).unwrap(),
                    BatchMut::row_major(&mut cv, count, n, n).unwrap(),
                    Accum::Replace,
                )
                .unwrap()
            })
        });
    }
    let cfg = GemmConfig::default().with_par(Par::Seq);
    group.bench_function(
        BenchmarkId::new("tropical-blas-loop-of-gemm", count),
        |bench| {
            bench.iter(|| {
                for ((ai, bi), ci) in a
                    .chunks(n * n)
                    .zip(b.chunks(n * n))
                    .zip(cv.chunks_mut(n * n))
                {
                    gemm_with::<MaxPlus<f32>>(
                        &mut ws,
                        &cfg,
                        MatRef::row_major(ai, n, n).unwrap(),
                        MatRef::row_major(bi, n, n).unwrap(),
                        MatMut::row_major(ci, n, n).unwrap(),
                        Accum::Replace,
                    )
                    .unwrap()
                }
            })
        },
    );
    let mut tc = vec![TropicalMaxPlus::<f32>::tropical_zero(); n * n];
    let mut tws = tropical_gemm::GemmWorkspace::<f32>::new();
    group.bench_function(BenchmarkId::new("tropical-gemm-loop", count), |bench| {
        bench.iter(|| {
            for (ai, bi) in a.chunks(n * n).zip(b.chunks(n * n)) {
                TropicalGemm::<TropicalMaxPlus<f32>>::new(n, n, n)
                    .execute_with_workspace(ai, n, bi, n, &mut tc, n, &mut tws)
            }
        })
    });
    group.finish();
}

fn semirings_n256(c: &mut Criterion) {
    let mut group = c.benchmark_group("semirings_n256");
    configure(&mut group);
    let n = 256;
    group.throughput(Throughput::Elements((n * n * n) as u64));
    macro_rules! each {
        ($(($name:literal, $s:ty)),* $(,)?) => {$( bench_ours::<$s>(&mut group, $name, None, n); )*};
    }
    tropical_blas::for_each_builtin_semiring!(each);
    group.finish();
}

/// `gemm_argmax` (values and winning k) against the value-only product,
/// and the peer crate's argmax product, single thread.
fn argmax_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("argmax_f32");
    configure(&mut group);
    for n in [256, 1024] {
        group.throughput(Throughput::Elements((n * n * n) as u64));
        bench_ours::<MaxPlus<f32>>(&mut group, "tropical-blas-value", None, n);
        let a: Vec<f32> = (0..n * n).map(f32::fill).collect();
        let b: Vec<f32> = (0..n * n).map(|i| f32::fill(i + 3)).collect();
        let (mut cv, mut argk) = (vec![0f32; n * n], vec![0u32; n * n]);
        let mut ws = GemmWorkspace::new();
        for (id, level) in levels() {
            let cfg = match level {
                Some(l) => GemmConfig::default().with_isa(l),
                None => GemmConfig::default(),
            }
            .with_par(Par::Seq);
            if level == Some(IsaLevel::Scalar) && n > 256 {
                continue; // minutes per sample; the n = 256 point says enough
            }
            group.bench_function(BenchmarkId::new(format!("{id}-argmax"), n), |bench| {
                bench.iter(|| {
                    gemm_argmax_with::<MaxPlus<f32>>(
                        &mut ws,
                        &cfg,
                        MatRef::row_major(black_box(&a), n, n).unwrap(),
                        MatRef::row_major(black_box(&b), n, n).unwrap(),
                        MatMut::row_major(&mut cv, n, n).unwrap(),
                        MatMut::row_major(&mut argk, n, n).unwrap(),
                        Accum::Replace,
                    )
                    .unwrap()
                })
            });
        }
        let mut tws = tropical_gemm::GemmWorkspace::<f32>::new();
        group.bench_function(BenchmarkId::new("tropical-gemm-argmax", n), |bench| {
            bench.iter(|| {
                black_box(tropical_gemm::tropical_matmul_with_argmax_with_workspace::<
                    TropicalMaxPlus<f32>,
                >(
                    black_box(&a), n, n, black_box(&b), n, &mut tws
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    tall_skinny_f32,
    batched_f32,
    argmax_f32,
    peak,
    maxplus_f32_square,
    maxplus_f64_square,
    semirings_n256
);
criterion_main!(benches);
