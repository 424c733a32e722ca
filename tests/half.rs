//! The half-precision ⊗ (`f16`, `bf16`: computed in `f32`, rounded once)
//! against an exact computation: the sum or product in `f64` (exact for
//! two `f16`s: at most 51 significant bits; for two `bf16`s' products, 16
//! bits) rounded once. Every `f16` against a few thousand others, and the
//! edges: overflow to ∞, subnormals, signed zeros, NaN.

use tropical_blas::half::{bf16, f16};
use tropical_blas::{MaxMul, MaxPlus, MinPlus, Semiring};

mod common;
use common::Rng;

/// `x` (not NaN) rounded once, to nearest with ties to even, to a binary
/// format with `frac` fraction bits, exponents from `emin` to `emax` and
/// subnormals below: the bits of that format. Written here rather than
/// taken from `half`'s f64 conversions, which on their software path
/// (CPUs without F16C, e.g. qemu -cpu Nehalem) gave wrong references for
/// some sums and products with a subnormal operand (the f32 path the crate
/// uses was right).
fn round_once(x: f64, frac: i32, emin: i32, emax: i32) -> u16 {
    let sign = if x.is_sign_negative() { 1u16 << 15 } else { 0 };
    let ax = x.abs();
    let exp_bits = (emax + 1 - emin + 1) as u16; // biased exponent of ∞
    let inf = sign | (exp_bits << frac);
    if ax.is_infinite() {
        return inf;
    }
    // Scaling by powers of two is exact in f64 over these ranges.
    let e = if ax == 0.0 {
        emin
    } else {
        ((ax.to_bits() >> 52) as i32 - 1023).max(emin)
    };
    let mut m = (ax * 2f64.powi(frac - e)).round_ties_even() as u32;
    let mut e = e;
    if m == 2 << frac {
        m >>= 1;
        e += 1;
    }
    if e > emax {
        return inf;
    }
    let normal = m >= 1 << frac;
    let biased = if normal { (e - emin + 1) as u32 } else { 0 };
    sign | ((biased << frac) | (m & ((1 << frac) - 1))) as u16
}

/// The exact `f16` rounding of `x`.
fn f16_of(x: f64) -> f16 {
    f16::from_bits(round_once(x, 10, -14, 15))
}

/// The exact `bf16` rounding of `x`.
fn bf16_of(x: f64) -> bf16 {
    bf16::from_bits(round_once(x, 7, -126, 127))
}

/// The rounding above agrees with every `f16` and `bf16` (each rounds to
/// itself) and with the midpoints between neighbours (ties to even).
#[test]
fn the_reference_rounding_is_right() {
    for bits in 0..=u16::MAX {
        let (h, b) = (f16::from_bits(bits), bf16::from_bits(bits));
        if !h.is_nan() {
            assert_eq!(f16_of(h.to_f64()).to_bits(), bits, "{h:?}");
            if bits & 0x7fff < 0x7bff {
                let mid = (h.to_f64() + f16::from_bits(bits + 1).to_f64()) / 2.0;
                let even = if bits % 2 == 0 { bits } else { bits + 1 };
                assert_eq!(f16_of(mid).to_bits(), even, "{h:?}");
            }
        }
        if !b.is_nan() {
            assert_eq!(bf16_of(b.to_f64()).to_bits(), bits, "{b:?}");
        }
    }
    assert_eq!(f16_of(65519.0), f16::MAX);
    assert_eq!(f16_of(65520.0), f16::INFINITY);
}

/// Every finite-or-infinite `f16` bit pattern (NaNs apart).
fn all_f16() -> impl Iterator<Item = f16> {
    (0..=u16::MAX).map(f16::from_bits).filter(|x| !x.is_nan())
}

/// A few thousand second operands: random patterns and the edges.
fn partners(rng: &mut Rng) -> Vec<f16> {
    let mut out: Vec<f16> = (0..3000)
        .map(|_| f16::from_bits(rng.next_u64() as u16))
        .filter(|x| !x.is_nan())
        .collect();
    out.extend(
        [
            0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x3c00, 0xbc00, 0x7bff,
            0xfbff, 0x7bfe, 0x7c00, 0xfc00, 0x5000, 0x5001, 0x1000, 0x0200,
        ]
        .map(f16::from_bits),
    );
    out
}

