//! `tropical_blas._native`: the compiled half of the Python package.
//!
//! The Python half (`tropical_blas/__init__.py`) parses arguments,
//! broadcasts, allocates results and gives clear errors; these functions
//! take arrays of one batch shape and call the crate. They still check
//! everything memory safety rests on (dtypes, strides, alignment,
//! writeability, overlap), so no call from Python can corrupt memory.

use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods, dtype};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tropical_blas::{
    Accum, GemmConfig, MaxMin, MaxMul, MaxPlus, MinMax, MinPlus, OrAnd, Par, dispatch_report,
};

mod batch;
mod layout;
mod run;

use run::{backward, product, values, with_argmax};

/// The name of `array`'s dtype among those the crate supports.
fn dtype_name(array: &Bound<'_, PyAny>) -> PyResult<&'static str> {
    let py = array.py();
    let descr = array.cast::<PyUntypedArray>()?.dtype();
    let known = [
        ("float32", dtype::<f32>(py)),
        ("float64", dtype::<f64>(py)),
        ("int32", dtype::<i32>(py)),
        ("int64", dtype::<i64>(py)),
        ("bool", dtype::<bool>(py)),
    ];
    for (name, d) in known {
        if descr.is_equiv_to(&d) {
            return Ok(name);
        }
    }
    Err(PyTypeError::new_err(format!(
        "unsupported dtype {}; accepted: float32, float64, int32, int64, bool",
        descr.str()?
    )))
}

/// The crate's threading setting for `threads` (0: the crate default, all
/// threads of the rayon pool).
fn config_for(threads: usize) -> GemmConfig {
    let par = match threads {
        0 => Par::default(),
        1 => Par::Seq,
        n => Par::Rayon(n),
    };
    GemmConfig::default().with_par(par)
}

fn unsupported(semiring: &str, dtype: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} is not available for semiring {semiring:?} with dtype {dtype}"
    ))
}

/// `out = a ⊗ b` (`accumulate`: `out ⊕= a ⊗ b`) in `semiring`, and the
/// winning k into `argk` (uint32) when it is given. Operands are arrays of
/// one dtype and one batch shape.
#[pyfunction]
#[pyo3(signature = (semiring, a, b, out, argk, accumulate, threads))]
#[allow(clippy::too_many_arguments)] // the Python signature
fn matmul(
    py: Python<'_>,
    semiring: &str,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    argk: Option<&Bound<'_, PyAny>>,
    accumulate: bool,
    threads: usize,
) -> PyResult<()> {
    let dtype = dtype_name(a)?;
    for (name, x) in [("b", b), ("out", out)] {
        let other = dtype_name(x)?;
        if other != dtype {
            return Err(PyTypeError::new_err(format!(
                "{name} has dtype {other}, a has {dtype}: they must match"
            )));
        }
    }
    let accum = if accumulate {
        Accum::Combine
    } else {
        Accum::Replace
    };
    let (cfg, ops) = (config_for(threads), [a, b, out]);
    // `argmax` marks the semirings whose ⊕ selects (all but OrAnd).
    macro_rules! select {
        ($($name:literal, $ty:literal => $s:ty, $scalar:ty $(, $argmax:ident)?;)*) => {
            match (semiring, dtype, argk.is_some()) {
                $(
                    ($name, $ty, false) => product::<$s>(py, ops, None, values::<$s>, accum, cfg),
                    $(($name, $ty, true) => select!(@$argmax $s, $scalar),)?
                )*
                (_, _, false) => Err(unsupported(semiring, dtype, "matmul")),
                (_, _, true) => Err(unsupported(semiring, dtype, "matmul_argmax")),
            }
        };
        (@argmax $s:ty, $scalar:ty) => {
            product::<$s>(py, ops, argk, with_argmax::<$s>, accum, cfg)
        };
    }
    select! {
        "maxplus", "float32" => MaxPlus<f32>, f32, argmax;
        "maxplus", "float64" => MaxPlus<f64>, f64, argmax;
        "maxplus", "int32" => MaxPlus<i32>, i32, argmax;
        "maxplus", "int64" => MaxPlus<i64>, i64, argmax;
        "minplus", "float32" => MinPlus<f32>, f32, argmax;
        "minplus", "float64" => MinPlus<f64>, f64, argmax;
        "minplus", "int32" => MinPlus<i32>, i32, argmax;
        "minplus", "int64" => MinPlus<i64>, i64, argmax;
        "maxmul", "float32" => MaxMul<f32>, f32, argmax;
        "maxmul", "float64" => MaxMul<f64>, f64, argmax;
        "maxmin", "float32" => MaxMin<f32>, f32, argmax;
        "maxmin", "float64" => MaxMin<f64>, f64, argmax;
        "maxmin", "int32" => MaxMin<i32>, i32, argmax;
        "maxmin", "int64" => MaxMin<i64>, i64, argmax;
        "minmax", "float32" => MinMax<f32>, f32, argmax;
        "minmax", "float64" => MinMax<f64>, f64, argmax;
        "minmax", "int32" => MinMax<i32>, i32, argmax;
        "minmax", "int64" => MinMax<i64>, i64, argmax;
        "orand", "bool" => OrAnd, bool;
    }
}

