"""Exact, fast matrix products over tropical semirings, for NumPy.

``matmul(a, b, "maxplus")`` computes ``C[..., i, j] = max_k a[..., i, k] +
b[..., k, j]`` with the semantics of ``numpy.matmul`` (2-D, batched with
broadcasting, 1-D operands as vectors), without the m*k*n temporary of the
broadcast ``np.max(a[:, :, None] + b[None, :, :], axis=1)``.

Semirings (by name or as the module constants of the same name):

=========  =====  =====  ==============================
name       add    mul    dtypes
=========  =====  =====  ==============================
maxplus    max    \\+     float32 float64 int32 int64
minplus    min    \\+     float32 float64 int32 int64
maxmul     max    \\*     float32 float64 (inputs >= 0)
maxmin     max    min    float32 float64 int32 int64
minmax     min    max    float32 float64 int32 int64
orand      or     and    bool
=========  =====  =====  ==============================

Results are bit-identical to the Rust crate's scalar reference (see the
repository README, "What the result is, exactly"): a NaN product never
wins, integer zero is the type's MIN (max) or MAX (min) and absorbs, and
maxplus/minplus integers must lie in [-2**28, 2**28] (int32) or
[-2**60, 2**60] (int64), the zero excepted.

Memory: strided inputs (transposed, sliced, negative strides, broadcast)
are used in place. An input whose strides are not whole elements or whose
data is misaligned is copied first; an ``out=`` like that is refused.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from . import _native

__all__ = [
    "Semiring",
    "MaxPlus",
    "MinPlus",
    "MaxMul",
    "MaxMin",
    "MinMax",
    "OrAnd",
    "SEMIRINGS",
    "matmul",
    "matmul_argmax",
    "matmul_backward",
    "cpu_report",
    "CpuReport",
]

_FLOATS = ("float32", "float64")
_NUMBERS = ("float32", "float64", "int32", "int64")
_NO_ARG = np.uint32(_native.NO_ARG)
_MAX_THREADS = 65536  # tasks per product; the pool has its own thread count


class Semiring:
    """A built-in semiring: pass it (or its ``name``) as ``semiring=``.

    ``add``/``mul`` name the operations, ``dtypes`` the accepted element
    types, ``argmax`` whether ``matmul_argmax`` and ``matmul_backward``
    support it (its add selects one product).
    """

    __slots__ = ("name", "add", "mul", "dtypes", "argmax")

    def __init__(self, name: str, add: str, mul: str, dtypes: Tuple[str, ...], argmax: bool):
        self.name = name
        self.add = add
        self.mul = mul
        self.dtypes = dtypes
        self.argmax = argmax

    def __repr__(self) -> str:
        return f"tropical_blas.{_CLASS_NAMES[self.name]}"

    def zero(self, dtype: Any) -> Any:
        """The semiring's zero (the add identity) in ``dtype``."""
        dtype = np.dtype(dtype)
        if dtype == np.bool_:
            return np.bool_(False)
        low, high = (
            (-np.inf, np.inf) if dtype.kind == "f" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
        )
        if self.name == "maxmul":
            return dtype.type(0)
        return dtype.type(low if self.add == "max" else high)


MaxPlus = Semiring("maxplus", "max", "+", _NUMBERS, True)
MinPlus = Semiring("minplus", "min", "+", _NUMBERS, True)
MaxMul = Semiring("maxmul", "max", "*", _FLOATS, True)
MaxMin = Semiring("maxmin", "max", "min", _NUMBERS, True)
MinMax = Semiring("minmax", "min", "max", _NUMBERS, True)
OrAnd = Semiring("orand", "or", "and", ("bool",), False)

SEMIRINGS: Dict[str, Semiring] = {
    s.name: s for s in (MaxPlus, MinPlus, MaxMul, MaxMin, MinMax, OrAnd)
}
_CLASS_NAMES = {
    "maxplus": "MaxPlus",
    "minplus": "MinPlus",
    "maxmul": "MaxMul",
    "maxmin": "MaxMin",
    "minmax": "MinMax",
    "orand": "OrAnd",
}

SemiringLike = Union[str, Semiring]


def _semiring(semiring: SemiringLike) -> Semiring:
    if isinstance(semiring, Semiring):
        return semiring
    if isinstance(semiring, str):
        key = semiring.lower().replace("_", "").replace("-", "")
        if key in SEMIRINGS:
            return SEMIRINGS[key]
        raise ValueError(
            f"unknown semiring {semiring!r}; accepted: {', '.join(SEMIRINGS)} "
            "(or tropical_blas.MaxPlus, ...)"
        )
    raise TypeError(
        f"semiring must be a name or a tropical_blas.Semiring, got {type(semiring).__name__}"
    )


