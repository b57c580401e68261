"""Tools for checking gradients, public so users can check their own ops."""

from glassnet.autograd._gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad, vjp_check

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad", "vjp_check"]
