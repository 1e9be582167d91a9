"""The contact sheet both procedural data sets print from the command line:

    python tools/sprites.py 64 sheet.png      python tools/faces.py 64 sheet.png

N images drawn with the training seed, the first 64 of them in an 8-column grid with a 2-pixel
white gutter, saved as PNG (Pillow, imported only then)."""
import time

import numpy as np


def main(argv, generate, seed, size):
    n = int(argv[0]) if argv else 64
    t = time.time()
    imgs, _ = generate(n, seed)
    print(f"{n} images in {time.time() - t:.2f}s, range [{imgs.min():.3f}, {imgs.max():.3f}]")
    if len(argv) > 1:
        from PIL import Image
        k = min(n, 64)
        cols = 8
        rows = (k + cols - 1) // cols
        cell = size + 2
        grid = np.ones((rows * cell, cols * cell, 3), dtype=np.float32)
        for i in range(k):
            r, c = divmod(i, cols)
            grid[r * cell:r * cell + size, c * cell:c * cell + size] = imgs[i].transpose(1, 2, 0)
        Image.fromarray((grid * 255 + 0.5).astype(np.uint8)).save(argv[1])
        print("wrote", argv[1])
