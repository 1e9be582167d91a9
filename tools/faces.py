"""Procedural "faces64" dataset: one shaded cartoon face on a plain background, 64x64 RGB.

Deterministic from a seed (numpy only). Every image comes with its ground-truth factors, the same
interface as tools/sprites.py (sample_factors, sample_pairs, render, generate, factor_matrix), so
the training, evaluation and fixture tools take either data set (tools/datasets.py).

Ten continuous factors, sampled independently and uniformly, each chosen to be obvious to the eye
(lengths in the virtual frame's pixels; the picture shows them ZOOM = 1.3 times larger):

  face_width   half-width of the face ellipse, pixels           [12.5, 18]
  skin         skin tone, 0 light .. 1 dark                      [0, 1]
  hair_colour  0 black -> dark brown -> auburn -> 1 blond        [0, 1]
  hair_length  0 a short crop above the ears .. 1 past the chin  [0, 1]
  eye_size     scale of the eyes                                 [0.7, 1.4]
  brow_angle   eyebrow slant, radians; each brow is a thick dark  [-0.5, 0.5]
                bar (9 x 3.6 px) pivoting on its outer end, which sits 5.5 px
                above the eye centre whatever the eye size: + raises the inner
                end 4.3 px (worried), - drops it onto the eye (cross)
  smile        mouth curvature, -1 frown .. +1 smile: the corners  [-1, 1]
                of an 18 px wide dark-red mouth (lips 2.2 px each) rise
                or fall 7 px; the middle stays
  mouth_open   0 closed .. 1 wide open: the lips part up to 9.5   [0, 1]
                px in the middle (less towards the corners) around a dark
                inside with 5 px of upper teeth
  turn         head turn, -1 facing left .. +1 facing right      [-1, 1]
                (the features slide across the face and the far eye narrows)
  background   background hue on the HSV circle                  [0, 0.75]
                (red -> yellow -> green -> cyan -> blue; the wrap back to red is left out so
                hue is linear, as in sprites64)

Shading: the face and the hair are lit as ellipsoids by a light from the upper left (Lambert plus
an ambient term), the background has a vertical gradient, so the images are not flat.

The expression (brows, smile, open mouth) is drawn bold, and the face framed close, on purpose: a
VAE learns a factor late, or never, when redrawing it changes the picture little. The first
version's thin mouth and brows changed it by 2-4 (summed squared error over the image,
`python tools/faces.py --effects`) where head turn changed it by ~100, and no model learnt them; a
bolder mouth and brows (~30 each) were still not learnt in 10,000 training steps. Now the face is
drawn ZOOM times larger and the three move the picture by ~45-57, more than eye size (~25).
They are also drawn apart: smile moves only the mouth's corners and opening mostly its middle, and
the brows do not follow the eye size, so that no two of them change the picture the same way on
average (a model trained while smile also lowered the middle of the mouth, and the brows sat on
the eyes, mixed smile with opening and brows with eye size on one dim each).

Antialiasing is analytic, as in sprites64: each part has an (approximate) signed distance in
pixels, and its coverage is clip(0.5 - distance, 0, 1) at the pixel centre.

Usage:
    images, factors = generate(n, seed)   # images float32 [n,3,64,64] in [0,1] (NCHW)
"""
from __future__ import annotations

import numpy as np

SIZE = 64
FACTOR_NAMES = ("face_width", "skin", "hair_colour", "hair_length", "eye_size", "brow_angle",
                "smile", "mouth_open", "turn", "background")
CONTINUOUS_FACTORS = FACTOR_NAMES

RANGES = {
    "face_width": (12.5, 18.0),
    "skin": (0.0, 1.0),
    "hair_colour": (0.0, 1.0),
    "hair_length": (0.0, 1.0),
    "eye_size": (0.7, 1.4),
    "brow_angle": (-0.5, 0.5),
    "smile": (-1.0, 1.0),
    "mouth_open": (0.0, 1.0),
    "turn": (-1.0, 1.0),
    "background": (0.0, 0.75),
}

TRAIN_SEED = 0
HELDOUT_SEED = 1000

CX, CY = 32.0, 33.0        # face centre
# The face is drawn in a 64x64 "virtual" frame (every length below is in its pixels) and the
# picture is that frame enlarged ZOOM times about (CX, ZOOM_Y): a close-up, so that the features
# (eyes, brows, mouth) cover more pixels and the background less.
ZOOM = 1.3
ZOOM_Y = 34.0
FACE_RY = 19.0             # half-height of the face ellipse
SKIN_LIGHT = np.array([0.98, 0.83, 0.70], np.float32)
SKIN_DARK = np.array([0.40, 0.25, 0.16], np.float32)
# hair colour: piecewise linear through these, evenly spaced on [0, 1]
HAIR_STOPS = np.array([[0.07, 0.05, 0.05], [0.36, 0.21, 0.11], [0.72, 0.33, 0.12],
                       [0.96, 0.83, 0.46]], np.float32)