def _threads(threads: Optional[int]) -> int:
    """The native thread setting: 0 for the crate default."""
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be None or an int >= 1, got {type(threads).__name__}")
    if not 1 <= threads <= _MAX_THREADS:
        raise ValueError(f"threads must be None or an int in [1, {_MAX_THREADS}], got {threads}")
    return int(threads)


def _operand(x: Any, name: str, scalar: bool = False) -> np.ndarray:
    """``x`` as an array usable in place; copied only when its strides are
    not whole elements or its data is misaligned. 0-d only with ``scalar``
    (the gradient of a 1-D . 1-D product)."""
    x = np.asarray(x)
    if x.ndim == 0 and not scalar:
        raise ValueError(f"{name} is 0-d (a scalar); matmul needs at least 1 dimension")
    if x.size and (
        not x.flags.aligned or any(s % x.itemsize for s, d in zip(x.strides, x.shape) if d > 1)
    ):
        x = np.array(x, order="C", copy=True)  # aligned, whole-element strides
    return x


def _check_dtypes(sr: Semiring, named: Tuple[Tuple[str, np.ndarray], ...]) -> np.dtype:
    accepted = ", ".join(sr.dtypes)
    for name, x in named:
        if x.dtype.name not in sr.dtypes or not x.dtype.isnative:
            raise TypeError(
                f"{name} has dtype {x.dtype.str if not x.dtype.isnative else x.dtype}; "
                f"semiring {sr.name!r} accepts {accepted} in native byte order "
                "(no implicit casts: convert with .astype())"
            )
    first_name, first = named[0]
    for name, x in named[1:]:
        if x.dtype != first.dtype:
            raise TypeError(
                f"{first_name} has dtype {first.dtype} and {name} has dtype {x.dtype}: "
                f"they must be the same (one of {accepted}); no implicit casts"
            )
    return first.dtype


def _check_range(sr: Semiring, named: Tuple[Tuple[str, np.ndarray], ...]) -> None:
    """The crate's integer rule for maxplus/minplus, checked up front so the
    error names the element and nothing is written."""
    if sr.name not in ("maxplus", "minplus"):
        return
    for name, x in named:
        if x.dtype.kind != "i":
            continue
        exponent = 28 if x.dtype == np.int32 else 60
        zero = sr.zero(x.dtype)
        bad = ((x < -(2**exponent)) | (x > 2**exponent)) & (x != zero)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name}[{', '.join(map(str, where))}] = {x[where]} is out of range for "
                f"{sr.name} over {x.dtype}: finite values must lie in "
                f"[-2**{exponent}, 2**{exponent}] (or be the zero {zero}) so that no sum "
                "can overflow"
            )


class _Shapes:
    """numpy.matmul's shape rules for a and b: the batch shape, the core
    sizes, and the result's shape (vector dimensions removed)."""

    def __init__(self, a: np.ndarray, b: np.ndarray):
        self.a_vec, self.b_vec = a.ndim == 1, b.ndim == 1
        self.a2 = a[None, :] if self.a_vec else a
        self.b2 = b[:, None] if self.b_vec else b
        (self.m, self.k), (k_b, self.n) = self.a2.shape[-2:], self.b2.shape[-2:]
        if self.k != k_b:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} do not chain: a's last dimension is {self.k}, "
                f"b's {'only' if self.b_vec else 'second-to-last'} dimension is {k_b}"
            )
        try:
            self.batch = tuple(np.broadcast_shapes(self.a2.shape[:-2], self.b2.shape[:-2]))
        except ValueError:
            raise ValueError(
                f"batch dimensions of shapes {a.shape} and {b.shape} do not broadcast: "
                f"{self.a2.shape[:-2]} vs {self.b2.shape[:-2]}"
            ) from None
        self.result = (
            self.batch + (() if self.a_vec else (self.m,)) + (() if self.b_vec else (self.n,))
        )
        self.inner = self.batch + (self.m, self.n)

    def a_view(self) -> np.ndarray:
        return np.broadcast_to(self.a2, self.batch + (self.m, self.k))

    def b_view(self) -> np.ndarray:
        return np.broadcast_to(self.b2, self.batch + (self.k, self.n))

    def expand(self, result: np.ndarray) -> np.ndarray:
        """A view of an array of the result's shape as batch + (m, n)."""
        if self.a_vec and self.b_vec:
            return result[..., None, None]
        if self.a_vec:
            return result[..., None, :]
        if self.b_vec:
            return result[..., None]
        return result


