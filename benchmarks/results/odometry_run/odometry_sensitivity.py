"""Ad-hoc: does the run's denoiser use its odometry input? MSE change of imagined next frames under a shifted odometry."""
import glob, sys
import numpy as np, torch
from worldsim.dynamics.model import load_world_model, LatentState
from worldsim.dynamics.latent_windows import LatentWindows
from worldsim.data.visibility import actuated_in_view
run = sys.argv[1]
m = load_world_model(run)
caches = sorted(glob.glob(f'{run}/latents/push_random*.npz'))
w = LatentWindows(caches, 4, split='val', reentry_share=0.05, in_view=actuated_in_view('worldsim/Push-v0'))
for name, rows in (('random val windows', np.random.default_rng(0).choice(len(w), 64, replace=False)),
                   ('re-entry val windows', w._reentering[:64])):
    b = w.get(rows)
    def run_(odo):
        s = LatentState(b['ctx_frames'], b['ctx_audio'], b['ctx_actions'], b['anchor'], odo)
        return m.imagine(s, b['action'], 3, generator=torch.Generator().manual_seed(0))[1]
    z0 = run_(b['odometry']); z1 = run_(b['odometry'] + torch.tensor([0., -10.]))
    err = lambda z: ((z - b['next_frame']) ** 2).mean().item()
    print(f'{run} {name} ({len(rows)}): mse true odometry {err(z0):.4f}, shifted 10 units in y {err(z1):.4f}, '
          f'change {((z0 - z1) ** 2).mean().item():.5f}')
