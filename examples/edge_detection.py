"""Edge detection with a convolution: a kernel slid over an image is one matrix product.

1. The classic 5×5 example: a 3×3 block of ones on a zero background, convolved with the
   8-neighbour Laplacian kernel (zero padding, so the output is 5×5 too). Edges light up,
   the flat inside of the block gives 0.
2. The same idea on real pixels: the Sobel kernels (horizontal and vertical gradients)
   on handwritten digits from scikit-learn (bundled, offline), upscaled 4×; the gradient
   magnitude is saved as a PNG next to the input.

    python examples/edge_detection.py            # writes edges.png in the current folder
    GLASSNET_QUICK=1 python examples/edge_detection.py
"""

import os
import struct
import zlib

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.io import atomic_write

QUICK = os.environ.get("GLASSNET_QUICK") == "1"

LAPLACIAN = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def block_image():
    """5×5 zeros with a 3×3 block of ones in the middle."""
    image = np.zeros((5, 5))
    image[1:4, 1:4] = 1
    return image


def laplacian_edges(image):
    """Convolve with the 8-neighbour Laplacian, zero padding, same-size output."""
    x = gn.tensor(image, dtype=gn.float64).reshape(1, 1, *image.shape)  # (N, C, H, W)
    kernel = gn.tensor(LAPLACIAN, dtype=gn.float64).reshape(1, 1, 3, 3)  # (out_c, in_c, kh, kw)
    return F.conv2d(x, kernel, padding="same")[0, 0].numpy()


def sobel_magnitude(images):
    """``√(Gx² + Gy²)`` for images (N, 1, H, W): one conv with two output channels."""
    sx = np.array(SOBEL_X, dtype=np.float32)
    kernels = gn.tensor(np.stack([sx, sx.T])[:, None])  # (2, 1, 3, 3): Gx and Gy filters
    gradients = F.conv2d(gn.tensor(images), kernels, padding=1)  # (N, 2, H, W)
    return gn.sqrt((gradients**2).sum(dim=1)).numpy()  # (N, H, W)


def digit_strip(count, scale=4):
    """The first ``count`` scikit-learn digits side by side, each 8×8 upscaled ``scale``×."""
    from sklearn.datasets import load_digits

    digits = load_digits().images[:count] / 16.0  # (count, 8, 8) in [0, 1]
    big = np.kron(digits, np.ones((scale, scale)))  # nearest-neighbour upscaling
    return np.concatenate(list(big), axis=1).astype(np.float32)  # (8·scale, count·8·scale)


def write_png(path, pixels):
    """A grayscale 8-bit PNG of ``pixels`` (scaled to 0..255), written atomically."""
    scaled = pixels - pixels.min()
    scaled = (255 * scaled / max(scaled.max(), 1e-12)).astype(np.uint8)
    height, width = scaled.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in scaled)  # filter byte 0 per row

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with atomic_write(path) as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))
    return path


def main(out="edges.png"):
    edges = laplacian_edges(block_image())
    print("5×5 image with a 3×3 block, Laplacian kernel, zero padding:")
    for row in edges:
        print("  " + " ".join(f"{v:3.0f}" for v in row))
    strip = digit_strip(3 if QUICK else 10)
    magnitude = sobel_magnitude(strip[None, None])[0]
    print(f"Sobel on {strip.shape[1] // 32} digits ({strip.shape[0]}×{strip.shape[1]} pixels): "
          f"gradient magnitude max {magnitude.max():.2f}, mean {magnitude.mean():.3f}, "
          f"{(magnitude > 1).mean():.1%} of pixels on an edge (> 1)")
    path = write_png(out, np.concatenate([strip, magnitude / magnitude.max()], axis=0))
    print(f"saved input (top) and edges (bottom) to {path}")
    return edges, magnitude


if __name__ == "__main__":
    main()
