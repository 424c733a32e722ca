//! Every built-in (semiring, type) against the scalar reference, bitwise,
//! at every ISA level this CPU has.

mod common;

use common::{available_levels, sweep};
use tropical_blas::{MaxMin, MaxMul, MaxPlus, MinMax, MinPlus, OrAnd};

macro_rules! sweep_tests {
    ($($name:ident: $s:ty, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            for level in available_levels(stringify!($name)) {
                sweep::<$s>(level, $seed);
            }
        }
    )*};
}

sweep_tests! {
    max_plus_f32: MaxPlus<f32>, 1;
    max_plus_f64: MaxPlus<f64>, 2;
    max_plus_i32: MaxPlus<i32>, 3;
    max_plus_i64: MaxPlus<i64>, 4;
    min_plus_f32: MinPlus<f32>, 5;
    min_plus_f64: MinPlus<f64>, 6;
    min_plus_i32: MinPlus<i32>, 7;
    min_plus_i64: MinPlus<i64>, 8;
    max_mul_f32: MaxMul<f32>, 9;
    max_mul_f64: MaxMul<f64>, 10;
    max_min_f32: MaxMin<f32>, 11;
    max_min_f64: MaxMin<f64>, 12;
    max_min_i32: MaxMin<i32>, 13;
    max_min_i64: MaxMin<i64>, 14;
    min_max_f32: MinMax<f32>, 15;
    min_max_f64: MinMax<f64>, 16;
    min_max_i32: MinMax<i32>, 17;
    min_max_i64: MinMax<i64>, 18;
    or_and_bool: OrAnd, 19;
}
