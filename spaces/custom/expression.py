"""Activation expressions such as ``maximum(a * x, x); a in [0.01, 0.3]``: parsed, checked, evaluated.

User text is parsed with :mod:`ast` and checked against a whitelist of names and operators; it is never given
to ``eval`` or ``exec``. One evaluator walks the checked tree with a table of operations: NumPy's for the
numeric checks (pure, no TensorFlow), ``keras.ops`` for the layer, so both compute the same function.

Grammar of a definition: ``EXPR[; PARAM in [LOW, HIGH][ log][ default VALUE]]...``. ``EXPR`` uses ``x`` (the
input), the declared parameters, numbers, ``pi`` and ``e``, the operators ``+ - * / **`` (a number or a
parameter as exponent, within ±8), the comparisons ``> >= < <=`` (as ``where``'s condition) and the
functions in :data:`FUNCTIONS`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spaces._params import FloatParam

MAX_LENGTH = 500  # characters of a whole definition
MAX_NODES = 120  # syntax-tree nodes of the expression
MAX_DEPTH = 24  # nesting of the syntax tree
MAX_EXPONENT = 8.0
MAX_CONSTANT = 1e6
EXP_CLIP = 80.0  # exp(80) ~ 5.5e34 still fits float32 (see keras_ops)
MIN_MOVING = 0.01  # the share of inputs in [-10, 10] where the derivative must be non-zero
_QUANTILES = (0.0, 0.137, 0.5, 0.731, 1.0)
CONSTANTS = {"pi": math.pi, "e": math.e}
_UNARY = ("abs", "exp", "expm1", "log", "log1p", "sqrt", "square", "sin", "cos", "tanh", "sinh", "cosh", "arctan",
          "arcsinh", "erf", "sigmoid", "softplus", "softsign", "relu")  # fmt: skip
_OPERATIONS = ("maximum", "minimum", "where", "negative", "add", "subtract", "multiply", "divide", "power", "greater",
               "greater_equal", "less", "less_equal")  # fmt: skip
FUNCTIONS: dict[str, int] = {**dict.fromkeys(_UNARY, 1), "maximum": 2, "minimum": 2, "where": 3}
"""The functions an expression may call, with their number of arguments; every one is elementwise."""
NOT_ELEMENTWISE = {"sum", "mean", "max", "min", "prod", "std", "var", "softmax", "log_softmax", "cumsum", "cumprod",
                   "sort", "norm", "logsumexp", "argmax", "argmin", "reshape", "concatenate", "matmul", "dot"}
_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.Pow: "power"}
_COMPARE = {ast.Gt: "greater", ast.GtE: "greater_equal", ast.Lt: "less", ast.LtE: "less_equal"}
_REFUSED = {
    ast.Attribute: "attribute access", ast.Lambda: "lambdas", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Subscript: "indexing (not elementwise)", ast.Starred: "starred arguments", ast.NamedExpr: "assignments",
    ast.IfExp: "if-else (use where(cond, a, b))", ast.BoolOp: "and/or", ast.JoinedStr: "strings",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield",
}
_PARAM = re.compile(
    r"^\s*(?P<name>[a-z][a-z0-9_]*)\s+in\s+\[\s*(?P<low>[^,\]]+?)\s*,\s*(?P<high>[^\]]+?)\s*\]"
    r"(?P<log>\s+log)?(?:\s+default\s+(?P<default>\S+))?\s*$"
)


class ExpressionError(ValueError):
    """An expression that is refused; the message names the problem in one line."""


@dataclass(frozen=True)
class Expression:
    """A checked activation expression with its searchable parameters.

    Attributes:
        text: The expression as written (without the parameter declarations).
        params: The declared parameters, each searched in its range.
    """

    text: str
    params: tuple[FloatParam, ...] = ()

    @property
    def tree(self) -> ast.expr:
        return ast.parse(self.text, mode="eval").body

    @property
    def canonical(self) -> str:
        """The expression and its parameters as one normalised string (for digests)."""
        params = "; ".join(f"{p.name} in [{p.low!r}, {p.high!r}]{' log' if p.log else ''} default {p.default!r}"
                           for p in self.params)
        return ast.unparse(self.tree) + (f"; {params}" if params else "")

    def evaluate(self, x: Any, values: Mapping[str, Any], ops: Mapping[str, Callable[..., Any]]) -> Any:
        """The expression at ``x`` with parameter ``values``, computed with ``ops`` (see :func:`numpy_ops`)."""
        return _evaluate(self.tree, {**CONSTANTS, **dict(values), "x": x}, ops)


def parse_definition(definition: str) -> Expression:
    """An :class:`Expression` from ``EXPR[; PARAM in [LOW, HIGH][ log][ default V]]...``, checked.

    Raises:
        ExpressionError: For anything outside the grammar, and for a function that is not finite or has no
            gradient on [-10, 10] (see :func:`check_numerics`).
    """
    if not isinstance(definition, str):
        raise ExpressionError(f"An activation expression is text, but got {type(definition).__name__}.")
    if len(definition) > MAX_LENGTH:
        raise ExpressionError(f"The activation expression is {len(definition)} characters long; at most {MAX_LENGTH}.")
    text, *declarations = definition.split(";")
    params = tuple(_parse_param(d) for d in declarations if d.strip())
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ExpressionError(f"A parameter is declared twice in {definition!r}.")
    if clash := {"x", *CONSTANTS, *FUNCTIONS} & set(names):
        raise ExpressionError(f"Parameter name {sorted(clash)[0]!r} is taken (input, constant or function).")
    text, exponents = check_syntax(text.strip(), set(names))
    for p in params:
        if p.name in exponents and not max(abs(p.low), abs(p.high)) <= MAX_EXPONENT:
            raise ExpressionError(f"Parameter {p.name!r} is an exponent, so its range must lie within ±{MAX_EXPONENT:g}.")
    expression = Expression(text, params)
    check_numerics(expression)
    return expression


def _parse_param(declaration: str) -> FloatParam:
    match = _PARAM.match(declaration)
    if match is None:
        raise ExpressionError(
            f"Cannot read the parameter declaration {declaration.strip()!r}; write it as "
            f"'NAME in [LOW, HIGH]', optionally followed by 'log' and 'default VALUE'."
        )
    try:
        low, high = float(match["low"]), float(match["high"])
        log = bool(match["log"])
        default = float(match["default"]) if match["default"] else (
            math.sqrt(low * high) if log and low > 0 else (low + high) / 2)
        return FloatParam(match["name"], low, high, default=default, log=log)
    except ValueError as exc:
        raise ExpressionError(f"Parameter {match['name']!r}: {exc}".rstrip(".") + ".") from None


def check_syntax(text: str, params: set[str]) -> tuple[str, set[str]]:
    """The expression's text, checked, and the parameters it uses as exponents."""
    if not text:
        raise ExpressionError("The activation expression is empty; write e.g. 'maximum(0.5, x)'.")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        reason = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(f"The activation expression {text!r} is not valid syntax: {reason}.") from None
    nodes = list(ast.walk(tree.body))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"The activation expression has {len(nodes)} parts; at most {MAX_NODES}.")
    checker = _Checker(params)
    checker.check(tree.body, depth=0)
    if "x" not in {n.id for n in nodes if isinstance(n, ast.Name)}:
        raise ExpressionError(f"The activation expression {text!r} does not use its input x.")
    return text, checker.exponents


