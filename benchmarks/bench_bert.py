"""Does masked-LM pretraining pay off?  The ``bert`` lesson's default small BERT on this CPU (one torch thread, as
the app's training process).

Phase 1: masked-LM pretraining on the book's verses and unlabelled generated reviews for ``--pretrain-s`` seconds
of training; every ``--check`` seconds the held-out MLM accuracy and loss (the lesson's fixed validation masks)
are printed, so the rise can be read.  Phase 2: the lesson's two twins fine-tune on the same small labelled set
(``n_labelled`` reviews, default 200) and the same batches for ``--finetune-steps`` steps: one from the
pretrained encoder, one from the initial random weights.  Printed: both twins' validation accuracy (final and
best over the evaluations), the gap, and the bag-of-words baseline (``visualizer.data.sentiment
.bag_of_words_accuracy``: logistic regression on unigram counts) trained on the same labelled reviews.
Evaluation time is not counted.  Target (issue #17): MLM accuracy rising; pretrained above from-scratch.

    python -m benchmarks.bench_bert [--pretrain-s 180] [--finetune-steps 600] [--check 20] [--set k=v]
"""
from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pretrain-s", type=float, default=180.0, help="seconds of masked-LM pretraining")
    ap.add_argument("--finetune-steps", type=int, default=600, help="fine-tuning steps of both twins")
    ap.add_argument("--check", type=float, default=20.0, help="seconds of training between MLM evaluations")
    ap.add_argument("--set", action="append", default=[], dest="sets", help="a lesson setting, k=v")
    args = ap.parse_args(argv)

    import torch

    from lessons.bert.lesson import LESSON, N_VAL_FT
    from visualizer.core.hyperparams import parse_assignment
    from visualizer.data.sentiment import bag_of_words_accuracy, sentiment_sets

    torch.set_num_threads(1)
    values = dict(parse_assignment(a) for a in args.sets)
    lesson = LESSON(LESSON.hyperparameters({**values, "pretrain_steps": 10**6 // 50}))
    hp = lesson.hp
    print(f"bert: L={hp['layers']} H={hp['hidden']} heads={hp['heads']} T={hp['max_len']} batch={hp['batch_size']}; "
          f"{lesson.run_facts()}")
    print(f"{'phase':9} {'step':>6} {'train s':>8} {'val MLM acc':>12} {'val MLM loss':>13}")
    m = lesson.evaluate()
    print(f"{'pretrain':9} {0:6d} {0.0:8.1f} {m['val_mlm_acc']:12.3f} {m['val_mlm_loss']:13.3f}", flush=True)
    step, trained, next_check = 0, 0.0, args.check
    mlm_curve = [(0, 0.0, m["val_mlm_acc"])]
    while trained < args.pretrain_s:
        step += 1
        t = time.perf_counter()
        lesson.train_step(step)
        lesson.flush()
        trained += time.perf_counter() - t
        if trained >= next_check or trained >= args.pretrain_s:
            m = lesson.evaluate()
            mlm_curve.append((step, trained, m["val_mlm_acc"]))
            print(f"{'pretrain':9} {step:6d} {trained:8.1f} {m['val_mlm_acc']:12.3f} {m['val_mlm_loss']:13.3f}",
                  flush=True)
            next_check += args.check
    lesson.set_live("pretrain_steps", step)
    best = {"pretrained": 0.0, "scratch": 0.0}
    t_ft = 0.0
    print(f"\n{'phase':9} {'step':>6} {'train s':>8} {'val acc pretrained':>19} {'val acc scratch':>16}")
    for i in range(1, args.finetune_steps + 1):
        t = time.perf_counter()
        lesson.train_step(step + i)
        lesson.flush()
        t_ft += time.perf_counter() - t
        if i % lesson.eval_every == 0 or i == args.finetune_steps:
            m = lesson.evaluate()
            for k in best:
                best[k] = max(best[k], m[f"val_acc_{k}"])
            if i % (4 * lesson.eval_every) == 0 or i == args.finetune_steps:
                print(f"{'finetune':9} {i:6d} {t_ft:8.1f} {m['val_acc_pretrained']:19.3f} {m['val_acc_scratch']:16.3f}",
                      flush=True)
    final = {k: m[f"val_acc_{k}"] for k in best}
    train, val = sentiment_sets(hp["n_labelled"], N_VAL_FT, seed=hp["seed"] + 7, label_noise=0.03)
    bow = bag_of_words_accuracy(train, val)["val_acc"]
    lesson.close()
    print(f"\nMLM validation accuracy: {mlm_curve[0][2]:.3f} at step 0 -> {mlm_curve[-1][2]:.3f} after {step} steps "
          f"({trained:.0f} s)")
    print(f"fine-tuning on {hp['n_labelled']} labelled reviews, {args.finetune_steps} steps ({t_ft:.0f} s), "
          f"validation on {N_VAL_FT} clean reviews:")
    print(f"  with pretraining:    final {final['pretrained']:.3f}, best {best['pretrained']:.3f}")
    print(f"  without pretraining: final {final['scratch']:.3f}, best {best['scratch']:.3f}")
    print(f"  gap (pretrained - scratch): final {final['pretrained'] - final['scratch']:+.3f}, best "
          f"{best['pretrained'] - best['scratch']:+.3f}")
    print(f"  bag of words (logistic regression on the same {hp['n_labelled']} reviews): {bow:.3f}")
    return {"mlm": mlm_curve, "final": final, "best": best, "bow": bow}


if __name__ == "__main__":
    main()
