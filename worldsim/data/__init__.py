"""Rollout datasets: collection, durable storage, inspection and training windows."""

from .collect import CollectConfig, collect, episode_seed
from .dataset import Dataset, DatasetError, open_dataset
from .episode import load_episode, save_episode
from .inspect import check_dataset, dataset_info, export_episode
from .windows import WindowDataset

__all__ = ["CollectConfig", "Dataset", "DatasetError", "WindowDataset", "check_dataset", "collect",
           "dataset_info", "episode_seed", "export_episode", "load_episode", "open_dataset", "save_episode"]
