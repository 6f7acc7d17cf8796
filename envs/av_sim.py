"""A MuJoCo model that is seen (RGB + foreground mask) and heard (contact-driven modal sound)."""

from __future__ import annotations

import copy

from typing import Any

import numpy as np

from .backend import fast_scene_flags, make_renderer, mujoco
from .contacts import ContactTracker
from .materials import get_material, sample_modes
from .sound import SAMPLE_RATE, SAMPLES_PER_STEP, ModalSynth, scrape_noise

CONTROL_DT = SAMPLES_PER_STEP / SAMPLE_RATE  # 0.05 s: 20 Hz control
REFERENCE_MASS = 0.5  # kg: an impulse on a body of this mass excites its modes at unit scale
STATIC_MASS = 20.0  # kg: what a static geom (table, wall) weighs for sound


class AudioVisualSim:
    """Steps a MuJoCo model substep by substep, turning its contacts into 16 kHz audio and rendering it."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, n_substeps: int,
                 geom_materials: dict[str, str] | None = None, default_material: str = "plastic",
                 static_material: str = "wood", camera: str | mujoco.MjvCamera | None = None,
                 width: int = 64, height: int = 64, foreground_geoms: list[int] | None = None,
                 audio_gain: float = 1.0, scrape_gain: float = 0.004,
                 approach_threshold: float = 0.1) -> None:
        dt = model.opt.timestep * n_substeps
        if abs(dt - CONTROL_DT) > 1e-9:
            raise ValueError(
                f"audio needs 20 Hz control (timestep x substeps = {CONTROL_DT} s, {SAMPLES_PER_STEP} "
                f"samples at {SAMPLE_RATE} Hz), got {model.opt.timestep} x {n_substeps} = {dt:g} s; "
                f"choose frame_skip = {CONTROL_DT / model.opt.timestep:g}"
            )
        self.model, self.data, self.n_substeps = model, data, n_substeps
        self.samples_per_substep = SAMPLES_PER_STEP // n_substeps
        self.tracker = ContactTracker(model, approach_threshold=approach_threshold)
        self.synth = ModalSynth(gain=audio_gain)
        self.scrape_gain = scrape_gain
        names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g) or f"geom{g}" for g in range(model.ngeom)]
        self.geom_names = names
        geom_materials = geom_materials or {}
        unknown = sorted(set(geom_materials) - set(names))
        if unknown:
            raise ValueError(f"materials given for geoms that do not exist: {unknown}; geoms: {names}")
        static = model.geom_bodyid == 0
        self.geom_material = [
            geom_materials.get(n, static_material if static[g] else default_material) for g, n in enumerate(names)
        ]
        for m in set(self.geom_material):
            get_material(m)  # fail early on an unknown preset name
        fg = np.flatnonzero(~static) if foreground_geoms is None else np.asarray(foreground_geoms, dtype=int)
        self._fg_lut = np.zeros(model.ngeom + 1, dtype=bool)  # last entry: background (-1)
        self._fg_lut[fg] = True
        self.renderer = make_renderer(model, height, width)
        self._rgb = np.empty((height, width, 3), np.uint8)
        self._seg = np.empty((height, width, 3), np.uint8)
        self.camera = camera if camera is not None else -1
        self._rng = np.random.default_rng(0)
        self._excite_scale = np.ones(model.ngeom)
        self._shapes: list[np.ndarray] = []

    def reset(self, rng: np.random.Generator) -> None:
        """Fall silent, forget contacts and draw each geom's modes (per-object jitter) from `rng`."""
        self._rng = rng
        # Modal velocity ~ impulse / modal mass: a light object rings louder than a heavy one for
        # the same impulse; static geoms (table, walls) count as STATIC_MASS kg.
        mass = np.where(self.model.geom_bodyid == 0, STATIC_MASS,
                        self.model.body_subtreemass[self.model.body_rootid[self.model.geom_bodyid]])
        self._excite_scale = REFERENCE_MASS / np.maximum(mass, 1e-3)
        bodies = [sample_modes(get_material(m), rng) for m in self.geom_material]
        self.synth.set_bodies(bodies)
        self._shapes = [self.synth.spectrum_shape(g, SAMPLES_PER_STEP) for g in range(self.model.ngeom)]
        self.tracker.reset()

    def audio_state(self) -> dict[str, Any]:
        """What the next step's sound depends on besides physics: ringing modes, contact memory, noise stream."""
        return self._copy({"synth": self.synth, "tracker": self.tracker, "noise": self._rng.bit_generator.state})

    def set_audio_state(self, state: dict[str, Any]) -> None:
        """Return to an `audio_state()` (copied, so the same state can be set again)."""
        state = self._copy(state)
        self.synth, self.tracker = state["synth"], state["tracker"]
        self._rng.bit_generator.state = state["noise"]

    def _copy(self, state: dict[str, Any]) -> dict[str, Any]:
        """A deep copy that still points at this sim's own MjModel and MjData (the tracker keeps the model)."""
        return copy.deepcopy(state, memo={id(self.model): self.model, id(self.data): self.data})

    def set_material(self, geom: int, material: str, rng: np.random.Generator) -> None:
        """Give one geom another material's sound (call after reset, before stepping)."""
        self.geom_material[geom] = material
        self.reset(rng)

    def begin_step(self) -> None:
        """Mark the start of a control step."""
        self.tracker.begin_step()

    def after_substep(self, substep: int) -> None:
        """Record contacts after one mj_step of the current control step."""
        self.tracker.after_substep(self.data, substep)

    def step(self, n_substeps: int | None = None) -> None:
        """Advance one control step (data.ctrl already set), tracking contacts at every substep."""
        self.begin_step()
        m, d = self.model, self.data
        for k in range(self.n_substeps if n_substeps is None else n_substeps):
            mujoco.mj_step(m, d)
            self.tracker.after_substep(d, k)

    def end_step(self) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Synthesise the step's audio from its contacts; return (audio float32 [800], contact events)."""
        events = []
        for imp in self.tracker.step_impacts:
            onset = imp.onset_substep * self.samples_per_substep
            level = sum(self.synth.excite(g, onset, imp.impulse * self._excite_scale[g]) for g in imp.geoms)
            g0, g1 = imp.geoms
            events.append({
                "onset_sample": int(onset), "impulse": float(imp.impulse), "speed": float(imp.speed),
                "level": level,  # bound on the impact's peak amplitude before the soft clip
                "geoms": (self.geom_names[g0], self.geom_names[g1]),
                "materials": (self.geom_material[g0], self.geom_material[g1]),
            })
        for imp in self.tracker.carried:  # impulse an impact kept gaining after the step boundary
            for g in imp.geoms:
                self.synth.excite(g, 0, imp.impulse * self._excite_scale[g])
        out = self.synth.render()
        for s in self.tracker.slides(self.data):
            level = self.scrape_gain * np.sqrt(s.normal_force * s.tangential_speed)
            shape = self._shapes[s.geoms[0]] + self._shapes[s.geoms[1]]
            out += scrape_noise(self._rng, shape, level, SAMPLES_PER_STEP)
        return np.tanh(out).astype(np.float32), events

    def render(self, with_mask: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Render RGB uint8 [H, W, 3] and the foreground mask bool [H, W] from segmentation rendering.

        Both passes share one scene update and one GL context switch; this lean path (instead of two
        Renderer.render calls) is what keeps a 64x64 step with mask under the 2.5 ms budget.
        """
        r = self.renderer
        r.update_scene(self.data, camera=self.camera)
        fast_scene_flags(r)
        scene, ctx, rect = r.scene, r._mjr_context, r._rect
        if r._gl_context:
            r._gl_context.make_current()
        mujoco.mjr_render(rect, scene, ctx)
        mujoco.mjr_readPixels(self._rgb, None, rect, ctx)
        image = self._rgb[::-1].copy()  # GL rows run bottom-up
        if not with_mask:
            return image, None
        flags = scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = True
        try:
            mujoco.mjr_render(rect, scene, ctx)
            mujoco.mjr_readPixels(self._seg, None, rect, ctx)
        finally:
            flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = False
        # IDCOLOR paints scene geom i with colour i + 1 (0 is background); map it to "is foreground".
        lut = np.zeros(scene.ngeom + 1, dtype=bool)
        geom_type = int(mujoco.mjtObj.mjOBJ_GEOM)
        for i in range(scene.ngeom):
            g = scene.geoms[i]
            if g.objtype == geom_type and g.segid >= 0:
                lut[g.segid + 1] = self._fg_lut[g.objid]
        seg = self._seg.astype(np.int32)
        ids = seg[..., 0] + (seg[..., 1] << 8) + (seg[..., 2] << 16)
        return image, lut[np.minimum(ids, scene.ngeom)][::-1].copy()

    def close(self) -> None:
        """Free the renderer's GL context."""
        self.renderer.close()