SHIRT = np.array([0.22, 0.26, 0.36], np.float32)
LIP = np.array([0.55, 0.08, 0.12], np.float32)
MOUTH_IN = np.array([0.16, 0.02, 0.04], np.float32)
# expression features, in virtual pixels (drawn bold so that each moves the picture more than eye
# size does: `python tools/faces.py --effects`)
BROW_HALF = 4.5            # half-length of a brow
BROW_W = 1.8               # half-thickness of a brow
BROW_UP = 5.5              # height of a brow's outer end above the eye centre
MOUTH_HALF = 9.0           # half-width of the mouth
LIP_W = 2.2                # thickness of each lip
SMILE_BEND = 7.0           # smile +1 raises the corners this much (the middle stays)
OPEN_UP = 2.0              # mouth_open 1 lifts the upper lip this much in the middle ...
OPEN_DOWN = 7.5            # ... and drops the lower lip this much
TEETH = 5.0               # height of the upper teeth at mouth_open 1
LIGHT = np.array([-0.45, -0.55, 0.70], np.float32) / np.linalg.norm([-0.45, -0.55, 0.70])


# --------------------------------------------------------------------------
# Geometry helpers; every array is [b, H, W] (or broadcasts to it), in pixels, y down.
# --------------------------------------------------------------------------

def _ellipse(px, py, cx, cy, rx, ry):
    """Approximate signed distance to an ellipse (exact on the axes, good enough for
    antialiasing: the normalised radius scaled by the smaller semi-axis)."""
    r = np.sqrt(((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2)
    return (r - 1.0) * np.minimum(rx, ry)


def _segment(px, py, x0, y0, x1, y1, w):
    """Signed distance to a segment of half-width w (a capsule)."""
    ex, ey = x1 - x0, y1 - y0
    wx, wy = px - x0, py - y0
    t = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    return np.sqrt((wx - ex * t) ** 2 + (wy - ey * t) ** 2) - w


def _cov(d):
    """Coverage of a part from its signed distance d in virtual pixels (ZOOM picture pixels)."""
    return np.clip(0.5 - ZOOM * d, 0.0, 1.0)[:, None]   # [b,1,H,W]


def _over(out, colour, a):
    """Composite `colour` ([b,3] or [b,3,H,W]) over `out` with coverage a [b,1,H,W], in place."""
    if colour.ndim == 2:
        colour = colour[:, :, None, None]
    out *= 1.0 - a
    out += colour * a


def _shade(px, py, cx, cy, rx, ry):
    """Lambert shading of an ellipsoid seen from the front, lit from the upper left: [b,1,H,W]."""
    nx = np.clip((px - cx) / rx, -1, 1)
    ny = np.clip((py - cy) / ry, -1, 1)
    nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
    lam = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0.0, 1.0)
    return (0.62 + 0.45 * lam)[:, None]


def _hsv_to_rgb(h: np.ndarray, s: float, v: float) -> np.ndarray:
    h6 = (h % 1.0) * 6.0
    k = (np.array([5.0, 3.0, 1.0])[None, :] + h6[:, None]) % 6.0
    rgb = v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return rgb.astype(np.float32)


def hair_rgb(t: np.ndarray) -> np.ndarray:
    s = np.clip(np.asarray(t, np.float32), 0, 1) * (len(HAIR_STOPS) - 1)
    i = np.minimum(s.astype(np.int64), len(HAIR_STOPS) - 2)
    f = (s - i)[:, None]
    return (HAIR_STOPS[i] * (1 - f) + HAIR_STOPS[i + 1] * f).astype(np.float32)


def skin_rgb(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, np.float32)[:, None]
    return (SKIN_LIGHT * (1 - t) + SKIN_DARK * t).astype(np.float32)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def sample_factors(n: int, seed: int) -> dict:
    rng = np.random.RandomState(seed)
    return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in RANGES.items()}


def sample_pairs(n: int, seed: int) -> tuple[dict, dict, np.ndarray]:
    """n pairs of factor tables that differ in exactly one factor (weak supervision for Ada-GVAE):
    the second table copies the first, then resamples the factor `changed[i]` (an index into
    FACTOR_NAMES) of pair i."""
    first = sample_factors(n, seed)
    fresh = sample_factors(n, seed + 1)
    rng = np.random.RandomState(seed + 2)
    changed = rng.randint(0, len(FACTOR_NAMES), size=n)
    second = {k: v.copy() for k, v in first.items()}
    for j, name in enumerate(FACTOR_NAMES):
        pick = changed == j
        second[name][pick] = fresh[name][pick]
    return first, second, changed


