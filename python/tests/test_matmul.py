"""matmul against the NumPy reference, bit for bit: every semiring and
dtype, strided and negative-stride views, broadcast batches, 1-D operands,
out= views, accumulate, threads."""

import threading
import time
import tracemalloc

import numpy as np
import pytest
from reference import CASES, assert_bitwise, reference_matmul, sample

import tropical_blas as tb
from tropical_blas import _native


@pytest.mark.parametrize("semiring,dtype", CASES)
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 4), (7, 0, 3), (0, 4, 2), (17, 33, 19)])
def test_every_semiring_and_dtype(semiring, dtype, m, k, n):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a = sample(rng, semiring, dtype, (m, k))
    b = sample(rng, semiring, dtype, (k, n))
    got = tb.matmul(a, b, semiring)
    assert_bitwise(got, reference_matmul(a, b, semiring)[0])


@pytest.mark.parametrize("semiring,dtype", CASES)
def test_large_enough_for_the_packed_kernels(semiring, dtype):
    rng = np.random.default_rng(7)
    a = sample(rng, semiring, dtype, (70, 131), special=0.05)
    b = sample(rng, semiring, dtype, (131, 67), special=0.05)
    want = reference_matmul(a, b, semiring)[0]
    for threads in (1, 2):
        assert_bitwise(tb.matmul(a, b, semiring, threads=threads), want)


@pytest.mark.parametrize("semiring,dtype", CASES)
def test_accumulate_combines_with_out(semiring, dtype):
    rng = np.random.default_rng(3)
    a = sample(rng, semiring, dtype, (2, 6, 5))
    b = sample(rng, semiring, dtype, (5, 4))
    c = sample(rng, semiring, dtype, (2, 6, 4))
    want = reference_matmul(a, b, semiring, c)[0]
    out = c.copy()
    assert tb.matmul(a, b, semiring, out=out, accumulate=True) is out
    assert_bitwise(out, want)


def test_nan_rule_floats():
    nan, inf = np.nan, np.inf
    a = np.array([[nan, 1.0], [nan, nan], [-inf, 2.0]], np.float32)
    b = np.array([[0.0, inf], [nan, -inf]], np.float32)
    got = tb.matmul(a, b)
    # Row 0: NaN+0 never wins, 1+NaN never wins -> -inf; 1 + -inf = -inf.
    # Row 2: -inf + inf = NaN never wins.
    want = np.array([[-inf, -inf], [-inf, -inf], [-inf, -inf]], np.float32)
    assert_bitwise(got, want)
    c = np.array([[nan, 0.0], [5.0, nan], [nan, nan]], np.float32)
    out = c.copy()
    tb.matmul(a, b, out=out, accumulate=True)
    assert_bitwise(out, c)  # a NaN in C stays; -inf never beats C


def test_signed_zeros_keep_the_earlier_value():
    a = np.array([[-0.0, 0.0]], np.float64)
    b = np.array([[-0.0], [-0.0]], np.float64)  # products -0 and +0
    assert np.signbit(tb.matmul(a, b)[0, 0])  # -0 first, +0 ties: -0 stays
    assert not np.signbit(tb.matmul(a[:, ::-1], b)[0, 0])


def test_integer_zero_absorbs_at_the_extremes():
    for dtype in (np.int32, np.int64):
        low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
        a = np.array([[low, 5], [low, low]], dtype)
        b = np.array([[-(2**28), low], [2**28, low]], dtype)
        assert_bitwise(tb.matmul(a, b, "maxplus"), np.array([[5 + 2**28, low], [low, low]], dtype))
        assert_bitwise(
            tb.matmul(np.array([[high, 3]], dtype), np.array([[1], [high]], dtype), "minplus"),
            np.array([[high]], dtype),
        )
        # maxmin/minmax accept every value, the extremes included.
        x = np.array([[low, high]], dtype)
        y = np.array([[high], [low]], dtype)
        assert_bitwise(tb.matmul(x, y, "maxmin"), np.array([[low]], dtype))
        assert_bitwise(tb.matmul(x, y, "minmax"), np.array([[high]], dtype))


def layouts(rng, semiring, dtype, rows, cols):
    """The same kinds of matrix in several memory layouts: C order,
    Fortran order, a transposed view, a strided slice, negative strides."""
    base = sample(rng, semiring, dtype, (2 * rows + 1, 3 * cols + 2))
    yield "c", np.ascontiguousarray(base[:rows, :cols])
    yield "fortran", np.asfortranarray(base[:rows, :cols])
    yield "transposed", np.ascontiguousarray(base[:cols, :rows]).T
    yield "sliced", base[1 : 2 * rows + 1 : 2, 2 : 3 * cols + 2 : 3]
    yield "negative", base[2 * rows - 1 :: -2, 3 * cols - 1 :: -3]
    yield "mixed", base[:rows, ::-3][:, :cols]


