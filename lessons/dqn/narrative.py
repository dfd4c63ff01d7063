"""The story of the ``dqn`` lesson: Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 13; Sutton and Barto,
*Reinforcement Learning* 2e, ch. 3, 6, 13; Mnih et al. 2015; van Hasselt et al. 2016; Williams 1992."""
from visualizer.core.lesson import NarrativeStep

GRID = ("grid_map", "grid_tool", "grid_edit")
DQN_ONLY = ("double_dqn", "huber", "batch_size", "buffer_size", "target_sync", "train_every", "warmup")
CARTPOLE = ("environment", "returns", "q_episode")

NARRATIVE = (
    NarrativeStep(
        "An agent, an environment, a reward",
        "Reinforcement learning has no labels. An **agent** sees a **state** s, picks an **action** a, and the "
        "**environment** answers with a **reward** r and the next state s'. Here the environment is "
        "**CartPole** (gymnasium's CartPole-v1): a pole hinged on a cart; the agent pushes the cart left or "
        "right, earns +1 for every step the pole stays within 12° and the cart on the track, and the episode "
        "ends when it falls, or after 500 steps.\n\n"
        "This is a **Markov decision process**: the next state depends only on the state (cart position and "
        "velocity, pole angle and angular velocity) and the action. The agent's goal is the **return** "
        "G = r₁ + γ r₂ + γ² r₃ + …, where the discount γ < 1 makes a reward now worth more than one later.\n\n"
        "Press **Play**. The untrained agent pushes at random: the pole falls in about 20 steps. The picture "
        "plays one episode in ten at real time while training runs on.",
        plots=CARTPOLE, hide=GRID,
        set_params={"env": "cartpole", "method": "dqn"},
    ),
    NarrativeStep(
        "Q-learning: the value of an action",
        "The **action value** Q(s, a) is the expected return after taking a in s and acting well afterwards. It "
        "obeys the **Bellman optimality equation** Q(s, a) = E[r + γ max_a' Q(s', a')]. Q-learning (Watkins "
        "1989; Sutton & Barto ch. 6.5) turns it into an update: the **TD target** y = r + γ max_a' Q(s', a') "
        "and the **TD error** δ = Q(s, a) − y; move Q(s, a) against δ.\n\n"
        "CartPole's states are continuous, so a network with 4 inputs and 2 outputs, one Q-value per action, "
        "replaces the table: a **deep Q-network** (Mnih et al. 2015). The loss is the Huber loss of δ, and "
        "the greedy policy picks the action with the larger Q.\n\n"
        "**Along the current episode** shows both Q-values at every step: a trained network holds them near "
        "1/(1 − γ) = 100 while the pole is up and lets them drop just before it falls. **Value function over "
        "a slice** shows max_a Q over pole angle × angular velocity: high where the pole can still be saved.",
        plots=("environment", "q_episode", "td", "value", "returns"), hide=GRID, run_steps=20_000,
    ),
    NarrativeStep(
        "Experience replay and ε-greedy exploration",
        "Consecutive states are almost the same, and a network trained on them in order forgets what it saw a "
        "minute ago. DQN stores every transition (s, a, r, s', done) in a **replay buffer** (here the last "
        "20,000) and learns from mini-batches drawn uniformly from it: the batch is less correlated and every "
        "transition is reused many times.\n\n"
        "**Replay buffer** draws the stored states by pole angle and angular velocity, coloured by max_a Q: "
        "early on, random actions spread them wide; later, the agent keeps the pole near upright and the "
        "cloud shrinks to the middle.\n\n"
        "To find better actions the agent must sometimes try worse-looking ones: **ε-greedy** picks a random "
        "action with probability ε, which falls linearly from 1 to 0.05 over the first 20,000 steps.",
        plots=("environment", "replay", "epsilon", "returns", "q_episode"), hide=GRID, run_steps=20_000,
    ),
    NarrativeStep(
        "The target network",
        "The TD target y = r + γ max_a' Q(s', a') uses the very network being trained: each update moves the "
        "target it chases. Mnih et al. compute y with a **target network**, a copy of the online network "
        "refreshed only every C steps (here **Target sync period** = 1,000 environment steps), so the target "
        "holds still between copies.\n\n"
        "Training now runs on to 150,000 steps (about a minute). Watch **Episodic return**: the 20-episode "
        "mean usually reaches 475–500 (the pole balanced for the whole episode) between 100,000 and 160,000 "
        "steps, and **Q-value estimates** climbs towards the bound 1/(1 − γ) = 100.",
        plots=("returns", "q_mean", "td", "environment", "speed"), hide=GRID, train_until=150_000,
    ),
    NarrativeStep(
        "Why DQN's return oscillates",
        "Keep it running. DQN rarely stays at 500: the return **collapses** to a few dozen and recovers, again "
        "and again. This is not a bug of this code but a known property of the method. Once the agent balances "
        "well, the buffer fills with near-upright states only; the network forgets what to do near the edges "
        "(**catastrophic forgetting**), a small error there ends an episode, and the bootstrapped targets chase "
        "their own errors. The max in y = r + γ max Q(s', ·) also picks whichever estimate is too high, so "
        "errors are biased upwards (**overestimation**).\n\n"
        "Two remedies are switches here. **Double DQN** (van Hasselt et al. 2016) lets the online network "
        "*choose* a' and the target network *value* it: y = r + γ Q_target(s', argmax_a Q_online(s', a)), "
        "which removes most of the upward bias. The **target network** slows the chase. Turn **Double DQN** "
        "off, or set **Target sync period** to 1 (no target network), and compare **Q-value estimates** and "
        "the size of the collapses: without them Q overshoots and the return swings harder. A learning rate "
        "that is far too high makes Q diverge outright: the run pauses and says so.\n\n"
        "On a CUDA machine the same DQN plays **Atari** as Mnih et al. did: set **Environment** to atari and "
        "**Device** to cuda (Pong or Breakout through ale-py: 84×84 grey frames, 4 stacked, a convolutional "
        "Q-network, rewards clipped to ±1) with learning rate 1e-4, batch 32, a replay buffer of 100,000, target "
        "sync 1,000, train every 4, warm-up 80,000 (10,000 for a first look) and ε from 1 to 0.01 over "
        "1,000,000 steps. It takes millions of frames: hours, not minutes.",
        plots=("returns", "q_mean", "td", "replay"), hide=GRID, run_steps=50_000,
    ),
    NarrativeStep(
        "REINFORCE: learning the policy itself",
        "Instead of learning values and acting greedily, a **policy gradient** method learns the policy "
        "π(a|s) directly: a network outputs the probability of each action and the agent samples from it. "
        "**REINFORCE** (Williams 1992; Sutton & Barto ch. 13.3) plays a whole episode, computes each step's "
        "return-to-go G_t, and raises log π(a_t|s_t) in proportion to G_t: actions followed by long balancing "
        "become more likely. No replay buffer, no ε: the policy's own randomness explores.\n\n"
        "This step uses REINFORCE **without a baseline**. Its gradient is unbiased but very noisy: every "
        "return is positive, so every action taken is pushed up, only some more than others. Watch the "
        "return curve wobble.",
        set_params={"method": "reinforce", "baseline": False, "lr": 5e-4},
        plots=("returns", "environment", "q_episode", "td"), hide=GRID + DQN_ONLY, run_steps=40_000,
    ),
    NarrativeStep(
        "A baseline",
        "Subtracting a **baseline** b(s_t) from the return leaves the expected gradient unchanged (Sutton & Barto "
        "ch. 13.4) but can shrink its variance a lot. The natural baseline is the state value V(s), learned "
        "by a second network from the same returns: the policy now raises actions that did **better than "
        "expected** (G_t − V(s_t) > 0) and lowers the others.\n\n"
        "Compare the return curve with the previous run's (drawn faded): with the baseline REINFORCE typically "
        "learns faster and more steadily. **Value function over a slice** now shows V(s).",
        set_params={"method": "reinforce", "baseline": True, "lr": 5e-4},
        plots=("returns", "environment", "value", "td"), hide=GRID + DQN_ONLY, run_steps=40_000,
    ),
    NarrativeStep(
        "A grid world you can edit",
        "With a handful of states, Q fits in a **table**: one number per cell and action. The grid world "
        "(after Karpathy's REINFORCEjs) has walls, pits (−1, the episode ends), a goal (+1) and a small cost "
        "per step. Tabular Q-learning applies the same TD update to one table entry at a time.\n\n"
        "Each cell is coloured by V(s) = max_a Q(s, a), with an arrow for the **greedy policy**. Watch the value "
        "spread backwards from the goal, one step per visit. **Click a cell** to paint it with the **Grid "
        "paint** tool (a wall, a pit, the goal…): the agent must re-learn around it. A map whose goal no start "
        "can reach is refused with an explanation.\n\n"
        "This step sets the step size α (the *Learning rate* slider) to 1, since the grid is deterministic, and "
        "keeps ε at 0.6: Q-learning is **off-policy**, so the greedy arrows become optimal while the agent "
        "still explores (the returns stay low, the arrows are right). With CartPole's ε schedule (down to "
        "0.05) a few dead-end cells are almost never visited and their arrows stay wrong for a long time.",
        set_params={"env": "grid", "method": "dqn", "lr": 1.0, "eps_start": 1.0, "eps_end": 0.6,
                    "eps_decay_steps": 2000},
        plots=("environment", "returns", "q_episode", "td", "epsilon"), hide=DQN_ONLY, run_steps=20_000,
    ),
)
