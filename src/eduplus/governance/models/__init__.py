"""Data governance models, one module per concern."""

from eduplus.governance.models.catalog import Classification, Dataset, DatasetKind
from eduplus.governance.models.golden import (
    GOLDEN_TEXT_ITEMS,
    PROVENANCE_ITEMS,
    GoldenRecord,
    MatchReview,
    ResolutionRun,
    ReviewStatus,
    ValueConflict,
)
from eduplus.governance.models.lineage import LineageEvent
from eduplus.governance.models.quality import QualityDimension, QualityResult, QualityRule
from eduplus.governance.models.records import (
    BatchStatus,
    ImportBatch,
    PersonType,
    RecordLink,
    RecordStatus,
    SourceRecord,
)
from eduplus.governance.models.sharing import ShareRequest, ShareStatus, ShareToken
from eduplus.governance.models.sources import DataItem, ItemAuthority, SourceKind, SourceSystem

__all__ = [
    "GOLDEN_TEXT_ITEMS",
    "PROVENANCE_ITEMS",
    "BatchStatus",
    "Classification",
    "DataItem",
    "Dataset",
    "DatasetKind",
    "GoldenRecord",
    "ImportBatch",
    "ItemAuthority",
    "LineageEvent",
    "MatchReview",
    "PersonType",
    "QualityDimension",
    "QualityResult",
    "QualityRule",
    "RecordLink",
    "RecordStatus",
    "ResolutionRun",
    "ReviewStatus",
    "ShareRequest",
    "ShareStatus",
    "ShareToken",
    "SourceKind",
    "SourceRecord",
    "SourceSystem",
    "ValueConflict",
]
