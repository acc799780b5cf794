"""Batch runs: a campaign TOML file, technique adapters, executors, a result cache and provenance.

``structkit run campaign.toml`` is :func:`run_campaign`. A technique takes part
through a :class:`TechniqueAdapter` registered with :func:`register_adapter`
(see :mod:`structkit.pipeline.adapters`).
"""

from .adapters import (
    SummaryResult,
    TaskResult,
    TechniqueAdapter,
    atomic_savefig,
    available_adapters,
    check_keys,
    get_adapter,
    positive_number,
    read_hints,
    register_adapter,
)
from .cache import ResultCache, task_key
from .config import Campaign, JoinConfig, TechniqueConfig, load_campaign, parse_campaign
from .executors import (
    DaskExecutor,
    Failure,
    ProcessExecutor,
    SerialExecutor,
    Task,
    TaskOutcome,
    make_executor,
    run_task,
)
from .runner import CampaignStatus, RunLog, RunReport, campaign_status, run_campaign

__all__ = [
    "run_campaign", "RunReport", "campaign_status", "CampaignStatus", "RunLog",
    "load_campaign", "parse_campaign", "Campaign", "TechniqueConfig", "JoinConfig",
    "TechniqueAdapter", "TaskResult", "SummaryResult", "register_adapter", "get_adapter",
    "available_adapters", "check_keys", "positive_number", "atomic_savefig", "read_hints",
    "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "Task", "TaskOutcome", "Failure", "run_task",
    "ResultCache", "task_key",
]