class _Checker:
    """Walks a syntax tree and refuses every node outside the whitelist, with the reason."""

    def __init__(self, params: set[str]) -> None:
        self.names = {"x", *CONSTANTS, *params}
        self.params = params
        self.exponents: set[str] = set()

    def check(self, node: ast.AST, depth: int, condition: bool = False) -> None:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"The activation expression is nested more than {MAX_DEPTH} levels deep.")
        for kind, what in _REFUSED.items():
            if isinstance(node, kind):
                raise ExpressionError(f"{what.capitalize()} not allowed in an activation expression: {_show(node)!r}.")
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise ExpressionError(f"{type(node).__name__} is not allowed in an activation expression: {_show(node)!r}.")
        method(node, depth, condition)

    def _constant(self, node: ast.Constant, depth: int, condition: bool) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"Only numbers are allowed as constants, not {node.value!r}.")
        if not abs(node.value) <= MAX_CONSTANT:
            raise ExpressionError(f"The constant {node.value!r} is out of range (at most {MAX_CONSTANT:g} in size).")

    def _name(self, node: ast.Name, depth: int, condition: bool) -> None:
        if node.id not in self.names:
            hint = " (a function needs a call, e.g. tanh(x))" if node.id in FUNCTIONS else ""
            raise ExpressionError(f"Unknown name {node.id!r}{hint}; use x, {', '.join(sorted(self.names - {'x'}))}.")

    def _unaryop(self, node: ast.UnaryOp, depth: int, condition: bool) -> None:
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExpressionError(f"The operator in {_show(node)!r} is not allowed; use + - * / **.")
        self.check(node.operand, depth + 1)

    def _binop(self, node: ast.BinOp, depth: int, condition: bool) -> None:
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"The operator in {_show(node)!r} is not allowed; use + - * / **.")
        if isinstance(node.op, ast.Pow):
            self._exponent(node.right)
        self.check(node.left, depth + 1)
        self.check(node.right, depth + 1)

    def _exponent(self, node: ast.expr) -> None:
        value = _number(node)
        if value is None and isinstance(node, ast.Name) and node.id in self.params:
            self.exponents.add(node.id)  # its range is checked against the limit once it is known
            return
        if value is None or not abs(value) <= MAX_EXPONENT:
            raise ExpressionError(f"The exponent {_show(node)!r} must be a number or a parameter within ±{MAX_EXPONENT:g}.")

    def _compare(self, node: ast.Compare, depth: int, condition: bool) -> None:
        if not condition:
            raise ExpressionError(f"A comparison is only allowed as the condition of where(cond, a, b): {_show(node)!r}.")
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise ExpressionError(f"Use one of > >= < <= in a condition, not {_show(node)!r}.")
        self.check(node.left, depth + 1)
        self.check(node.comparators[0], depth + 1)

    def _call(self, node: ast.Call, depth: int, condition: bool) -> None:
        if not isinstance(node.func, ast.Name):
            self.check(node.func, depth + 1)  # refused here: attribute access, a call's result, ...
            raise ExpressionError(f"Only the listed functions can be called, not {_show(node.func)!r}.")
        name = node.func.id
        if name in NOT_ELEMENTWISE:
            raise ExpressionError(f"{name}() is not elementwise: an activation maps each unit on its own.")
        if name not in FUNCTIONS:
            raise ExpressionError(f"Unknown function {name!r}; use one of {', '.join(sorted(FUNCTIONS))}.")
        if node.keywords or len(node.args) != FUNCTIONS[name]:
            raise ExpressionError(f"{name}() takes {FUNCTIONS[name]} positional argument(s): {_show(node)!r}.")
        for i, arg in enumerate(node.args):
            self.check(arg, depth + 1, condition=name == "where" and i == 0)


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _show(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _evaluate(node: ast.expr, env: Mapping[str, Any], ops: Mapping[str, Callable[..., Any]]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, env, ops)
        return ops["negative"](value) if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return ops[_BINARY[type(node.op)]](_evaluate(node.left, env, ops), _evaluate(node.right, env, ops))
    if isinstance(node, ast.Compare):
        left, right = _evaluate(node.left, env, ops), _evaluate(node.comparators[0], env, ops)
        return ops[_COMPARE[type(node.ops[0])]](left, right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return ops[node.func.id](*(_evaluate(arg, env, ops) for arg in node.args))


def numpy_ops() -> dict[str, Callable[..., Any]]:
    """The operations of the evaluator in NumPy (for checks and plots; no TensorFlow)."""
    import numpy as np

    table: dict[str, Callable[..., Any]] = {name: getattr(np, name, None) for name in (*_UNARY, *_OPERATIONS)}
    table.update(
        erf=np.vectorize(math.erf, otypes=[float]),
        sigmoid=lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),
        softplus=lambda v: np.logaddexp(0.0, v),
        softsign=lambda v: v / (1.0 + np.abs(v)),
        relu=lambda v: np.maximum(v, 0.0),
        power=lambda a, b: np.power(np.asarray(a, dtype=float), b),
    )
    return table


def keras_ops() -> dict[str, Callable[..., Any]]:
    """The operations of the evaluator in ``keras.ops`` (the layer's, on any backend).

    The exponential-growth functions take their input clipped to ±:data:`EXP_CLIP`: identical on every
    input the checks allow, they cannot overflow in an unselected branch of ``where``, whose gradient would
    otherwise be ``0 * inf = NaN`` (``where(x > 0, x, exp(x) - 1)`` at a pre-activation of 100).
    """
    from keras import ops

    table = {name: getattr(ops, name) for name in (*_UNARY, *_OPERATIONS)}
    for name in ("exp", "expm1", "sinh", "cosh"):
        table[name] = lambda v, fn=table[name]: fn(ops.clip(v, -EXP_CLIP, EXP_CLIP))
    return table


def check_numerics(expression: Expression) -> None:
    """Refuse a function that is not finite, or passes no gradient, on a grid over [-10, 10] at its parameters'
    low, default and high values (an activation's input can be anything; a zero derivative trains nothing).

    Raises:
        ExpressionError: Naming the first offending input and parameter values.
    """
    import numpy as np

    grid = np.linspace(-10.0, 10.0, 4001)
    step = 1e-4
    ops = numpy_ops()
    for values in _corners(expression.params):
        _check_parts(expression, grid, values)
        with np.errstate(all="ignore"):
            y = np.broadcast_to(np.asarray(expression.evaluate(grid, values, ops), dtype=float), grid.shape)
            slope = (np.asarray(expression.evaluate(grid + step, values, ops), dtype=float)
                     - np.asarray(expression.evaluate(grid - step, values, ops), dtype=float)) / (2 * step)
        at = f" with {', '.join(f'{k}={v:g}' for k, v in values.items())}" if values else ""
        bad = ~np.isfinite(y)
        if bad.any():
            raise ExpressionError(
                f"{expression.text!r} is not finite at x={grid[bad][0]:g}{at}: an activation must be defined for "
                f"every input."
            )
        moving = np.isfinite(slope) & (np.abs(np.broadcast_to(slope, grid.shape)) > 1e-9)
        if moving.mean() < MIN_MOVING:
            raise ExpressionError(
                f"{expression.text!r} has zero derivative almost everywhere on [-10, 10]{at} (a step or a "
                f"constant): no gradient would flow through it."
            )


def _check_parts(expression: Expression, grid: Any, values: Mapping[str, float]) -> None:
    """Every intermediate value must be finite too: a NaN in the branch ``where`` does not select still makes
    its gradient NaN (``where(x > -1, log(x + 1), x)``)."""
    import numpy as np

    def finite(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def checked(*args: Any) -> Any:
            with np.errstate(all="ignore"):
                out = fn(*args)
            bad = ~np.isfinite(np.broadcast_to(np.asarray(out, dtype=float), grid.shape))
            if bad.any():
                at = f" with {', '.join(f'{k}={v:g}' for k, v in values.items())}" if values else ""
                raise ExpressionError(
                    f"{name}() in {expression.text!r} is not finite at x={grid[bad][0]:g}{at}: an activation must "
                    f"be finite for every input, in both branches of a where()."
                )
            return out

        return checked

    ops = {name: finite(name, fn) for name, fn in numpy_ops().items()}
    expression.evaluate(grid, values, ops)


def _corners(params: tuple[FloatParam, ...]) -> list[dict[str, float]]:
    """Every parameter at its default, then all at the same quantile of their ranges (the ends and interior
    points that are not round numbers, where a fractional power of a negative input shows)."""
    at_default = {p.name: p.default for p in params}
    if not params:
        return [at_default]
    return [at_default, *({p.name: p.low + q * (p.high - p.low) for p in params} for q in _QUANTILES)]
