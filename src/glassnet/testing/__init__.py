"""Tools for checking gradients, public so users can check their own ops."""

from glassnet.testing._gradcheck import GradcheckError, gradcheck, numerical_grad, vjp_check

__all__ = ["GradcheckError", "gradcheck", "numerical_grad", "vjp_check"]
