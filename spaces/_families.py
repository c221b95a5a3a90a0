"""The built-in activation families.

Adding one is one ``register_family`` call below. Defaults are Keras' own (checked against
``inspect.signature`` in the tests); where Keras has none (``threshold``), the untuned value is documented
next to the registration. Ranges are search ranges. Kernel initializers: He for ReLU-like and smooth
functions unbounded above, Glorot for saturating or odd ones, LeCun for SELU.

Every elementwise function of ``keras.activations`` is a family; the rest are listed, with the reason, in
``LEFT_OUT`` (a test checks that each public activation is one or the other).

Keras is imported inside the factories only, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from spaces import _composed
from spaces._params import BoolParam, ChoiceParam, FloatParam, OptionalFloatParam
from spaces._registry import ActivationFamily, LayerFactory, register_family

if TYPE_CHECKING:
    import keras

HE = "he_normal"
GLOROT = "glorot_uniform"
LECUN = "lecun_normal"

DEFAULT_FAMILIES: tuple[str, ...] = ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")

LEFT_OUT: dict[str, str] = {
    "softmax": "normalises across an axis (the last by default): not an elementwise activation.",
    "log_softmax": "normalises across an axis (the last by default): not an elementwise activation.",
    "sparsemax": "projects onto the simplex along an axis (the last by default): not an elementwise activation.",
    "glu": "splits its input in two along an axis and halves that axis: changes the shape, not elementwise.",
}
"""``keras.activations`` functions deliberately not registered as families, each with the reason."""


def _keras_activation(function: str) -> LayerFactory:
    """A factory for ``keras.activations.<function>``: a built-in ``Activation`` layer when it takes no
    parameters, else the registered ``ParametricActivation``.
    """

    def factory(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
        if not params:
            import keras

            return keras.layers.Activation(function, name=name)
        from spaces._layers import ParametricActivation

        return ParametricActivation(function, params, name=name)

    return factory


def _relu(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    import keras

    return keras.layers.ReLU(
        max_value=params["max_value"],
        negative_slope=params["negative_slope"],
        threshold=params["threshold"],
        name=name,
    )


def _leaky_relu(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    import keras

    return keras.layers.LeakyReLU(negative_slope=params["negative_slope"], name=name)


def _prelu(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    import keras

    initializer = keras.initializers.Constant(params["initial_slope"])
    return keras.layers.PReLU(alpha_initializer=initializer, name=name)


def _prelu_spatial(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    """After a convolution: one slope per channel, shared across height and width (He et al. 2015's
    channel-wise PReLU), not one per pixel and channel."""
    import keras

    initializer = keras.initializers.Constant(params["initial_slope"])
    return keras.layers.PReLU(alpha_initializer=initializer, shared_axes=[1, 2], name=name)


def _elu(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    import keras

    return keras.layers.ELU(alpha=params["alpha"], name=name)


def _rrelu(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    from spaces._layers import RReLU

    lower, upper = sorted((params["lower"], params["upper"]))  # the search may draw them in either order
    return RReLU(lower, upper, name=name)


def _composed_layer(params: Mapping[str, Any], name: str | None) -> keras.layers.Layer:
    from spaces._layers import ComposedActivation

    return ComposedActivation(params["unary1"], params["unary2"], params["binary"], params["beta"], name=name)


def _register(
    name: str,
    initializer: str,
    description: str,
    *params: Any,
    aliases: tuple[str, ...] = (),
    factory: LayerFactory | None = None,
    describe: Any = None,
    spatial_factory: LayerFactory | None = None,
) -> None:
    register_family(
        ActivationFamily(
            name,
            tuple(params),
            initializer,
            description,
            aliases,
            factory=factory or _keras_activation(name),
            describe=describe,
            spatial_factory=spatial_factory,
        )
    )


# fmt: off
_register("relu", HE, "max(x, 0), with optional leak, cap and threshold.",
          FloatParam("negative_slope", 0.0, 0.3, default=0.0),
          OptionalFloatParam("max_value", 1.0, 20.0, default=None, log=True),
          FloatParam("threshold", 0.0, 1.0, default=0.0),
          factory=_relu)
_register("leaky_relu", HE, "x for x >= 0, else negative_slope * x (the layer's default slope, 0.3).",
          FloatParam("negative_slope", 0.01, 0.3, default=0.3, log=True),
          factory=_leaky_relu)
_register("prelu", HE, "Leaky ReLU whose slope is learned per unit; initial_slope starts it.",
          FloatParam("initial_slope", 0.0, 0.3, default=0.0),
          factory=_prelu, spatial_factory=_prelu_spatial)
_register("elu", HE, "x for x > 0, else alpha * (exp(x) - 1).",
          FloatParam("alpha", 0.1, 3.0, default=1.0, log=True),
          factory=_elu)
# Not in Keras (Xu et al. 2015, "Empirical Evaluation of Rectified Activations"): defaults are theirs, 1/8 and 1/3.
_register("rrelu", HE, "Leaky ReLU with a random slope in [lower, upper] while training, their mean at inference.",
          FloatParam("lower", 0.01, 0.3, default=0.125, log=True),
          FloatParam("upper", 0.05, 0.5, default=1 / 3, log=True),
          factory=_rrelu)
_register("selu", LECUN, "Self-normalising scaled ELU; pairs with lecun_normal and AlphaDropout.")
_register("gelu", HE, "x * P(X <= x) for X ~ N(0, 1); optionally the tanh approximation.",
          BoolParam("approximate", default=False))
_register("silu", HE, "x * sigmoid(x).", aliases=("swish",))
_register("mish", HE, "x * tanh(softplus(x)).")
_register("celu", HE, "x for x >= 0, else alpha * (exp(x / alpha) - 1).",
          FloatParam("alpha", 0.1, 3.0, default=1.0, log=True))
_register("relu6", HE, "min(max(x, 0), 6).")
_register("hard_silu", HE, "x * hard_sigmoid(x).", aliases=("hard_swish",))
_register("softplus", HE, "log(1 + exp(x)).")
_register("softsign", GLOROT, "x / (1 + |x|).")
_register("tanh", GLOROT, "Hyperbolic tangent.")
_register("sigmoid", GLOROT, "1 / (1 + exp(-x)).", aliases=("logistic",))
_register("hard_sigmoid", GLOROT, "clip(x / 6 + 0.5, 0, 1).")
_register("hard_tanh", GLOROT, "clip(x, -1, 1).")
# Mirror image of softplus: ~x below zero, ~0 above, so it halves variance like ReLU -> He.
_register("log_sigmoid", HE, "log(sigmoid(x)) = -softplus(-x).")
_register("squareplus", HE, "(x + sqrt(x^2 + b)) / 2, a smooth ReLU.",
          FloatParam("b", 0.1, 16.0, default=4.0, log=True))
_register("sparse_plus", HE, "0 for x <= -1, (x + 1)^2 / 4 on (-1, 1), x for x >= 1.")
_register("tanh_shrink", GLOROT, "x - tanh(x).")
# Odd, identity-like outside a dead zone [-threshold, threshold]: Glorot, as for tanh_shrink.
_register("hard_shrink", GLOROT, "x for |x| > threshold, else 0.",
          FloatParam("threshold", 0.05, 2.0, default=0.5, log=True))
_register("soft_shrink", GLOROT, "x - threshold above threshold, x + threshold below -threshold, else 0.",
          FloatParam("threshold", 0.05, 2.0, default=0.5, log=True))
# Keras gives threshold(x, threshold, default_value) no defaults. Untuned: threshold=0, default_value=0,
# which is exactly ReLU, hence He. The search moves the cut-off and the floor below it.
_register("threshold", HE, "x for x > threshold, else default_value; ReLU when both are 0 (untuned).",
          FloatParam("threshold", -1.0, 1.0, default=0.0),
          FloatParam("default_value", -1.0, 1.0, default=0.0))
_register("sparse_sigmoid", GLOROT, "0 for x <= -1, (x + 1) / 2 on (-1, 1), 1 for x >= 1.")
_register("exponential", GLOROT, "exp(x).")
_register("linear", GLOROT, "Identity (no activation): a baseline.")
# Not in Keras (Ramachandran, Zoph & Le 2017): binary(unary1(x), unary2(x)); untuned, it is swish with beta = 1.
_register("composed", HE, "binary(unary1(x), unary2(x)) searched over Ramachandran et al.'s sets; swish untuned.",
          ChoiceParam("unary1", tuple(_composed.UNARY), default=_composed.SWISH["unary1"]),
          ChoiceParam("unary2", tuple(_composed.UNARY), default=_composed.SWISH["unary2"]),
          ChoiceParam("binary", tuple(_composed.BINARY), default=_composed.SWISH["binary"]),
          FloatParam("beta", 0.1, 4.0, default=1.0, log=True),
          factory=_composed_layer, describe=_composed.formula)
# fmt: on
