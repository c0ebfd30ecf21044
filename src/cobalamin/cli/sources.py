"""``cobalamin sources``: the bibliography every rule, cut-off, alert and number cites."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cobalamin.cli.common import Format, Lang, PackPathOption, handle_errors, print_json
from cobalamin.defaults import knowledge_for
from cobalamin.errors import InputError
from cobalamin.knowledge.sources import KINDS, Reference

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``sources`` to the app."""

    @app.command("sources")
    @handle_errors
    def sources_command(
        kind: Annotated[
            str | None, typer.Option("--kind", help=f"Only one kind: {', '.join(KINDS)}.")
        ] = None,
        pack: Annotated[
            str | None,
            typer.Option("--pack", "-p", help="Only the sources one pack lists (id or path)."),
        ] = None,
        left_out: Annotated[
            bool,
            typer.Option(
                "--left-out", help="List what no source states, and what cobalamin does instead."
            ),
        ] = False,
        pack_path: PackPathOption = None,
        output: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = (
            Format.text
        ),
        lang: Annotated[Lang, typer.Option("--lang", "-l", help="en or nl.")] = Lang.en,
    ) -> None:
        """List the bibliography: id, title, publisher or authors, year, url or doi, kind."""
        knowledge = knowledge_for(pack_path)
        if left_out:
            items = knowledge.left_out.items
            if output == Format.json:
                print_json([item.to_dict(key, lang.value) for key, item in items.items()])
                return
            console = Console(width=200)
            for key, item in items.items():
                console.print(f"[bold]{item.topic.get(lang.value)}[/bold] ({key})")
                console.print(f"  {item.decision.get(lang.value)}")
                console.print(f"  [dim]{', '.join(item.source)}[/dim]")
            return
        if kind is not None and kind not in KINDS:
            raise InputError("kind", f"unknown kind {kind!r}", ", ".join(KINDS))
        chosen: list[Reference] = (
            list(knowledge.pack(pack).sources.values())
            if pack is not None
            else list(knowledge.sources.values())
        )
        chosen = [r for r in chosen if kind is None or r.kind == kind]
        if output == Format.json:
            print_json([r.to_dict() for r in chosen])
            return
        table = Table(title="Sources", show_lines=False)
        for column in ("id", "title", "publisher or authors", "year", "url or doi", "kind"):
            table.add_column(column, overflow="fold")
        for ref in chosen:
            where = ref.link or ref.unavailable_online or ref.journal or ""
            year = "" if ref.published is None else str(ref.published)
            table.add_row(ref.id, ref.title, ref.who(), year, where, ref.kind)
        Console(width=200).print(table)
