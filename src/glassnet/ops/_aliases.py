"""PyTorch's second names for ops glassnet has under one name: each is the same function
object (``gn.multiply is gn.mul``), so there is one implementation to read."""

from glassnet.ops._arrange import movedim
from glassnet.ops._elementwise import abs, div, mul, neg, sub
from glassnet.ops._logical import ge, gt, le, lt, ne
from glassnet.ops._math import trunc
from glassnet.ops._shape import cat, swapaxes
from glassnet.ops._trig import acos, acosh, asin, asinh, atan, atan2, atanh

__all__ = ["absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "concat",
           "divide", "fix", "greater", "greater_equal", "less", "less_equal", "moveaxis", "multiply",
           "negative",
           "not_equal", "subtract", "swapdims", "true_divide"]

multiply, subtract, divide, true_divide, negative, absolute, fix = mul, sub, div, div, neg, abs, trunc
not_equal, greater, greater_equal, less, less_equal = ne, gt, ge, lt, le
arccos, arcsin, arctan, arccosh, arcsinh, arctanh, arctan2 = acos, asin, atan, acosh, asinh, atanh, atan2
concat, swapdims, moveaxis = cat, swapaxes, movedim