/// Scatter-adds `grad_out` through the winners `argk` (uint32, NO_ARG =
/// 2^32 − 1) into `grad_a` and `grad_b`. Operands have one batch shape; a
/// gradient may repeat a matrix along batch dimensions (stride 0).
#[pyfunction]
#[pyo3(signature = (semiring, a, b, argk, grad_out, grad_a, grad_b))]
#[allow(clippy::too_many_arguments)] // the Python signature
fn matmul_backward(
    py: Python<'_>,
    semiring: &str,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    argk: &Bound<'_, PyAny>,
    grad_out: &Bound<'_, PyAny>,
    grad_a: &Bound<'_, PyAny>,
    grad_b: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let dtype = dtype_name(a)?;
    for (name, x) in [
        ("b", b),
        ("grad_out", grad_out),
        ("grad_a", grad_a),
        ("grad_b", grad_b),
    ] {
        let other = dtype_name(x)?;
        if other != dtype {
            return Err(PyTypeError::new_err(format!(
                "{name} has dtype {other}, a has {dtype}: they must match"
            )));
        }
    }
    let (inputs, grads) = ([a, b, argk, grad_out], [grad_a, grad_b]);
    match (semiring, dtype) {
        ("maxplus", "float32") => backward::<MaxPlus<f32>>(py, inputs, grads),
        ("maxplus", "float64") => backward::<MaxPlus<f64>>(py, inputs, grads),
        ("minplus", "float32") => backward::<MinPlus<f32>>(py, inputs, grads),
        ("minplus", "float64") => backward::<MinPlus<f64>>(py, inputs, grads),
        ("maxmul", "float32") => backward::<MaxMul<f32>>(py, inputs, grads),
        ("maxmul", "float64") => backward::<MaxMul<f64>>(py, inputs, grads),
        ("maxmin", "float32") => backward::<MaxMin<f32>>(py, inputs, grads),
        ("maxmin", "float64") => backward::<MaxMin<f64>>(py, inputs, grads),
        ("minmax", "float32") => backward::<MinMax<f32>>(py, inputs, grads),
        ("minmax", "float64") => backward::<MinMax<f64>>(py, inputs, grads),
        _ => Err(unsupported(semiring, dtype, "matmul_backward")),
    }
}

/// The crate's dispatch report: its text, and the same as a dict.
#[pyfunction]
fn cpu_report(py: Python<'_>) -> PyResult<(String, Bound<'_, PyDict>)> {
    let report = dispatch_report();
    let dict = PyDict::new(py);
    dict.set_item("cpu", report.cpu)?;
    dict.set_item("detected", report.detected.name())?;
    match &report.active {
        Ok(level) => dict.set_item("active", level.name())?,
        Err(e) => {
            dict.set_item("active", py.None())?;
            dict.set_item("error", e.to_string())?;
        }
    }
    let features = PyDict::new(py);
    for (name, on) in &report.features {
        features.set_item(*name, *on)?;
    }
    dict.set_item("features", features)?;
    let kernels = PyDict::new(py);
    for k in &report.kernels {
        let row = PyDict::new(py);
        row.set_item("kernel", k.kernel)?;
        row.set_item("isa", k.isa.name())?;
        row.set_item("mr", k.mr)?;
        row.set_item("nr", k.nr)?;
        kernels.set_item(k.semiring, row)?;
    }
    dict.set_item("kernels", kernels)?;
    dict.set_item("add_on_fma", report.add_on_fma.0)?;
    dict.set_item("narrow_tiles", report.narrow_tiles.0)?;
    Ok((report.to_string(), dict))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(matmul_backward, m)?)?;
    m.add_function(wrap_pyfunction!(cpu_report, m)?)?;
    m.add("NO_ARG", tropical_blas::NO_ARG)?;
    Ok(())
}
