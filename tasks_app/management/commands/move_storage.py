"""`manage.py move_storage --to s3|local`: copy an install's stored files (uploads, results,
thumbnails, normalised audio, attachments) from STORAGE_ROOT into the S3_* bucket, or back, for
operators who switch STORAGE_BACKEND. Idempotent and resumable: run it again until it copies
nothing; each copy is verified by sha256 (tasks_app.move_storage says how).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app import blobs
from tasks_app.move_storage import DIRECTIONS, NoBucket, move

# Problems listed again in the error at the end (all were printed as they were found).
PROBLEMS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Copy the stored files (uploads, results, attachments) from STORAGE_ROOT to the S3 bucket "
        "(--to s3) or back (--to local), verifying each copy's sha256. Safe to rerun and to stop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", choices=DIRECTIONS, required=True, help="Where files go.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be copied; change nothing."
        )
        parser.add_argument(
            "--delete-source",
            action="store_true",
            help="Delete each source file once its copy is verified (stop the app first).",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Replace a different file found under the same name at the destination.",
        )
        parser.add_argument(
            "--verify-existing",
            action="store_true",
            help="Download and hash the objects already in the bucket instead of trusting the "
            "sha256 recorded when they were copied.",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="Stop after copying this many files."
        )

    def handle(self, *args: Any, to: str, verbosity: int, **options: Any) -> None:
        if not settings.S3_BUCKET:
            raise CommandError(
                "Set S3_BUCKET (and S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) "
                "to the bucket to move to or from."
            )
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be 1 or more.")
        dry_run = options["dry_run"]
        try:
            report = move(
                to,
                dry_run=dry_run,
                delete_source=options["delete_source"],
                overwrite=options["overwrite"],
                verify_existing=options["verify_existing"],
                limit=options["limit"],
                say=self.stdout.write,
                verbose=verbosity >= 2,
            )
        except blobs.StoreUnavailable as error:
            raise CommandError(
                f"{error} ({settings.S3_ENDPOINT_URL or 'AWS'}, bucket {settings.S3_BUCKET}). "
                "Nothing half-copied was left; run the command again when the store answers."
            ) from error
        except NoBucket as error:
            raise CommandError(f"There is no bucket {settings.S3_BUCKET!r}: create it.") from error
        except OSError as error:
            # A local disk that is full or not ours to write; a partial copy is removed as it fails.
            raise CommandError(f"{error}. Nothing half-copied was left; run it again.") from error
        self.stdout.write(report.line(dry_run=dry_run) + ".")
        if report.stopped:
            self.stdout.write(f"Stopped after {report.copied} copies (--limit): run it again.")
        elif not report.copied and not report.problems:
            self.stdout.write("Nothing to copy: every stored file is at the destination.")
        if report.problems:
            shown = "\n".join(report.problems[:PROBLEMS_SHOWN])
            more = len(report.problems) - PROBLEMS_SHOWN
            raise CommandError(
                f"{len(report.problems)} files need a look (their sources were kept):\n{shown}"
                + (f"\n… and {more} more above." if more > 0 else "")
            )
        if not dry_run and not report.stopped and to != settings.STORAGE_BACKEND:
            self.stdout.write(f"Next: set STORAGE_BACKEND={to} and restart the web and workers.")
