"""Procedural "sprites64" dataset: one antialiased sprite on a plain background.

Deterministic from a seed (numpy only). Every image comes with its ground-truth
factors, which is what makes latent traversals checkable.

Factors (all sampled independently and uniformly):

  shape       int   0 circle, 1 square, 2 triangle, 3 heart, 4 star
  x           float sprite centre, pixels from the left edge, in [X_MIN, X_MAX]
  y           float sprite centre, pixels from the top edge,  in [Y_MIN, Y_MAX]
  scale       float linear size in [SCALE_MIN, 1]: all shapes cover the same area at the same
                    scale (SIZE_GAIN), and the one with the least area for its reach, the
                    triangle, has bounding radius scale * R_MAX pixels
  rotation    float radians in [-ROT_MAX, ROT_MAX] (ROT_MAX = 30 deg).  The smallest
                    rotational symmetry period among the shapes is the star's 72 deg,
                    so on this range rotation is unambiguous for every shape except the
                    circle (where it is invisible) and can be treated as linear.
  hue         float HSV hue in [0, HUE_MAX] (HUE_MAX = 0.75: red -> yellow -> green ->
                    cyan -> blue).  The magenta part of the hue circle that wraps back to
                    red is left out so hue is a linear (non circular) factor.
  background  float grey level of the background in [BG_MIN, BG_MAX]

The sprite colour is HSV(hue, SAT, 1.0); its brightest channel is 1.0 and the
background is at most BG_MAX = 0.45, so the sprite always differs from the
background by >= 0.55 in at least one channel: it is always visible.

Every sprite stays fully inside the frame: the centre range is inset by the
largest bounding radius (R_MAX) plus a margin, whatever the scale and rotation.

Antialiasing is analytic: each shape has a signed distance function (in pixels),
and pixel coverage is clip(0.5 - sdf, 0, 1) sampled at pixel centres.

Usage:
    images, factors = generate(n, seed)   # images float32 [n,3,64,64] in [0,1] (NCHW)
"""
from __future__ import annotations

import numpy as np

SIZE = 64
SHAPES = ("circle", "square", "triangle", "heart", "star")
FACTOR_NAMES = ("shape", "x", "y", "scale", "rotation", "hue", "background")
CONTINUOUS_FACTORS = ("x", "y", "scale", "rotation", "hue", "background")

R_MAX = 15.0          # largest bounding radius (pixels) at scale 1 (the triangle's; see SIZE_GAIN)
SCALE_MIN = 0.5
MARGIN = 1.5
X_MIN = R_MAX + MARGIN
X_MAX = SIZE - R_MAX - MARGIN
Y_MIN, Y_MAX = X_MIN, X_MAX
ROT_MAX = np.pi / 6.0  # 30 degrees
HUE_MAX = 0.75
SAT = 0.9
BG_MIN, BG_MAX = 0.0, 0.45

TRAIN_SEED = 0
HELDOUT_SEED = 1000


# --------------------------------------------------------------------------
# Shape geometry, in a unit frame: y axis up, bounding radius <= 1.
# --------------------------------------------------------------------------

def _regular_polygon(n: int, radius: float = 1.0, phase: float = np.pi / 2) -> np.ndarray:
    a = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)


def _star_polygon(points: int = 5, outer: float = 1.0, inner: float = 0.45) -> np.ndarray:
    a = np.pi / 2 + np.pi * np.arange(2 * points) / points
    r = np.where(np.arange(2 * points) % 2 == 0, outer, inner)
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)


SQUARE = _regular_polygon(4, 1.0, np.pi / 4)     # axis aligned, half side 1/sqrt2
# Triangle: equilateral, pointing up, circumradius 1, shifted so its bounding
# box is vertically centred (looks centred), then bounding radius re-normalised.
_tri = _regular_polygon(3, 1.0, np.pi / 2)
_tri[:, 1] -= (_tri[:, 1].max() + _tri[:, 1].min()) / 2
TRIANGLE = _tri / np.sqrt((_tri ** 2).sum(1)).max()
STAR = _star_polygon()
CIRCLE_R = 0.85

