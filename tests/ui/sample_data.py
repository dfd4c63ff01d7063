"""One small, deterministic data object per plot kind, for the plot view tests."""
import numpy as np

from visualizer.core.plotdata import (AnnotatedImageData, AtariFrameData, AttentionData, BarsData, CartPoleData,
                                      ClipData, CurvesData, GridWorldData, HighlightedTextData, ImageData,
                                      ImageGridData, MatrixData, NetworkData, PlotSpec, PredictionsData, ScatterData,
                                      TableData, TextData, WordMapData)


def sample(kind: str):
    """(spec, data, expected CSV data rows) for ``kind``."""
    rng = np.random.default_rng(0)
    if kind == "curves":
        x = np.arange(1, 21, dtype=float)
        data = CurvesData({"train_loss": (x, 1 / x), "val_loss": (x[4::5], 1.2 / x[4::5])},
                          [(10, "lr: 0.1 → 0.3")])
        return PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss")), data, 20
    if kind == "image":
        yy, xx = np.mgrid[-1:1:30j, -1.5:1.5:40j]
        pts = rng.uniform(-1, 1, (20, 2))
        overlay = ScatterData(pts, (pts[:, 0] > 0).astype(int), np.array(["train"] * 15 + ["test"] * 5))
        data = ImageData((1 / (1 + np.exp(-3 * xx))).astype(np.float32), extent=(-1.5, 1.5, -1, 1),
                         levels=(0, 1), colormap="playground", overlay=overlay, x_label="x1", y_label="x2")
        return PlotSpec("decision", "Decision map", "image"), data, 30 * 40
    if kind == "image_grid":
        imgs = rng.standard_normal((6, 8, 8)).astype(np.float32)
        data = ImageGridData(imgs, [f"pred {i} / true {i + 1}" for i in range(6)], levels=(-2, 2),
                             colormap="RdBu", caption_colors=["#d62728"] * 6)
        return PlotSpec("misclassified", "Misclassified", "image_grid"), data, 6
    if kind == "matrix":
        vals = np.array([[50, 2, 1], [3, 40, 7], [0, 5, 45]], dtype=float)
        data = MatrixData(vals, ["0", "1", "2"], ["0", "1", "2"], "true", "predicted")
        return PlotSpec("confusion", "Confusion matrix", "matrix"), data, 3
    if kind == "bars":
        data = BarsData(["layer 1", "layer 2", "layer 3"], np.array([0.5, 0.1, 0.02]), y_label="‖g‖")
        return PlotSpec("grad_norms", "Gradient norms", "bars"), data, 3
    if kind == "scatter":
        pts = rng.standard_normal((12, 2))
        data = ScatterData(pts, np.arange(12) % 3, np.array(["train", "test"] * 6), ("a", "b", "c"))
        return PlotSpec("points", "Points", "scatter"), data, 12
    if kind == "scatter_values":
        pts = rng.standard_normal((30, 2))
        data = ScatterData(pts, np.zeros(30, int), np.array(["train", "test"] * 15), x_label="θ", y_label="θ'",
                           values=(pts[:, 0] * 10 + 50).astype(np.float32), colormap="viridis",
                           colorbar_label="max Q", levels=(30.0, 70.0))
        return PlotSpec("replay", "Replay buffer", "scatter"), data, 30
    if kind == "network":
        sizes = [2, 4, 3, 1]
        weights = [rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        maps = [np.tanh(rng.standard_normal((n, 10, 10))).astype(np.float32) for n in sizes]
        data = NetworkData(sizes, weights, maps, [["x1", "x2"]])
        return PlotSpec("network", "Network", "network"), data, 8 + 12 + 3
    if kind == "table":
        vals = np.array([[1520.0, 0.66, 0.91], [380.0, 2.6, np.nan]])
        data = TableData(vals, ["NumPy f32", "NumPy f64"], ["steps/s", "ms/step", "val acc"], fmt="{:.3g}")
        return PlotSpec("speed", "Speed and accuracy", "table"), data, 2
    if kind == "text":
        data = TextData(["the", "cat"], ["sat", "on", "the", "mat", "<eos>", "a", "dog", "ran"], 0.8, 40,
                        "sampled at temperature 0.8")
        return PlotSpec("text", "Generated text", "text"), data, 10
    if kind == "predictions":
        data = PredictionsData(["16+75", "52+8", "3+3"], ["91", "60", "6"], ["91", "61", "6"], [True, False, True],
                               step=120, accuracy=0.62)
        return PlotSpec("predictions", "Sample answers", "predictions"), data, 3
    if kind == "word_map":
        words = ["cat", "dog", "run", "walk", "red", "blue"]
        data = WordMapData(rng.standard_normal((6, 2)), words, np.array([0, 0, 1, 1, 2, 2]),
                           ("noun", "verb", "adjective"), [0, 1], "u₁", "u₂")
        return PlotSpec("word_map", "Word map", "word_map"), data, 6
    if kind == "annotated_image":
        image = np.stack([np.linspace(0, 1, 24, dtype=np.float32)[None, :].repeat(16, 0)] * 3, axis=2)
        mask = np.zeros((16, 24), np.int64)
        mask[4:10, 3:9] = 1
        data = AnnotatedImageData(
            image, boxes=np.array([[3, 4, 9, 10], [12, 2, 22, 14]], np.float32), box_classes=np.array([0, 1]),
            box_labels=["circle", "square 0.8"], box_styles=["solid", "dashed"], mask=mask,
            heat=rng.uniform(0, 1, (4, 6)).astype(np.float32), heat_label="confidence",
            points=np.array([[5, 5], [15, 8]], np.float32), point_classes=np.array([1, 1]), point_labels=["a", "b"],
            segments=np.array([[[5, 5], [15, 8]]], np.float32), segment_classes=np.array([1]),
            arrows=np.array([[2, 12, 3, 0], [6, 12, 0, -2]], np.float32), arrow_classes=np.array([0, 0]),
            class_names=("circle", "square"), caption="a test scene")
        return PlotSpec("scene", "Scene", "annotated_image"), data, 2 + 2 + 1 + 2 + 2
    if kind == "attention":
        logits = rng.standard_normal((2, 2, 3, 3))
        weights = (np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)).astype(np.float32)
        data = AttentionData(["[CLS]", "not", "bad"], weights, mode="head", layer=1, head=-1,
                             queries=rng.standard_normal((3, 4)).astype(np.float32),
                             keys=rng.standard_normal((3, 4)).astype(np.float32), caption="a test sentence")
        return PlotSpec("attention", "Attention heads", "attention"), data, 2 * 2 * 3 * 3
    if kind == "highlighted_text":
        data = HighlightedTextData([["not", "bad", "at", "all"], ["awful"]],
                                   [np.array([1.0, 0.5, 0.1, 0.0], np.float32), np.array([1.0], np.float32)],
                                   ["predicted positive", "predicted negative"], [True, False], caption="[CLS] row")
        return PlotSpec("highlight", "Words by attention", "highlighted_text"), data, 5
    if kind == "clip":
        t, h, w = 8, 12, 16
        yy, xx = np.mgrid[0:h, 0:w]
        frames = np.zeros((t, h, w, 3), np.float32)
        for i in range(t):                                      # a bright square moving right
            frames[i, 4:8, 2 * i:2 * i + 4] = (1.0, 0.6, 0.1)
        heat = np.exp(-((xx[None] - 2 * np.arange(t)[:, None, None] - 2) ** 2 + (yy[None] - 6) ** 2) / 8.0)
        heat = heat.astype(np.float32)
        heat[0] = np.nan                                        # no heat map for the first frame
        data = ClipData(frames, sampled=np.array([1, 4, 6]), heat=heat, heat_label="Grad-CAM for 'right'",
                        frame_scores=np.linspace(0.2, 0.9, t).astype(np.float32), score_label="p(right)",
                        fps=10.0, caption="true: right · predicted: right")
        return PlotSpec("clip", "Clip", "clip"), data, t
    if kind == "environment":
        theta = np.linspace(0.0, 0.15, 5)
        states = np.stack([np.linspace(0, 0.4, 5), np.full(5, 0.1), theta, np.full(5, 0.3)], 1).astype(np.float32)
        data = CartPoleData(episode=3, step=10, episode_return=14.0, fps=30.0, caption="DQN, ε = 0.1",
                            states=states, actions=np.array([1, 1, 0, 1, 0]),
                            q_values=np.array([[10.0, 11.0]] * 5, np.float32))
        return PlotSpec("cartpole", "CartPole", "environment"), data, 5
    if kind == "environment_grid":
        cells = np.array([[4, 0, 0, 2], [0, 1, 0, 3], [0, 0, 0, 0]])
        values = np.array([[0.5, 0.7, 0.9, 0.0], [0.3, np.nan, 0.2, 0.0], [0.1, -0.2, -0.4, -0.6]], np.float32)
        policy = np.array([[1, 1, 1, -1], [0, -1, 0, -1], [0, 3, 0, 0]])
        rewards = np.zeros((3, 4), np.float32)
        rewards[0, 3], rewards[1, 3] = 1.0, -1.0
        data = GridWorldData(episode=7, step=2, episode_return=0.98, fps=8.0, caption="tabular Q-learning",
                             cells=cells, values=values, policy=policy, agent=np.array([[0, 0], [0, 1], [0, 2]]),
                             rewards=rewards, editable=True)
        return PlotSpec("grid", "Grid world", "environment"), data, 12
    if kind == "environment_atari":
        frames = np.zeros((4, 210, 160, 3), np.uint8)
        frames[:, 34:194] = (144, 72, 17)                       # Pong's brown court
        for t in range(4):
            frames[t, 100 + 4 * t:104 + 4 * t, 78:80] = 236     # the ball moving down
            frames[t, 90:106, 140:144] = (92, 186, 92)         # the agent's paddle
        q = np.array([[0.1, 0.3, -0.2, 0.0, 0.05, -0.1]] * 4, np.float32)
        data = AtariFrameData(episode=2, step=40, episode_return=-3.0, fps=15.0, caption="ALE/Pong-v5",
                              frames=frames, actions=np.array([1, 2, 2, -1]), q_values=q,
                              action_names=("NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"),
                              returns=np.array([-3.0, -3.0, -3.0, -3.0]), game="pong")
        return PlotSpec("atari", "Atari", "environment"), data, 4
    raise KeyError(kind)


KINDS = ("curves", "image", "image_grid", "matrix", "bars", "scatter", "network", "table", "text", "predictions",
         "word_map", "annotated_image", "attention", "highlighted_text", "scatter_values", "clip", "environment", "environment_grid",
         "environment_atari")