def _render_chunk(f: dict) -> np.ndarray:
    b = len(f["smile"])
    g = lambda k: np.asarray(f[k], np.float32)[:, None, None]  # noqa: E731
    pix = np.arange(SIZE, dtype=np.float32) + 0.5
    vx = CX + (pix - CX) / ZOOM                      # picture pixel centres in the virtual frame
    vy = ZOOM_Y + (pix - ZOOM_Y) / ZOOM
    one = np.ones((b, 1, 1), np.float32)

    def rows(r0, r1):
        """Virtual pixel centres of the picture rows that show virtual rows r0..r1 (every part is
        drawn only in the rows it can reach, a fixed band, which makes rendering about three
        times faster) and that band of `out`."""
        a = max(0, int(np.floor(ZOOM_Y + (r0 - ZOOM_Y) * ZOOM)) - 1)
        z = min(SIZE, int(np.ceil(ZOOM_Y + (r1 - ZOOM_Y) * ZOOM)) + 1)
        px = np.broadcast_to(vx[None, None, :], (b, z - a, SIZE))
        py = np.broadcast_to(vy[None, a:z, None], (b, z - a, SIZE))
        return px, py, out[:, :, a:z]

    rx, ry = g("face_width"), FACE_RY * one
    turn, length = g("turn"), g("hair_length")
    skin = skin_rgb(f["skin"])
    hair = hair_rgb(f["hair_colour"])
    cx, cy = CX * one, CY * one
    white = np.repeat(np.array([[0.97, 0.97, 0.97]], np.float32), b, 0)
    dark = np.repeat(np.array([[0.12, 0.09, 0.08]], np.float32), b, 0)

    # background: a hue with a vertical gradient (lighter at the top)
    bg = _hsv_to_rgb(np.asarray(f["background"]), 0.45, 0.85)
    grad = (1.08 - 0.28 * pix / SIZE)[None, None, :, None]            # [1,1,H,1]
    out = np.clip(bg[:, :, None, None] * grad, 0, 1) * np.ones((1, 1, 1, SIZE), np.float32)
    out = np.ascontiguousarray(out, np.float32)

    # shoulders (a wide ellipse under the head) and neck
    px, py, o = rows(55, 64)
    _over(o, np.repeat(SHIRT[None], b, 0), _cov(_ellipse(px, py, cx, 72.0 * one, 27.0 * one, 16.0 * one)))
    px, py, o = rows(43, 62)
    neck = np.maximum(np.abs(px - cx) - 0.5 * rx, np.maximum(44.0 - py, py - 60.0))
    _over(o, skin * 0.8, _cov(neck))

    # hair behind the head: an ellipse a little larger than the face, cut off at a length
    hx = cx - 1.5 * turn                                                # the hair lags the turn
    hry, hrx = ry + 3.0, rx + 2.5 + 2.0 * length
    hcy = cy - 1.5
    bottom = cy - 6.0 + 31.0 * length                                   # y where the hair ends
    px, py, o = rows(0, SIZE)
    back = np.maximum(_ellipse(px, py, hx, hcy, hrx, hry + 8.0 * length), py - bottom)
    _over(o, hair[:, :, None, None] * _shade(px, py, hx, hcy, hrx, hry) * 0.85, _cov(back))

    # ears, then the face (shaded ellipsoid); the face shifts a little with the turn
    fx = cx + 1.0 * turn
    px, py, o = rows(27, 40)
    for side in (-1.0, 1.0):
        ex = fx + side * (rx - 0.5) - 2.5 * turn
        _over(o, skin * 0.85, _cov(_ellipse(px, py, ex, cy + 1.0, 3.0 * one, 4.5 * one)))
    px, py, o = rows(13, 54)
    face = _ellipse(px, py, fx, cy, rx, ry)
    _over(o, np.clip(skin[:, :, None, None] * _shade(px, py, fx, cy, rx, ry), 0, 1), _cov(face))

    # fringe: hair over the top of the face, down to a hairline that curves up at the temples
    px, py, o = rows(0, 27)
    hairline = cy - 12.0 - 4.0 * ((px - fx) / rx) ** 2
    fringe = np.maximum(_ellipse(px, py, hx, hcy, hrx, hry), py - hairline)
    _over(o, np.clip(hair[:, :, None, None] * _shade(px, py, hx, hcy, hrx, hry), 0, 1), _cov(fringe))

    # features slide across the face with the turn; the far eye narrows
    shift = 6.0 * turn
    es = g("eye_size")
    eye_y = cy - 3.0
    spacing = 0.42 * rx
    for side in (-1.0, 1.0):
        # side -1 is the viewer's left eye; turning right (+) foreshortens the left one
        squash = 1.0 - 0.35 * np.clip(-side * turn, 0, 1)
        ex = fx + shift + side * spacing * (1.0 - 0.25 * np.abs(turn))
        px, py, o = rows(25, 36)
        _over(o, white, _cov(_ellipse(px, py, ex, eye_y, 3.3 * es * squash, 2.5 * es)))
        iris = _ellipse(px, py, ex + 1.2 * turn * es, eye_y, 1.6 * es * squash, 1.7 * es)
        _over(o, dark, _cov(iris))
        # brow: a thick dark bar above the eye, pivoting on its outer end; + brow_angle raises
        # the inner end (worried), - drops it towards the eye (cross)
        ang = g("brow_angle")
        by = eye_y - BROW_UP                                              # whatever the eye size
        ox = ex + side * (BROW_HALF + 0.5)                                # the outer end
        ix, iy = ox - side * 2 * BROW_HALF * np.cos(ang), by - 2 * BROW_HALF * np.sin(ang)
        px, py, o = rows(15, 34)
        brow = _segment(px, py, ox, by * one, ix, iy, BROW_W * one)
        _over(o, hair * 0.3 + 0.04, _cov(brow))

    # nose: a soft darker spot, shifted furthest by the turn
    px, py, o = rows(32, 39)
    nose = _ellipse(px, py, fx + 1.4 * shift, cy + 2.0, 1.8 * one, 1.4 * one)
    _over(o, skin * 0.7, _cov(nose) * 0.8)

    # mouth: a thick dark-red curve c(x); smile bends it (+1: the corners rise, a U; -1: they
    # fall, a frown; the middle stays). Opening parts the lips around a dark inside whose height
    # is largest in the middle, with a band of upper teeth.
    px, py, o = rows(32, 56)
    mx, my0 = fx + 1.2 * shift, cy + 8.5
    smile, opening = g("smile"), g("mouth_open")
    u = np.clip((px - mx) / MOUTH_HALF, -1.2, 1.2)
    lens = np.clip(1.0 - u * u, 0, 1) ** 1.5
    curve = my0 - SMILE_BEND * smile * u * u
    top = curve - OPEN_UP * opening * lens                              # inner edge of the upper lip
    bot = curve + OPEN_DOWN * opening * lens                            # inner edge of the lower lip
    side_d = np.abs(px - mx) - MOUTH_HALF
    lips = np.maximum(side_d, np.maximum(top - LIP_W - py, py - (bot + LIP_W)))
    inner = np.maximum(side_d + 1.0, np.maximum(top - py, py - bot))
    teeth = np.maximum(inner, py - (top + TEETH * opening))
    _over(o, np.repeat(LIP[None], b, 0), _cov(lips))
    shown = np.clip(opening * 4.0, 0, 1)[:, None]                       # no sliver when closed
    _over(o, np.repeat(MOUTH_IN[None], b, 0), _cov(inner) * shown)
    _over(o, white * 0.95, _cov(teeth) * shown)
    return np.clip(out, 0.0, 1.0)


