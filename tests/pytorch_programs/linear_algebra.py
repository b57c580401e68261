"""Linear algebra and Fourier analysis as PyTorch programs write them: a least-squares fit
(``torch.linalg.lstsq``, the normal equations by Cholesky, a ridge fit by gradient descent),
a PCA and a Gaussian likelihood differentiated through ``logdet``/``inv``, and a spectral
low-pass filter and 2-D blur with ``torch.fft``."""

import math

import numpy as np

from pytorch_programs._weights import load_weights


def least_squares_and_pca(torch):
    """Fit a quadratic three ways, then the principal axes and a Gaussian log-likelihood of
    3-d data, its gradient with respect to a covariance factor."""
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.uniform(-1, 1, 40), dtype=torch.float64)
    y = (0.5 - 2 * x + 3 * x**2 + 0.05 * torch.tensor(rng.standard_normal(40))).unsqueeze(1)
    A = torch.stack([torch.ones_like(x), x, x**2], dim=1)  # noqa: N806  (the maths' names)
    fit = torch.linalg.lstsq(A, y).solution
    lower = torch.linalg.cholesky(A.T @ A)
    half = torch.linalg.solve_triangular(lower, A.T @ y, upper=False)
    normal = torch.linalg.solve_triangular(lower.T, half, upper=True)
    w = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.linalg.norm(A @ w - y) ** 2 / 40 + 1e-3 * torch.linalg.vector_norm(w, 1)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    mixing = torch.tensor([[2.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, 0.2, 0.3]], dtype=torch.float64)
    data = torch.tensor(rng.standard_normal((100, 3)), dtype=torch.float64) @ mixing
    centred = data - data.mean(0)
    cov = centred.T @ centred / 99
    values, vectors = torch.linalg.eigh(cov)
    projector = vectors[:, -2:] @ vectors[:, -2:].T  # free of the eigenvectors' signs
    factor = torch.tensor(np.eye(3) * 1.5, requires_grad=True)
    sigma = factor @ factor.T + 0.1 * torch.eye(3, dtype=torch.float64)
    nll = 0.5 * (100 * torch.logdet(sigma) + (centred @ torch.linalg.inv(sigma) * centred).sum())
    nll.backward()
    q, r = torch.linalg.qr(A)
    return {"lstsq": fit, "normal_equations": normal, "residual": torch.linalg.vector_norm(A @ fit - y),
            "gd_losses": losses[::10], "gd_weights": w, "eigenvalues": values, "projector": projector,
            "singular_values": torch.linalg.svdvals(centred), "det": torch.linalg.det(cov).item(),
            "slogdet": list(torch.linalg.slogdet(cov)), "inverse": torch.linalg.inv(cov),
            "nuclear": torch.linalg.matrix_norm(cov, "nuc"), "spectral": torch.linalg.norm(cov, 2),
            "rank": torch.linalg.matrix_rank(A[:, :2] @ A[:, :2].T).item(), "r_diagonal": r.diagonal().abs(),
            "q_orthonormal": torch.dist(q.T @ q, torch.eye(3, dtype=torch.float64)).item() < 1e-12,
            "pinv_fit": torch.linalg.pinv(A) @ y, "nll": nll, "factor_grad": factor.grad,
            "cross": torch.linalg.cross(vectors[:, 0], vectors[:, 1]).abs(),
            "power": torch.linalg.matrix_power(cov, 3),
            "chain": torch.linalg.multi_dot([cov, cov, vectors[:, 0]]).abs()}


def spectral_filter(torch):
    """Low-pass filter a noisy two-tone signal by zeroing its high frequencies, find its
    dominant frequency, blur an image by multiplying spectra, and train a linear model on
    spectral magnitudes (features computed from the data, so no gradient goes through the FFT)."""
    rng = np.random.default_rng(5)
    n, dt = 128, 0.01
    t = torch.arange(n, dtype=torch.float64) * dt
    signal = (torch.sin(2 * math.pi * 5 * t) + 0.5 * torch.sin(2 * math.pi * 20 * t)
              + 0.3 * torch.tensor(rng.standard_normal(n)))
    spectrum = torch.fft.rfft(signal)
    freqs = torch.fft.rfftfreq(n, d=dt, dtype=torch.float64)
    filtered = torch.fft.irfft(spectrum * (freqs <= 10.0), n=n)
    power = spectrum.abs() ** 2
    centred = torch.fft.fftshift(torch.fft.fftfreq(n, d=dt))

    image = torch.tensor(rng.random((16, 16)))
    kernel = torch.zeros(16, 16, dtype=torch.float64)
    kernel[0, 0], kernel[0, 1], kernel[1, 0] = 0.5, 0.25, 0.25
    blurred = torch.fft.irfft2(torch.fft.rfft2(image) * torch.fft.rfft2(kernel), s=image.shape)
    ortho = torch.fft.fft2(image, norm="ortho")

    batch = torch.tensor(rng.standard_normal((32, 64)))
    features = torch.fft.rfft(batch, norm="ortho").abs()
    target = features[:, 3:6].sum(1, keepdim=True)
    model = load_weights(torch, torch.nn.Linear(33, 1).double(), seed=2, scale=0.1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(features), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    parseval = abs((ortho.abs() ** 2).sum().item() - (image**2).sum().item()) < 1e-9
    return {"filtered": filtered, "power": power, "peak_hz": freqs[power.argmax()].item(),
            "spectrum": torch.view_as_real(spectrum), "phase": spectrum.angle(), "centred_freqs": centred,
            "blurred": blurred, "energy_kept": parseval,
            "losses": losses[::4], "weight": model.weight, "dtype": str(spectrum.dtype).split(".")[-1]}


PROGRAMS = {f.__name__: f for f in (least_squares_and_pca, spectral_filter)}
