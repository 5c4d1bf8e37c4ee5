"""``sp4d synth``: write procedural rigged training samples (engine only, no bpy)."""

from __future__ import annotations

import os
import sys


def add_arguments(parser):
    parser.add_argument("--count", type=int, required=True, help="number of samples")
    parser.add_argument("--out", required=True, help="output folder (npz + PNG preview per sample)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (sample i uses seed+i)")
    parser.add_argument("--views", type=int, default=12)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--size", type=int, default=128, help="image size in pixels")
    parser.add_argument("--no-preview", action="store_true", help="skip the PNG previews")


def run(args) -> int:
    from ..engine.errors import InputError
    from ..engine.synth.dataset import write_dataset

    if args.count < 1:
        raise InputError("--count must be at least 1")
    if args.size < 8 or args.views < 1 or args.frames < 1:
        raise InputError("--size must be >= 8, --views and --frames >= 1")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise InputError(f"--out '{args.out}' exists and is not a folder")

    def progress(i, n):
        print(f"\rsynth {i}/{n}", end="", file=sys.stderr, flush=True)

    paths = write_dataset(args.out, args.count, args.seed, args.views, args.frames, args.size,
                          not args.no_preview, progress)
    print(file=sys.stderr)
    print(f"wrote {len(paths)} samples to {args.out}")
    return 0