def _check_out(out: Any, shapes: _Shapes, dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != shapes.result:
        raise ValueError(f"out has shape {out.shape}; the product has shape {shapes.result}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}; the product has dtype {dtype} (no casts)")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if out.size and (
        not out.flags.aligned
        or any(s % out.itemsize for s, d in zip(out.strides, out.shape) if d > 1)
    ):
        raise ValueError("out must be aligned with strides in whole elements (it is never copied)")
    if out.size and any(s == 0 for s, d in zip(out.strides, out.shape) if d > 1):
        raise ValueError("out repeats elements (a zero stride): every output needs its own element")
    return out


def _product(a, b, semiring, out, accumulate, threads, argmax):
    sr = _semiring(semiring)
    threads = _threads(threads)
    if argmax and not sr.argmax:
        raise ValueError(f"semiring {sr.name!r} has no argmax: its add ({sr.add}) selects no product")
    a, b = _operand(a, "a"), _operand(b, "b")
    dtype = _check_dtypes(sr, (("a", a), ("b", b)))
    shapes = _Shapes(a, b)
    if out is None:
        if accumulate:
            raise ValueError("accumulate=True needs out=, the array to add into")
        # bool: zeros, so every byte is a valid Rust bool (Replace never
        # reads the others either way).
        result = (np.zeros if dtype == np.bool_ else np.empty)(shapes.result, dtype)
    else:
        result = _check_out(out, shapes, dtype)
    if result.size > 0:  # a product with no output reads neither factor
        _check_range(sr, (("a", a), ("b", b)))
    argk = None
    if argmax:
        argk = np.empty(shapes.inner, np.uint32)
        if accumulate:
            argk.fill(_NO_ARG)  # where out's old value wins, argk is not written
    # An empty result has nothing to compute, however large its batch
    # (the native loop would plan one call per batch item first).
    if result.size > 0:
        _native.matmul(
            sr.name,
            shapes.a_view(),
            shapes.b_view(),
            shapes.expand(result),
            argk,
            bool(accumulate),
            threads,
        )
    scalar = out is None and result.ndim == 0  # 1-D . 1-D, as numpy.matmul
    if scalar:
        result = result[()]
    if not argmax:
        return result
    index = argk.astype(np.int64)
    index[argk == _NO_ARG] = -1
    index = index.reshape(shapes.result)
    return result, (index[()] if scalar else index)


def matmul(
    a: Any,
    b: Any,
    semiring: SemiringLike = "maxplus",
    *,
    out: Optional[np.ndarray] = None,
    accumulate: bool = False,
    threads: Optional[int] = None,
) -> Any:
    """The product of ``a`` and ``b`` in ``semiring``, as ``numpy.matmul``.

    ``C[..., i, j] = add over k of mul(a[..., i, k], b[..., k, j])``, e.g.
    ``max_k a[i, k] + b[k, j]`` for ``"maxplus"``. Operands are 2-D, or N-d
    with leading batch dimensions that broadcast (shared, not copied), or
    1-D vectors (the added dimension is removed from the result, as in
    ``numpy.matmul``). Both must have the same dtype, one the semiring
    accepts; the result has that dtype.

    out: an array of the result's shape and dtype (any strides, writeable,
        not overlapping ``a`` or ``b``) written in place and returned.
    accumulate: with ``out``, compute ``out = add(out, a (x) b)`` instead
        of overwriting (the crate's ``Accum.Combine``).
    threads: None for the crate default (every thread of its pool), or the
        number of tasks (1 = the calling thread only).

    Notes: the GIL is released during the product. Until the call returns,
    each operand's memory span (from its lowest to its highest element,
    gaps of a strided view included) is borrowed: other threads must not
    write the spans of ``a`` and ``b``, nor read or write the span of
    ``out`` (a second call writing an interleaved view of the same array,
    say). ``out`` may have any layout numpy.matmul accepts (C or F order,
    batch axis anywhere) as long as no two of its positions share an
    element.

    Raises TypeError (dtype), ValueError (shape, semiring name, integer
    out of range, out unusable, threads); ``out`` is untouched on error.
    """
    return _product(a, b, semiring, out, accumulate, threads, argmax=False)


def matmul_argmax(
    a: Any,
    b: Any,
    semiring: SemiringLike = "maxplus",
    *,
    out: Optional[np.ndarray] = None,
    accumulate: bool = False,
    threads: Optional[int] = None,
) -> Tuple[Any, Any]:
    """``matmul`` that also returns, for each output, the k that won.

    Returns ``(values, argk)``: values bit-identical to ``matmul``'s, and
    ``argk`` an int64 array of the same shape holding the winning k (the
    smallest on ties; an argmin for minplus/minmax), or -1 where no product
    beat the semiring's zero (k = 0, or every product zero or NaN). With
    ``accumulate=True``, -1 also marks outputs where ``out``'s old value
    won (it comes first, so it wins ties). For 1-D . 1-D operands both are
    numpy scalars (argk an ``np.int64``), as numpy.matmul returns a scalar
    there; with ``out=`` values is that 0-d ``out`` and argk a 0-d array.
    Not available for orand. The threading rule of ``matmul`` applies.
    """
    return _product(a, b, semiring, out, accumulate, threads, argmax=True)


def matmul_backward(
    a: Any,
    b: Any,
    argk: Any,
    grad_out: Any,
    semiring: SemiringLike = "maxplus",
) -> Tuple[np.ndarray, np.ndarray]:
    """The gradients of ``matmul_argmax(a, b, semiring)`` for autograd.

    Given the factors, the ``argk`` that ``matmul_argmax`` returned and
    ``grad_out`` (dL/dC, the product's shape and dtype), returns
    ``(grad_a, grad_b)`` with the shapes of ``a`` and ``b``: each output's
    gradient goes to the one product that won it (the crate's scatter-add;
    -1 entries pass nothing). A factor broadcast over batch dimensions
    receives the sum over them. Sums run in row-major batch order, then
    row-major (i, j), so results are deterministic. Float dtypes only.
    """
    sr = _semiring(semiring)
    if not sr.argmax:
        raise ValueError(f"semiring {sr.name!r} has no argmax, so no gradient")
    a, b = _operand(a, "a"), _operand(b, "b")
    grad_out = _operand(grad_out, "grad_out", scalar=True)  # shape checked below
    argk = np.asarray(argk)
    dtype = _check_dtypes(sr, (("a", a), ("b", b)))
    if dtype.name not in _FLOATS:
        raise TypeError(f"matmul_backward needs float32 or float64 operands, got {dtype}")
    _check_dtypes(sr, (("a", a), ("grad_out", grad_out)))
    shapes = _Shapes(a, b)
    for name, x in (("argk", argk), ("grad_out", grad_out)):
        if x.shape != shapes.result:
            raise ValueError(f"{name} has shape {x.shape}; the product has shape {shapes.result}")
    if argk.dtype.kind not in "iu":
        raise TypeError(f"argk must be an integer array (int64 from matmul_argmax), got {argk.dtype}")
    if argk.size and (argk.min() < -1 or argk.max() >= shapes.k):
        bad = np.argwhere((argk < -1) | (argk >= shapes.k))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"argk[{', '.join(map(str, where))}] = {argk[where]} is neither -1 nor below k = {shapes.k}"
        )
    k32 = np.where(argk < 0, _NO_ARG, argk).astype(np.uint32)
    grad_a = np.zeros(shapes.a2.shape, dtype)
    grad_b = np.zeros(shapes.b2.shape, dtype)
    _native.matmul_backward(
        sr.name,
        shapes.a_view(),
        shapes.b_view(),
        shapes.expand(k32),
        shapes.expand(grad_out),
        _writeable_broadcast(grad_a, shapes.batch),
        _writeable_broadcast(grad_b, shapes.batch),
    )
    return grad_a.reshape(a.shape), grad_b.reshape(b.shape)


