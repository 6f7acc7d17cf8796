"""The scenes honour gymnasium's API, DESIGN.md's observation contract and seeded determinism."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import worldsim  # noqa: F401
from worldsim.envs import AudioVisualWrapper

SCENES = ["worldsim/Push-v0", "worldsim/Drop-v0"]


@pytest.mark.parametrize("env_id", SCENES)
def test_check_env_passes(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(gym.make(env_id))


def test_check_env_passes_for_wrapped_pusher():
    env = AudioVisualWrapper(gym.make("Pusher-v5"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Pusher-v5's own 'human' render mode needs a display; the wrapper's API is what is checked here.
        check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=1)
    assert obs["image"].shape == (64, 64, 3) and obs["audio"].shape == (800,)
    assert info["state"].shape == (23,) and info["foreground_mask"].any()


@pytest.mark.parametrize("env_id", SCENES)
def test_observation_contract(env_id):
    env = gym.make(env_id)
    space = env.observation_space
    assert space["image"].shape == (64, 64, 3) and space["image"].dtype == np.uint8
    assert space["audio"].shape == (800,) and space["audio"].dtype == np.float32
    assert space["audio"].low.min() == -1.0 and space["audio"].high.max() == 1.0
    obs, info = env.reset(seed=0)
    assert space.contains(obs)
    assert not obs["audio"].any(), "audio after reset must be zeros"
    obs, *_, info = env.step(env.action_space.sample())
    assert space.contains(obs)
    assert {"qpos", "qvel", "contacts", "foreground_mask", "is_success"} <= set(info)
    assert info["foreground_mask"].shape == (64, 64) and info["foreground_mask"].dtype == bool


@pytest.mark.parametrize("env_id", SCENES)
def test_seeded_reset_is_reproducible(env_id):
    env = gym.make(env_id)
    runs = []
    for _ in range(2):
        obs, _ = env.reset(seed=7)
        env.action_space.seed(3)
        images, audio = [obs["image"]], [obs["audio"]]
        for _ in range(25):
            obs, *_ = env.step(env.action_space.sample())
            images.append(obs["image"])
            audio.append(obs["audio"])
        runs.append((np.stack(images), np.stack(audio)))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert np.array_equal(runs[0][1], runs[1][1])
    other, _ = env.reset(seed=8)
    assert not np.array_equal(other["image"], runs[0][0][0]), "a different seed should give a different layout"


def _body_pixels(env, names):
    """Pixel count of each named body's geoms in the segmentation image of the current state."""
    u = env.unwrapped
    r = u.sim.renderer
    r.update_scene(u.data, camera=u._camera)
    r.enable_segmentation_rendering()
    seg = r.render()
    r.disable_segmentation_rendering()
    out = {}
    for name in names:
        geoms = np.flatnonzero(u.model.geom_bodyid == u.model.body(name).id)
        out[name] = int((np.isin(seg[..., 0], geoms) & (seg[..., 1] == 5)).sum())
    return out


@pytest.mark.parametrize("env_id,bodies", [
    ("worldsim/Push-v0", ["pusher", "target", "can", "block"]),
    ("worldsim/Drop-v0", ["gripper", "object"]),
])
def test_movable_bodies_are_large_enough_to_learn(env_id, bodies):
    env = gym.make(env_id)
    smallest = {b: 10**6 for b in bodies}
    for seed in range(6):
        env.reset(seed=seed)
        for _ in range(3):
            env.step(env.action_space.sample() * 0)
        for name, px in _body_pixels(env, bodies).items():
            smallest[name] = min(smallest[name], px)
    assert min(smallest.values()) >= 60, smallest


def test_foreground_mask_covers_the_movables_only():
    env = gym.make("worldsim/Push-v0")
    _, info = env.reset(seed=0)
    mask = info["foreground_mask"]
    px = _body_pixels(env, ["pusher", "target", "can", "block"])
    assert mask.sum() == sum(px.values()), (mask.sum(), px)


def test_snapshot_and_restore_replay_a_step_exactly_sound_included():
    env = gym.make("worldsim/Push-v0", max_episode_steps=10).unwrapped
    env.reset(seed=4)
    snap = env.snapshot()
    action = np.array([0.2, 0.1], np.float32)
    want = env.step(action)
    events = 0
    for _ in range(12):  # drive into things: impacts keep ringing, and the step count passes truncation
        events += len(env.step(np.array([-1.0, 0.0], np.float32))[4]["contacts"])
    assert events > 0
    for _ in range(2):  # a snapshot can be restored more than once
        env.restore(snap)
        got = env.step(action)
        np.testing.assert_array_equal(got[0]["image"], want[0]["image"])
        np.testing.assert_allclose(got[0]["audio"], want[0]["audio"], atol=1e-6)  # no ringing from the impacts
        assert got[1] == want[1] and got[3] == want[3] == False  # noqa: E712  (reward, not truncated)
    assert env.sim.tracker.model is env.model  # restored sound state still refers to the env's own model


