"""Campaigns: hundreds of personalised videos from one CSV or JSONL file, each created exactly once, resumable.

```python
from miraflow.batch import run_campaign_sync

result = run_campaign_sync("campaign.csv", "out/")  # the key from MIRAFLOW_API_KEY
print(result.counts)                                 # rows per state: downloaded, failed, ambiguous...
for row in result.problems:
    print(row.key, row.name, row.state, row.error)
```

`run_campaign` (async; `run_campaign_sync` blocks) validates every row before anything is sent, keeps a SQLite ledger
in the campaign folder (`ledger`: the intent to create is committed before each request, the jobId the moment it
arrives), reconciles by name the creates a crash left unanswered (`reconcile`), follows every job from one polling
scheduler timed by the SDK's adaptive waiter (`scheduler`), slows the whole batch down on a 429 (`pacing`), and
downloads each video atomically, verified by SHA-256 (`files`). Rerunning the same campaign in the same folder
resumes it. `campaign_status` and `write_report` read a folder's ledger; `plan_campaign` is the dry run;
`estimate_cost` the credits it would spend (an estimate from the spec's `x-pricing`). `CampaignOptions` says how a run
goes (concurrency, retries, encoding...); it returns a `CampaignResult` whose `outcome` says how it ended.

A plain library on the SDK's public names only (`miraflow`, `miraflow.clock`, `miraflow.polling`, `miraflow.retries`,
`miraflow.resolve`, `miraflow.modes`, `miraflow.filenames`): no typer, no private SDK module (tests/test_layers.py
checks it). The command line is `miraflow batch` (`miraflow.cli.batch`), which maps outcomes and errors to exit codes.
"""

from miraflow.batch.cost import CostEstimate, estimate_cost
from miraflow.batch.errors import (
    BatchError,
    CampaignBusyError,
    CampaignFileError,
    InsufficientCreditsError,
    InvalidRowsError,
    LedgerConflictError,
)
from miraflow.batch.ledger import Ledger, LedgerError, LedgerRow, RowState
from miraflow.batch.options import CampaignOptions
from miraflow.batch.plan import Plan, plan_campaign
from miraflow.batch.report import CampaignStatus, campaign_status, write_report
from miraflow.batch.rows import Row, RowError, Validation, read_rows, validate_rows
from miraflow.batch.runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ATTEMPTS,
    CampaignObserver,
    CampaignResult,
    Outcome,
    run_campaign,
    run_campaign_sync,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_ATTEMPTS",
    "BatchError",
    "CampaignBusyError",
    "CampaignFileError",
    "CampaignObserver",
    "CampaignOptions",
    "CampaignResult",
    "CampaignStatus",
    "CostEstimate",
    "InsufficientCreditsError",
    "InvalidRowsError",
    "Ledger",
    "LedgerConflictError",
    "LedgerError",
    "LedgerRow",
    "Outcome",
    "Plan",
    "Row",
    "RowError",
    "RowState",
    "Validation",
    "campaign_status",
    "estimate_cost",
    "plan_campaign",
    "read_rows",
    "run_campaign",
    "run_campaign_sync",
    "validate_rows",
    "write_report",
]