def render(factors: dict, chunk: int = 64) -> np.ndarray:
    """Render images for a factor table. Returns float32 [n,3,64,64] in [0,1]."""
    n = len(factors["smile"])
    out = np.empty((n, 3, SIZE, SIZE), dtype=np.float32)
    for s in range(0, n, chunk):
        out[s:s + chunk] = _render_chunk({k: v[s:s + chunk] for k, v in factors.items()})
    return out


def generate(n: int, seed: int) -> tuple[np.ndarray, dict]:
    """n images (float32 NCHW in [0,1]) and their factor table (dict of arrays)."""
    f = sample_factors(n, seed)
    return render(f), f


def factor_matrix(factors: dict) -> np.ndarray:
    """Factors as an [n, 10] float64 array in FACTOR_NAMES order."""
    return np.stack([np.asarray(factors[k], dtype=np.float64) for k in FACTOR_NAMES], axis=1)


def factor_effects(n: int = 200, seed: int = 5) -> dict:
    """How much each factor changes a picture: the mean summed squared difference over n faces
    between each face and the same face with that one factor redrawn. A VAE pays for the factors
    with large effects first (see assets/README.md, the faces model's weaknesses)."""
    f = sample_factors(n, seed)
    base = render(f)
    out = {}
    for k, (lo, hi) in RANGES.items():
        g = {a: v.copy() for a, v in f.items()}
        g[k] = np.random.RandomState(seed + 1).uniform(lo, hi, n)
        out[k] = float(((render(g) - base) ** 2).sum((1, 2, 3)).mean())
    return out


if __name__ == "__main__":
    import sys

    import contact_sheet

    if sys.argv[1:] == ["--effects"]:            # python tools/faces.py --effects
        for k, v in sorted(factor_effects().items(), key=lambda kv: -kv[1]):
            print(f"{k:12s} {v:8.1f}")
        sys.exit(0)
    contact_sheet.main(sys.argv[1:], generate, TRAIN_SEED, SIZE)
