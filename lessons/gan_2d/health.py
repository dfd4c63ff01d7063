"""The GAN lab's two failure detectors on ``visualizer.probes.gan_health.Streak`` (Qt-free): the discriminator
wins completely (the generator's gradient vanishes under the minimax loss), and mode collapse (the fakes much
narrower than the data, or covering few of its modes).  The texts name this lab's own settings (k, the
generator loss, the D learning rate), so they are written here, not taken from gan_health's defaults, which
speak of spectral normalization and the hinge loss.  Goodfellow, *NIPS 2016 tutorial: GANs*, sec. 5."""
from __future__ import annotations

from typing import Mapping

from visualizer.probes.gan_health import Streak

D_WINS_FAKE = 0.03              # mean D(G(z)) below this ...
D_WINS_REAL = 0.97              # ... and mean D(x) above this ...
D_WINS_PATIENCE = 30            # ... for this many consecutive steps: the discriminator wins
GRAD_VANISHED = 0.01            # mean per-sample |∂L_G/∂x| below this: the generator learns nothing
COLLAPSE_MIN_G_STEPS = 500      # judge collapse only after the generator has had this many steps
COLLAPSE_SPREAD = 0.3           # fake spread below this share of the real spread ...
COLLAPSE_COVERAGE = 0.25        # ... or coverage below this ...
COLLAPSE_PATIENCE = 3           # ... at this many consecutive evaluations: mode collapse
D_WINS_KEY, COLLAPSE_KEY = "gan_2d.d_wins", "gan_2d.collapse"   # notices withdrawn when their condition ends


class GanWatch:
    """Watches the training metrics (after each flush) and the evaluations; ``context`` (a LessonContext)
    receives one notice, or a pause request, per event.  :meth:`reset` after a change of the game's rules."""

    def __init__(self, context, step: int = 0) -> None:
        self.context = context
        self.reset(step)

    def reset(self, step: int) -> None:
        """Start both streaks afresh at training ``step``."""
        self.d_wins = Streak(min_steps=D_WINS_PATIENCE, rearm=True)
        self.d_wins.update(step, False)                  # steps count from here
        self.collapse = Streak(COLLAPSE_PATIENCE, rearm=True)
        for key in (D_WINS_KEY, COLLAPSE_KEY):          # the rules changed: what was said may not hold
            self.context.clear_notice(key)

    def training(self, step: int, m: Mapping[str, float], hp) -> None:
        """D(x) → 1 and D(G(z)) → 0 for D_WINS_PATIENCE steps while G trains: a notice, and a pause when the
        generator's gradient has vanished too (hopeless under the minimax loss).  A reading between the two
        thresholds neither extends nor ends the streak."""
        if hp["train_mode"] == "D only" or "d_fake" not in m:
            return
        if m["d_fake"] < D_WINS_FAKE and m["d_real"] > D_WINS_REAL:
            fired = self.d_wins.update(step, True)
        elif m["d_fake"] > 2 * D_WINS_FAKE:
            fired = self.d_wins.update(step, False)      # the game is back: re-armed, the notice withdrawn
            if self.d_wins.cleared:
                self.context.clear_notice(D_WINS_KEY)
        else:
            return
        if not fired:
            return
        grad = m.get("g_grad", float("nan"))
        tips = []
        if hp["g_loss"] == "minimax":
            tips.append("switch the generator loss to non-saturating (−log D(G(z)) keeps a strong gradient "
                        "when D rejects the fakes)")
        tips.append(f"lower the D learning rate (now {hp['lr_d']:g}, try {hp['lr_d'] / 10:g})")
        if hp["d_steps"] > 1:
            tips.append(f"take fewer D steps per G step (k = {hp['d_steps']}, try 1)")
        tips.append("or press Reset (R) to start the game again")
        head = (f"The discriminator wins completely at step {step}: mean D(x) = {m['d_real']:.3f}, "
                f"mean D(G(z)) = {m['d_fake']:.4f}. ")
        if grad == grad and grad < GRAD_VANISHED:                         # finite and small
            msg = (head + f"The generator's gradient has vanished (mean |∂L_G/∂x| = {grad:.2g}): the fakes "
                   "no longer move, so training cannot recover. Try: " + "; ".join(tips) + ".")
            (self.context.request_pause if hp["auto_pause"] else self.context.notice)(msg)
        else:
            self.context.keyed_notice(D_WINS_KEY, head + "The fakes still get a gradient "
                                      f"(mean |∂L_G/∂x| = {grad:.2g}), but D is far ahead. If the fakes stop "
                                      "moving: " + "; ".join(tips) + ".")

    def evaluation(self, step: int, g_steps: int, spread: float, cov: float) -> None:
        """Fakes much narrower than the data, or covering only a few of its modes, at COLLAPSE_PATIENCE
        evaluations in a row after COLLAPSE_MIN_G_STEPS generator steps: one notice per event, withdrawn at the
        first evaluation that finds the fakes spread out again."""
        collapsed = g_steps >= COLLAPSE_MIN_G_STEPS and (spread < COLLAPSE_SPREAD or cov < COLLAPSE_COVERAGE)
        if not self.collapse.update(step, collapsed):
            if self.collapse.cleared:                    # the fakes spread out again: the notice is stale
                self.context.clear_notice(COLLAPSE_KEY)
            return
        if spread < COLLAPSE_SPREAD:
            what = (f"the fakes' spread is only {spread:.0%} of the real data's: G maps almost all noise to "
                    "one small region")
        else:
            what = f"the fakes cover only {cov:.0%} of the real data: G produces a few modes and drops the rest"
        self.context.keyed_notice(
            COLLAPSE_KEY, f"Mode collapse at step {step}: {what}. D then learns to reject that region, G jumps to "
            "another, and the game can cycle. Try: a lower G learning rate, more D steps per G step (k), a "
            "wider or deeper discriminator, or Reset (R) with another seed.")