# Heart: a square rotated 45 deg (half diagonal h, centre (0, c)) plus two circles
# on its two upper edges.  c centres the bounding box vertically; h normalises the
# bounding radius to 1.

def _heart_params():
    # bottom tip at c - h; top of the lobes at c + h/2 + h/sqrt2.
    top = 0.5 + 2 ** -0.5
    c = -(top - 1.0) / 2.0            # in units of h: (c - 1 + c + top) / 2 = 0
    lobe = np.array([0.5, c + 0.5])   # lobe centre (x magnitude, y), units of h
    rad = np.hypot(*lobe) + 2 ** -0.5  # farthest lobe point from the origin
    bound = max(rad, 1.0 - c)
    h = 1.0 / bound
    return h, c * h, lobe * h, h * 2 ** -0.5


HEART_H, HEART_C, HEART_LOBE, HEART_LOBE_R = _heart_params()


def _sdf_polygon(px: np.ndarray, py: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """Signed distance to a simple polygon (negative inside). px, py: any shape."""
    d2 = np.full(px.shape, np.inf, dtype=np.float32)
    inside = np.zeros(px.shape, dtype=bool)
    n = len(verts)
    for i in range(n):
        x0, y0 = verts[i]
        x1, y1 = verts[(i + 1) % n]
        ex, ey = np.float32(x1 - x0), np.float32(y1 - y0)
        wx, wy = px - np.float32(x0), py - np.float32(y0)
        t = np.clip((wx * ex + wy * ey) / np.float32(ex * ex + ey * ey), 0.0, 1.0)
        bx, by = wx - ex * t, wy - ey * t
        np.minimum(d2, bx * bx + by * by, out=d2)
        # crossing-number test (ray towards +x)
        c1 = (py >= y0) != (py >= y1)
        xint = x0 + (py - y0) * (ex / ey if ey != 0 else 0.0)
        inside ^= c1 & (px < xint)
    d = np.sqrt(d2)
    return np.where(inside, -d, d)


def _sdf_circle(px, py, cx, cy, r):
    return np.sqrt((px - cx) ** 2 + (py - cy) ** 2) - r


def _sdf_heart(px, py):
    h, c = HEART_H, HEART_C
    diamond = np.array([[0.0, c - h], [h, c], [0.0, c + h], [-h, c]])
    d = _sdf_polygon(px, py, diamond)
    lx, ly = HEART_LOBE
    d = np.minimum(d, _sdf_circle(px, py, lx, ly, HEART_LOBE_R))
    d = np.minimum(d, _sdf_circle(px, py, -lx, ly, HEART_LOBE_R))
    return d


def _sdf_unit(shape: int, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    if shape == 0:
        return np.sqrt(px * px + py * py) - CIRCLE_R
    if shape == 1:
        return _sdf_polygon(px, py, SQUARE)
    if shape == 2:
        return _sdf_polygon(px, py, TRIANGLE)
    if shape == 3:
        return _sdf_heart(px, py)
    if shape == 4:
        return _sdf_polygon(px, py, STAR)
    raise ValueError(shape)


def _unit_area(shape: int, step: float = 1.0 / 512) -> float:
    """Area of a unit shape (bounding radius <= 1), by counting grid points inside it."""
    g = np.arange(-1.0 + step / 2, 1.0, step)
    px, py = np.meshgrid(g, g)
    d = _sdf_unit(shape, px, py)
    return float((d < 0).sum()) * step * step


# Equal area at equal scale: each unit shape is shrunk by SIZE_GAIN[shape] so that every shape
# covers the same area as the triangle, the shape with the least area for its bounding radius (1).
# Without this, the size seen in the image depends on shape as much as on scale (at the same
# bounding radius a circle covers 2.3 times the triangle's area), and "scale" is not what a viewer
# would call the sprite's size.  No shape grows beyond bounding radius 1, so the insets hold.
_AREAS = np.array([_unit_area(k) for k in range(len(SHAPES))])
SIZE_GAIN = np.sqrt(_AREAS.min() / _AREAS)
assert np.all(SIZE_GAIN <= 1.0 + 1e-9)


def _hsv_to_rgb(h: np.ndarray, s: float, v: float) -> np.ndarray:
    h6 = (h % 1.0) * 6.0
    k = (np.array([5.0, 3.0, 1.0])[None, :] + h6[:, None]) % 6.0
    rgb = v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return rgb.astype(np.float32)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def sample_factors(n: int, seed: int) -> dict:
    rng = np.random.RandomState(seed)
    return {
        "shape": rng.randint(0, len(SHAPES), size=n).astype(np.int64),
        "x": rng.uniform(X_MIN, X_MAX, n),
        "y": rng.uniform(Y_MIN, Y_MAX, n),
        "scale": rng.uniform(SCALE_MIN, 1.0, n),
        "rotation": rng.uniform(-ROT_MAX, ROT_MAX, n),
        "hue": rng.uniform(0.0, HUE_MAX, n),
        "background": rng.uniform(BG_MIN, BG_MAX, n),
    }


def sample_pairs(n: int, seed: int) -> tuple[dict, dict, np.ndarray]:
    """n pairs of factor tables that differ in exactly one factor (weak supervision for
    Ada-GVAE training): the second table copies the first, then resamples the factor named by
    `changed[i]` (an index into FACTOR_NAMES) for pair i.  A resampled shape may equal the old
    one; that pair then shares every factor, which the training objective copes with."""
    first = sample_factors(n, seed)
    fresh = sample_factors(n, seed + 1)
    rng = np.random.RandomState(seed + 2)
    changed = rng.randint(0, len(FACTOR_NAMES), size=n)
    second = {k: v.copy() for k, v in first.items()}
    for j, name in enumerate(FACTOR_NAMES):
        pick = changed == j
        second[name][pick] = fresh[name][pick]
    return first, second, changed


def render(factors: dict, chunk: int = 2048) -> np.ndarray:
    """Render images for a factor table. Returns float32 [n,3,64,64] in [0,1]."""
    n = len(factors["shape"])
    out = np.empty((n, 3, SIZE, SIZE), dtype=np.float32)
    pix = np.arange(SIZE, dtype=np.float32) + 0.5        # pixel centres
    gx = pix[None, None, :]
    gy = pix[None, :, None]
    colours = _hsv_to_rgb(np.asarray(factors["hue"]), SAT, 1.0)
    for s0 in range(0, n, chunk):
        sl = slice(s0, min(n, s0 + chunk))
        cov = np.empty((sl.stop - sl.start, SIZE, SIZE), dtype=np.float32)
        shapes = factors["shape"][sl]
        for shape in np.unique(shapes):
            idx = np.nonzero(shapes == shape)[0]
            g = lambda k: np.asarray(factors[k][sl][idx], dtype=np.float32)[:, None, None]
            x, y, rot = g("x"), g("y"), g("rotation")
            sc = g("scale") * np.float32(R_MAX * SIZE_GAIN[int(shape)])
            dx, dy = gx - x, -(gy - y)                      # y up in the shape frame
            cr, sr = np.cos(rot), np.sin(rot)
            # inverse rotation (counter-clockwise by rot in the y-up frame), then unscale
            ux = (cr * dx + sr * dy) / sc
            uy = (-sr * dx + cr * dy) / sc
            d = _sdf_unit(int(shape), ux, uy) * sc           # back to pixels
            cov[idx] = np.clip(0.5 - d, 0.0, 1.0)
        bg = np.asarray(factors["background"][sl], dtype=np.float32)[:, None, None, None]
        col = colours[sl][:, :, None, None]
        c = cov[:, None]
        out[sl] = bg * (1.0 - c) + col * c
    return out


def generate(n: int, seed: int) -> tuple[np.ndarray, dict]:
    """n images (float32 NCHW in [0,1]) and their factor table (dict of arrays)."""
    f = sample_factors(n, seed)
    return render(f), f


def factor_matrix(factors: dict) -> np.ndarray:
    """Factors as an [n, 7] float64 array in FACTOR_NAMES order."""
    return np.stack([np.asarray(factors[k], dtype=np.float64) for k in FACTOR_NAMES], axis=1)


if __name__ == "__main__":
    import sys

    import contact_sheet

    contact_sheet.main(sys.argv[1:], generate, TRAIN_SEED, SIZE)
