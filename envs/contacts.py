"""Contact tracking across physics substeps: impacts (with integrated impulse) and sliding contacts."""

from __future__ import annotations

from dataclasses import dataclass

from .backend import mujoco
import numpy as np


@dataclass
class Impact:
    """One impact: two geoms that started touching while approaching faster than a threshold."""

    geoms: tuple[int, int]  # sorted geom ids
    onset_substep: int  # substep of the control step in which the contact began
    speed: float  # normal approach speed at onset, m/s
    impulse: float = 0.0  # normal impulse integrated over the impact window so far, N s
    substeps_left: int = 0  # how much longer the impulse is integrated
    ended: bool = False


@dataclass(frozen=True)
class Slide:
    """A persisting contact that slides: normal force and tangential speed at the end of a step."""

    geoms: tuple[int, int]
    normal_force: float  # N
    tangential_speed: float  # m/s


class ContactTracker:
    """Follows MuJoCo contacts by sorted geom pair (MuJoCo has no persistent contact ids)."""

    def __init__(self, model: mujoco.MjModel, approach_threshold: float = 0.1,
                 window_s: float = 0.012, rearm_s: float = 0.01, slide_threshold: float = 0.02) -> None:
        self.model = model
        # Elliptic cones keep the normal force in one efc row (vectorised read); pyramidal ones
        # spread it over the pyramid's edges, so those models go through mj_contactForce.
        self._elliptic = model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
        self._f6 = np.zeros(6)
        self._extent = float(model.stat.extent)
        self.approach_threshold = approach_threshold
        self.window = max(1, round(window_s / model.opt.timestep))
        self.rearm = max(1, round(rearm_s / model.opt.timestep))
        self.slide_threshold = slide_threshold
        self._ngeom = model.ngeom
        self._vel = np.zeros(6)
        self.reset()

    def reset(self) -> None:
        """Forget all contacts (call after mj_resetData)."""
        self._clock = 0  # substeps since reset
        self._sig = b""  # raw bytes of the last substep's contact geom pairs: unchanged means no news
        self._current: set[int] = set()  # pair keys touching now
        self._left: dict[int, int] = {}  # pair key -> clock when it stopped touching
        self._open: dict[int, Impact] = {}  # pair key -> impact whose impulse is still integrating
        self.step_impacts: list[Impact] = []
        self.carried: list[Impact] = []  # impacts from earlier steps that still gained impulse

    def resume(self, data: mujoco.MjData) -> None:
        """Forget all contacts, then take the pairs touching in `data` as touching already (after a state is
        restored mid-episode: they are not new impacts)."""
        self.reset()
        if data.ncon:
            self._sig = data.contact.geom.tobytes()
            self._current = set(self._keys(data).tolist())

    def begin_step(self) -> None:
        """Start a new control step: clear this step's impact lists."""
        self.step_impacts = []
        self.carried = []
        for imp in self._open.values():
            imp.impulse = 0.0  # only the impulse gained in the new step is reported as carried
            self.carried.append(imp)

    def _keys(self, data: mujoco.MjData) -> np.ndarray:
        g = np.sort(data.contact.geom, axis=1)
        return g[:, 0] * self._ngeom + g[:, 1]

    def _normal_forces(self, data: mujoco.MjData) -> np.ndarray:
        adr = data.contact.efc_address
        if self._elliptic:
            return np.where(adr >= 0, data.efc_force[np.maximum(adr, 0)], 0.0)
        force = np.zeros(adr.size)
        for i in np.flatnonzero(adr >= 0):
            mujoco.mj_contactForce(self.model, data, int(i), self._f6)
            force[i] = self._f6[0]
        return force

    def _approach_speed(self, data: mujoco.MjData, i: int) -> float:
        """Normal approach speed of contact i: -(v_geom1 - v_geom0) . n, n from geom0 to geom1."""
        con = data.contact
        g0, g1 = int(con.geom[i, 0]), int(con.geom[i, 1])
        n = con.frame[i, :3]
        mujoco.mj_objectVelocity(self.model, data, mujoco.mjtObj.mjOBJ_GEOM, g0, self._vel, 0)
        v0 = self._vel[3:].dot(n)
        mujoco.mj_objectVelocity(self.model, data, mujoco.mjtObj.mjOBJ_GEOM, g1, self._vel, 0)
        return float(v0 - self._vel[3:].dot(n))

    def after_substep(self, data: mujoco.MjData, substep: int) -> None:
        """Update after one mj_step: detect new impacts, integrate the impulse of open ones."""
        self._clock += 1
        sig = data.contact.geom.tobytes() if data.ncon else b""
        keys = None
        if sig != self._sig:  # the set of touching pairs may have changed
            self._sig = sig
            keys = self._keys(data) if data.ncon else np.zeros(0, dtype=np.int64)
            now = set(keys.tolist())
            for key in self._current - now:
                self._left[key] = self._clock
            for key in now - self._current:
                left = self._left.pop(key, None)
                if left is not None and self._clock - left <= self.rearm:
                    continue  # a flickering resting contact, not a new impact
                i = int(np.flatnonzero(keys == key)[0])
                speed = self._approach_speed(data, i)
                if speed > self.approach_threshold:
                    imp = Impact(geoms=(key // self._ngeom, key % self._ngeom), onset_substep=substep,
                                 speed=speed, substeps_left=self.window)
                    self._open[key] = imp
                    self.step_impacts.append(imp)
            self._current = now
            if len(self._left) > 256:
                self._left = {k: c for k, c in self._left.items() if self._clock - c <= self.rearm}
        if not self._open:
            return
        if keys is None:
            keys = self._keys(data)
        force = self._normal_forces(data)
        dt = self.model.opt.timestep
        for key in list(self._open):
            imp = self._open[key]
            if key in self._current:
                imp.impulse += float(force[keys == key].sum()) * dt
                imp.substeps_left -= 1
            if key not in self._current or imp.substeps_left <= 0:
                self._open.pop(key).ended = True

    def slides(self, data: mujoco.MjData) -> list[Slide]:
        """Persisting contacts at the end of a step whose tangential speed exceeds the threshold."""
        if not data.ncon:
            return []
        # Cheap bound first: a pair can only slide if one of its bodies moves (|v| + |w| * extent).
        cvel = data.cvel
        moving = (np.abs(cvel[:, 3:]).sum(1) + np.abs(cvel[:, :3]).sum(1) * self._extent) > self.slide_threshold
        con = data.contact
        geom = con.geom
        candidates = moving[self.model.geom_bodyid[geom]].any(axis=1)
        if not candidates.any():
            return []
        keys, force = self._keys(data), self._normal_forces(data)
        out: dict[int, Slide] = {}
        for i in np.flatnonzero(candidates).tolist():
            key = int(keys[i])
            if key in out or key in self._open or force[i] <= 0.0:
                continue
            g0, g1 = int(geom[i, 0]), int(geom[i, 1])
            mujoco.mj_objectVelocity(self.model, data, mujoco.mjtObj.mjOBJ_GEOM, g0, self._vel, 0)
            v = self._vel[3:].copy()
            mujoco.mj_objectVelocity(self.model, data, mujoco.mjtObj.mjOBJ_GEOM, g1, self._vel, 0)
            v -= self._vel[3:]
            n = con.frame[i, :3]
            vn = float(v.dot(n))
            vt = float(np.sqrt(max(float(v.dot(v)) - vn * vn, 0.0)))
            if vt > self.slide_threshold:
                total = float(force[keys == key].sum())
                out[key] = Slide(geoms=(key // self._ngeom, key % self._ngeom), normal_force=total,
                                 tangential_speed=vt)
        return list(out.values())
