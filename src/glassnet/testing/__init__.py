"""Tools for checking gradients, public so users can check their own ops."""

from glassnet.autograd._gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad, vjp_check
from glassnet.testing._assert_close import assert_close

__all__ = ["GradcheckError", "assert_close", "gradcheck", "gradgradcheck", "numerical_grad", "vjp_check"]
