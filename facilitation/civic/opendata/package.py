"""Writing the open data package: the CSVs, `datapackage.json`, the README's data dictionary and the zip.

The package is a Frictionless tabular Data Package under an open licence; the tables come from
`tables`, the Polis-layout files from `polis`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from facilitation.civic.opendata.licenses import DEFAULT_LICENSE, LICENSES
from facilitation.civic.opendata.polis import (
    POLIS_DESCRIPTIONS,
    VoteSource,
    polis_schema,
    polis_tables,
    stored_votes,
)
from facilitation.civic.opendata.tables import TABLES, OpenDataTable, Pseudonyms, iso_utc
from facilitation.kernel.spreadsheets import FORMULA_STARTS, TEXT_MARK, write_csv
from storage.models import Campaign


def write_package(
    session: Session,
    campaign: Campaign,
    out_dir: Path,
    secret: str,
    license_id: str = DEFAULT_LICENSE,
    votes: VoteSource = stored_votes,
) -> Path:
    """Write the campaign's data package into `out_dir` (created, or emptied of a previous export)."""
    if license_id not in LICENSES:
        raise ValueError(f"unknown licence {license_id!r}; choose one of {', '.join(LICENSES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    author = Pseudonyms(secret, campaign.id or 0)
    resources = []
    for table in TABLES:
        path = out_dir / f"{table.name}.csv"
        header = [column.name for column in table.columns]
        _write_csv(path, header, _checked(table, table.rows(session, campaign, author)))
        schema: dict[str, Any] = {
            "fields": [{"name": c.name, "type": c.type, "description": c.description} for c in table.columns]
        }
        if table.primary_key:
            schema["primaryKey"] = [table.primary_key]
        resources.append(_resource(table.name, path.name, table.description, schema))
    for name, (header, rows) in polis_tables(session, campaign, author, votes).items():
        path = out_dir / f"{name}.csv"
        if name == "summary":  # Polis writes its summary as bare key,value lines
            _write_csv(path, None, rows)
            continue
        _write_csv(path, header, rows)
        resources.append(
            _resource(f"polis-{name}", path.name, POLIS_DESCRIPTIONS[name], polis_schema(header, rows))
        )
    title, url = LICENSES[license_id]
    package = {
        "profile": "tabular-data-package",
        "name": f"townhall-{campaign.hashtag}".lower().replace("_", "-"),
        "title": f"#{campaign.hashtag} — {campaign.title}",
        "description": campaign.challenge,
        "created": iso_utc(datetime.now(UTC)),
        "licenses": [{"name": license_id, "title": title, "path": url}],
        "contributors": [{"title": f"The residents of #{campaign.hashtag}", "role": "author"}],
        "sources": [{"title": "Townhall, an open-source facilitator for open town-hall planning"}],
        "resources": resources,
    }
    (out_dir / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out_dir / "README.md").write_text(data_dictionary(campaign, license_id), encoding="utf-8")
    return out_dir / "datapackage.json"


def _checked(table: OpenDataTable, rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    """The rows, each checked to hold one value per column, so that a table's declaration and its rows
    cannot drift apart unnoticed."""
    for row in rows:
        if len(row) != len(table.columns):
            raise ValueError(f"{table.name}: a row has {len(row)} values for {len(table.columns)} columns")
        yield row


def _resource(name: str, path: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": description,
        "schema": schema,
    }


def _write_csv(path: Path, header: list[str] | None, rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, [header, *rows] if header is not None else rows)


def data_dictionary(campaign: Campaign, license_id: str) -> str:
    """The package's README: what each file holds, column by column."""
    title, url = LICENSES[license_id]
    lines = [
        f"# Open data of #{campaign.hashtag}: {campaign.title}",
        "",
        campaign.challenge,
        "",
        f"Licence: {title} ({url}). Attribution: the residents of #{campaign.hashtag}, via Townhall.",
        "Authors are pseudonymous ids, stable within this campaign and unlinkable to any account or to other",
        "campaigns. People who asked to be forgotten, and ideas moderators hid, are absent.",
        "What members wrote for their accountability pod stays with the pod: commitments carry their action,",
        "due day, status and percentage, not their progress notes; check-ins are published only as weekly",
        "counts, with no row per person and none of their words.",
        "`datapackage.json` describes every table (Frictionless Data Package); `comments.csv`, `votes.csv`,",
        "`participants-votes.csv` and `summary.csv` follow the layout of Polis exports.",
        "In `participants-votes.csv`, `group-id` is the opinion group Townhall found for the participant",
        "(0 for group A, 1 for B...), computed from the votes as /groups shows them; empty when not grouped.",
        "",
        "## Text that looks like a formula",
        "",
        f"A cell that begins with {', '.join(_shown(start) for start in FORMULA_STARTS)} is written with an "
        f"apostrophe (`{TEXT_MARK}`) in front,",
        "so that spreadsheets show it as text instead of running it as a formula (CSV injection). Remove",
        "that one leading apostrophe to read the words exactly as written. This is the only change made to",
        "what residents wrote. The package has no JSON form of its rows: these CSVs are its only copy of the",
        "words; Townhall itself keeps them verbatim and shows them so in chat.",
        "",
    ]
    for table in TABLES:
        lines += [
            f"## {table.name}.csv",
            "",
            table.description,
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        lines += [f"| {c.name} | {c.type} | {c.description} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


def _shown(start: str) -> str:
    """A character that starts a formula, as the data dictionary names it."""
    return {"\t": "a tab", "\r": "a carriage return"}.get(start, f"`{start}`")


def archive(out_dir: Path) -> Path:
    """The export folder zipped beside itself, for sending as one file."""
    return Path(shutil.make_archive(str(out_dir), "zip", root_dir=out_dir))