def _writeable_broadcast(x: np.ndarray, batch: Tuple[int, ...]) -> np.ndarray:
    """``x`` seen with batch dimensions ``batch``, repeated (stride 0) where
    it is broadcast, and writeable: the backward pass adds every item's
    gradient into the matrix its factor came from."""
    shape = batch + x.shape[-2:]
    strides = np.broadcast_to(x, shape).strides
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=True)


class CpuReport:
    """The crate's dispatch report: ``str(report)`` is the text (CPU,
    features, ISA level, kernel per semiring and dtype), ``as_dict()`` the
    same as data: ``cpu``, ``detected``, ``active`` (ISA levels),
    ``features`` ({name: bool}), ``kernels`` ({"MaxPlus<f32>": {"kernel",
    "isa", "mr", "nr"}}), ``add_on_fma`` (whether the float max-plus and
    min-plus kernels add on the multiply-add units: names ending in
    ``-fma``), ``narrow_tiles`` (whether the AVX-512 tiles of 8-byte and
    bool elements are one vector wide: 16×8, 16×64), and ``error`` when
    ``TROPICAL_BLAS_ISA``, ``TROPICAL_BLAS_ADD_ON_FMA`` or
    ``TROPICAL_BLAS_NARROW_TILES`` is invalid."""

    def __init__(self, text: str, data: Dict[str, Any]):
        self._text = text
        self._data = data

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"<tropical_blas.CpuReport active={self._data.get('active')!r}>"

    def as_dict(self) -> Dict[str, Any]:
        import copy

        return copy.deepcopy(self._data)


def cpu_report() -> CpuReport:
    """What runs here: the detected CPU features, the ISA level and the kernel
    each semiring and dtype uses."""
    text, data = _native.cpu_report()
    return CpuReport(text, data)