@pytest.mark.parametrize("semiring,dtype", [("maxplus", "float32"), ("minplus", "int64"), ("orand", "bool")])
def test_strided_and_negative_stride_views(semiring, dtype):
    rng = np.random.default_rng(11)
    for name_a, a in layouts(rng, semiring, dtype, 9, 13):
        for name_b, b in layouts(rng, semiring, dtype, 13, 6):
            want = reference_matmul(a, b, semiring)[0]
            assert_bitwise(tb.matmul(a, b, semiring), want, label=(name_a, name_b))


@pytest.mark.parametrize("semiring,dtype", [("maxplus", "float64"), ("maxmin", "int32")])
def test_out_views_are_written_in_place(semiring, dtype):
    rng = np.random.default_rng(5)
    a = sample(rng, semiring, dtype, (3, 4, 6))
    b = sample(rng, semiring, dtype, (6, 5))
    want = reference_matmul(a, b, semiring)[0]
    for view in (
        lambda base: base[:, :4, :5],
        lambda base: base[::-1, ::-1, ::2][:, :4, :5],
        lambda base: base.transpose(0, 2, 1)[:, :4, :5],
    ):
        base = np.full((3, 8, 10), 7, dtype)
        out = view(base)
        untouched = base.copy()
        assert tb.matmul(a, b, semiring, out=out) is out
        assert_bitwise(out, want)
        mask = np.ones(base.shape, bool)
        mask[np.unravel_index(_positions(base, out), base.shape)] = False
        assert_bitwise(base[mask], untouched[mask])  # nothing outside the view


def _positions(base, view):
    """Flat indices into C-contiguous `base` of every element of `view`."""
    offsets = np.zeros(view.shape, np.int64)
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    for axis, stride in enumerate(view.strides):
        shape = [1] * view.ndim
        shape[axis] = view.shape[axis]
        offsets = offsets + (np.arange(view.shape[axis]) * stride).reshape(shape)
    return ((start + offsets) // base.itemsize).ravel()


@pytest.mark.parametrize(
    "shape_a,shape_b",
    [
        ((3, 1, 4, 5), (4, 5, 2)),
        ((2, 4, 5), (5, 3)),
        ((4, 5), (6, 5, 3)),
        ((1, 4, 5), (3, 1, 5, 2)),
        ((2, 3, 4, 5), (2, 3, 5, 6)),
        ((5,), (5, 3)),
        ((4, 5), (5,)),
        ((5,), (5,)),
        ((5,), (3, 5, 2)),
        ((2, 3, 4, 5), (5,)),
        ((0, 4, 5), (5, 2)),
    ],
)
@pytest.mark.parametrize("semiring,dtype", [("maxplus", "float32"), ("minmax", "int64")])
def test_broadcast_batches_and_vectors(shape_a, shape_b, semiring, dtype):
    rng = np.random.default_rng(len(shape_a) * 10 + len(shape_b))
    a = sample(rng, semiring, dtype, shape_a)
    b = sample(rng, semiring, dtype, shape_b)
    got = tb.matmul(a, b, semiring)
    want = reference_matmul(a, b, semiring)[0]
    assert np.shape(got) == np.matmul(np.zeros(shape_a), np.zeros(shape_b)).shape
    assert_bitwise(got, want)
    if np.ndim(got) == 0:
        assert isinstance(got, np.generic)  # a scalar, as numpy.matmul
    else:
        out = np.empty_like(got)
        assert tb.matmul(a, b, semiring, out=out) is out
        assert_bitwise(out, want)


def test_broadcast_view_inputs_are_not_copied():
    # A 100000-item batch of one 64x64 matrix: a stride-0 view. A copy
    # would need 1.6 GB; the product reads the one matrix.
    a = np.broadcast_to(np.ones((64, 64), np.float32), (100000, 64, 64))
    b = np.zeros((64, 1), np.float32)
    got = tb.matmul(a, b)
    assert got.shape == (100000, 64, 1) and (got == 1).all()


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x.T,
        lambda x: x[::-1, ::-2],
        lambda x: x[:, 1:-1:3],
        lambda x: np.broadcast_to(x[:1], x.shape),
    ],
)
def test_strided_inputs_are_not_copied(view):
    # NumPy reports its allocations to tracemalloc: a copy of the 16 MB
    # operand would show; the 2000 x 4 result (32 kB) is all that is new.
    a = view(np.ones((2000, 2000), np.float32))
    b = np.ones((a.shape[1], 4), np.float32)
    tracemalloc.start()
    try:
        tb.matmul(a, b)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak


