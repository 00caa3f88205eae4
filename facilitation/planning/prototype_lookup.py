"""Finding prototypes: the short id residents type and read (p3), the prototype it names, and its versions
in order; what the prototype commands and their feedback both build on."""

from __future__ import annotations

from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.refs import parse_ref
from facilitation.kernel.router import UserError
from storage.models import Prototype, PrototypeVersion


def find_prototype(ctx: Context, word: str) -> Prototype:
    parsed = parse_ref(word, "p")
    prototype = ctx.session.get(Prototype, parsed[1]) if parsed is not None and parsed[0] == "p" else None
    if prototype is None:
        raise UserError(ctx._("There is no prototype {ref}. /prototype lists them.", ref=word or "?"))
    return prototype


def versions_of(ctx: Context, prototype: Prototype) -> list[PrototypeVersion]:
    return list(
        ctx.session.exec(
            select(PrototypeVersion)
            .where(PrototypeVersion.prototype_id == prototype.id)
            .order_by(col(PrototypeVersion.number))
        )
    )
