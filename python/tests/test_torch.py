"""The optional PyTorch Function (skipped when torch is not installed)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tropical_blas as tb  # noqa: E402
import tropical_blas.torch as tbt  # noqa: E402


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_forward_and_backward_match_the_numpy_calls(dtype):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(2, 5, 7, generator=gen, dtype=dtype, requires_grad=True)
    b = torch.randn(7, 3, generator=gen, dtype=dtype, requires_grad=True)
    c = tbt.matmul(a, b)
    values, argk = tb.matmul_argmax(a.detach().numpy(), b.detach().numpy())
    assert np.array_equal(c.detach().numpy(), values)
    grad = torch.randn(c.shape, generator=gen, dtype=dtype)
    c.backward(grad)
    ga, gb = tb.matmul_backward(a.detach().numpy(), b.detach().numpy(), argk, grad.numpy())
    assert np.array_equal(a.grad.numpy(), ga)
    assert np.array_equal(b.grad.numpy(), gb)


def test_gradcheck_maxplus():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: tbt.matmul(x, y), (a, b))


def test_backward_with_create_graph_and_once_differentiable():
    # create_graph=True hands backward a gradient that requires grad; the
    # NumPy backward reads it detached, and a second derivative through it
    # is an error, not a silent zero.
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(2, 4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    c = tbt.matmul(a, b)
    grad = torch.randn(c.shape, generator=gen, dtype=torch.float64, requires_grad=True)
    ga, gb = torch.autograd.grad(c, (a, b), grad, create_graph=True)
    _, argk = tb.matmul_argmax(a.detach().numpy(), b.detach().numpy())
    want_a, want_b = tb.matmul_backward(a.detach().numpy(), b.detach().numpy(), argk, grad.detach().numpy())
    assert np.array_equal(ga.detach().numpy(), want_a)
    assert np.array_equal(gb.detach().numpy(), want_b)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        (ga.sum() + gb.sum()).backward()


def test_vector_dot_vector():
    a = torch.tensor([1.0, 5.0, 2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.0, -1.0, 3.0], dtype=torch.float64, requires_grad=True)
    c = tbt.matmul(a, b)
    assert c.shape == () and c.item() == 5.0
    c.backward()
    assert a.grad.tolist() == [0.0, 0.0, 1.0] and b.grad.tolist() == [0.0, 0.0, 1.0]
