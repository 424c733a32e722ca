"""Every error path: the exception type, a message naming what was given
and what is accepted, and `out` untouched."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tropical_blas as tb
from tropical_blas import _native

F32 = np.ones((3, 4), np.float32)
G32 = np.ones((4, 2), np.float32)


def sentinel_out(shape=(3, 2), dtype=np.float32):
    out = np.full(shape, 42, dtype)
    return out, out.copy()


@pytest.mark.parametrize(
    "dtype_a,dtype_b,words",
    [
        (np.float32, np.float64, ["float32", "float64", "same"]),
        (np.int32, np.int64, ["int32", "int64"]),
        (np.float16, np.float16, ["float16", "float32, float64, int32, int64"]),
        (np.int16, np.int16, ["int16", "accepts"]),
        (np.uint32, np.uint32, ["uint32"]),
        (np.complex64, np.complex64, ["complex64"]),
        (np.bool_, np.bool_, ["bool", "maxplus"]),
    ],
)
def test_dtype_errors_name_given_and_accepted(dtype_a, dtype_b, words):
    with pytest.raises(TypeError) as e:
        tb.matmul(np.ones((2, 3), dtype_a), np.ones((3, 2), dtype_b))
    for w in words:
        assert w in str(e.value)


def test_dtype_errors_per_semiring():
    with pytest.raises(TypeError, match="maxmul.*float32, float64"):
        tb.matmul(np.ones((2, 2), np.int32), np.ones((2, 2), np.int32), "maxmul")
    with pytest.raises(TypeError, match="orand.*bool"):
        tb.matmul(F32, G32, "orand")
    with pytest.raises(TypeError, match="byte order"):
        tb.matmul(F32.astype(">f4"), G32.astype(">f4"))
    with pytest.raises(TypeError, match="object"):
        tb.matmul(np.array([[None]]), np.array([[None]]))


def test_shape_errors():
    with pytest.raises(ValueError, match=r"do not chain.*4.*3"):
        tb.matmul(F32, np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="do not broadcast"):
        tb.matmul(np.ones((2, 3, 4), np.float32), np.ones((3, 4, 2), np.float32))
    with pytest.raises(ValueError, match="0-d"):
        tb.matmul(np.float32(1), G32)


def test_semiring_errors():
    with pytest.raises(ValueError, match="unknown semiring 'maxtimes'.*maxplus, minplus"):
        tb.matmul(F32, G32, "maxtimes")
    with pytest.raises(TypeError, match="semiring must be"):
        tb.matmul(F32, G32, 3)
    with pytest.raises(ValueError, match="no argmax"):
        tb.matmul_argmax(np.ones((2, 2), bool), np.ones((2, 2), bool), "orand")


@pytest.mark.parametrize("threads,kind", [(0, ValueError), (-1, ValueError), (2**70, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)])
def test_threads_errors(threads, kind):
    with pytest.raises(kind, match="threads"):
        tb.matmul(F32, G32, threads=threads)


def test_integer_out_of_range_is_refused_before_writing():
    for semiring in ("maxplus", "minplus"):
        for dtype, limit in ((np.int32, 2**28), (np.int64, 2**60)):
            a = np.zeros((3, 4), dtype)
            a[2, 1] = limit + 1
            out, before = sentinel_out(dtype=dtype)
            with pytest.raises(ValueError, match=r"a\[2, 1\] = .* out of range"):
                tb.matmul(a, np.zeros((4, 2), dtype), semiring, out=out)
            assert (out == before).all()
    # Batches: the bad value is in the last item, nothing is written.
    a = np.zeros((5, 3, 4), np.int32)
    a[4, 0, 0] = -(2**28) - 1
    out, before = sentinel_out((5, 3, 2), np.int32)
    with pytest.raises(ValueError, match=r"a\[4, 0, 0\]"):
        tb.matmul(a, np.zeros((4, 2), np.int32), out=out)
    assert (out == before).all()


def test_the_crate_range_check_still_applies_to_the_native_call():
    a = np.full((3, 4), 2**29, np.int32)
    out = np.zeros((3, 2), np.int32)
    with pytest.raises(ValueError, match="value out of range"):
        _native.matmul("maxplus", a, np.zeros((4, 2), np.int32), out, None, False, 1)
    assert (out == 0).all()


def test_out_errors_leave_out_untouched():
    out, before = sentinel_out((3, 3))
    with pytest.raises(ValueError, match=r"out has shape \(3, 3\).*\(3, 2\)"):
        tb.matmul(F32, G32, out=out)
    out, before = sentinel_out(dtype=np.float64)
    with pytest.raises(TypeError, match="out has dtype float64"):
        tb.matmul(F32, G32, out=out)
    assert (out == before).all()
    with pytest.raises(TypeError, match="ndarray"):
        tb.matmul(F32, G32, out=[[0, 0]] * 3)
    out, before = sentinel_out()
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        tb.matmul(F32, G32, out=out)
    with pytest.raises(ValueError, match="zero stride"):
        tb.matmul(F32, G32, out=np.lib.stride_tricks.as_strided(np.zeros(2, np.float32), (3, 2), (0, 4)))
    raw = np.zeros(4 * 6 + 1, np.uint8)
    odd = raw[1:].view(np.float32).reshape(3, 2)
    with pytest.raises(ValueError, match="aligned"):
        tb.matmul(F32, G32, out=odd)
    with pytest.raises(ValueError, match="accumulate=True needs out"):
        tb.matmul(F32, G32, accumulate=True)


def test_out_overlapping_an_input_is_refused():
    base = np.arange(16, dtype=np.float32).reshape(4, 4)
    before = base.copy()
    with pytest.raises(ValueError, match="out shares memory with a"):
        tb.matmul(base, base.copy(), out=base)
    with pytest.raises(ValueError, match="out shares memory with b"):
        tb.matmul(base[:2].copy(), base[:, :2], out=base[2:, 2:])
    assert (base == before).all()
    # Interleaved but disjoint address ranges are refused too (the check is
    # by address range).
    with pytest.raises(ValueError, match="shares memory"):
        tb.matmul(base[:2, ::2].copy(), base[::2, ::2], out=base[:2, 1::2])


def test_native_checks_do_not_trust_the_python_layer():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="out shares memory"):
        _native.matmul("maxplus", a, np.ones((4, 3), np.float32), a[:, :3], None, False, 1)
    with pytest.raises(TypeError):
        _native.matmul("maxplus", a, np.ones((4, 2), np.float64), np.ones((3, 2), np.float32), None, False, 1)
    with pytest.raises(ValueError, match="batch shapes differ"):
        _native.matmul("maxplus", np.ones((2, 3, 4), np.float32), np.ones((3, 4, 2), np.float32), np.ones((2, 3, 2), np.float32), None, False, 1)
    raw = np.zeros(4 * 12 + 1, np.uint8)
    odd = raw[1:].view(np.float32).reshape(3, 4)
    with pytest.raises(ValueError, match="aligned"):
        _native.matmul("maxplus", odd, np.ones((4, 2), np.float32), np.ones((3, 2), np.float32), None, False, 1)
    read_only = np.ones((3, 2), np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="out cannot be borrowed"):
        _native.matmul("maxplus", a, np.ones((4, 2), np.float32), read_only, None, False, 1)
    with pytest.raises(ValueError, match="dimension mismatch"):
        _native.matmul("maxplus", a, np.ones((3, 2), np.float32), np.ones((3, 2), np.float32), None, False, 1)
    with pytest.raises(ValueError, match="aliasing output"):
        _native.matmul("maxplus", a, np.ones((4, 2), np.float32), np.lib.stride_tricks.as_strided(np.zeros(3, np.float32), (3, 2), (4, 0)), None, False, 1)
    with pytest.raises(TypeError, match="matmul_argmax is not available"):
        _native.matmul("orand", np.ones((2, 2), bool), np.ones((2, 2), bool), np.ones((2, 2), bool), np.zeros((2, 2), np.uint32), False, 1)


def test_backward_errors():
    a, b = np.ones((3, 4), np.float32), np.ones((4, 2), np.float32)
    values, argk = tb.matmul_argmax(a, b)
    grad = np.ones_like(values)
    with pytest.raises(ValueError, match=r"argk\[0, 1\] = 4 is neither -1 nor below k = 4"):
        bad = argk.copy()
        bad[0, 1] = 4
        tb.matmul_backward(a, b, bad, grad)
    with pytest.raises(ValueError, match="-2"):
        tb.matmul_backward(a, b, np.full_like(argk, -2), grad)
    with pytest.raises(TypeError, match="integer"):
        tb.matmul_backward(a, b, argk.astype(np.float64), grad)
    with pytest.raises(ValueError, match=r"grad_out has shape"):
        tb.matmul_backward(a, b, argk, grad[:2])
    with pytest.raises(TypeError, match="grad_out has dtype float64"):
        tb.matmul_backward(a, b, argk, grad.astype(np.float64))
    with pytest.raises(TypeError, match="float32 or float64"):
        ai, bi = a.astype(np.int32), b.astype(np.int32)
        tb.matmul_backward(ai, bi, tb.matmul_argmax(ai, bi)[1], grad.astype(np.int32))
    with pytest.raises(ValueError, match="no argmax"):
        tb.matmul_backward(a > 0, b > 0, argk, grad > 0, "orand")


@pytest.mark.parametrize(
    "variable, value",
    [("TROPICAL_BLAS_ISA", "avx9000"), ("TROPICAL_BLAS_NARROW_TILES", "wide")],
)
def test_bad_env_setting_raises_runtime_error_not_a_crash(variable, value):
    code = (
        "import numpy as np, tropical_blas as tb\n"
        "assert 'error' in tb.cpu_report().as_dict()\n"
        "try:\n"
        "    tb.matmul(np.ones((2, 2), np.float64), np.ones((2, 2), np.float64))\n"
        "except RuntimeError as e:\n"
        "    print('RuntimeError', e)\n"
    )
    env = dict(os.environ, **{variable: value})
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "RuntimeError" in run.stdout and f"{variable}={value!r}".replace("'", '"') in run.stdout


def test_bool_views_of_other_bytes_are_refused():
    bad = np.array([[2, 0], [1, 1]], np.uint8).view(bool)
    good = np.ones((2, 2), bool)
    with pytest.raises(ValueError, match="bytes other than 0 and 1"):
        tb.matmul(bad, good, "orand")
    # Accumulating reads out's old values: other bytes are refused there.
    out = np.array([[0, 7], [0, 0]], np.uint8).view(bool)
    with pytest.raises(ValueError, match="bytes other than 0 and 1"):
        tb.matmul(good, good, "orand", out=out, accumulate=True)
    assert out.view(np.uint8).tolist() == [[0, 7], [0, 0]]


def test_a_bool_out_holding_other_bytes_is_overwritten():
    # np.empty(..., bool) may hold any byte; overwriting never reads them,
    # so it works as numpy.matmul's out does, and bytes between a strided
    # out's elements stay as they were.
    rng = np.random.default_rng(23)
    a, b = rng.random((3, 4, 5)) < 0.3, rng.random((5, 6)) < 0.3
    want = np.matmul(a.astype(np.uint8), b.astype(np.uint8)) > 0
    dense = np.full((3, 4, 6), 0xAB, np.uint8).view(bool)
    base = np.full((3, 8, 12), 0xCD, np.uint8)
    strided = base.view(bool)[:, ::2, ::2]
    for out in (dense, strided):
        got = tb.matmul(a, b, "orand", out=out)
        assert got is out
        np.testing.assert_array_equal(out.view(np.uint8), want.astype(np.uint8))
    gaps = np.ones(base.shape, bool)
    gaps[:, ::2, ::2] = False
    assert (base[gaps] == 0xCD).all()


def test_a_bool_out_holding_other_bytes_is_still_checked():
    # Such an out is computed through zeros, but its own layout is checked
    # first: positions that share an element, or memory shared with an
    # input, are refused, and nothing is written.
    a, b = np.ones((4, 2), bool), np.ones((2, 3), bool)
    shared = np.full(16, 0xAB, np.uint8)
    out = _strided(shared.view(bool), (4, 3), (2, 3))  # (3, 0) and (0, 2) meet
    with pytest.raises(ValueError, match="element"):
        tb.matmul(a, b, "orand", out=out)
    assert (shared == 0xAB).all()
    memory = np.full(32, 0xAB, np.uint8)
    memory[:8] = 1
    inputs = memory.view(bool)
    with pytest.raises(ValueError, match="overlap"):
        tb.matmul(inputs[:8].reshape(4, 2), b, "orand", out=inputs[4:16].reshape(4, 3))
    assert memory[:8].tolist() == [1] * 8 and (memory[8:] == 0xAB).all()


def _strided(base, shape, elements):
    """A writeable view of `base` with the given strides in elements."""
    return np.lib.stride_tricks.as_strided(base, shape, [s * base.itemsize for s in elements], writeable=True)


def test_out_whose_batch_items_overlap_is_refused():
    # Items of an out that overlap each other: numpy.matmul would write
    # them one after another; here it is refused before anything is written.
    a, b = np.ones((3, 4, 5), np.float32), np.ones((5, 2), np.float32)
    buf = np.full(64, 42, np.float32)
    before = buf.copy()
    overlapping = [
        _strided(buf, (3, 4, 2), (2, 2, 1)),  # item i+1 starts at item i's row 1
        _strided(buf, (3, 4, 2), (1, 2, 8)),  # interleaved, but a step of 1 lands on (0, 1)
        _strided(buf, (3, 4, 2), (2, 2, 1))[::-1],  # the same, batch reversed
    ]
    for out in overlapping:
        with pytest.raises(ValueError, match="aliasing output"):
            tb.matmul(a, b, out=out)
        with pytest.raises(ValueError, match="aliasing output"):
            tb.matmul_argmax(a, b, out=out)
    # A batch dimension that repeats another one's items: out[0, 1] is
    # out[1, 0]. Each item alone is a valid matrix.
    out = _strided(buf, (2, 2, 4, 2), (8, 8, 2, 1))
    with pytest.raises(ValueError, match="aliasing output"):
        tb.matmul(np.ones((2, 2, 4, 5), np.float32), b, out=out)
    # Zero batch stride: the Python layer refuses it, and so does the
    # native call on its own.
    out = _strided(buf, (3, 4, 2), (0, 2, 1))
    with pytest.raises(ValueError, match="zero stride"):
        tb.matmul(a, b, out=out)
    with pytest.raises(ValueError, match="aliasing output"):
        _native.matmul("maxplus", a, np.broadcast_to(b, (3, 5, 2)), out, None, False, 1)
    argk = _strided(np.zeros(64, np.uint32), (3, 4, 2), (2, 2, 1))
    with pytest.raises(ValueError, match="argk: aliasing output"):
        _native.matmul("maxplus", a, np.broadcast_to(b, (3, 5, 2)), np.empty((3, 4, 2), np.float32), argk, False, 1)
    assert (buf == before).all()


def test_interleaved_out_items_are_refused_only_when_they_share_elements():
    a = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    identity = np.where(np.eye(2) > 0, 0.0, -np.inf)  # max-plus: a (x) identity = a
    buf = np.full(32, 42.0)
    # Offsets i + 2r + 3c: (0, 2, 0) and (1, 1, 1) are both element 4.
    with pytest.raises(ValueError, match="aliasing output"):
        tb.matmul(a, identity, out=_strided(buf, (2, 3, 2), (1, 2, 3)))
    assert (buf == 42).all()
    # Offsets i + 2r + 7c: items 0 2 4 7 9 11 and 1 3 5 8 10 12 interleave
    # but share nothing, so each item is written by its own call.
    out = _strided(buf, (2, 3, 2), (1, 2, 7))
    assert tb.matmul(a, identity, out=out) is out
    assert (out == a).all()


def test_range_check_of_per_item_calls_comes_before_any_write():
    # An F-order out takes one crate call per item; the crate checks each
    # call's inputs, so the native layer scans every item first.
    a = np.zeros((3, 4, 5), np.int32)
    a[2, 3, 1] = 2**29
    out = np.full((3, 4, 2), 42, np.int32, order="F")
    with pytest.raises(ValueError, match="value out of range"):
        _native.matmul("maxplus", a, np.zeros((3, 5, 2), np.int32), out, None, False, 1)
    assert (out == 42).all()
    b = np.zeros((5, 2), np.int32)
    b[4, 1] = -(2**29)
    with pytest.raises(ValueError, match="value out of range"):
        _native.matmul("minplus", np.zeros((3, 4, 5), np.int32), np.broadcast_to(b, (3, 5, 2)), out, None, False, 1)
    assert (out == 42).all()


def test_a_product_with_no_output_checks_no_values():
    # As numpy.matmul (and the crate): m = 0 or n = 0 reads neither factor,
    # so a factor out of the integer range is no error there.
    big = np.full((3, 2), 2**29, np.int32)
    got = tb.matmul(np.zeros((0, 3), np.int32), big, "minplus")
    assert got.shape == (0, 2) and got.dtype == np.int32
    got = tb.matmul(big.T, np.zeros((3, 0), np.int32), "minplus")
    assert got.shape == (2, 0)
