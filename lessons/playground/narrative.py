"""The playground's story: eight short steps from one neuron to overfitting.

Formulas use Unicode so they read well in Qt's Markdown renderer.  Each step sets the
hyperparameters it needs (so it works whatever the learner changed before), shows the plots it
talks about and trains for a while.  Qt-free.
"""
from __future__ import annotations

from visualizer.core.lesson import NarrativeStep

_NO_EXTRA_FEATURES = {"x1": True, "x2": True, "x1_squared": False, "x2_squared": False,
                      "x1_times_x2": False, "sin_x1": False, "sin_x2": False}
_CLEAN = {"noise": 0, "train_percent": 50, "n_points": 500, "n_classes": 2, "regularization": "none",
          "optimizer": "adam", "lr": 0.03, "batch_size": 10, **_NO_EXTRA_FEATURES}

NARRATIVE = (
    NarrativeStep(
        "One neuron draws a line",
        """
With **no hidden layer** the network is a single neuron. It weighs the inputs, adds a bias and squashes
the result with the sigmoid:

  z = w₁x₁ + w₂x₂ + b,  p = σ(z) = 1/(1 + e⁻ᶻ)

p is the probability of class 1. Training lowers the **binary cross-entropy**

  L = −(1/N) Σᵢ [ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ) ]

The **decision map** colours every point of the plane by p: orange is class 0, blue class 1, and the
pale line between them, where z = 0 and p = ½, is the decision boundary. One neuron can only draw a **straight** line, which is
all the two Gaussian blobs need.
""",
        set_params={**_CLEAN, "dataset": "gaussians", "hidden_layers": 0, "activation": "tanh"},
        plots=("decision", "network", "loss"),
        run_steps=150,
    ),
    NarrativeStep(
        "XOR: a line is not enough",
        """
Now the classes sit in opposite corners (**XOR**): class 1 where x₁ and x₂ have the same sign. No
straight line separates them: the lone neuron's loss stays near ln 2 ≈ 0.69, the loss of a coin
flip, and its line gets at most about three points in four right, whatever you try.
""",
        set_params={**_CLEAN, "dataset": "xor", "hidden_layers": 0},
        plots=("decision", "loss", "accuracy"),
        run_steps=300,
    ),
    NarrativeStep(
        "Fix it with a feature: x₁·x₂",
        """
Give the neuron a better input: **x₁·x₂** is positive exactly where the class is 1. In the network
view each input node shows its own map over the plane; the x₁·x₂ map already looks like the answer,
so one weight on it solves XOR. This is **feature engineering**: the right representation makes a
hard problem linear.
""",
        set_params={**_CLEAN, "dataset": "xor", "hidden_layers": 0, "x1_times_x2": True},
        plots=("decision", "network", "accuracy"),
        run_steps=200,
    ),
    NarrativeStep(
        "…or let a hidden layer learn it",
        """
Turn x₁·x₂ off and add **one hidden layer of 8 neurons**. Each hidden neuron computes
hⱼ = tanh(Σᵢ wᵢⱼ xᵢ + bⱼ): a soft step along its own line. Its small **map** in the network view
shows hⱼ at every point of the plane. The output neuron adds these maps with its weights (edges: colour
is the sign, thickness the size), and a sum of bent steps can carve out the two XOR corners. The
network *learns* the feature you engineered by hand.
""",
        set_params={**_CLEAN, "dataset": "xor", "hidden_layers": 1, "neurons_1": 8, "activation": "tanh"},
        plots=("decision", "network", "accuracy"),
        run_steps=400,
    ),
    NarrativeStep(
        "The spiral needs depth",
        """
Two interleaved **spirals** defeat a single layer: even 16 tanh neurons in one layer stay far from
the answer (try Hidden layers = 1). Stack **three hidden layers of 8**: the first layer draws lines,
the second combines them into bends, the third into the arms. Watch the maps grow more intricate
from layer to layer; it takes a couple of thousand steps. The **gradient norm** plot shows how
strongly each layer is being updated. Turning on the sin x₁ and sin x₂ features makes the job much
easier: the waves already follow the arms.
""",
        set_params={**_CLEAN, "dataset": "spiral", "hidden_layers": 3, "neurons_1": 8, "neurons_2": 8,
                    "neurons_3": 8, "activation": "tanh", "lr": 0.01},
        plots=("decision", "network", "loss", "grad_norms"),
        run_steps=2500,
    ),
    NarrativeStep(
        "Too large a learning rate",
        """
Plain SGD moves every weight by −η·∂L/∂w. With the learning rate η = 3 the steps overshoot the
valley of the loss: the mini-batch loss jumps up and down instead of falling, and the decision map
flickers. Lower the rate to 0.3 with the slider (it applies at the next step and leaves a marker on
the curves) and watch the loss settle. A far larger rate can make the weights overflow (try η = 10
with leaky ReLU): the loss becomes NaN and the run pauses with a message.
""",
        set_params={**_CLEAN, "dataset": "circle", "hidden_layers": 2, "neurons_1": 4, "neurons_2": 4,
                    "activation": "tanh", "optimizer": "sgd", "lr": 3.0},
        plots=("decision", "loss", "grad_norms"),
        run_steps=300,
    ),
    NarrativeStep(
        "L1 regularization prunes weights",
        """
Give the circle every feature and a wide layer, then add an **L1 penalty**: the loss becomes
L + λ Σ |w|. Its gradient λ·sign(w) pulls every weight towards 0 by the same amount, so weights
that do not pay for themselves end up **near zero**: watch the edges of the unhelpful inputs fade
until mostly x₁² and x₂² remain (a circle is x₁² + x₂² < r²). **L2** (λ Σ w²) shrinks all weights
in proportion instead and rarely makes one vanish. Raise λ to see the network get simpler.
""",
        set_params={**_CLEAN, "dataset": "circle", "hidden_layers": 1, "neurons_1": 8, "activation": "tanh",
                    "x1_squared": True, "x2_squared": True, "x1_times_x2": True, "sin_x1": True,
                    "sin_x2": True, "regularization": "L1", "reg_rate": 0.003},
        plots=("decision", "network", "loss"),
        run_steps=1000,
    ),
    NarrativeStep(
        "Noise: the gap between train and test",
        """
Add **50 % noise** and train on only **20 %** of the points with a big network. The network can
memorise the few noisy training points: the loss on the **whole training split** (train_loss_full)
keeps falling towards 0 while the **test loss** climbs. That gap is **overfitting**: the boundary
bends around single points. Try L2 regularization (rate 0.01), a smaller network or more training
data, and watch the gap close.
""",
        set_params={**_CLEAN, "dataset": "gaussians", "noise": 50, "train_percent": 20, "hidden_layers": 3,
                    "neurons_1": 16, "neurons_2": 16, "neurons_3": 16, "activation": "relu", "lr": 0.01},
        plots=("decision", "loss", "accuracy"),
        run_steps=2000,
    ),
)
