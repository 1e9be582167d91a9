"""Regenerates the PNG fixtures of ZWalkImageTests with Pillow (an independent PNG implementation).

Run from the repository root:  .venv/bin/python Tests/Fixtures/image/make_fixtures.py
The tests hard-code the pixels drawn here; keep both in step.
"""
import os
from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


# 4x3 RGB, pixel (x, y) = (10x + y, 100 + y, 255 - 20x), with the three text chunk kinds.
rgb = Image.new("RGB", (4, 3))
for y in range(3):
    for x in range(4):
        rgb.putpixel((x, y), (10 * x + y, 100 + y, 255 - 20 * x))
info = PngImagePlugin.PngInfo()
info.add_text("Comment", "made by PIL")                        # tEXt
info.add_text("zwalk.latents", "[[0.5,-1.25],[3e-05,2]]", zip=True)  # zTXt
info.add_itxt("Title", "Gr\u00fc\u00dfe \u2713")               # iTXt, UTF-8
info.add_text("Author", "Jos\u00e9")                           # tEXt holding a Latin-1 character
rgb.save(out("pil_rgb_text.png"), pnginfo=info)

# 3x2 palette image with a transparent entry: decodes to RGBA.
pal = Image.new("P", (3, 2))
pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
for y in range(2):
    for x in range(3):
        pal.putpixel((x, y), (x + y) % 3)
pal.info["transparency"] = 2
pal.save(out("pil_palette_trns.png"), transparency=2)

# 2x2 16-bit gray: samples 0, 257*100, 65535, 257*7 scale to 0, 100, 255, 7.
g16 = Image.new("I;16", (2, 2))
for (x, y), v in zip([(0, 0), (1, 0), (0, 1), (1, 1)], [0, 257 * 100, 65535, 257 * 7]):
    g16.putpixel((x, y), v)
g16.save(out("pil_gray16.png"))

# 2x1 gray+alpha: decodes to RGBA.
la = Image.new("LA", (2, 1))
la.putpixel((0, 0), (30, 255))
la.putpixel((1, 0), (200, 40))
la.save(out("pil_gray_alpha.png"))

# 1-bit bilevel 3x1: black, white, black (decodes to gray 0, 255, 0).
bw = Image.new("1", (3, 1))
bw.putpixel((1, 0), 1)
bw.save(out("pil_bilevel.png"))

# Resampling references: a 13x9 RGB source and Pillow's BILINEAR resizes of it, plus convert("L").
src = Image.new("RGB", (13, 9))
state = 12345
for y in range(9):
    for x in range(13):
        px = []
        for c in range(3):
            state = (state * 1103515245 + 12345) % (1 << 31)
            px.append(state >> 23)
        src.putpixel((x, y), tuple(px))
src.save(out("resize_src.png"))
for (w, h) in [(5, 4), (29, 20), (13, 4), (7, 9), (1, 1)]:
    src.resize((w, h), Image.BILINEAR).save(out(f"resize_{w}x{h}.png"))
src.convert("L").save(out("resize_src_L.png"))
src.convert("L").resize((6, 5), Image.BILINEAR).save(out("resize_L_6x5.png"))
