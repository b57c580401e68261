"""The foundation demo: a matmul by hand, one tiny network forward and backward."""

import glassnet as gn

__all__ = ["run_demo"]


def run_demo(print_fn=print):
    """Multiply two matrices, run a 3-4-2 network forward and backward, print it all."""
    a = gn.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = gn.tensor([[5.0, 6.0], [7.0, 8.0]])
    c = a @ b
    print_fn("A @ B =")
    print_fn(c)
    print_fn(f"C[0,0] = 1·5 + 2·7 = {c[0, 0].item():g}")

    gn.manual_seed(0)
    x = gn.tensor([[0.5, -1.0, 2.0]])
    w1 = gn.randn(3, 4, requires_grad=True)
    w2 = gn.randn(4, 2, requires_grad=True)
    target = gn.tensor([[1.0, 0.0]])
    hidden = (x @ w1).relu()
    probs = (hidden @ w2).softmax(dim=-1)
    loss = -(target * probs.log()).sum()
    loss.backward()
    print_fn("\nA 3-4-2 network: hidden = relu(x @ W1), probs = softmax(hidden @ W2)")
    print_fn(f"hidden = {hidden}")
    print_fn(f"probs  = {probs}")
    print_fn(f"loss   = {loss.item():.4f} (cross-entropy against {target.tolist()})")
    print_fn(f"dL/dW2 =\n{w2.grad}")
    return loss.item()
