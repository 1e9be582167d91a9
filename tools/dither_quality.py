#!/usr/bin/env python3
"""How close a terminal picture is to its source: zwalk's explorer and chafa, side by side.

Each picture is shown in a real terminal (a private tmux server): zwalk's explorer on the model
with `--latent PICTURE`, and chafa printing the same picture at the same cell grid. The pane is
captured with its colour escapes, every cell is rasterised back into its two half-block pixels
(upper and lower), and the result is scored against the source shrunk to the same pixel grid:
PSNR and SSIM of the luminance, and how many pixels of a near-grey source came out strongly
coloured (the specks a bad dither scatters).

    .venv/bin/python tools/dither_quality.py --zwalk .build/release/zwalk \\
        --picture MODEL=PICTURE.png [--picture …] [--colors 256] [--dithers ordered,diffusion,none]

A PICTURE must be a PNG written by zwalk (its latent is in the metadata) for MODEL. Needs tmux
and chafa (Debian: apt-get install tmux chafa); uses numpy and Pillow only.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

UPPER, LOWER, FULL = "▀", "▄", "█"


def xterm256():
    pal = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128), (0, 128, 128), (192, 192, 192),
           (128, 128, 128), (255, 0, 0), (0, 255, 0), (255, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
    levels = [0, 95, 135, 175, 215, 255]
    pal += [(levels[r], levels[g], levels[b]) for r in range(6) for g in range(6) for b in range(6)]
    pal += [(8 + 10 * i,) * 3 for i in range(24)]
    return pal


PALETTE = xterm256()
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse_pane(text):
    """Rows of cells (char, fg, bg) from `capture-pane -e`; colours as RGB tuples or None."""
    rows = []
    fg = bg = None
    for line in text.split("\n"):
        cells = []
        pos = 0
        # tmux sends a colour only when it changes, so the state runs on across lines.
        for m in list(SGR.finditer(line)) + [None]:
            if m is None:
                cells += [(ch, fg, bg) for ch in line[pos:]]
                break
            for ch in line[pos:m.start()]:
                cells.append((ch, fg, bg))
            pos = m.end()
            codes = [int(c) if c else 0 for c in m.group(1).split(";")] if m.group(1) else [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg = bg = None
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        col = PALETTE[codes[i + 2]]
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        col = tuple(codes[i + 2:i + 5])
                        i += 4
                    else:
                        col = None
                    if c == 38:
                        fg = col
                    else:
                        bg = col
                elif c == 39:
                    fg = None
                elif c == 49:
                    bg = None
                elif 30 <= c <= 37:
                    fg = PALETTE[c - 30]
                elif 40 <= c <= 47:
                    bg = PALETTE[c - 40]
                elif 90 <= c <= 97:
                    fg = PALETTE[c - 90 + 8]
                elif 100 <= c <= 107:
                    bg = PALETTE[c - 100 + 8]
                i += 1
        rows.append(cells)
    return rows


def rasterise(rows, x0, y0, w, h):
    """The w×h cells at (x0, y0) as a (2h, w, 3) picture: each cell an upper and a lower pixel."""
    out = np.zeros((2 * h, w, 3), dtype=np.float64)
    for y in range(h):
        for x in range(w):
            ch, fg, bg = rows[y0 + y][x0 + x] if x0 + x < len(rows[y0 + y]) else (" ", None, None)
            fg = fg or (255, 255, 255)
            bg = bg or (0, 0, 0)
            top, bottom = {UPPER: (fg, bg), LOWER: (bg, fg), FULL: (fg, fg)}.get(ch, (bg, bg))
            out[2 * y, x] = top
            out[2 * y + 1, x] = bottom
    return out


def luminance(a):
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def ssim(a, b, k=7):
    """Mean SSIM of two luminance pictures over k×k windows (the Wang et al. constants, L = 255)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def box(x):
        s = np.cumsum(np.cumsum(np.pad(x, ((1, 0), (1, 0))), 0), 1)
        return (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) / (k * k)

    ma, mb = box(a), box(b)
    va, vb, cov = box(a * a) - ma ** 2, box(b * b) - mb ** 2, box(a * b) - ma * mb
    return float(np.mean(((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))))