#[test]
fn f16_plus_is_the_correctly_rounded_sum() {
    let mut rng = Rng::new(1);
    let bs = partners(&mut rng);
    for a in all_f16() {
        for &b in &bs {
            let exact = a.to_f64() + b.to_f64();
            let want = if exact.is_nan() {
                f16::NAN
            } else {
                f16_of(exact)
            };
            let got = MaxPlus::<f16>::mul(a, b);
            if want.is_nan() {
                // ∞ − ∞: the default NaN (x86's).
                assert!(got.is_nan(), "{a:?} + {b:?}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(got.to_bits(), 0xfe00, "{a:?} + {b:?}");
            } else {
                assert_eq!(got.to_bits(), want.to_bits(), "{a:?} + {b:?}");
            }
            assert_eq!(MinPlus::<f16>::mul(a, b).to_bits(), got.to_bits());
        }
    }
}

#[test]
fn f16_times_is_the_correctly_rounded_product() {
    let mut rng = Rng::new(2);
    let bs = partners(&mut rng);
    for a in all_f16() {
        for &b in &bs {
            let exact = a.to_f64() * b.to_f64();
            let want = if exact.is_nan() {
                f16::NAN
            } else {
                f16_of(exact)
            };
            let got = MaxMul::<f16>::mul(a, b);
            if want.is_nan() {
                // 0 · ∞: the default NaN (x86's).
                assert!(got.is_nan(), "{a:?} · {b:?}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(got.to_bits(), 0xfe00, "{a:?} · {b:?}");
            } else {
                assert_eq!(got.to_bits(), want.to_bits(), "{a:?} · {b:?}");
            }
        }
    }
}

#[test]
fn bf16_plus_and_times_round_once() {
    let mut rng = Rng::new(3);
    for _ in 0..2_000_000 {
        let (a, b) = (
            bf16::from_bits(rng.next_u64() as u16),
            bf16::from_bits(rng.next_u64() as u16),
        );
        if a.is_nan() || b.is_nan() {
            continue;
        }
        let exact = a.to_f64() * b.to_f64();
        if !exact.is_nan() {
            let product = bf16_of(exact);
            assert_eq!(
                MaxMul::<bf16>::mul(a, b).to_bits(),
                product.to_bits(),
                "{a:?} · {b:?}"
            );
        }
        // The f64 sum of two bf16s may itself round (exponents far apart);
        // rounding it again to bf16 is still the one correct rounding
        // (Figueroa: 53 ≥ 2·8 + 2).
        let exact = a.to_f64() + b.to_f64();
        if !exact.is_nan() {
            let sum = bf16_of(exact);
            assert_eq!(
                MaxPlus::<bf16>::mul(a, b).to_bits(),
                sum.to_bits(),
                "{a:?} + {b:?}"
            );
        }
    }
}

#[test]
fn f16_edges() {
    let x = f16::from_f32;
    let bits = |v: f16| v.to_bits();
    // Overflow: 65504 + 15 rounds back to 65504; 65504 + 16 = 65520 is the
    // tie between 65504 (odd) and 2^16, which rounds to ∞.
    assert_eq!(bits(MaxPlus::<f16>::mul(f16::MAX, x(15.0))), bits(f16::MAX));
    assert_eq!(
        bits(MaxPlus::<f16>::mul(f16::MAX, x(16.0))),
        bits(f16::INFINITY)
    );
    assert_eq!(
        bits(MaxPlus::<f16>::mul(f16::MAX, x(32.0))),
        bits(f16::INFINITY)
    );
    assert_eq!(
        bits(MaxPlus::<f16>::mul(f16::MIN, x(-32.0))),
        bits(f16::NEG_INFINITY)
    );
    assert_eq!(
        bits(MaxMul::<f16>::mul(x(256.0), x(256.0))),
        bits(f16::INFINITY)
    );
    // Subnormals: exact sums, products that underflow to the nearest.
    let tiny = f16::from_bits(1); // 2^-24
    assert_eq!(bits(MaxPlus::<f16>::mul(tiny, tiny)), 2);
    assert_eq!(bits(MaxMul::<f16>::mul(tiny, x(0.5))), 0); // a tie, to even: +0
    assert_eq!(bits(MaxMul::<f16>::mul(tiny, x(0.75))), 1);
    assert_eq!(bits(MaxMul::<f16>::mul(tiny, x(-0.5))), 0x8000); // −0
    // Signed zeros: −0 + −0 = −0, −0 + 0 = +0, 0 · −x = −0.
    assert_eq!(
        bits(MaxPlus::<f16>::mul(f16::NEG_ZERO, f16::NEG_ZERO)),
        0x8000
    );
    assert_eq!(bits(MaxPlus::<f16>::mul(f16::NEG_ZERO, f16::ZERO)), 0);
    assert_eq!(bits(MaxMul::<f16>::mul(f16::ZERO, x(-3.0))), 0x8000);
    // NaN (x86: what `vaddph`/`vmulph` give): a NaN operand passes
    // through with its payload, quieted; ∞ − ∞ and 0 · ∞ give the default
    // NaN.
    #[cfg(target_arch = "x86_64")]
    f16_nan_edges();
    // ZERO absorbs in MaxPlus but for +∞: −∞ + +∞ is NaN (as for f32).
    assert!(MaxPlus::<f16>::mul(MaxPlus::<f16>::ZERO, f16::INFINITY).is_nan());
}

#[cfg(target_arch = "x86_64")]
fn f16_nan_edges() {
    let x = f16::from_f32;
    let bits = |v: f16| v.to_bits();
    let quiet = f16::from_bits(0x7e05);
    let signalling = f16::from_bits(0xfd05);
    for other in [x(1.0), f16::INFINITY, f16::NEG_ZERO] {
        assert_eq!(bits(MaxPlus::<f16>::mul(quiet, other)), 0x7e05);
        assert_eq!(bits(MaxPlus::<f16>::mul(other, quiet)), 0x7e05);
        assert_eq!(bits(MaxPlus::<f16>::mul(signalling, other)), 0xff05);
        assert_eq!(bits(MaxMul::<f16>::mul(other, signalling)), 0xff05);
    }
    assert_eq!(
        bits(MaxPlus::<f16>::mul(f16::INFINITY, f16::NEG_INFINITY)),
        0xfe00
    );
    assert_eq!(bits(MaxMul::<f16>::mul(f16::ZERO, f16::INFINITY)), 0xfe00);
}
