"""glassnet in a Jupyter notebook: interactive fronts built on :mod:`glassnet.explain`.

:class:`MatrixWidget` is the playground's matrix view as a notebook cell: a tiny layer
``a = f(W·x + b)`` whose numbers are editable boxes; the output and the by-hand sum of a
chosen cell follow every edit. It needs ipywidgets (``pip install "glassnet[notebook]"``),
imported only when a widget is built. Every explanation, worksheet and training history
already renders in a notebook by itself (``_repr_html_``).
"""

from glassnet.notebook._matrix_widget import MatrixWidget

__all__ = ["MatrixWidget"]