def psnr(a, b):
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def specks(source, shown):
    """Pixels where the source is near-grey (channels within 12) but the picture is strongly coloured (spread > 48)."""
    src_spread = source.max(axis=2) - source.min(axis=2)
    out_spread = shown.max(axis=2) - shown.min(axis=2)
    return int(np.sum((src_spread <= 12) & (out_spread > 48)))


class Pane:
    def __init__(self, width, height, workdir):
        self.sock = os.path.join(workdir, "tmux.sock")
        conf = os.path.join(workdir, "tmux.conf")
        open(conf, "w").close()
        self.base = ["tmux", "-S", self.sock, "-f", conf]
        self.size = (width, height)

    def run(self, command, settle):
        subprocess.run(self.base + ["kill-server"], stderr=subprocess.DEVNULL)
        env = dict(os.environ, TERM="xterm-256color")
        env.pop("TMUX", None)
        w, h = self.size
        subprocess.run(self.base + ["new-session", "-d", "-x", str(w), "-y", str(h), command + "; sleep 60"], check=True, env=env)
        deadline = time.time() + 30
        text = ""
        while time.time() < deadline:
            time.sleep(0.3)
            text = subprocess.run(self.base + ["capture-pane", "-p", "-e"], capture_output=True, text=True).stdout
            if settle(text):
                break
        subprocess.run(self.base + ["kill-server"], stderr=subprocess.DEVNULL)
        return text


def score(source_png, rows, box):
    x0, y0, w, h = box
    shown = rasterise(rows, x0, y0, w, h)
    src = np.asarray(Image.open(source_png).convert("RGB").resize((w, 2 * h), Image.BOX), dtype=np.float64)
    return {"grid": f"{w}x{h}", "psnr": psnr(luminance(src), luminance(shown)), "ssim": ssim(luminance(src), luminance(shown)),
            "specks": specks(src, shown)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zwalk", required=True)
    ap.add_argument("--picture", action="append", required=True, help="MODEL=PICTURE.png")
    ap.add_argument("--colors", default="256")
    ap.add_argument("--dithers", default="ordered,diffusion,none")
    ap.add_argument("--size", default="120x42", help="terminal size for zwalk; chafa gets zwalk's picture grid")
    args = ap.parse_args()
    width, height = map(int, args.size.split("x"))
    print(f"| picture | renderer | grid | luminance PSNR dB | SSIM | coloured specks on grey |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        pane = Pane(width, height, tmp)
        for item in args.picture:
            model, png = item.split("=", 1)
            name = os.path.basename(png)
            box = None
            trace = os.path.join(tmp, "trace.txt")
            for d in args.dithers.split(","):
                if os.path.exists(trace):
                    os.remove(trace)
                cmd = (f"ZWALK_UI_TRACE={trace} {os.path.abspath(args.zwalk)} {os.path.abspath(model)} --latent {os.path.abspath(png)} "
                       f"--color {args.colors} --dither {d} --no-mouse --no-workbench --theme dark")
                text = pane.run(cmd, lambda t: UPPER in t and " ms" in t)
                rows = parse_pane(text)
                # The picture's cells, as the explorer's trace says it laid them out.
                found = re.findall(r"image=(\d+),(\d+),(\d+),(\d+)", open(trace).read())
                box = tuple(int(v) for v in found[-1])
                r = score(png, rows, box)
                print(f"| {name} | zwalk {d} | {r['grid']} | {r['psnr']:.1f} | {r['ssim']:.3f} | {r['specks']} |")
            x0, y0, w, h = box
            for d in ["default"] + args.dithers.split(","):
                dither = [] if d == "default" else ["--dither", d if d != "diffusion" else "diffusion"]
                cmd = " ".join(["chafa", "--size", f"{w}x{h}", "--stretch", "--symbols", "vhalf", "--fill", "none",
                                "--colors", args.colors] + dither + [os.path.abspath(png)])
                text = pane.run(cmd, lambda t: UPPER in t or LOWER in t)
                rows = parse_pane(text)
                # chafa prints the picture from the top left, the grid asked for.
                r = score(png, rows, (0, 0, w, h))
                print(f"| {name} | chafa {d} | {r['grid']} | {r['psnr']:.1f} | {r['ssim']:.3f} | {r['specks']} |")


if __name__ == "__main__":
    sys.exit(main())
