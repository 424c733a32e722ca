"""A NumPy reference for every semiring: the crate's scalar loop, vectorized
over the outputs and broadcast over the batch, written from the rules in
the README ("What the result is, exactly"), and data that exercises them."""

import numpy as np

import tropical_blas as tb

# (semiring, dtype) pairs the package accepts.
CASES = [(name, dtype) for name, sr in tb.SEMIRINGS.items() for dtype in sr.dtypes]
ARGMAX_CASES = [(name, dtype) for name, dtype in CASES if tb.SEMIRINGS[name].argmax]


def improves(semiring, x, acc):
    """Where ⊕(acc, x) takes x: `x > acc` (max), `x < acc` (min); NaN never."""
    if semiring.add == "max":
        return x > acc
    if semiring.add == "min":
        return x < acc
    return x & ~acc  # or: x wins where it is true and acc is not


def mul(semiring, a, b):
    """⊗ on broadcast arrays, in their dtype."""
    name = semiring.name
    if name in ("maxplus", "minplus"):
        with np.errstate(invalid="ignore", over="ignore"):
            s = a + b
        if a.dtype.kind == "i":
            zero = semiring.zero(a.dtype)
            s = np.where((a == zero) | (b == zero), zero, s)
        return s
    if name == "maxmul":
        with np.errstate(invalid="ignore", over="ignore"):
            return a * b
    if name == "maxmin":  # if a < b { a } else { b }
        return np.where(a < b, a, b)
    if name == "minmax":  # if a > b { a } else { b }
        return np.where(a > b, a, b)
    return a & b


def reference(a, b, semiring, c=None):
    """(values, argk) of the product of 2-D-or-more a and b (numpy batch
    broadcasting); with c, the Combine of c and the product (argk -1 where
    c's old value won)."""
    sr = tb.SEMIRINGS[semiring] if isinstance(semiring, str) else semiring
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    acc = np.full(batch + (m, n), sr.zero(a.dtype), a.dtype)
    argk = np.full(batch + (m, n), -1, np.int64)
    for p in range(k):
        x = mul(sr, a[..., :, p, None], b[..., None, p, :])
        win = improves(sr, x, acc)
        acc = np.where(win, x, acc)
        argk = np.where(win, p, argk)
    if c is not None:
        win = improves(sr, acc, c)
        acc = np.where(win, acc, c)
        argk = np.where(win, argk, -1)
    return acc, argk


def reference_matmul(a, b, semiring, c=None):
    """`reference` with numpy.matmul's 1-D rules."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    c2 = None
    if c is not None:
        c2 = c[..., None, :] if a.ndim == 1 else c
        c2 = c2[..., None] if b.ndim == 1 else c2
    values, argk = reference(a2, b2, semiring, c2)

    def squeeze(x):
        if b.ndim == 1:
            x = x[..., 0]
        if a.ndim == 1:
            x = x[..., 0] if b.ndim == 1 else x[..., 0, :]
        return x

    return squeeze(values), squeeze(argk)


def sample(rng, semiring, dtype, shape, special=0.15):
    """Values with many ties, and the semiring's special values: NaN, ±inf,
    ±0 (floats), the zero and the range limits (integers)."""
    sr = tb.SEMIRINGS[semiring]
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.3
    if dtype.kind == "f":
        base = rng.integers(-4, 5, shape).astype(dtype) * dtype.type(0.5)
        if semiring == "maxmul":
            base = np.abs(base)
            specials = np.array([np.nan, np.inf, 0.0, -0.0, 0.25], dtype)
        else:
            specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype)
    else:
        base = rng.integers(-8, 9, shape).astype(dtype)
        info = np.iinfo(dtype)
        if semiring in ("maxplus", "minplus"):
            limit = 2**28 if dtype == np.int32 else 2**60
            specials = np.array([sr.zero(dtype), limit, -limit, 0], dtype)
        else:
            specials = np.array([info.min, info.max, 0, -1], dtype)
    mask = rng.random(shape) < special
    picks = specials[rng.integers(0, len(specials), shape)]
    return np.where(mask, picks, base).astype(dtype)


def assert_bitwise(got, want, label=None):
    """got and want have the same dtype, shape and bits; `label` (say, the
    layouts under test) starts each failure message."""
    at = "" if label is None else f"{label}: "
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{at}dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{at}shape {got.shape} != {want.shape}"
    assert got.tobytes() == want.tobytes(), f"{at}bits differ:\n got {got!r}\nwant {want!r}"
