"""Does masked-LM pretraining pay off?  The ``bert`` lesson's default small BERT on this CPU (one torch thread, as
the app's training process), over several seeds.

For each seed: phase 1, masked-LM pretraining on the book's verses and unlabelled generated reviews for the
lesson's ``pretrain_steps`` (or ``--pretrain-steps``); the held-out MLM accuracy (the lesson's fixed validation
masks) is printed at the start and every ``--check`` steps, so the rise can be read.  Phase 2: the lesson's two
twins fine-tune on the same small labelled set (``n_labelled`` reviews) and the same batches for
``--finetune-steps`` steps: one from the pretrained encoder, one from the initial random weights.  Printed per
seed: both twins' validation accuracy (final and best over the evaluations), the gap, both twins' accuracy per
phenomenon (``visualizer.data.sentiment.PHENOMENA``) and the bag-of-words baseline (``visualizer.data.sentiment
.bag_of_words_accuracy``: logistic regression on unigram counts) trained on the same labelled reviews; then the
mean ± standard deviation over the seeds.  Evaluation time is not counted.  Target (issue #17): MLM accuracy
rising; pretrained above from-scratch.

    python -m benchmarks.bench_bert [--seeds 0,1,2] [--pretrain-steps N] [--finetune-steps 300] [--check 500]
                                    [--set k=v]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def per_phenomenon(lesson) -> dict[str, dict[str, float]]:
    """{twin: {phenomenon: validation accuracy}} of the lesson's fine-tuned twins on its validation reviews."""
    import torch

    from lessons.bert.lesson import TWINS
    from visualizer.data.sentiment import PHENOMENA

    tags = np.asarray(lesson.data.ft_val_phenomena)
    y = lesson.val_y.cpu().numpy()
    out = {}
    lesson.trainer.train(False)
    with torch.no_grad():
        for name in TWINS:
            pred = torch.cat([lesson.trainer.modules[name](x).argmax(1) for x in lesson.val_ids.split(256)])
            right = pred.cpu().numpy() == y
            out[name] = {k: float(right[tags == k].mean()) for k in PHENOMENA if np.any(tags == k)}
    return out


def run_seed(values: dict, seed: int, pretrain_steps: int | None, finetune_steps: int, check: int) -> dict:
    """Pretrain and fine-tune the lesson once with ``seed``; prints the curves, returns the figures."""
    from lessons.bert.lesson import LESSON, N_VAL_FT
    from visualizer.data.sentiment import bag_of_words_accuracy, sentiment_sets

    lesson = LESSON(LESSON.hyperparameters({**values, "seed": seed}))
    hp = lesson.hp
    n_pre = hp["pretrain_steps"] if pretrain_steps is None else pretrain_steps
    lesson.set_live("pretrain_steps", n_pre)
    print(f"\nseed {seed}: L={hp['layers']} H={hp['hidden']} heads={hp['heads']} T={hp['max_len']} "
          f"batch={hp['batch_size']} lr={hp['lr']:g} ft_lr={hp['ft_lr']:g}; {lesson.run_facts()}")
    m = lesson.evaluate()
    mlm_curve = [(0, 0.0, m["val_mlm_acc"])]
    trained = 0.0
    for step in range(1, n_pre + 1):
        t = time.perf_counter()
        lesson.train_step(step)
        lesson.flush()
        trained += time.perf_counter() - t
        if step % check == 0 or step == n_pre:
            m = lesson.evaluate()
            mlm_curve.append((step, trained, m["val_mlm_acc"]))
    print("  val MLM acc: " + ", ".join(f"{a:.3f} (step {s}, {t:.0f} s)" for s, t, a in mlm_curve), flush=True)
    best = {"pretrained": 0.0, "scratch": 0.0}
    t_ft = 0.0
    curve = []
    for i in range(1, finetune_steps + 1):
        t = time.perf_counter()
        lesson.train_step(n_pre + i)
        lesson.flush()
        t_ft += time.perf_counter() - t
        if i % lesson.eval_every == 0 or i == finetune_steps:
            m = lesson.evaluate()
            for k in best:
                best[k] = max(best[k], m[f"val_acc_{k}"])
            if i % (4 * lesson.eval_every) == 0 or i == finetune_steps:
                curve.append(f"{i}: {m['val_acc_pretrained']:.3f}/{m['val_acc_scratch']:.3f}")
    final = {k: m[f"val_acc_{k}"] for k in best}
    print(f"  fine-tuning val acc pretrained/scratch by step ({t_ft:.0f} s): " + ", ".join(curve))
    phen = per_phenomenon(lesson)
    train, val = sentiment_sets(hp["n_labelled"], N_VAL_FT, seed=seed + 7, label_noise=0.03)
    bow = bag_of_words_accuracy(train, val)
    lesson.close()
    print(f"  final: pretrained {final['pretrained']:.3f}, scratch {final['scratch']:.3f}, gap "
          f"{final['pretrained'] - final['scratch']:+.3f}; best: {best['pretrained']:.3f} vs {best['scratch']:.3f}; "
          f"bag of words {bow['val_acc']:.3f}")
    for name, acc in [*phen.items(), ("bag of words", bow["per_phenomenon"])]:
        print(f"    {name:13} " + " ".join(f"{k} {v:.2f}" for k, v in acc.items()))
    return {"mlm": mlm_curve, "final": final, "best": best, "bow": bow["val_acc"], "phenomena": phen,
            "n_labelled": hp["n_labelled"], "pretrain_steps": n_pre, "pretrain_s": trained, "finetune_s": t_ft}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, one full run each")
    ap.add_argument("--pretrain-steps", type=int, default=None, help="masked-LM steps (default: the lesson's)")
    ap.add_argument("--finetune-steps", type=int, default=300, help="fine-tuning steps of both twins")
    ap.add_argument("--check", type=int, default=500, help="pretraining steps between MLM evaluations")
    ap.add_argument("--set", action="append", default=[], dest="sets", help="a lesson setting, k=v")
    args = ap.parse_args(argv)

    import torch

    from lessons.bert.lesson import N_VAL_FT
    from visualizer.core.hyperparams import parse_assignment

    torch.set_num_threads(1)
    values = dict(parse_assignment(a) for a in args.sets)
    runs = {int(s): run_seed(values, int(s), args.pretrain_steps, args.finetune_steps, args.check)
            for s in args.seeds.split(",")}
    r0 = next(iter(runs.values()))
    print(f"\nover seeds {sorted(runs)}: {r0['pretrain_steps']} pretraining steps, then {args.finetune_steps} "
          f"fine-tuning steps on {r0['n_labelled']} labelled reviews, validation on {N_VAL_FT} clean reviews "
          "(mean ± standard deviation):")

    def stat(values) -> str:
        return f"{np.mean(values):.3f} ± {np.std(values):.3f}"

    for what in ("final", "best"):
        pre = [r[what]["pretrained"] for r in runs.values()]
        scr = [r[what]["scratch"] for r in runs.values()]
        print(f"  {what:5}: pretrained {stat(pre)}, scratch {stat(scr)}, gap "
              f"{stat(np.subtract(pre, scr))} (per seed " + ", ".join(f"{p - s:+.3f}" for p, s in zip(pre, scr)) + ")")
    print(f"  val MLM acc after pretraining {stat([r['mlm'][-1][2] for r in runs.values()])}; bag of words "
          f"{stat([r['bow'] for r in runs.values()])}")
    return runs


if __name__ == "__main__":
    main()