def test_batch_dims_that_cannot_merge():
    rng = np.random.default_rng(2)
    a = sample(rng, "maxplus", "float64", (4, 3, 2, 5))[:, ::2]  # (4, 2, 2, 5)
    b = sample(rng, "maxplus", "float64", (3, 5, 4)).transpose(0, 2, 1)[None, :2].transpose(0, 1, 3, 2)
    want = reference_matmul(a, b, "maxplus")[0]
    for threads in (None, 1, 2):
        assert_bitwise(tb.matmul(a, b, threads=threads), want)


def test_an_empty_result_with_a_huge_broadcast_batch_returns_at_once():
    # 2**32 batch items of an empty product: nothing to compute, and
    # nothing may be planned per item (that was ~200 GiB of offsets).
    a = np.zeros((2**32, 1, 0, 3), np.float32)
    b = np.zeros((1, 2, 3, 4), np.float32)
    got = tb.matmul(a, b, "maxplus")
    assert got.shape == (2**32, 2, 0, 4)
    values, index = tb.matmul_argmax(a, b, "minplus")
    assert values.shape == index.shape == (2**32, 2, 0, 4)
    out = np.zeros((2**32, 2, 0, 4), np.float32)
    assert tb.matmul(a, b, "maxplus", out=out, accumulate=True) is out


def test_semiring_objects_and_names():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    want = tb.matmul(a, b, "maxplus")
    for s in (tb.MaxPlus, "MaxPlus", "max_plus", "max-plus"):
        assert_bitwise(tb.matmul(a, b, s), want)
    assert repr(tb.MinPlus) == "tropical_blas.MinPlus"
    assert set(tb.SEMIRINGS) == {"maxplus", "minplus", "maxmul", "maxmin", "minmax", "orand"}


def test_array_likes_and_misaligned_or_odd_strides_are_copied():
    a = [[1.0, 2.0], [3.0, 4.0]]
    b = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert_bitwise(tb.matmul(a, b), reference_matmul(np.array(a), b, "maxplus")[0])
    raw = bytearray(4 * 9 + 1)
    odd = np.frombuffer(raw, np.float32, count=9, offset=1).reshape(3, 3)
    assert not odd.flags.aligned
    odd_b = np.zeros(3, dtype=[("x", np.float32), ("y", np.int8)])["x"].reshape(3, 1)
    assert odd_b.strides[0] % 4 != 0
    assert_bitwise(tb.matmul(odd, odd_b), reference_matmul(odd.copy(), odd_b.copy(), "maxplus")[0])


def test_threads_give_identical_results():
    rng = np.random.default_rng(9)
    a = sample(rng, "minplus", "float32", (8, 150, 90), special=0.02)
    b = sample(rng, "minplus", "float32", (8, 90, 120), special=0.02)
    want = tb.matmul(a, b, "minplus", threads=1)
    assert_bitwise(want, reference_matmul(a, b, "minplus")[0])
    for threads in (2, 3, None):
        assert_bitwise(tb.matmul(a, b, "minplus", threads=threads), want)


def test_vector_dot_vector_into_a_0d_out():
    a = np.array([1.0, 5.0, 2.0])
    b = np.array([0.0, -1.0, 3.0])
    assert tb.matmul(a, b) == 5.0
    out = np.zeros((), np.float64)
    assert tb.matmul(a, b, out=out) is out and out[()] == 5.0
    values, argk = tb.matmul_argmax(a, b)
    # Both numpy scalars, as numpy.matmul returns for 1-D . 1-D.
    assert type(values) is np.float64 and values == 5.0
    assert type(argk) is np.int64 and argk == 2
    assert type(np.matmul(a, b)) is np.float64
    out = np.zeros((), np.float64)
    values, argk = tb.matmul_argmax(a, b, out=out)
    assert values is out and out[()] == 5.0
    assert isinstance(argk, np.ndarray) and argk.shape == () and argk[()] == 2


