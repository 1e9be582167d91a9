"""The shipped models' data sets, in one table: which generator, latent size, file names and labels.

tools/train_vae.py, export_vae.py, eval_vae.py and fixtures_vae.py all take `--dataset NAME` and
look everything up here, so a shipped model is one row, not a copy of four scripts.

    sprites  tools/sprites.py  assets/vae_{decoder,encoder}.onnx    (zwalk --model sprites)
    faces    tools/faces.py    assets/faces_{decoder,encoder}.onnx  (zwalk --model faces)
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import faces
import sprites

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ASSETS = os.path.join(ROOT, "assets")


@dataclass(frozen=True)
class Dataset:
    name: str              # --dataset and zwalk --model
    title: str             # zwalk.dataset metadata
    module: object         # the generator: sample_factors, sample_pairs, render, generate
    latent: int
    stem: str              # assets/<stem>_decoder.onnx, assets/<stem>_encoder.onnx
    n_train: int           # training pairs
    steps: int             # training steps (tools/train_vae.py --steps 0)
    labels_n: int          # labelled training images (tools/train_vae.py --labels -1)
    eval_name: str         # assets/<eval_name>
    fixtures: str          # Tests/Fixtures/<fixtures>/
    name_corr: float       # |r| a dim needs to be named after a continuous factor
    labels: dict           # factor -> the name zwalk.dim_names gives the dim
    decoder_text: str      # zwalk.description of the decoder (after "<objective> decoder: ")
    encoder_text: str

    @property
    def decoder_path(self) -> str:
        return os.path.join(ASSETS, f"{self.stem}_decoder.onnx")

    @property
    def encoder_path(self) -> str:
        return os.path.join(ASSETS, f"{self.stem}_encoder.onnx")

    @property
    def eval_path(self) -> str:
        return os.path.join(ASSETS, self.eval_name)

    @property
    def checkpoint(self) -> str:
        return os.path.join(HERE, "out", f"{self.stem}.pt")

    @property
    def categorical(self) -> tuple:
        return tuple(n for n in self.module.FACTOR_NAMES if n not in self.module.CONTINUOUS_FACTORS)


DATASETS = {
    "sprites": Dataset(
        name="sprites", title="sprites64", module=sprites, latent=10, stem="vae", n_train=60000, steps=20000, labels_n=0,
        eval_name="eval.json", fixtures="vae", name_corr=0.75,
        labels={"shape": "shape", "x": "x position", "y": "y position", "scale": "scale",
                "rotation": "rotation", "hue": "hue", "background": "background brightness"},
        decoder_text="a 10-d latent to a 64x64 RGB image of one sprite (circle, square, triangle, heart "
                     "or star) on a grey background.",
        encoder_text="a 64x64 RGB sprite image to the mean and log-variance of its 10-d latent posterior."),
    "faces": Dataset(
        name="faces", title="faces64", module=faces, latent=16, stem="faces", n_train=40000, steps=10000, labels_n=40000,
        eval_name="faces_eval.json", fixtures="faces", name_corr=0.9,
        labels={"face_width": "face width", "skin": "skin tone", "hair_colour": "hair colour",
                "hair_length": "hair length", "eye_size": "eye size", "brow_angle": "brow angle",
                "smile": "smile", "mouth_open": "mouth open", "turn": "head turn",
                "background": "background hue"},
        decoder_text="a 16-d latent to a 64x64 RGB image of a procedural cartoon face (face width, skin, "
                     "hair, eyes, brows, smile, mouth, head turn, background).",
        encoder_text="a 64x64 RGB cartoon face to the mean and log-variance of its 16-d latent posterior."),
}

DEFAULT = "sprites"


def get(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise SystemExit(f"unknown dataset {name!r}: one of {', '.join(DATASETS)}") from None


def add_argument(ap, default: str = DEFAULT):
    ap.add_argument("--dataset", choices=sorted(DATASETS), default=default,
                    help=f"which shipped model (default {default}): " +
                         "; ".join(f"{d.name}: {d.title}, assets/{d.stem}_*.onnx" for d in DATASETS.values()))
