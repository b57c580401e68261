"""Matrix multiplication by hand, with the founding documents' numbers.

    python examples/by_hand_matmul.py
"""

import glassnet as gn
import glassnet.explain  # noqa: F401  (gn.explain)

first = gn.explain.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]])
print(first.to_text())
print("C =", first.C.astype(int).tolist())

second = gn.explain.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1))
second.show()
print("C =", second.C.astype(int).tolist())

print(gn.explain.matmul([[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]).to_text())
