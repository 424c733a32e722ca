"""matmul_argmax (values and the winning k) and matmul_backward (the
scatter-add of the gradients) against NumPy references."""

import numpy as np
import pytest
from reference import ARGMAX_CASES, assert_bitwise, reference_matmul, sample

import tropical_blas as tb


@pytest.mark.parametrize("semiring,dtype", ARGMAX_CASES)
@pytest.mark.parametrize("shape_a,shape_b", [((4, 6), (6, 5)), ((3, 1, 4, 7), (2, 7, 3)), ((7,), (7, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3))])
def test_argmax_values_and_indices(semiring, dtype, shape_a, shape_b):
    rng = np.random.default_rng(4)
    a = sample(rng, semiring, dtype, shape_a)
    b = sample(rng, semiring, dtype, shape_b)
    values, argk = tb.matmul_argmax(a, b, semiring)
    want_values, want_argk = reference_matmul(a, b, semiring)
    assert_bitwise(values, want_values)
    assert_bitwise(argk, want_argk)
    assert_bitwise(tb.matmul(a, b, semiring), values)


@pytest.mark.parametrize("semiring,dtype", ARGMAX_CASES)
def test_argmax_large_and_threads(semiring, dtype):
    rng = np.random.default_rng(8)
    a = sample(rng, semiring, dtype, (2, 40, 150), special=0.05)
    b = sample(rng, semiring, dtype, (150, 50), special=0.05)
    want = reference_matmul(a, b, semiring)
    for threads in (1, 2):
        values, argk = tb.matmul_argmax(a, b, semiring, threads=threads)
        assert_bitwise(values, want[0])
        assert_bitwise(argk, want[1])


def test_ties_go_to_the_smallest_k_and_no_winner_is_minus_one():
    a = np.array([[1.0, 1.0, 1.0], [-np.inf, np.nan, -np.inf]], np.float32)
    b = np.zeros((3, 2), np.float32)
    values, argk = tb.matmul_argmax(a, b)
    assert_bitwise(argk, np.array([[0, 0], [-1, -1]]))
    assert_bitwise(values, np.array([[1, 1], [-np.inf, -np.inf]], np.float32))
    _, argk = tb.matmul_argmax(np.ones((2, 0), np.float32), np.ones((0, 3), np.float32))
    assert_bitwise(argk, np.full((2, 3), -1, np.int64))
    _, argk = tb.matmul_argmax(np.array([[3, 1, 1]], np.int64), np.zeros((3, 1), np.int64), "minplus")
    assert_bitwise(argk, np.array([[1]], np.int64))  # argmin, smallest k on the tie


@pytest.mark.parametrize("semiring,dtype", [("maxplus", "float32"), ("minmax", "int32")])
def test_argmax_with_accumulate_marks_where_out_won(semiring, dtype):
    rng = np.random.default_rng(12)
    a = sample(rng, semiring, dtype, (5, 6))
    b = sample(rng, semiring, dtype, (6, 4))
    c = sample(rng, semiring, dtype, (5, 4))
    out = c.copy()
    values, argk = tb.matmul_argmax(a, b, semiring, out=out, accumulate=True)
    want_values, want_argk = reference_matmul(a, b, semiring, c)
    assert values is out
    assert_bitwise(values, want_values)
    assert_bitwise(argk, want_argk)


def reference_backward(a, b, argk, grad_out, semiring):
    """The crate's scatter-add, item by item in row-major batch order, then
    (i, j) in row-major order, into the matrix each factor came from."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    shape_out = batch + (m, n)
    argk = argk.reshape(shape_out)
    grad_out = grad_out.reshape(shape_out)
    ga, gb = np.zeros(a2.shape, a.dtype), np.zeros(b2.shape, b.dtype)
    view_a = np.lib.stride_tricks.as_strided(
        ga, batch + (m, k), np.broadcast_to(ga, batch + (m, k)).strides, writeable=True
    )
    view_b = np.lib.stride_tricks.as_strided(
        gb, batch + (k, n), np.broadcast_to(gb, batch + (k, n)).strides, writeable=True
    )
    A, B = np.broadcast_to(a2, batch + (m, k)), np.broadcast_to(b2, batch + (k, n))
    one, zero = a.dtype.type(1), a.dtype.type(0)
    for item in np.ndindex(*batch):
        for i in range(m):
            for j in range(n):
                p = argk[item + (i, j)]
                if p < 0:
                    continue
                x, y = A[item + (i, p)], B[item + (p, j)]
                if semiring in ("maxplus", "minplus"):
                    da, db = one, one
                elif semiring == "maxmul":
                    da, db = y, x
                elif semiring == "maxmin":
                    da, db = (one, zero) if x < y else (zero, one)
                else:
                    da, db = (one, zero) if x > y else (zero, one)
                g = grad_out[item + (i, j)]
                view_a[item + (i, p)] = view_a[item + (i, p)] + g * da
                view_b[item + (p, j)] = view_b[item + (p, j)] + g * db
    return ga.reshape(a.shape), gb.reshape(b.shape)


@pytest.mark.parametrize("semiring", ["maxplus", "minplus", "maxmul", "maxmin", "minmax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "shape_a,shape_b",
    [((4, 5), (5, 3)), ((3, 1, 4, 5), (2, 5, 3)), ((5,), (2, 5, 3)), ((2, 4, 5), (5,)), ((5,), (5,))],
)
def test_backward_matches_the_scatter_add(semiring, dtype, shape_a, shape_b):
    rng = np.random.default_rng(21)
    a = sample(rng, semiring, dtype, shape_a, special=0.1)
    b = sample(rng, semiring, dtype, shape_b, special=0.1)
    values, argk = tb.matmul_argmax(a, b, semiring)
    grad_out = rng.integers(-3, 4, np.shape(values)).astype(dtype) * dtype_scale(dtype)
    grad_a, grad_b = tb.matmul_backward(a, b, argk, grad_out, semiring)
    with np.errstate(invalid="ignore"):  # maxmul: inf * 0
        want_a, want_b = reference_backward(a, b, argk, grad_out, semiring)
    assert_bitwise(grad_a, want_a)
    assert_bitwise(grad_b, want_b)


def dtype_scale(dtype):
    return np.dtype(dtype).type(0.1)  # sums of 0.1s round: order matters


def test_backward_accepts_strided_grad_and_operands():
    rng = np.random.default_rng(5)
    a = sample(rng, "maxplus", "float64", (6, 8))[::-2]
    b = sample(rng, "maxplus", "float64", (8, 10)).T[::-1].T
    values, argk = tb.matmul_argmax(a, b)
    grad_out = np.broadcast_to(np.float64(0.5), values.shape)  # stride 0
    grad_a, grad_b = tb.matmul_backward(a, b, argk, grad_out)
    want = reference_backward(a, b, argk, np.ascontiguousarray(grad_out), "maxplus")
    assert_bitwise(grad_a, want[0])
    assert_bitwise(grad_b, want[1])