def test_the_gil_is_released_during_the_product():
    a = np.ones((2048, 2048), np.float32)
    start = time.perf_counter()
    tb.matmul(a, a, threads=1)
    alone = time.perf_counter() - start
    done = threading.Event()
    worker = threading.Thread(target=lambda: (tb.matmul(a, a, threads=1), done.set()))
    worker.start()
    # This loop needs the GIL: had the product held it, the loop would
    # stall for the whole product.
    last, longest = time.perf_counter(), 0.0
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    assert longest < alone / 2, (longest, alone)


def _out_layouts(dtype, batch, m, n):
    """Output layouts numpy.matmul accepts whose batch items interleave in
    memory (the batch axis is not outermost), by name."""
    yield "F order", np.empty((batch, m, n), dtype, order="F")
    yield "batch axis in the middle", np.empty((m, batch, n), dtype).transpose(1, 0, 2)
    yield "batch axis innermost", np.empty((m, n, batch), dtype).transpose(2, 0, 1)
    yield "F order, reversed batch", np.empty((batch, m, n), dtype, order="F")[::-1]


@pytest.mark.parametrize("argmax", [False, True])
@pytest.mark.parametrize("semiring,dtype", [("maxplus", "float64"), ("minplus", "int32"), ("maxmin", "float32")])
def test_out_whose_batch_axis_is_not_outermost(semiring, dtype, argmax):
    rng = np.random.default_rng(21)
    a = sample(rng, semiring, dtype, (4, 5, 6))
    b = sample(rng, semiring, dtype, (6, 3))
    want, want_k = reference_matmul(a, b, semiring)
    for name, out in _out_layouts(dtype, 4, 5, 3):
        with np.errstate(all="ignore"):
            np.matmul(a, b, out=out)  # numpy accepts this out
        for threads in (1, None):
            if argmax:
                values, argk = tb.matmul_argmax(a, b, semiring, out=out, threads=threads)
                assert_bitwise(argk, want_k, label=name)
            else:
                values = tb.matmul(a, b, semiring, out=out, threads=threads)
            assert values is out
            assert_bitwise(out, want, label=name)


@pytest.mark.parametrize("argmax", [False, True])
def test_batched_matrix_vector_into_an_f_order_out(argmax):
    rng = np.random.default_rng(22)
    a = sample(rng, "maxplus", "float32", (6, 5, 7))
    b = sample(rng, "maxplus", "float32", (7,))
    want, want_k = reference_matmul(a, b, "maxplus")
    for out in (np.empty((6, 5), np.float32, order="F"), np.empty((5, 6), np.float32).T):
        with np.errstate(all="ignore"):
            np.matmul(a, b, out=out)
        if argmax:
            values, argk = tb.matmul_argmax(a, b, out=out)
            assert_bitwise(argk, want_k)
        else:
            values = tb.matmul(a, b, out=out)
        assert values is out
        assert_bitwise(out, want)
    # Vector times batched matrix: the batch axis of out innermost.
    c = sample(rng, "maxplus", "float32", (6, 7, 4))
    want, want_k = reference_matmul(b, c, "maxplus")
    out = np.empty((6, 4), np.float32, order="F")
    values, argk = tb.matmul_argmax(b, c, out=out)
    assert_bitwise(out, want)
    assert_bitwise(argk, want_k)


def test_accumulate_into_an_f_order_out_with_broadcast_batches():
    rng = np.random.default_rng(23)
    a = sample(rng, "minplus", "float64", (3, 1, 4, 5))
    b = sample(rng, "minplus", "float64", (2, 5, 6))
    c = sample(rng, "minplus", "float64", (3, 2, 4, 6))
    want, want_k = reference_matmul(a, b, "minplus", c)
    out = np.asfortranarray(c)
    values, argk = tb.matmul_argmax(a, b, "minplus", out=out, accumulate=True)
    assert_bitwise(out, want)
    assert_bitwise(argk, want_k)


def test_native_argk_whose_batch_axis_is_not_outermost():
    rng = np.random.default_rng(24)
    a = sample(rng, "maxplus", "float32", (4, 5, 6))
    b = sample(rng, "maxplus", "float32", (4, 6, 3))
    want, want_k = reference_matmul(a, b, "maxplus")
    out = np.empty((4, 5, 3), np.float32, order="F")
    argk = np.empty((5, 4, 3), np.uint32).transpose(1, 0, 2)
    _native.matmul("maxplus", a, b, out, argk, False, 1)
    assert_bitwise(out, want)
    assert_bitwise(np.where(argk == _native.NO_ARG, -1, argk.astype(np.int64)), want_k)