@pytest.mark.parametrize("solid", [False, True])
def test_pusher_leaves_the_table_unless_the_walls_are_solid(solid):
    """The default scene keeps the pusher's old bug (it passes through the walls); solid_walls stops it."""
    from worldsim.agents import RandomWalkPolicy

    env = gym.make("worldsim/Push-v0", solid_walls=solid)
    policy = RandomWalkPolicy(env.action_space, seed=0)
    obs, _ = env.reset(seed=0)
    policy.reset()
    farthest = 0.0
    for _ in range(100):
        obs, *_ = env.step(policy.act(obs))
        farthest = max(farthest, float(np.abs(env.unwrapped.positions()["pusher"]).max()))
    # the walls' inner faces are at 0.30 m and the pusher's radius is 0.045 m
    assert (farthest < 0.26) if solid else (farthest > 0.30), f"pusher reached {farthest:.2f} m"


def test_top_camera_frames_all_four_walls():
    wall = np.array([0.45, 0.30, 0.18]) * 255  # WALL_RGBA, lit
    for camera, near_wall_seen in (("top", True), ("tilted", False)):
        image = gym.make("worldsim/Push-v0", camera=camera).reset(seed=0)[0]["image"].astype(float)
        brown = (np.abs(image - image[..., :1] * wall / wall[0]).sum(-1) < 40) & (image[..., 0] > 60)
        rows, cols = brown.mean(1) > 0.5, brown.mean(0) > 0.5  # a wall is a band across most of the image
        assert rows[:8].any() and cols[:8].any() and cols[-8:].any(), f"{camera}: far and side walls in view"
        assert rows[-8:].any() == near_wall_seen, f"{camera}: near wall in view is {rows[-8:].any()}"
    with pytest.raises(ValueError, match="unknown camera"):
        gym.make("worldsim/Push-v0", camera="side")


def test_push_v1_is_v0_with_its_scene_fixed_and_equivalent_spellings_compare_equal():
    from worldsim.data.envspec import canonical_env, same_env

    env = gym.make("worldsim/Push-v1")
    assert env.unwrapped.solid_walls and env.unwrapped.camera == "top"
    assert same_env("worldsim/Push-v1", {}, "worldsim/Push-v0", {"camera": "top", "solid_walls": True})
    assert same_env("worldsim/Push-v0", {}, "worldsim/Push-v0", {"camera": "tilted", "width": 64})
    assert not same_env("worldsim/Push-v1", {}, "worldsim/Push-v0", {})
    assert not same_env("worldsim/Push-v0", {}, "worldsim/Drop-v0", {})
    assert canonical_env("worldsim/Push-v1", {"solid_walls": False})[1]["solid_walls"] is False
    with pytest.raises(ValueError, match="unknown env id"):
        canonical_env("worldsim/Pusj-v0")


def test_render_positions_redraws_an_episode_and_can_hide_the_goal():
    env = gym.make("worldsim/Push-v0").unwrapped
    obs, info = env.reset(seed=4)
    qpos = np.stack([info["qpos"], info["qpos"]])
    same = env.render_positions(qpos)
    assert np.array_equal(same[0], obs["image"]) and np.array_equal(same[1], obs["image"])
    assert env.markers == ("goal",)
    hidden = env.render_positions(qpos, env.markers)[0]
    f = obs["image"].astype(np.int16)
    goal = (f[..., 1] > 120) & (f[..., 0] < 110) & (f[..., 2] < 130)  # the green disc's pixels
    changed = np.abs(hidden.astype(np.int16) - f).max(-1) > 0
    assert goal.sum() > 50 and changed[goal].all()
    assert not ((hidden[..., 1] > 120) & (hidden[..., 0] < 110) & (hidden[..., 2] < 130)).any()  # no disc left
    assert changed.sum() < 1.5 * goal.sum()  # nothing but the disc (and its blended rim) changed
    twin = gym.make("worldsim/Push-v0").unwrapped  # the env's own episode goes on as if nothing was drawn
    twin.reset(seed=4)
    a = np.full(2, 0.5, np.float32)
    assert np.array_equal(env.step(a)[0]["image"], twin.step(a)[0]["image"])
    twin.close()
    with pytest.raises(ValueError, match="qpos must be"):
        env.render_positions(info["qpos"])
    env.close()
