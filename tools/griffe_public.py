"""A griffe extension for the reference: signatures and bases name public things only.

- A parameter default or an attrs field default that names a module constant of the package
  (``limit: int = DEFAULT_PAGE_SIZE``) is shown as the constant's value (``limit: int = 1000``).
- An attrs field's value (``attrs.field(default=2, validator=...)``) is shown as its default
  alone, or not at all when that default is not a plain value.
- A base class that the package does not export (``AsyncClosing``) is left out of "Bases:".
"""

from __future__ import annotations

import ast
from typing import Any

import griffe

PACKAGE = "dataflow_async"
PUBLIC_MODULES = (PACKAGE, f"{PACKAGE}.emulator", f"{PACKAGE}.types", f"{PACKAGE}.resources")


class PublicSignatures(griffe.Extension):
    """Rewrites what the reference would otherwise show of private modules."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != PACKAGE:
            return
        public = _public_names(pkg)
        for obj in _walk(pkg):
            if obj.is_function:
                for parameter in obj.parameters:
                    parameter.default = _plain(parameter.default, public)
                    parameter.annotation = _alias_value(parameter.annotation, public)
            elif obj.is_attribute:
                obj.value = _field_default(obj.value, public)
                obj.annotation = _alias_value(obj.annotation, public)
            elif obj.is_class:
                obj.bases = [base for base in obj.bases if _is_public_base(base, public)]


def _public_names(pkg: griffe.Module) -> set[str]:
    names: set[str] = set()
    for module_path in PUBLIC_MODULES:
        module = pkg if module_path == PACKAGE else pkg.modules_collection[module_path]
        names.update(module.exports or ())
    return names


def _walk(obj: griffe.Object) -> Any:
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield member
        if member.is_module or member.is_class:
            yield from _walk(member)


def _private_target(expr: Any, public: set[str]) -> Any:
    """The package object that ``expr`` names, if it names a non-public one."""
    if not isinstance(expr, griffe.ExprName) or expr.name in public:
        return None
    if not expr.canonical_path.startswith(PACKAGE + "."):
        return None
    try:
        target = expr.parent.modules_collection[expr.canonical_path]
        return target.final_target if target.is_alias else target
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _constant(text: str) -> str | None:
    """``text`` evaluated if it is a literal or arithmetic on numbers (``8 * 1024``)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    allowed = (ast.Expression, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)
    if all(isinstance(node, allowed) for node in ast.walk(tree)):
        return repr(eval(compile(tree, "<default>", "eval"), {"__builtins__": {}}))
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return text


def _resolved_literal(expr: Any, public: set[str]) -> str | None:
    """The literal value of a package constant that ``expr`` names, if it names one."""
    target = _private_target(expr, public)
    value = getattr(target, "value", None)
    return None if value is None else _constant(str(value))


def _alias_value(annotation: Any, public: set[str]) -> Any:
    """A private type alias (``CountMode``) replaced by what it stands for."""
    target = _private_target(annotation, public)
    value = getattr(target, "value", None)
    return value if isinstance(value, griffe.Expr) else annotation


def _plain(default: Any, public: set[str]) -> Any:
    literal = _resolved_literal(default, public)
    return default if literal is None else literal


def _field_default(value: Any, public: set[str]) -> Any:
    """The default of an ``attrs.field(...)`` value, plain, or ``None`` to show nothing."""
    if not isinstance(value, griffe.ExprCall) or str(value.function) not in (
        "attrs.field",
        "attr.ib",
        "field",
    ):
        return value
    for argument in value.arguments:
        if isinstance(argument, griffe.ExprKeyword) and argument.name == "default":
            literal = _resolved_literal(argument.value, public)
            if literal is not None:
                return literal
            return argument.value if _constant(str(argument.value)) is not None else None
    return None


def _is_public_base(base: Any, public: set[str]) -> bool:
    name = base.left if isinstance(base, griffe.ExprSubscript) else base
    if not isinstance(name, griffe.ExprName):
        return True
    path = name.canonical_path
    return not path.startswith(PACKAGE + ".") or path.rsplit(".", 1)[-1] in public
