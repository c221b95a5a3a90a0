"""Activation expressions: what is accepted, what is refused (and never executed), and that the NumPy and
Keras evaluations agree."""

from __future__ import annotations

import numpy as np
import pytest

from spaces.custom.expression import ExpressionError, keras_ops, numpy_ops, parse_definition

SEED_ARTICLES = {
    "shifted": "maximum(0.5, x)",
    "floor_leak": "maximum(-0.1, x)",
    "absolute": "abs(x)",
    "wave": "sin(x)",
    "twice": "tanh(x) * 2",
    "elu_like": "where(x > 0, x, exp(x) - 1)",
    "leaky": "maximum(0.1 * x, x)",
}


@pytest.mark.parametrize("text", list(SEED_ARTICLES.values()))
def test_the_seed_articles_expressions_are_accepted_and_compute_what_they_say(text):
    x = np.linspace(-3, 3, 61)
    expected = {
        "maximum(0.5, x)": np.maximum(0.5, x), "maximum(-0.1, x)": np.maximum(-0.1, x), "abs(x)": np.abs(x),
        "sin(x)": np.sin(x), "tanh(x) * 2": np.tanh(x) * 2, "where(x > 0, x, exp(x) - 1)": np.where(x > 0, x, np.expm1(x)),
        "maximum(0.1 * x, x)": np.maximum(0.1 * x, x),
    }[text]  # fmt: skip
    np.testing.assert_allclose(parse_definition(text).evaluate(x, {}, numpy_ops()), expected, atol=1e-12)


def test_a_parameter_is_declared_with_its_range_scale_and_default():
    expression = parse_definition("maximum(a * x, x); a in [0.01, 0.3] log default 0.1")
    (a,) = expression.params
    assert (a.name, a.low, a.high, a.log, a.default) == ("a", 0.01, 0.3, True, 0.1)
    assert parse_definition("maximum(a * x, x); a in [0.01, 0.3]").params[0].default == pytest.approx(0.155)
    assert parse_definition("maximum(a * x, x); a in [0.01, 0.04] log").params[0].default == pytest.approx(0.02)


def test_swish_with_a_searched_beta_is_expressible():
    expression = parse_definition("x * sigmoid(b * x); b in [0.5, 2.0] default 1")
    x = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(expression.evaluate(x, {"b": 1.5}, numpy_ops()), x / (1 + np.exp(-1.5 * x)))


HOSTILE = {
    "__import__('os').system('touch /tmp/pwned')": "Attribute access not allowed",
    "__import__('os')": "Unknown function '__import__'",
    "x.real": "Attribute access not allowed",
    "(lambda y: y)(x)": "Lambdas not allowed",
    "[x for _ in range(9)][0]": "not allowed",
    "abs([x for x in range(3)])": "Comprehensions not allowed",
    "open('/etc/passwd')": "Unknown function 'open'",
    "exec('x')": "Unknown function 'exec'",
    "globals()": "Unknown function 'globals'",
    "y + x": "Unknown name 'y'",
    "x ** 100000": "exponent '100000' must be a number or a parameter within ±8",
    "x ** x": "exponent 'x' must be",
    "10 ** 400 * x": "exponent '400' must be",
    "1e300 * x": "constant 1e+300 is out of range",
    "x" + " + x" * 40_000: "characters long; at most 500",
    "abs(" * 99 + "x" + ")" * 99: "parts; at most 120",
    "(" * 250 + "x": "not valid syntax",
    "-" * 300 + "x": "parts; at most 120",
    "sin(" * 30 + "x" + ")" * 30: "nested more than 24 levels",
    "sum(x)": "sum() is not elementwise",
    "softmax(x)": "softmax() is not elementwise",
    "x[0]": "Indexing (not elementwise) not allowed",
    "x if x > 0 else 0": "If-else",
    "x > 0": "only allowed as the condition of where",
    "where(x > 0 > x, x, 0)": "Use one of > >= < <=",
    "where(x > 0, 1, 0)": "zero derivative almost everywhere",
    "maximum(2.0, minimum(x, 1.0)) * x / x": "is not finite at x=0",
    "log(x)": "is not finite at x=-10",
    "1 / x": "is not finite at x=0",
    "exp(exp(exp(x)))": "is not finite",
    "x ** 2.5": "is not finite at x=-10",
    "3.0": "does not use its input x",
    "'x'": "Only numbers are allowed as constants",
    "x @ x": "operator",
    "x // 2": "operator",
    "not x": "operator",
    "tanh": "a function needs a call",
    "maximum(x)": "maximum() takes 2 positional argument(s)",
    "maximum(x, y=1)": "takes 2 positional argument(s)",
    "f'{x}'": "Strings not allowed",
    "": "is empty",
}


@pytest.mark.parametrize("text", list(HOSTILE), ids=lambda t: t[:40])
def test_hostile_or_meaningless_expressions_are_refused_in_one_line(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError) as info:
        parse_definition(text)
    message = str(info.value)
    assert HOSTILE[text] in message and "\n" not in message and len(message) < 400
    assert not list(tmp_path.iterdir()), "nothing was executed"


@pytest.mark.parametrize(
    ("definition", "says"),
    [
        ("maximum(a * x, x); a in [0.3, 0.01]", "needs finite low <= high"),
        ("maximum(a * x, x); a in [0, 1] log", "log-scaled"),
        ("maximum(a * x, x); a from 0 to 1", "Cannot read the parameter declaration"),
        ("maximum(a * x, x); a in [0, 1]; a in [0, 2]", "declared twice"),
        ("maximum(x * x, x); x in [0, 1]", "is taken"),
        ("maximum(b * x, x); a in [0, 1]", "Unknown name 'b'"),
        ("x ** p; p in [1, 20]", "is an exponent, so its range must lie within ±8"),
        ("x ** p; p in [1, 3]", "is not finite at x=-10 with p=1.274"),
        ("maximum(a * x, x); a in [0, 1] default 2", "lies outside"),
    ],
)
def test_bad_parameter_declarations_are_refused(definition, says):
    with pytest.raises(ExpressionError, match=None) as info:
        parse_definition(definition)
    assert says in str(info.value)


@pytest.mark.parametrize("text", ["where(x > 0, x, exp(x) - 1)", "x * sigmoid(1.5 * x)", "erf(x) + softsign(x) ** 2",
                                  "arcsinh(x) - softplus(-x) + relu(x) / (1 + square(x))", "-x ** 2 + cosh(x) / 100"])
def test_numpy_and_keras_evaluations_agree(text):
    from keras import ops

    x = np.linspace(-6, 6, 121).astype("float32")
    expression = parse_definition(text)
    got = ops.convert_to_numpy(expression.evaluate(ops.convert_to_tensor(x), {}, keras_ops()))
    np.testing.assert_allclose(got, expression.evaluate(x.astype(float), {}, numpy_ops()), rtol=2e-5, atol=2e-5)
