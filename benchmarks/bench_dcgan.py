"""How long the dcgan lesson's default settings need to draw recognisable digits on this CPU.

Trains the lesson (default settings, embedded digits upscaled to 16×16, one BLAS/torch thread like the app's
training process) and every ``--check`` seconds of training asks a frozen digits classifier about the 64
fixed-noise samples the grid shows.  "Recognisable" = at least 80% of them are labelled with confidence ≥ 0.9
AND the sample diversity (mean pairwise distance relative to real digits) stays above the lesson's mode-collapse
threshold.  The classifier is scikit-learn's MLPClassifier trained here on the real upscaled digits (80%; its
confidence on the held-out 20% is printed, so the criterion can be judged).  Evaluation time is not counted.
Saves the grid at that moment to ``--png``.  Target (issue #6): ≤ 180 s.

    python -m benchmarks.bench_dcgan [--limit 300] [--check 10] [--png /tmp/bench_dcgan_grid.png] [--set k=v]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

CONFIDENCE, SHARE = 0.9, 0.8


def save_grid(images: np.ndarray, path: str, ncols: int = 8, scale: int = 6) -> None:
    """images (N, S, S) in [−1, 1] → a grey PNG grid."""
    from PIL import Image

    n, h, w = images.shape
    rows = -(-n // ncols)
    canvas = np.full((rows * (h + 1) + 1, ncols * (w + 1) + 1), 128, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncols)
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = \
            np.clip((images[i] + 1) * 127.5, 0, 255).astype(np.uint8)
    Image.fromarray(np.kron(canvas, np.ones((scale, scale), np.uint8))).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=float, default=300.0, help="give up after this many seconds of training")
    ap.add_argument("--check", type=float, default=10.0, help="seconds of training between checks")
    ap.add_argument("--png", default="/tmp/bench_dcgan_grid.png")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()

    import torch
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    from lessons.dcgan.lesson import LESSON
    from lessons.dcgan.data import digits_images
    from lessons.dcgan.lesson import COLLAPSE_THRESHOLD
    from visualizer.core.hyperparams import parse_assignment

    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        d = digits_images(16)
        x = d.images.reshape(len(d.images), -1)
        x_tr, x_te, y_tr, y_te = train_test_split(x, d.labels, test_size=0.2, random_state=0, stratify=d.labels)
        clf = MLPClassifier((128,), max_iter=300, random_state=0).fit(x_tr, y_tr)
        p_te = clf.predict_proba(x_te)
        print(f"classifier: held-out real digits accuracy {clf.score(x_te, y_te):.3f}, "
              f"share with confidence >= {CONFIDENCE}: {(p_te.max(1) >= CONFIDENCE).mean():.3f}")

        lesson = LESSON(LESSON.hyperparameters(dict(parse_assignment(s) for s in args.sets)))
        print(f"settings: {lesson.hp.as_dict()}")
        trained, steps, hit = 0.0, 0, None
        while trained < args.limit:
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < args.check:
                steps += 1
                lesson.train_step(steps)
                lesson.flush()
            trained += time.perf_counter() - t0
            fakes = lesson.samples(64)[0]                                       # (64, 16, 16)
            proba = clf.predict_proba(fakes.reshape(64, -1))
            confident = float((proba.max(1) >= CONFIDENCE).mean())
            diversity = lesson.evaluate()["diversity"]
            classes = np.bincount(proba.argmax(1)[proba.max(1) >= CONFIDENCE], minlength=10)
            print(f"  {trained:6.1f} s, {steps:5d} steps ({steps / trained:.1f}/s): confident {confident:.2f}, "
                  f"diversity {diversity:.2f}, confident per class {classes.tolist()}", flush=True)
            if confident >= SHARE and diversity >= COLLAPSE_THRESHOLD:
                hit = trained
                break
        save_grid(fakes, args.png)
    if hit is None:
        print(f"no recognisable digits within {args.limit:g} s of training   target <= 180 s -> FAIL")
    else:
        print(f"recognisable digits after {hit:.1f} s of training ({steps} steps)   target <= 180 s -> "
              f"{'PASS' if hit <= 180 else 'FAIL'}")
    print(f"grid saved to {args.png}")


if __name__ == "__main__":
    main()
