#!/usr/bin/env python3
"""The explorer in a real terminal that draws sixel pixels: xterm -ti vt340 on a virtual X server
(Xvfb), a screenshot of the screen (xwd), and the picture's region compared with the decoded image.

    python tools/xterm_pixels.py --zwalk .build/release/zwalk [--graphics auto] [--seed 3]
                                 [--model faces] [--cols 100 --rows 30] [--shot shot.png]

zwalk runs with ZWALK_UI_TRACE; its trace says which protocol it chose and where the picture's
pixels are (picture_px=X,Y,W,H). The reference is `zwalk sample` of the same seed scaled to W×H as
zwalk scales it (each pixel a k×k square when enlarged by a whole factor k). Then zwalk is sent SIGTERM and a second screenshot shows whether the
picture left with it. Prints one JSON line:

    {"graphics": "sixel", "psnr_db": 31.2, "picture_px": [...], "graphics_bytes": N,
     "cleared_after_exit": true, "text_visible": true}

Needs Debian's xvfb, xterm and x11-apps (xwd). Exit status 0 when it measured, 1 otherwise.
"""
import argparse, json, os, re, shutil, signal, struct, subprocess, sys, tempfile, time

import numpy as np
from PIL import Image


def read_xwd(path):
    """An XWD screen dump (24/32-bit TrueColor, as Xvfb writes) as an RGB array."""
    data = open(path, "rb").read()
    h = struct.unpack(">25I", data[:100])
    header_size, version, fmt, depth, width, height = h[0], h[1], h[2], h[3], h[4], h[5]
    byte_order, bpp, bytes_per_line, ncolors = h[7], h[11], h[12], h[19]
    red_mask, green_mask, blue_mask = h[14], h[15], h[16]
    if version != 7 or fmt != 2 or bpp != 32:
        raise SystemExit(f"{path}: XWD version {version}, format {fmt}, {bpp} bits per pixel; expected 7, ZPixmap, 32")
    start = header_size + ncolors * 12
    rows = np.frombuffer(data, dtype="<u4" if byte_order == 0 else ">u4", count=height * bytes_per_line // 4, offset=start)
    px = rows.reshape(height, bytes_per_line // 4)[:, :width]

    def channel(mask):
        shift = (mask & -mask).bit_length() - 1
        return ((px & mask) >> shift).astype(np.uint8)
    return np.stack([channel(red_mask), channel(green_mask), channel(blue_mask)], axis=-1)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def free_display():
    for n in range(90, 140):
        if not os.path.exists(f"/tmp/.X{n}-lock") and not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            return n
    raise SystemExit("no free X display number between :90 and :139")


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zwalk", required=True)
    ap.add_argument("--graphics", default="auto")
    ap.add_argument("--model", default="faces")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--shot", help="save the screenshot (PNG) here")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--tmux", action="store_true", help="run zwalk inside tmux (allow-passthrough on) inside xterm")
    args = ap.parse_args()
    # A test runner may start us with signals blocked; every process started here would inherit
    # the mask, and Xvfb would then never hear the SIGTERM that ends it.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for tool in ["Xvfb", "xterm", "xwd"]:
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install xvfb xterm x11-apps")
    zwalk = os.path.abspath(args.zwalk)
    work = tempfile.mkdtemp(prefix="zwalk-xterm-")
    trace = os.path.join(work, "trace")
    display = free_display()
    env = dict(os.environ, DISPLAY=f":{display}")
    env.pop("TMUX", None)
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    xterm = None
    try:
        wait_for(lambda: os.path.exists(f"/tmp/.X11-unix/X{display}"), 10, "Xvfb")
        inner = (f"ZWALK_UI_TRACE={trace} {zwalk} --model {args.model} --seed {args.seed} --graphics {args.graphics} "
                 f"--no-workbench --no-mouse; echo exited $? > {work}/status; sleep 600")
        if args.tmux:
            with open(f"{work}/tmux.conf", "w") as f:
                f.write("set -g allow-passthrough on\nset -g status off\n")
            inner = f"tmux -S {work}/tmux.sock -f {work}/tmux.conf new-session 'sh -c \"{inner}\"'"
        # vt340 with 256 colour registers and room for a large picture; no border, at the origin.
        xterm = subprocess.Popen(["xterm", "-ti", "vt340", "-xrm", "XTerm*numColorRegisters: 256",
                                  "-xrm", "XTerm*maxGraphicSize: 1600x1000", "-b", "0", "-bw", "0",
                                  "-geometry", f"{args.cols}x{args.rows}+0+0", "-e", "sh", "-c", inner],
                                 env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def drawn():
            if not os.path.exists(trace):
                return None
            text = open(trace).read()
            m = [l for l in text.splitlines() if "picture_px=" in l and not re.search(r"graphics_bytes=0\b", l)]
            return (text, m[-1]) if m else None
        text, line = wait_for(drawn, args.timeout, "a picture drawn with pixels (trace picture_px)")
        time.sleep(1.0)   # xterm draws asynchronously
        shot = os.path.join(work, "shot.xwd")
        subprocess.run(["xwd", "-root", "-silent", "-out", shot], env=env, check=True)
        screen = read_xwd(shot)
        if args.shot:
            Image.fromarray(screen).save(args.shot)
        chosen = re.search(r"graphics=(\w+)", text).group(1)
        x, y, w, h = map(int, re.search(r"picture_px=(\d+),(\d+),(\d+),(\d+)", line).group(1, 2, 3, 4))
        gbytes = int(re.search(r"graphics_bytes=(\d+)", line).group(1))
        ref_png = os.path.join(work, "ref.png")
        subprocess.run([zwalk, "sample", "--model", args.model, "--seed", str(args.seed), "--count", "1", "--out", ref_png],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        src = Image.open(ref_png).convert("RGB")
        # zwalk enlarges a small picture by a whole factor (each pixel a square), and shrinks a
        # large one with the bilinear filter.
        whole = w % src.width == 0 and h % src.height == 0 and w // src.width == h // src.height
        ref = np.asarray(src.resize((w, h), Image.NEAREST if whole else Image.BILINEAR))
        region = screen[y:y + h, x:x + w]
        score = psnr(region, ref)
        # Text beside the picture: the panel's border (a light line on the dark theme) is there.
        right = screen[: h, x + w + 20:]
        text_visible = bool(right.size and (right.max(axis=-1) > 120).mean() > 0.001)

        # Leave as a user would (SIGTERM is handled like q), then look again.
        for p in subprocess.run(["pgrep", "-x", "zwalk"], capture_output=True, text=True).stdout.split():
            try:
                if os.readlink(f"/proc/{p}/cwd") == work:
                    os.kill(int(p), signal.SIGTERM)
            except OSError:
                pass
        wait_for(lambda: os.path.exists(f"{work}/status"), 20, "zwalk to exit")
        time.sleep(0.5)
        subprocess.run(["xwd", "-root", "-silent", "-out", shot], env=env, check=True)
        after = read_xwd(shot)[y:y + h, x:x + w]
        cleared = psnr(after, ref) < 15 and float(after.astype(np.float64).std()) < 8
        print(json.dumps({"graphics": chosen, "psnr_db": round(score, 2), "picture_px": [x, y, w, h],
                          "graphics_bytes": gbytes, "text_visible": text_visible, "cleared_after_exit": cleared,
                          "exit": open(f"{work}/status").read().strip()}))
    finally:
        if xterm:
            xterm.kill()
        xvfb.terminate()
        try:
            xvfb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            xvfb.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
