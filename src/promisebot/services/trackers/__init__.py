"""Tracker import and export: the data file (CSV or JSON) in, every tracker back out."""

from promisebot.services.trackers.file_format import (
    FileFormat,
    InvalidTrackerRows,
    MalformedTrackerFile,
    TrackerFileError,
)
from promisebot.services.trackers.service import (
    ExportReport,
    ImportConflict,
    ImportReport,
    TrackerService,
    load_demo,
)

__all__ = [
    "ExportReport",
    "FileFormat",
    "ImportConflict",
    "ImportReport",
    "InvalidTrackerRows",
    "MalformedTrackerFile",
    "TrackerFileError",
    "TrackerService",
    "load_demo",
]
