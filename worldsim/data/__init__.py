"""Rollout datasets: collection, durable storage, inspection and training windows."""

from .collector import CollectConfig, collect, episode_seed, save_rollouts
from .dataset import Dataset, DatasetError, open_dataset
from .episode import load_episode, save_episode
from .inspect import check_dataset, dataset_info, export_episode

__all__ = ["CollectConfig", "Dataset", "DatasetError", "WindowDataset", "check_dataset", "collect",
           "dataset_info", "episode_seed", "export_episode", "load_episode", "open_dataset", "save_episode",
           "save_rollouts"]


def __getattr__(name: str):
    """Import the torch-based window dataset only when asked for (collection workers never need torch)."""
    if name == "WindowDataset":
        from .windows import WindowDataset

        return WindowDataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
