"""The story of the ``precision_speed`` lesson: floating-point formats, what rounding does to training,
float16's range, loss scaling and master weights, and where the time goes on NumPy, PyTorch and GPUs."""
from visualizer.core.lesson import NarrativeStep

_HIDE = ("engine", "device")     # every configuration picks its own engine and device

NARRATIVE = (
    NarrativeStep(
        "How a computer writes a real number",
        "A floating-point number is stored as sign · significand · 2^exponent (IEEE 754). More bits in the "
        "**significand** give more digits; more bits in the **exponent** give a wider range:\n\n"
        "* **float64** (11 exponent + 52 fraction bits): ε = 2⁻⁵² ≈ 2.2·10⁻¹⁶, largest ≈ 1.8·10³⁰⁸\n"
        "* **float32** (8 + 23): ε = 2⁻²³ ≈ 1.19·10⁻⁷, largest ≈ 3.4·10³⁸\n"
        "* **float16** (5 + 10): ε = 2⁻¹⁰ ≈ 9.8·10⁻⁴, largest **65504**, smallest normal ≈ 6.1·10⁻⁵\n"
        "* **bfloat16** (8 + 7): ε = 2⁻⁷ ≈ 7.8·10⁻³, float32's range\n\n"
        "ε is the gap between 1 and the next number: every operation may be off by up to ε/2 relative. "
        "float16 keeps about 3 decimal digits, float32 about 7, float64 about 16.\n\n"
        "Here one small MLP (64 → 64 ReLU → 10, the 8×8 digits) is trained **in lockstep** in several "
        "precisions: the same initial weights (drawn once in float64 and rounded), the same mini-batches, "
        "the same SGD step w ← w − η·g. Press **Next** to train.",
        set_params={"numpy_f64": True, "numpy_f32": True, "numpy_f16": True, "torch_cpu": False, "torch_cpu_half": False,
                    "torch_cuda": False, "hidden_units": 64, "hidden_layers": 1, "lr": 0.1, "batch_size": 32,
                    "loss_scale": 1.0, "master_weights": False},
        hide=_HIDE,
        plots=("loss", "agreement"),
    ),
    NarrativeStep(
        "Why deep learning uses float32",
        "After 300 steps the three loss curves still lie on top of each other. The **digits agreeing with "
        "float64** tell the difference: float32's weights match the reference to about 6 digits, "
        "float16's to about 2–3 — rounding errors add up step after step, but they stay far below the "
        "noise that sampling mini-batches already puts into SGD. The validation accuracies are all but "
        "equal.\n\n"
        "That is why deep learning computes in float32 rather than Python's float64 (Saitoh, *Deep Learning "
        "from Scratch 2*, §1.5.1): half the memory and memory traffic per number, twice the numbers per "
        "vector instruction, and no visible loss in what the network learns.",
        hide=_HIDE,
        plots=("loss", "agreement", "val_acc"),
        run_steps=300,
    ),
    NarrativeStep(
        "float16: half the memory, but not in NumPy",
        "float16 halves memory again, and its accuracy is still enough to train this network (Saitoh, *Deep "
        "Learning from Scratch*, §8.3.4). But look at **steps/s** in the table: NumPy's float16 is more than "
        "ten times *slower* than float32 (hundreds of times for 512-wide layers). CPUs have no float16 arithmetic that NumPy uses: each float16 matrix "
        "product runs in NumPy's own loops instead of an optimized BLAS kernel, converting numbers one by "
        "one. float16 pays off where hardware computes it natively — GPU tensor cores, whose float16 "
        "throughput is many times their float32 — and for storing weights compactly.\n\n"
        "The step times are moving averages over about 20 steps of each configuration's own step "
        "(time.perf_counter); other programs on the machine add noise.",
        hide=_HIDE,
        plots=("loss", "table"),
        run_steps=100,
    ),
    NarrativeStep(
        "Updates lost to rounding, and master weights",
        "With ε = 2⁻¹⁰, a float16 weight near 0.5 can only move in steps of 2⁻¹¹ ≈ 4.9·10⁻⁴. An update "
        "η·g smaller than half that gap rounds away: w − η·g == w. This **swamping** is what the bars "
        "**updates lost to rounding** count — a fifth or more of the float16 updates vanish, almost none in "
        "float32.\n\n"
        "**Mixed precision** (Micikevicius et al., 2018) keeps a float32 **master copy** of the weights: "
        "the forward and backward passes run in float16 on its rounded copy, and the update is applied to "
        "the float32 master, where small steps accumulate. Tick **float32 master weights** (it applies at "
        "the next step) and train on: the float16 bar drops to float32's level, and its digits agreeing "
        "with float64 rise.",
        set_params={"master_weights": False},
        hide=_HIDE,
        plots=("loss", "lost_updates", "agreement"),
        run_steps=200,
    ),
    NarrativeStep(
        "Overflow, underflow and loss scaling",
        "float16 ends at 65504: anything larger becomes **inf**, and inf − inf is NaN. At the other end, "
        "numbers below about 6·10⁻⁸ become 0 (**underflow**), and below 6.1·10⁻⁵ they keep fewer digits. "
        "Small gradients of deep networks live there. **Loss scaling** multiplies the loss by S before "
        "backpropagation, so every gradient is S times larger, and divides the weight gradients by S "
        "(in float32, on the master weights) before the update.\n\n"
        "Too large an S overflows instead. Here S = 65536 and batches of 2 images: the gradient entering "
        "the logits is S/B · (softmax − onehot), up to 32768, and the products behind it pass 65504. The "
        "float16 run **stops** at that step with a notice, keeping its last good weights, while float64 "
        "and float32 train on. Real mixed-precision trainers skip such a step and halve S (dynamic loss "
        "scaling).",
        set_params={"loss_scale": 65536.0, "batch_size": 2},
        hide=_HIDE,
        plots=("loss", "table"),
        run_steps=60,
    ),
    NarrativeStep(
        "NumPy vs PyTorch, CPU vs GPU",
        "Now PyTorch trains the same network too: on the CPU in float64, float32, bfloat16 and float16, "
        "and on CUDA in float32 and float16 when an NVIDIA GPU is present (otherwise those rows say *not "
        "available*). PyTorch float64 matches NumPy float64 to 12 digits or more: the same math.\n\n"
        "For a 64-64-10 network a step is a few hundred thousand multiply-adds; the time goes into "
        "overhead — Python, dispatching each operation, launching GPU kernels (microseconds each) — so "
        "NumPy can beat PyTorch, and a GPU helps little. Raise **Units per layer** to 1024 and Reset: "
        "matrix products take over, NumPy float16 falls far behind, and on a GPU the CUDA rows (float16 on "
        "tensor cores) should pull ahead. "
        "`benchmarks/bench_precision.py` measures both sizes on one thread.",
        set_params={"loss_scale": 1.0, "batch_size": 32, "torch_cpu": True, "torch_cpu_half": True,
                    "torch_cuda": True},
        hide=_HIDE,
        plots=("loss", "table", "agreement", "val_acc"),
        run_steps=200,
    ),
    NarrativeStep(
        "Your turn",
        "Some experiments:\n\n"
        "* Switch **master weights** off and watch bfloat16: with only 8 significant bits, about half of "
        "its updates are lost.\n"
        "* Raise the **learning rate** to 3 or more: which precisions diverge, and in which order?\n"
        "* With **loss scale** 65536, find the batch size at which float16 stops overflowing.\n"
        "* Widen the network (**Units per layer** 512–1024) and compare the speed column again.",
        hide=_HIDE,
    ),
)
